// RMSprop, Keras 3's formula:
//   velocity = rho * velocity + (1 - rho) * g^2
//   centered:  average_gradient = rho * average_gradient + (1 - rho) * g
//              denominator = velocity - average_gradient^2 + epsilon
//   otherwise: denominator = velocity + epsilon
//   increment = lr * g / sqrt(denominator)
//   momentum > 0: m = momentum * m + increment; var -= m
//   otherwise:    var -= increment
// Slots (Keras order): every "velocity", then every "momentum" (momentum >
// 0), then every "average_gradient" (centered).
#include <cmath>
#include <nlohmann/json.hpp>

#include "optimizers/common.hpp"
#include "keras/ops.hpp"
#include "keras/ops_update.hpp"
#include "keras/optimizers.hpp"

namespace keras::optimizers {

using detail::named;

RMSprop::RMSprop(RMSpropOptions o)
    : Optimizer(o.learning_rate, named(o.base, "rmsprop"), "RMSprop"), o_(std::move(o)) {
  KERAS_CHECK(o_.rho >= 0.0 && o_.rho < 1.0, ValueError,
              "RMSprop: `rho` must be in [0, 1). Received: rho=", o_.rho);
  KERAS_CHECK(o_.momentum >= 0.0 && o_.momentum <= 1.0, ValueError,
              "RMSprop: `momentum` must be in [0, 1]. Received: momentum=", o_.momentum);
  KERAS_CHECK(o_.epsilon >= 0.0, ValueError,
              "RMSprop: `epsilon` must be non-negative. Received: epsilon=", o_.epsilon);
}

void RMSprop::build_slots(const Variable& var, std::size_t) {
  slots_.push_back(add_slot(var, "velocity"));
  if (o_.momentum > 0.0) slots_.push_back(add_slot(var, "momentum"));
  if (o_.centered) slots_.push_back(add_slot(var, "average_gradient"));
}

void RMSprop::update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) {
  const std::size_t n = built_for_.size();
  std::size_t kind = 0;
  Tensor velocity = slots_[index].value();
  Tensor mom, avg;
  if (o_.momentum > 0.0) mom = slots_[++kind * n + index].value();
  if (o_.centered) avg = slots_[++kind * n + index].value();

  Tensor v = var.value();
  if (ops::can_fuse_update(v, grad)) {
    backend::UpdateStep s;
    s.rule = o_.centered ? backend::UpdateRule::rmsprop_centered : backend::UpdateRule::rmsprop;
    s.lr = static_cast<float>(lr);
    s.epsilon = static_cast<float>(o_.epsilon);
    s.beta1 = static_cast<float>(o_.rho);
    s.one_minus_beta1 = static_cast<float>(1.0 - o_.rho);
    s.beta2 = static_cast<float>(o_.momentum);
    ops::fused_update(v, grad, &velocity, o_.momentum > 0.0 ? &mom : nullptr, o_.centered ? &avg : nullptr, s);
    return;
  }
  // Other dtypes: composed from ops, in the same order.
  const double rho = o_.rho;
  ops::assign(velocity, velocity * rho + ops::square(grad) * (1.0 - rho));
  Tensor denominator;
  if (o_.centered) {
    ops::assign(avg, avg * rho + grad * (1.0 - rho));
    denominator = velocity - ops::square(avg) + o_.epsilon;
  } else {
    denominator = velocity + o_.epsilon;
  }
  Tensor increment = (grad * lr) / ops::sqrt(denominator);
  if (o_.momentum > 0.0) {
    ops::assign(mom, mom * o_.momentum + increment);
    ops::assign(v, v - mom);
  } else {
    ops::assign(v, v - increment);
  }
}

nlohmann::json RMSprop::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["rho"] = o_.rho;
  c["momentum"] = o_.momentum;
  c["epsilon"] = o_.epsilon;
  c["centered"] = o_.centered;
  return c;
}

}  // namespace keras::optimizers
