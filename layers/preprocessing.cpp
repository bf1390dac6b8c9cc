// Rescaling, Normalization, CategoryEncoding and Hashing (Keras 3's
// numeric preprocessing layers); Discretization is in
// preprocessing_discretization.cpp.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/data.hpp"
#include "keras/ops.hpp"
#include "keras/ops_image.hpp"
#include "layers/preprocessing_util.hpp"

namespace keras::layers {

// ------------------------------------------------------------- Rescaling

Rescaling::Rescaling(double scale, double offset, std::string name)
    : Layer(name.empty() ? unique_name("rescaling") : std::move(name)), scale_(scale), offset_(offset) {
  supports_masking_ = true;
}

Tensor Rescaling::call(const Tensor& x, bool) {
  const Tensor f = x.dtype() == float32 ? x : ops::cast(x, float32);
  return ops::add(ops::multiply(f, Tensor::scalar(scale_, float32, f.device())),
                  Tensor::scalar(offset_, float32, f.device()));
}

nlohmann::json Rescaling::get_config() const {
  auto c = Layer::get_config();
  c["scale"] = scale_;
  c["offset"] = offset_;
  return c;
}

// --------------------------------------------------------- Normalization

Normalization::Normalization(NormalizationOptions o)
    : Layer(o.name.empty() ? unique_name("normalization") : o.name), o_(std::move(o)) {
  supports_masking_ = true;
  KERAS_CHECK(o_.mean.has_value() == o_.variance.has_value(), ValueError, "Normalization \"", name_,
              "\": when setting values directly, both mean and variance must be set. Received: mean ",
              o_.mean ? "set" : "None", " and variance ", o_.variance ? "set" : "None");
  if (o_.mean)
    KERAS_CHECK(o_.mean->size() == o_.variance->size(), ValueError, "Normalization \"", name_,
                "\": mean and variance must have the same size. Received: ", o_.mean->size(), " and ",
                o_.variance->size(), " values");
}

void Normalization::build(const Shape& s) {
  const int nd = static_cast<int>(s.size());
  keep_.clear();
  for (int a : o_.axis) {
    KERAS_CHECK(a >= -nd && a < nd, ValueError, "Normalization \"", name_,
                "\": all axis values must be in the range [-ndim, ndim). Received inputs of shape ",
                shape_str(s), " with axis ", a);
    keep_.push_back(a < 0 ? a + nd : a);
  }
  std::sort(keep_.begin(), keep_.end());
  broadcast_shape_.assign(s.size(), 1);
  stat_shape_.clear();
  for (int d : keep_) {
    KERAS_CHECK(s[d] > 0, ValueError, "Normalization \"", name_, "\": kept axis ", d,
                " must have a known size; received input shape ", shape_str(s));
    broadcast_shape_[d] = s[d];
    stat_shape_.push_back(s[d]);
  }
  std::int64_t n = 1;
  for (auto d : stat_shape_) n *= d;
  if (!o_.mean) {
    mean_w_ = add_weight("mean", stat_shape_, "zeros", false);
    var_w_ = add_weight("variance", stat_shape_, "ones", false);
    count_w_ = add_weight("count", {}, "zeros", false);
    return;
  }
  const auto size = static_cast<std::int64_t>(o_.mean->size());
  KERAS_CHECK(size == 1 || size == n, ValueError, "Normalization \"", name_, "\": mean and variance need 1 or ", n,
              " values for input shape ", shape_str(s), " and axis ", shape_str(Shape(keep_.begin(), keep_.end())),
              "; received ", size);
  const Shape fixed = size == 1 ? Shape(s.size(), 1) : broadcast_shape_;
  mean_ = Tensor(fixed, *o_.mean);
  var_ = Tensor(fixed, *o_.variance);
}

Tensor Normalization::call(const Tensor& x, bool) {
  const Tensor f = x.dtype() == float32 ? x : ops::cast(x, float32);
  Tensor mean = o_.mean ? mean_ : ops::reshape(mean_w_.value(), broadcast_shape_);
  Tensor var = o_.mean ? var_ : ops::reshape(var_w_.value(), broadcast_shape_);
  mean = mean.to(f.device());
  const Tensor sd = ops::maximum(ops::sqrt(var.to(f.device())), Tensor::scalar(1e-7, float32, f.device()));
  if (o_.invert) return ops::add(mean, ops::multiply(f, sd));
  return ops::divide(ops::subtract(f, mean), sd);
}

nlohmann::json Normalization::get_config() const {
  auto c = Layer::get_config();
  c["axis"] = o_.axis;
  c["invert"] = o_.invert;
  auto values = [](const std::optional<std::vector<float>>& v) -> nlohmann::json {
    if (!v) return nullptr;
    if (v->size() == 1) return (*v)[0];
    return *v;
  };
  c["mean"] = values(o_.mean);
  c["variance"] = values(o_.variance);
  return c;
}

void Normalization::check_adapt_shape(const Shape& s) const {
  KERAS_CHECK(!o_.mean, ValueError, "Normalization \"", name_,
              "\": adapt() cannot be used on a layer created with a fixed mean and variance");
  for (int d : keep_)
    KERAS_CHECK(d < static_cast<int>(s.size()) && s[d] == build_shape_[d], ValueError, "Normalization \"", name_,
                "\": the layer was built with input shape ", shape_str(build_shape_),
                ", but adapt() received data of an incompatible shape ", shape_str(s));
}

// One batch's mean and variance over the reduced axes, merged into the
// running ones as Keras merges them (weights by element count).
void Normalization::adapt_batch(const Tensor& batch, std::vector<double>& mean, std::vector<double>& var,
                                std::int64_t& count) {
  const Shape s = batch.shape();
  check_adapt_shape(s);
  const Tensor h = batch.astype(float32).cpu();
  const float* p = h.data<float>();
  const std::size_t k = mean.size();
  const std::int64_t total = h.size(), per = total / static_cast<std::int64_t>(k);
  std::vector<double> bm(k, 0.0), bv(k, 0.0);
  std::vector<std::int64_t> strides(s.size(), 1);
  for (int d = static_cast<int>(s.size()) - 2; d >= 0; --d) strides[d] = strides[d + 1] * s[d + 1];
  auto slot = [&](std::int64_t flat) {
    std::int64_t j = 0;
    for (int d : keep_) j = j * s[d] + (flat / strides[d]) % s[d];
    return static_cast<std::size_t>(j);
  };
  for (std::int64_t i = 0; i < total; ++i) bm[slot(i)] += p[i];
  for (auto& m : bm) m /= static_cast<double>(per);
  for (std::int64_t i = 0; i < total; ++i) {
    const double d = p[i] - bm[slot(i)];
    bv[slot(i)] += d * d;
  }
  for (auto& v : bv) v /= static_cast<double>(per);
  count += per;
  const double bw = static_cast<double>(per) / static_cast<double>(count), ew = 1.0 - bw;
  for (std::size_t j = 0; j < k; ++j) {
    const double nm = mean[j] * ew + bm[j] * bw;
    var[j] = (var[j] + (mean[j] - nm) * (mean[j] - nm)) * ew + (bv[j] + (bm[j] - nm) * (bm[j] - nm)) * bw;
    mean[j] = nm;
  }
}

void Normalization::store(const std::vector<double>& mean, const std::vector<double>& var) {
  std::vector<float> m(mean.begin(), mean.end()), v(var.begin(), var.end());
  mean_w_.assign(Tensor(stat_shape_, m).to(mean_w_.value().device()));
  var_w_.assign(Tensor(stat_shape_, v).to(var_w_.value().device()));
}

void Normalization::adapt(const Tensor& data) {
  KERAS_CHECK(data.defined() && data.ndim() >= 1, ValueError, "Normalization \"", name_,
              "\": adapt() needs a tensor of rank >= 1");
  if (!built_) {
    Shape s = data.shape();
    ensure_built(s);
  }
  std::size_t k = 1;
  for (auto d : stat_shape_) k *= static_cast<std::size_t>(d);
  std::vector<double> mean(k, 0.0), var(k, 0.0);
  std::int64_t count = 0;
  adapt_batch(data, mean, var, count);
  store(mean, var);
}

void Normalization::adapt(const data::Dataset& dataset) {
  std::optional<data::Dataset> batched;
  {
    auto it = dataset.make_iterator();
    auto first = it->next();
    KERAS_CHECK(first && !first->empty(), ValueError, "Normalization \"", name_,
                "\": adapt() received an empty dataset (no batches)");
    if ((*first)[0].ndim() <= 1) batched = dataset.batch(128);
  }
  const data::Dataset& ds = batched ? *batched : dataset;
  std::vector<double> mean, var;
  std::int64_t count = 0;
  for (const data::Element& e : ds) {
    const Tensor& b = e.at(0);
    if (!built_) ensure_built(b.shape());
    if (mean.empty()) {
      std::size_t k = 1;
      for (auto d : stat_shape_) k *= static_cast<std::size_t>(d);
      mean.assign(k, 0.0);
      var.assign(k, 0.0);
    }
    adapt_batch(b, mean, var, count);
  }
  store(mean, var);
}

// ------------------------------------------------------ CategoryEncoding

CategoryEncoding::CategoryEncoding(int num_tokens, std::string output_mode, std::string name)
    : Layer(name.empty() ? unique_name("category_encoding") : std::move(name)),
      num_tokens_(num_tokens),
      mode_(output_mode == "binary" ? "multi_hot" : std::move(output_mode)) {
  KERAS_CHECK(mode_ == "one_hot" || mode_ == "multi_hot" || mode_ == "count", ValueError, "CategoryEncoding \"",
              name_, "\": output_mode must be \"one_hot\", \"multi_hot\" or \"count\"; received \"", mode_, "\"");
  KERAS_CHECK(num_tokens_ >= 1, ValueError, "CategoryEncoding \"", name_,
              "\": num_tokens must be >= 1; received num_tokens=", num_tokens_);
}

Tensor CategoryEncoding::call(const Tensor& x, bool) {
  return preprocessing::encode_categorical(x, mode_, num_tokens_, name_);
}

Shape CategoryEncoding::compute_output_shape(const Shape& s) const {
  return preprocessing::encoded_shape(s, mode_, num_tokens_);
}

nlohmann::json CategoryEncoding::get_config() const {
  auto c = Layer::get_config();
  c["num_tokens"] = num_tokens_;
  c["output_mode"] = mode_;
  return c;
}

// --------------------------------------------------------------- Hashing

Hashing::Hashing(HashingOptions o) : Layer(o.name.empty() ? unique_name("hashing") : o.name), o_(std::move(o)) {
  KERAS_CHECK(o_.num_bins > 0, ValueError, "Hashing \"", name_,
              "\": num_bins cannot be non-positive. Received: num_bins=", o_.num_bins);
  KERAS_CHECK(o_.output_mode == "int" || o_.output_mode == "one_hot" || o_.output_mode == "multi_hot" ||
                  o_.output_mode == "count",
              ValueError, "Hashing \"", name_,
              "\": output_mode must be \"int\", \"one_hot\", \"multi_hot\" or \"count\"; received \"", o_.output_mode,
              "\"");
}

Tensor Hashing::call(const Tensor& x, bool) {
  KERAS_CHECK(x.dtype() == int32 || x.dtype() == int64, ValueError, "Hashing \"", name_,
              "\": expected int32 or int64 inputs (string inputs are not a tensor dtype in keras.cpp), received ",
              dtype_name(x.dtype()), " of shape ", shape_str(x.shape()));
  std::optional<std::array<std::uint64_t, 2>> salt;
  if (o_.salt) salt = std::array<std::uint64_t, 2>{static_cast<std::uint64_t>((*o_.salt)[0]),
                                                   static_cast<std::uint64_t>((*o_.salt)[1])};
  Tensor bins = ops::hash_to_bins(x, o_.num_bins, o_.mask_value, salt);
  if (o_.output_mode == "int") return bins;
  return preprocessing::encode_categorical(bins, o_.output_mode, o_.num_bins, name_);
}

Shape Hashing::compute_output_shape(const Shape& s) const {
  if (o_.output_mode == "int") return s;
  return preprocessing::encoded_shape(s, o_.output_mode, o_.num_bins);
}

nlohmann::json Hashing::get_config() const {
  auto c = Layer::get_config();
  if (o_.output_mode == "int") c["dtype"] = "int64";
  c["num_bins"] = o_.num_bins;
  c["mask_value"] = o_.mask_value ? nlohmann::json(*o_.mask_value) : nlohmann::json();
  c["salt"] = o_.salt ? nlohmann::json{(*o_.salt)[0], (*o_.salt)[1]} : nlohmann::json();
  c["output_mode"] = o_.output_mode;
  c["sparse"] = false;
  return c;
}

}  // namespace keras::layers
