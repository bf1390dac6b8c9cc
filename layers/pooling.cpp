// Pooling layers on ops::max_pool / ops::average_pool and reductions.
#include "keras/layers/pooling.hpp"

#include <nlohmann/json.hpp>

#include "keras/layers/registry.hpp"
#include "keras/ops.hpp"
#include "layers/spatial_util.hpp"

namespace keras::layers {
using namespace spatial;

namespace {
void check_rank(const std::string& layer, const Shape& s, int rank) {
  const char* layout = rank == 1 ? "(batch, steps, channels)" : "(batch, height, width, channels)";
  KERAS_CHECK(static_cast<int>(s.size()) == rank + 2, ValueError, "Input 0 of layer \"", layer,
              "\" is incompatible with the layer: expected rank ", rank + 2, " ", layout, ", received shape ",
              shape_str(s));
}
}  // namespace

Pooling::Pooling(int rank, bool max, const char* prefix, Ints pool_size, PoolingOptions o)
    : Layer(o.name.empty() ? unique_name(prefix) : o.name), rank_(rank), max_(max), padding_(o.padding) {
  pool_size_ = pool_size.expand(rank, "pool_size", name_);
  strides_ = o.strides.empty() ? pool_size_ : Ints(o.strides).expand(rank, "strides", name_);
  check_padding(name_, padding_, false);
}

void Pooling::check(const Shape& s) const { check_rank(name_, s, rank_); }

Tensor Pooling::call(const Tensor& x, bool) {
  check(x.shape());
  compute_output_shape(x.shape());
  return max_ ? ops::max_pool(x, pool_size_, strides_, padding_) : ops::average_pool(x, pool_size_, strides_, padding_);
}

Shape Pooling::compute_output_shape(const Shape& s) const {
  check(s);
  Shape out{s[0]};
  for (int a = 0; a < rank_; ++a) out.push_back(out_size(name_, padding_, s[1 + a], pool_size_[a], strides_[a], s, "pool_size"));
  out.push_back(s.back());
  return out;
}

nlohmann::json Pooling::get_config() const {
  auto c = Layer::get_config();
  c["pool_size"] = ints(pool_size_);
  c["padding"] = padding_;
  c["strides"] = ints(strides_);
  c["data_format"] = "channels_last";
  return c;
}

GlobalPooling::GlobalPooling(int rank, bool max, const char* prefix, bool keepdims, std::string name)
    : Layer(name.empty() ? unique_name(prefix) : std::move(name)), rank_(rank), max_(max), keepdims_(keepdims) {}

void GlobalPooling::check(const Shape& s) const { check_rank(name_, s, rank_); }

Tensor GlobalPooling::call(const Tensor& x, bool) {
  check(x.shape());
  std::vector<int> axes = rank_ == 1 ? std::vector<int>{1} : std::vector<int>{1, 2};
  return max_ ? ops::max(x, axes, keepdims_) : ops::mean(x, axes, keepdims_);
}

Shape GlobalPooling::compute_output_shape(const Shape& s) const {
  check(s);
  if (!keepdims_) return {s[0], s.back()};
  Shape out(s.size(), 1);
  out.front() = s[0];
  out.back() = s.back();
  return out;
}

nlohmann::json GlobalPooling::get_config() const {
  auto c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["keepdims"] = keepdims_;
  return c;
}

namespace {
template <class L>
std::shared_ptr<Layer> pooling_from_config(const nlohmann::json& c) {
  PoolingOptions o;
  if (c.contains("strides") && !c.at("strides").is_null()) o.strides = read_ints(c.at("strides"));
  o.padding = value_or<std::string>(c, "padding", "valid");
  o.name = name_of(c);
  auto l = std::make_shared<L>(read_ints(c.value("pool_size", nlohmann::json(2))), o);
  l->set_trainable(value_or(c, "trainable", true));
  return l;
}
template <class L>
std::shared_ptr<Layer> global_from_config(const nlohmann::json& c) {
  auto l = std::make_shared<L>(value_or(c, "keepdims", false), name_of(c));
  l->set_trainable(value_or(c, "trainable", true));
  return l;
}
}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(MaxPooling1D, pooling_from_config<MaxPooling1D>);
KERAS_REGISTER_BUILTIN_LAYER(MaxPooling2D, pooling_from_config<MaxPooling2D>);
KERAS_REGISTER_BUILTIN_LAYER(AveragePooling1D, pooling_from_config<AveragePooling1D>);
KERAS_REGISTER_BUILTIN_LAYER(AveragePooling2D, pooling_from_config<AveragePooling2D>);
KERAS_REGISTER_BUILTIN_LAYER(GlobalMaxPooling1D, global_from_config<GlobalMaxPooling1D>);
KERAS_REGISTER_BUILTIN_LAYER(GlobalMaxPooling2D, global_from_config<GlobalMaxPooling2D>);
KERAS_REGISTER_BUILTIN_LAYER(GlobalAveragePooling1D, global_from_config<GlobalAveragePooling1D>);
KERAS_REGISTER_BUILTIN_LAYER(GlobalAveragePooling2D, global_from_config<GlobalAveragePooling2D>);

}  // namespace keras::layers
