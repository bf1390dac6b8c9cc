// BatchNormalization and LayerNormalization from keras::ops's fused
// normalization ops.
#include "keras/layers/normalization.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "keras/autograd.hpp"
#include "keras/layers/registry.hpp"
#include "keras/ops.hpp"
#include "layers/penalties.hpp"
#include "layers/spatial_util.hpp"

namespace keras::layers {
using namespace spatial;

namespace {

int feature_axis(const std::string& layer, int axis, const Shape& s) {
  const int r = static_cast<int>(s.size());
  const int a = axis < 0 ? axis + r : axis;
  KERAS_CHECK(a >= 1 && a < r, ValueError, "Layer \"", layer, "\": axis ", axis,
              " is out of range for an input of shape ", shape_str(s), " (the batch axis cannot be normalized)");
  KERAS_CHECK(s[a] > 0, ValueError, "Layer \"", layer, "\": axis ", axis, " of the input must have a known size, received shape ",
              shape_str(s));
  return a;
}

// The keys both normalization layers share (O: either options struct).
template <class O>
nlohmann::json common_config(nlohmann::json c, const O& o) {
  c["axis"] = o.axis;
  c["epsilon"] = o.epsilon;
  c["center"] = o.center;
  c["scale"] = o.scale;
  c["beta_initializer"] = init_json(o.beta_initializer);
  c["gamma_initializer"] = init_json(o.gamma_initializer);
  detail::put(c, "beta_regularizer", o.beta_regularizer);
  detail::put(c, "gamma_regularizer", o.gamma_regularizer);
  detail::put(c, "beta_constraint", o.beta_constraint);
  detail::put(c, "gamma_constraint", o.gamma_constraint);
  return c;
}

// The arguments both normalization layers read from a config.
template <class O>
void read_common(const nlohmann::json& c, O& o) {
  o.axis = c.contains("axis") && c.at("axis").is_array() ? c.at("axis").at(0).get<int>() : value_or(c, "axis", -1);
  o.epsilon = value_or(c, "epsilon", 1e-3);
  o.center = value_or(c, "center", true);
  o.scale = value_or(c, "scale", true);
  o.beta_initializer = read_init(c, "beta_initializer", "zeros");
  o.gamma_initializer = read_init(c, "gamma_initializer", "ones");
  o.beta_regularizer = saving::read_regularizer(c, "beta_regularizer");
  o.gamma_regularizer = saving::read_regularizer(c, "gamma_regularizer");
  o.beta_constraint = saving::read_constraint(c, "beta_constraint");
  o.gamma_constraint = saving::read_constraint(c, "gamma_constraint");
  o.name = name_of(c);
}

}  // namespace

BatchNormalization::BatchNormalization(BatchNormalizationOptions o)
    : Layer(o.name.empty() ? unique_name("batch_normalization") : o.name), o_(std::move(o)) {
  KERAS_CHECK(o_.epsilon > 0, ValueError, "Layer \"", name_, "\": epsilon must be positive, received ", o_.epsilon);
}

void BatchNormalization::build(const Shape& s) {
  axis_ = feature_axis(name_, o_.axis, s);
  const Shape p{s[axis_]};
  if (o_.scale) gamma_ = add_weight("gamma", p, o_.gamma_initializer, true, o_.gamma_regularizer, o_.gamma_constraint);
  if (o_.center) beta_ = add_weight("beta", p, o_.beta_initializer, true, o_.beta_regularizer, o_.beta_constraint);
  moving_mean_ = add_weight("moving_mean", p, o_.moving_mean_initializer, false);
  moving_variance_ = add_weight("moving_variance", p, o_.moving_variance_initializer, false);
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  const int r = x.ndim();
  check_input(r == static_cast<int>(build_shape_.size()) && x.shape()[axis_] == moving_mean_.shape()[0],
              "rank " + std::to_string(build_shape_.size()) + " with " + std::to_string(moving_mean_.shape()[0]) +
                  " features on axis " + std::to_string(o_.axis),
              x.shape());
  const Tensor gamma = o_.scale ? gamma_.value() : Tensor(), beta = o_.center ? beta_.value() : Tensor();
  if (!(training && trainable_))
    return ops::batch_normalization(x, moving_mean_.value(), moving_variance_.value(), axis_, beta, gamma,
                                    o_.epsilon);
  // One fused op: y from the batch statistics, which it also returns for the
  // moving averages (moving = moving * momentum + batch * (1 - momentum)).
  const bool fused2 = o_.keras2_fused && (r == 4 || r == 5) && (axis_ == r - 1 || axis_ == 1);
  const double eps = fused2 ? std::max(o_.epsilon, 1.001e-5) : o_.epsilon;
  ops::BatchNormStats out = ops::batch_normalization_training(x, axis_, beta, gamma, eps);
  autograd::NoGradGuard no_grad;
  if (fused2) {
    const double n = static_cast<double>(x.size() / x.shape()[axis_]);
    if (n > 1) out.variance = ops::multiply(out.variance, Tensor::scalar(n / (n - 1), float32, out.variance.device()));
  }
  const double mo = o_.momentum;
  auto moved = [mo](const Variable& mv, const Tensor& batch) {
    return ops::add(ops::multiply(mv.value(), Tensor::scalar(mo, float32, batch.device())),
                    ops::multiply(batch, Tensor::scalar(1.0 - mo, float32, batch.device())));
  };
  moving_mean_.assign(moved(moving_mean_, out.mean));
  moving_variance_.assign(moved(moving_variance_, out.variance));
  return out.y;
}

nlohmann::json BatchNormalization::get_config() const {
  auto c = common_config(Layer::get_config(), o_);
  c["momentum"] = o_.momentum;
  c["moving_mean_initializer"] = init_json(o_.moving_mean_initializer);
  c["moving_variance_initializer"] = init_json(o_.moving_variance_initializer);
  c["synchronized"] = false;
  return c;
}

LayerNormalization::LayerNormalization(LayerNormalizationOptions o)
    : Layer(o.name.empty() ? unique_name("layer_normalization") : o.name), o_(std::move(o)) {
  KERAS_CHECK(o_.epsilon > 0, ValueError, "Layer \"", name_, "\": epsilon must be positive, received ", o_.epsilon);
}

void LayerNormalization::build(const Shape& s) {
  axis_ = feature_axis(name_, o_.axis, s);
  const Shape p{s[axis_]};
  if (o_.scale) gamma_ = add_weight("gamma", p, o_.gamma_initializer, true, o_.gamma_regularizer, o_.gamma_constraint);
  if (o_.center) beta_ = add_weight("beta", p, o_.beta_initializer, true, o_.beta_regularizer, o_.beta_constraint);
}

Tensor LayerNormalization::call(const Tensor& x, bool) {
  const int r = x.ndim();
  check_input(r == static_cast<int>(build_shape_.size()) && x.shape()[axis_] == build_shape_[axis_],
              "rank " + std::to_string(build_shape_.size()) + " with " + std::to_string(build_shape_[axis_]) +
                  " features on axis " + std::to_string(o_.axis),
              x.shape());
  return ops::layer_normalization(x, o_.scale ? gamma_.value() : Tensor(), o_.center ? beta_.value() : Tensor(),
                                  axis_, o_.epsilon);
}

nlohmann::json LayerNormalization::get_config() const {
  return common_config(Layer::get_config(), o_);
}

KERAS_REGISTER_BUILTIN_LAYER(BatchNormalization, [](const nlohmann::json& c) {
  BatchNormalizationOptions o;
  read_common(c, o);
  o.momentum = value_or(c, "momentum", 0.99);
  o.moving_mean_initializer = read_init(c, "moving_mean_initializer", "zeros");
  o.moving_variance_initializer = read_init(c, "moving_variance_initializer", "ones");
  o.keras2_fused = value_or(c, "_keras2_fused", false);
  auto l = std::make_shared<BatchNormalization>(o);
  l->set_trainable(value_or(c, "trainable", true));
  return l;
});

KERAS_REGISTER_BUILTIN_LAYER(LayerNormalization, [](const nlohmann::json& c) {
  LayerNormalizationOptions o;
  read_common(c, o);
  auto l = std::make_shared<LayerNormalization>(o);
  l->set_trainable(value_or(c, "trainable", true));
  return l;
});

}  // namespace keras::layers
