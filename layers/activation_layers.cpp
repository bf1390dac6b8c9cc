// Activation layers with arguments (ReLU), built from keras::ops.
#include "keras/layers/activation_layers.hpp"

#include <nlohmann/json.hpp>

#include "keras/layers/registry.hpp"
#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {

ReLU::ReLU(ReLUOptions options) : Layer(options.name.empty() ? unique_name("re_lu") : options.name), o_(std::move(options)) {
  KERAS_CHECK(!o_.max_value || *o_.max_value >= 0, ValueError, "Layer \"", name_,
              "\" (ReLU): max_value must be >= 0, received ", *o_.max_value);
  KERAS_CHECK(o_.negative_slope >= 0, ValueError, "Layer \"", name_, "\" (ReLU): negative_slope must be >= 0, received ",
              o_.negative_slope);
}

ReLU::ReLU(double max_value, ReLUOptions options) : ReLU([&] {
  options.max_value = max_value;
  return options;
}()) {}

Tensor ReLU::call(const Tensor& x, bool) {
  auto scalar = [&](double v) { return Tensor::scalar(v, x.dtype(), x.device()); };
  if (o_.threshold == 0 && o_.negative_slope == 0 && o_.max_value && *o_.max_value == 6.0) return ops::relu6(x);
  Tensor y = o_.threshold == 0 ? ops::relu(x) : ops::where(ops::greater(x, scalar(o_.threshold)), x, scalar(0.0));
  if (o_.max_value) y = ops::clip(y, 0.0, *o_.max_value);
  if (o_.negative_slope != 0)
    y = ops::subtract(y, ops::multiply(scalar(o_.negative_slope), ops::relu(ops::subtract(scalar(o_.threshold), x))));
  return y;
}

nlohmann::json ReLU::get_config() const {
  auto c = Layer::get_config();
  c["max_value"] = o_.max_value ? nlohmann::json(*o_.max_value) : nlohmann::json(nullptr);
  c["negative_slope"] = o_.negative_slope;
  c["threshold"] = o_.threshold;
  return c;
}

namespace {
std::shared_ptr<Layer> relu_from_config(const saving::json& c) {
  ReLUOptions o;
  o.name = saving::name_from_config(c);
  if (c.contains("max_value") && !c["max_value"].is_null()) o.max_value = c["max_value"].get<double>();
  o.negative_slope = saving::value_or(c, "negative_slope", 0.0);
  o.threshold = saving::value_or(c, "threshold", 0.0);
  auto l = std::make_shared<ReLU>(o);
  saving::apply_common(*l, c);
  return l;
}
}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(ReLU, relu_from_config);

}  // namespace keras::layers
