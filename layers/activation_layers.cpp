// ReLU, LeakyReLU, PReLU, ELU and Softmax layers.
#include "keras/layers/activation_layers.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/ops.hpp"

namespace keras::layers {

ReLU::ReLU(ReLUOptions o) : Layer(o.name.empty() ? unique_name("re_lu") : o.name), o_(std::move(o)) {
  KERAS_CHECK(!o_.max_value || *o_.max_value >= 0, ValueError,
              "max_value of a ReLU layer cannot be a negative value. Received: max_value=", o_.max_value.value_or(0));
  KERAS_CHECK(o_.negative_slope >= 0, ValueError,
              "negative_slope of a ReLU layer cannot be a negative value. Received: negative_slope=", o_.negative_slope);
  KERAS_CHECK(o_.threshold >= 0, ValueError,
              "threshold of a ReLU layer cannot be a negative value. Received: threshold=", o_.threshold);
  supports_masking_ = true;
}

Tensor ReLU::call(const Tensor& x, bool) {
  if (o_.threshold == 0 && !o_.max_value && o_.negative_slope == 0) return ops::relu(x);
  if (o_.threshold == 0 && !o_.max_value) return ops::leaky_relu(x, o_.negative_slope);
  Tensor t = ops::full({}, o_.threshold);
  Tensor y = o_.threshold != 0 ? ops::where(ops::greater(x, t), x, ops::zeros_like(x)) : ops::relu(x);
  if (o_.max_value) y = ops::minimum(y, ops::full({}, *o_.max_value));
  if (o_.negative_slope != 0)
    y = ops::subtract(y, ops::multiply(ops::full({}, o_.negative_slope), ops::relu(ops::subtract(t, x))));
  return y;
}

nlohmann::json ReLU::get_config() const {
  auto c = Layer::get_config();
  c["max_value"] = o_.max_value ? nlohmann::json(*o_.max_value) : nlohmann::json();
  c["negative_slope"] = o_.negative_slope;
  c["threshold"] = o_.threshold;
  return c;
}

LeakyReLU::LeakyReLU(double negative_slope, std::string name)
    : Layer(name.empty() ? unique_name("leaky_re_lu") : std::move(name)), slope_(negative_slope) {
  KERAS_CHECK(negative_slope >= 0 && std::isfinite(negative_slope), ValueError,
              "The negative_slope value of a Leaky ReLU layer cannot be None or negative. Received: negative_slope=",
              negative_slope);
  supports_masking_ = true;
}

Tensor LeakyReLU::call(const Tensor& x, bool) { return ops::leaky_relu(x, slope_); }

nlohmann::json LeakyReLU::get_config() const {
  auto c = Layer::get_config();
  c["negative_slope"] = slope_;
  return c;
}

PReLU::PReLU(PReLUOptions o) : Layer(o.name.empty() ? unique_name("p_re_lu") : o.name), o_(std::move(o)) {
  supports_masking_ = true;
}

void PReLU::build(const Shape& s) {
  Shape p(s.begin() + (s.empty() ? 0 : 1), s.end());
  for (int a : o_.shared_axes) {
    KERAS_CHECK(a >= 1 && a <= static_cast<int>(p.size()), ValueError, "Layer \"", name_,
                "\" (PReLU): shared_axes entry ", a, " is out of range for input shape ", shape_str(s));
    p[static_cast<std::size_t>(a - 1)] = 1;
  }
  for (auto d : p)
    KERAS_CHECK(d > 0, ValueError, "Layer \"", name_,
                "\" (PReLU): every non-shared axis needs a known size; received input shape ", shape_str(s));
  alpha_ = add_weight("alpha", p, o_.alpha_initializer);
}

Tensor PReLU::call(const Tensor& x, bool) {
  const Shape& b = build_input_shape();
  bool ok = x.ndim() == static_cast<int>(b.size());
  for (std::size_t i = 1; ok && i < b.size(); ++i) ok = b[i] < 0 || b[i] == x.shape()[i];
  check_input(ok, "shape " + shape_str(b), x.shape());
  return ops::subtract(ops::relu(x), ops::multiply(alpha_.value(), ops::relu(ops::negative(x))));
}

nlohmann::json PReLU::get_config() const {
  auto c = Layer::get_config();
  c["alpha_initializer"] = {{"module", "keras.initializers"},
                            {"class_name", o_.alpha_initializer.ptr->class_name()},
                            {"config", o_.alpha_initializer.ptr->get_config()},
                            {"registered_name", nullptr}};
  c["alpha_regularizer"] = nullptr;
  c["alpha_constraint"] = nullptr;
  c["shared_axes"] = o_.shared_axes.empty() ? nlohmann::json() : nlohmann::json(o_.shared_axes);
  return c;
}

ELU::ELU(double alpha, std::string name) : Layer(name.empty() ? unique_name("elu") : std::move(name)), alpha_(alpha) {
  supports_masking_ = true;
}

Tensor ELU::call(const Tensor& x, bool) { return ops::elu(x, alpha_); }

nlohmann::json ELU::get_config() const {
  auto c = Layer::get_config();
  c["alpha"] = alpha_;
  return c;
}

Softmax::Softmax(int axis, std::string name)
    : Layer(name.empty() ? unique_name("softmax") : std::move(name)), axis_(axis) {
  supports_masking_ = true;
}

Tensor Softmax::call(const Tensor& x, bool) { return ops::softmax(x, axis_); }

Tensor Softmax::call_with_mask(const Tensor& x, const Tensor& mask) {
  if (!mask.defined()) return (*this)(x);
  prepare_call(x);
  bool ok = mask.ndim() <= x.ndim();
  for (int i = 1; ok && i <= mask.ndim(); ++i) {
    std::int64_t m = mask.shape()[static_cast<std::size_t>(mask.ndim() - i)];
    ok = m == 1 || m == x.shape()[static_cast<std::size_t>(x.ndim() - i)];
  }
  KERAS_CHECK(ok, ValueError, "Layer \"", name_,
              "\" (Softmax): the mask must be broadcastable to the inputs (each mask dimension 1 or equal to the "
              "input's, counted from the last); received inputs.shape=", shape_str(x.shape()),
              ", mask.shape=", shape_str(mask.shape()));
  Tensor keep = mask.dtype() == bool_ ? mask : ops::greater(mask, ops::full({}, 0.5, mask.dtype()));
  Tensor y = ops::softmax(ops::where(keep, x, ops::full({}, -1e9)), axis_);
  return ops::where(keep, y, ops::zeros({}));
}

std::vector<Tensor> Softmax::call_masked(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) {
  if (xs.size() != 1 || masks.empty() || !masks[0].defined()) return call_all(xs, training);
  return {call_with_mask(xs[0], masks[0])};
}

nlohmann::json Softmax::get_config() const {
  auto c = Layer::get_config();
  c["axis"] = axis_;
  return c;
}

}  // namespace keras::layers
