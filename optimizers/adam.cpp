// Adam, AMSGrad and AdamW, Keras 3's formula (t = iterations + 1):
//   m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
//   vhat = max(vhat, v)                                   (amsgrad; used as v)
//   var -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)
// AdamW is Adam with the base optimizer's decoupled weight decay
// (var -= lr * wd * var before the step), which the fused kernel applies.
//
// Slots follow Keras 3's Adam.build: every variable's "momentum", then every
// "velocity", then (amsgrad) every "velocity_hat".
#include <cmath>
#include <nlohmann/json.hpp>

#include "optimizers/common.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"

namespace keras::optimizers {

using detail::named;

namespace {

void check_adam(const AdamOptions& o, const char* who) {
  KERAS_CHECK(o.beta_1 >= 0.0 && o.beta_1 < 1.0, ValueError, who,
              ": `beta_1` must be in [0, 1). Received: beta_1=", o.beta_1);
  KERAS_CHECK(o.beta_2 >= 0.0 && o.beta_2 < 1.0, ValueError, who,
              ": `beta_2` must be in [0, 1). Received: beta_2=", o.beta_2);
  KERAS_CHECK(o.epsilon >= 0.0, ValueError, who,
              ": `epsilon` must be non-negative. Received: epsilon=", o.epsilon);
}

AdamOptions to_adam(const AdamWOptions& w) {
  KERAS_CHECK(std::isfinite(w.weight_decay) && w.weight_decay >= 0.0, ValueError,
              "AdamW: `weight_decay` must be a non-negative float. Received: weight_decay=",
              w.weight_decay);
  AdamOptions a;
  a.learning_rate = w.learning_rate;
  a.beta_1 = w.beta_1;
  a.beta_2 = w.beta_2;
  a.epsilon = w.epsilon;
  a.amsgrad = w.amsgrad;
  a.base = named(w.base, "adamw");
  a.base.weight_decay = w.weight_decay;
  return a;
}
}  // namespace

Adam::Adam(AdamOptions o) : Optimizer(o.learning_rate, named(o.base, "adam"), "Adam"), o_(std::move(o)) {
  check_adam(o_, "Adam");
  decoupled_decay_ = base_.weight_decay.value_or(0.0);
  update_applies_weight_decay_ = true;  // adam_update fuses it
}

void Adam::build_slots(const Variable& var, std::size_t) {
  slots_.push_back(add_slot(var, "momentum"));
  slots_.push_back(add_slot(var, "velocity"));
  if (o_.amsgrad) slots_.push_back(add_slot(var, "velocity_hat"));
}

void Adam::update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) {
  const std::size_t n = built_for_.size();
  Tensor v = var.value();
  Tensor m = slots_[index].value();
  Tensor vel = slots_[n + index].value();
  if (o_.amsgrad) {
    Tensor vhat = slots_[2 * n + index].value();
    ops::adam_update(v, grad, m, vel, &vhat, lr, o_.beta_1, o_.beta_2, o_.epsilon, local_step(),
                     decoupled_decay_);
  } else {
    ops::adam_update(v, grad, m, vel, nullptr, lr, o_.beta_1, o_.beta_2, o_.epsilon,
                     local_step(), decoupled_decay_);
  }
}

nlohmann::json Adam::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["beta_1"] = o_.beta_1;
  c["beta_2"] = o_.beta_2;
  c["epsilon"] = o_.epsilon;
  c["amsgrad"] = o_.amsgrad;
  return c;
}

AdamW::AdamW(AdamWOptions o) : Adam(to_adam(o)), weight_decay_(o.weight_decay) {}

nlohmann::json AdamW::get_config() const {
  nlohmann::json c = Adam::get_config();
  c["weight_decay"] = weight_decay_;
  return c;
}

}  // namespace keras::optimizers
