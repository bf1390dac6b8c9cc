// Embedding and Masking, and their from_config factories.
#include "keras/layers/embedding.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "keras/layers/registry.hpp"
#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {
namespace {

std::string number_str(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// The first index outside [0, n) or not a whole number, as text; "" when all fit.
template <class T>
std::string bad_index(const T* p, std::int64_t count, std::int64_t n) {
  for (std::int64_t i = 0; i < count; ++i) {
    const double v = static_cast<double>(p[i]);
    if (!(v >= 0) || v >= static_cast<double>(n) || std::floor(v) != v) return number_str(v);
  }
  return "";
}

}  // namespace

Embedding::Embedding(std::int64_t input_dim, std::int64_t output_dim, EmbeddingOptions o)
    : Layer(o.name.empty() ? unique_name("embedding") : o.name), input_dim_(input_dim), output_dim_(output_dim),
      o_(std::move(o)) {
  KERAS_CHECK(input_dim > 0 && output_dim > 0, ValueError,
              "Embedding: input_dim and output_dim must be positive integers. Received: input_dim=", input_dim,
              ", output_dim=", output_dim);
}

void Embedding::build(const Shape&) {
  embeddings_ = add_weight("embeddings", {input_dim_, output_dim_}, o_.embeddings_initializer);
}

Tensor Embedding::call(const Tensor& x, bool) {
  // As in Keras, any sequence length may follow the one built for: only
  // the rank is checked on later calls.
  if (build_shape_.size() >= 2) build_shape_.back() = -1;
  const DType t = x.dtype();
  KERAS_CHECK(t == int32 || t == int64 || t == float32, ValueError, "Layer \"", name_,
              "\" (Embedding) expects integer indices, received dtype ", dtype_name(t), " with shape ",
              shape_str(x.shape()));
  Tensor h = x.cpu();
  std::string bad = t == int32   ? bad_index(h.data<std::int32_t>(), h.size(), input_dim_)
                    : t == int64 ? bad_index(h.data<std::int64_t>(), h.size(), input_dim_)
                                 : bad_index(h.data<float>(), h.size(), input_dim_);
  KERAS_CHECK(bad.empty(), ValueError, "Layer \"", name_, "\" (Embedding, input_dim=", input_dim_,
              ") expects integer indices in [0, ", input_dim_, "), received the value ", bad, " in an input of shape ",
              shape_str(x.shape()));
  Tensor idx = t == float32 ? ops::cast(x, int64) : x;
  return ops::take(embeddings_.value(), idx, 0);
}

Shape Embedding::compute_output_shape(const Shape& s) const {
  Shape o = s;
  o.push_back(output_dim_);
  return o;
}

std::vector<Tensor> Embedding::compute_mask(const std::vector<Tensor>& xs, const std::vector<Tensor>&) const {
  if (!o_.mask_zero || xs.empty()) return {Tensor()};
  return {ops::not_equal(xs[0], ops::zeros({}, xs[0].dtype()))};
}

nlohmann::json Embedding::get_config() const {
  auto c = Layer::get_config();
  c["input_dim"] = input_dim_;
  c["output_dim"] = output_dim_;
  c["embeddings_initializer"] = initializers::serialize(*o_.embeddings_initializer.ptr);
  c["embeddings_regularizer"] = nullptr;
  c["activity_regularizer"] = nullptr;
  c["embeddings_constraint"] = nullptr;
  c["mask_zero"] = o_.mask_zero;
  return c;
}

Masking::Masking(double mask_value, std::string name)
    : Layer(name.empty() ? unique_name("masking") : std::move(name)), mask_value_(mask_value) {
  supports_masking_ = true;
}

Tensor Masking::keep(const Tensor& x) const {
  Tensor differs = ops::cast(ops::not_equal(x, ops::full({}, mask_value_, x.dtype())), float32);
  return ops::max(differs, {-1}, /*keepdims=*/true);
}

Tensor Masking::call(const Tensor& x, bool) {
  check_input(x.ndim() >= 2, "rank >= 2 (batch, time, ...)", x.shape());
  Tensor k = keep(ops::stop_gradient(x));
  return ops::multiply(x, x.dtype() == float32 ? k : ops::cast(k, x.dtype()));
}

std::vector<Tensor> Masking::compute_mask(const std::vector<Tensor>& xs, const std::vector<Tensor>&) const {
  if (xs.empty()) return {Tensor()};
  return {ops::greater(ops::squeeze(keep(xs[0]), -1), ops::zeros({}, float32))};
}

nlohmann::json Masking::get_config() const {
  auto c = Layer::get_config();
  c["mask_value"] = mask_value_;
  return c;
}

namespace {
using saving::json;

std::shared_ptr<Layer> embedding_from(const json& c) {
  std::string name = saving::name_from_config(c);
  KERAS_CHECK(c.contains("input_dim") && c["input_dim"].is_number_integer() && c.contains("output_dim") &&
                  c["output_dim"].is_number_integer(),
              ValueError, "Layer \"", name, "\" (Embedding): expected integer \"input_dim\" and \"output_dim\", received ",
              c.dump());
  EmbeddingOptions o;
  o.name = name;
  o.mask_zero = saving::value_or(c, "mask_zero", false);
  if (c.contains("embeddings_initializer") && !c["embeddings_initializer"].is_null())
    o.embeddings_initializer = saving::read_init(c, "embeddings_initializer", "uniform");
  auto l = std::make_shared<Embedding>(c["input_dim"].get<std::int64_t>(), c["output_dim"].get<std::int64_t>(), o);
  saving::apply_common(*l, c);
  return l;
}

std::shared_ptr<Layer> masking_from(const json& c) {
  auto l = std::make_shared<Masking>(saving::value_or(c, "mask_value", 0.0), saving::name_from_config(c));
  saving::apply_common(*l, c);
  return l;
}
}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(Embedding, embedding_from);
KERAS_REGISTER_BUILTIN_LAYER(Masking, masking_from);

}  // namespace keras::layers
