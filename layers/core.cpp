// Core layers: Dense, Activation, Flatten, Reshape, Dropout, InputLayer.
#include "keras/layers/core.hpp"

#include <nlohmann/json.hpp>

#include "keras/ops.hpp"
#include "layers/penalties.hpp"

namespace keras::layers {

namespace {
nlohmann::json shape_json(const Shape& s) {
  auto j = nlohmann::json::array();
  for (auto d : s) d < 0 ? j.push_back(nullptr) : j.push_back(d);
  return j;
}
nlohmann::json init_json(const initializers::InitializerArg& a) {
  return {{"module", "keras.initializers"}, {"class_name", a.ptr->class_name()}, {"config", a.ptr->get_config()},
          {"registered_name", nullptr}};
}

}  // namespace

Dense::Dense(int units, activations::Activation activation, DenseOptions o)
    : Layer(o.name.empty() ? unique_name("dense") : o.name), units_(units), activation_(std::move(activation)),
      o_(std::move(o)) {
  activity_regularizer_ = o_.activity_regularizer.ptr;
  KERAS_CHECK(units > 0, ValueError, "Dense: units must be a positive integer. Received: units=", units);
  supports_masking_ = true;  // as Keras: a mask over the time axis passes through
}

void Dense::build(const Shape& s) {
  KERAS_CHECK(s.size() >= 2 && s.back() > 0, ValueError, "Input 0 of layer \"", name_,
              "\" is incompatible with the layer: expected rank >= 2 with a known last dimension, received shape ",
              shape_str(s));
  kernel_ = add_weight("kernel", {s.back(), units_}, o_.kernel_initializer, true, o_.kernel_regularizer,
                       o_.kernel_constraint);
  if (o_.use_bias)
    bias_ = add_weight("bias", {units_}, o_.bias_initializer, true, o_.bias_regularizer, o_.bias_constraint);
}

Tensor Dense::call(const Tensor& x, bool) {
  std::int64_t in = kernel_.shape()[0];
  check_input(x.ndim() >= 2 && x.shape(-1) == in, "last dimension " + std::to_string(in), x.shape());
  Tensor y = ops::matmul(x, kernel_.value());
  if (o_.use_bias) y = ops::add(y, bias_.value());
  return activation_(y);
}

Shape Dense::compute_output_shape(const Shape& s) const {
  Shape o = s;
  o.back() = units_;
  return o;
}

nlohmann::json Dense::get_config() const {
  auto c = Layer::get_config();
  c["units"] = units_;
  c["activation"] = activation_.name;
  c["use_bias"] = o_.use_bias;
  c["kernel_initializer"] = init_json(o_.kernel_initializer);
  c["bias_initializer"] = init_json(o_.bias_initializer);
  detail::put(c, "kernel_regularizer", o_.kernel_regularizer);
  detail::put(c, "bias_regularizer", o_.bias_regularizer);
  if (o_.activity_regularizer) detail::put(c, "activity_regularizer", o_.activity_regularizer);
  detail::put(c, "kernel_constraint", o_.kernel_constraint);
  detail::put(c, "bias_constraint", o_.bias_constraint);
  return c;
}

Activation::Activation(activations::Activation activation, std::string name)
    : Layer(name.empty() ? unique_name("activation") : std::move(name)), activation_(std::move(activation)) {}

Tensor Activation::call(const Tensor& x, bool) { return activation_(x); }

nlohmann::json Activation::get_config() const {
  auto c = Layer::get_config();
  c["activation"] = activation_.name;
  return c;
}

Flatten::Flatten(std::string name) : Layer(name.empty() ? unique_name("flatten") : std::move(name)) {}

Tensor Flatten::call(const Tensor& x, bool) {
  check_input(x.ndim() >= 1, "rank >= 1", x.shape());
  if (x.ndim() == 1) return ops::reshape(x, {x.shape()[0], 1});
  return ops::reshape(x, {x.shape()[0], -1});
}

Shape Flatten::compute_output_shape(const Shape& s) const {
  std::int64_t n = 1;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] < 0) return {s.empty() ? -1 : s[0], -1};
    n *= s[i];
  }
  return {s.empty() ? -1 : s[0], n};
}

Reshape::Reshape(Shape target, std::string name)
    : Layer(name.empty() ? unique_name("reshape") : std::move(name)), target_(std::move(target)) {
  int unknown = 0;
  for (auto d : target_) {
    KERAS_CHECK(d > 0 || d == -1, ValueError, "Reshape: target_shape dimensions must be positive or -1. Received: target_shape=",
                shape_str(target_));
    unknown += d == -1;
  }
  KERAS_CHECK(unknown <= 1, ValueError, "Reshape: at most one dimension of target_shape can be -1. Received: target_shape=",
              shape_str(target_));
}

Tensor Reshape::call(const Tensor& x, bool) {
  Shape s{x.shape()[0]};
  s.insert(s.end(), target_.begin(), target_.end());
  std::int64_t per = x.size() / std::max<std::int64_t>(1, x.shape()[0]);
  std::int64_t known = 1;
  for (auto d : target_) if (d > 0) known *= d;
  bool ok = std::find(target_.begin(), target_.end(), -1) != target_.end() ? per % known == 0 : per == known;
  check_input(ok, "a size compatible with target_shape " + shape_str(target_), x.shape());
  return ops::reshape(x, s);
}

Shape Reshape::compute_output_shape(const Shape& s) const {
  Shape o{s.empty() ? -1 : s[0]};
  std::int64_t per = 1;
  bool known = true;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] < 0) known = false;
    else per *= s[i];
  }
  std::int64_t k = 1;
  for (auto d : target_) if (d > 0) k *= d;
  for (auto d : target_) o.push_back(d == -1 ? (known ? per / k : -1) : d);
  return o;
}

nlohmann::json Reshape::get_config() const {
  auto c = Layer::get_config();
  c["target_shape"] = shape_json(target_);
  return c;
}

Dropout::Dropout(double rate, std::string name)
    : Layer(name.empty() ? unique_name("dropout") : std::move(name)), rate_(rate) {
  KERAS_CHECK(rate >= 0 && rate <= 1, ValueError,
              "Dropout: the rate must be a float in the range [0, 1]. Received: rate=", rate);
}

Tensor Dropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0) return x;
  if (rate_ >= 1) return ops::multiply(x, ops::zeros_like(x));
  return ops::dropout(x, rate_);
}

nlohmann::json Dropout::get_config() const {
  auto c = Layer::get_config();
  c["rate"] = rate_;
  c["seed"] = nullptr;
  c["noise_shape"] = nullptr;
  return c;
}

InputLayer::InputLayer(Shape shape, std::string name, DType dtype)
    : Layer(name.empty() ? unique_name("input_layer") : std::move(name)), shape_(std::move(shape)), dtype_(dtype) {
  for (auto d : shape_)
    KERAS_CHECK(d > 0 || d == -1, ValueError, "Input: shape dimensions must be positive or -1 (unknown). Received: shape=",
                shape_str(shape_));
  built_ = true;
  build_shape_ = batch_shape();
}

Shape InputLayer::batch_shape() const {
  Shape s{-1};
  s.insert(s.end(), shape_.begin(), shape_.end());
  return s;
}

Tensor InputLayer::call(const Tensor& x, bool) { return x; }

Shape InputLayer::compute_output_shape(const Shape&) const { return batch_shape(); }

nlohmann::json InputLayer::get_config() const {
  return {{"batch_shape", shape_json(batch_shape())}, {"dtype", dtype_name(dtype_)}, {"sparse", false},
          {"name", name_}};
}

}  // namespace keras::layers
