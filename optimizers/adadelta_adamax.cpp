// Adadelta and Adamax, Keras 3's update rules (t = update_iterations() + 1):
//   Adadelta: acc_g = rho * acc_g + (1 - rho) * g^2
//             delta = -sqrt(acc_d + eps) * g / sqrt(acc_g + eps)
//             acc_d = rho * acc_d + (1 - rho) * delta^2;  var += lr * delta
//   Adamax:   m += (g - m) * (1 - beta_1);  u = max(beta_2 * u, |g|)
//             var -= lr * m / ((1 - beta_1^t) * (u + eps))
// Slots, created in one group each as Keras does (interleaved per variable
// in files): Adadelta "accumulated_grad" + "accumulated_delta_var", Adamax
// "momentum" + "norm".
#include <cmath>
#include <nlohmann/json.hpp>

#include "optimizers/common.hpp"
#include "keras/ops.hpp"
#include "keras/ops_update.hpp"
#include "keras/optimizers/extra.hpp"

namespace keras::optimizers {

using detail::named;

Adadelta::Adadelta(AdadeltaOptions o)
    : Optimizer(o.learning_rate, named(o.base, "adadelta"), "Adadelta"), o_(std::move(o)) {
  KERAS_CHECK(std::isfinite(o_.rho) && o_.rho >= 0.0 && o_.rho <= 1.0, ValueError,
              "Adadelta: `rho` must be in [0, 1]. Received: rho=", o_.rho);
  KERAS_CHECK(std::isfinite(o_.epsilon) && o_.epsilon >= 0.0, ValueError,
              "Adadelta: `epsilon` must be non-negative. Received: epsilon=", o_.epsilon);
}

void Adadelta::build_slots(const Variable& var, std::size_t) {
  slots_.push_back(add_slot(var, "accumulated_grad"));
  slots_.push_back(add_slot(var, "accumulated_delta_var"));
}

void Adadelta::update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) {
  const std::size_t n = built_for_.size();
  Tensor acc_g = slots_[index].value();
  Tensor acc_d = slots_[n + index].value();
  Tensor v = var.value();
  if (ops::can_fuse_update(v, grad)) {
    backend::UpdateStep s;
    s.rule = backend::UpdateRule::adadelta;
    s.lr = static_cast<float>(lr);
    s.epsilon = static_cast<float>(o_.epsilon);
    s.beta1 = static_cast<float>(o_.rho);
    s.one_minus_beta1 = static_cast<float>(1.0 - o_.rho);
    ops::fused_update(v, grad, &acc_g, &acc_d, nullptr, s);
    return;
  }
  const double rho = o_.rho;  // other dtypes: composed, same order
  ops::assign(acc_g, acc_g * rho + ops::square(grad) * (1.0 - rho));
  Tensor delta = ops::negative((ops::sqrt(acc_d + o_.epsilon) * grad) / ops::sqrt(acc_g + o_.epsilon));
  ops::assign(acc_d, acc_d * rho + ops::square(delta) * (1.0 - rho));
  ops::assign(v, v + delta * lr);
}

nlohmann::json Adadelta::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["rho"] = o_.rho;
  c["epsilon"] = o_.epsilon;
  return c;
}

Adamax::Adamax(AdamaxOptions o)
    : Optimizer(o.learning_rate, named(o.base, "adamax"), "Adamax"), o_(std::move(o)) {
  KERAS_CHECK(std::isfinite(o_.beta_1) && o_.beta_1 >= 0.0 && o_.beta_1 < 1.0, ValueError,
              "Adamax: `beta_1` must be in [0, 1). Received: beta_1=", o_.beta_1);
  KERAS_CHECK(std::isfinite(o_.beta_2) && o_.beta_2 >= 0.0 && o_.beta_2 <= 1.0, ValueError,
              "Adamax: `beta_2` must be in [0, 1]. Received: beta_2=", o_.beta_2);
  KERAS_CHECK(std::isfinite(o_.epsilon) && o_.epsilon >= 0.0, ValueError,
              "Adamax: `epsilon` must be non-negative. Received: epsilon=", o_.epsilon);
}

void Adamax::build_slots(const Variable& var, std::size_t) {
  slots_.push_back(add_slot(var, "momentum"));
  slots_.push_back(add_slot(var, "norm"));
}

void Adamax::update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) {
  const std::size_t n = built_for_.size();
  Tensor m = slots_[index].value();
  Tensor u = slots_[n + index].value();
  // Keras computes beta_1^t in float32.
  const float b1_power = std::pow(static_cast<float>(o_.beta_1), static_cast<float>(local_step()));
  Tensor v = var.value();
  if (ops::can_fuse_update(v, grad)) {
    backend::UpdateStep s;
    s.rule = backend::UpdateRule::adamax;
    s.lr = static_cast<float>(lr);
    s.epsilon = static_cast<float>(o_.epsilon);
    s.one_minus_beta1 = static_cast<float>(1.0 - o_.beta_1);
    s.beta2 = static_cast<float>(o_.beta_2);
    s.c[0] = 1.0f - b1_power;
    ops::fused_update(v, grad, &m, &u, nullptr, s);
    return;
  }
  ops::assign(m, m + (grad - m) * (1.0 - o_.beta_1));
  ops::assign(u, ops::maximum(u * o_.beta_2, ops::abs(grad)));
  ops::assign(v, v - (m * lr) / ((u + o_.epsilon) * static_cast<double>(1.0f - b1_power)));
}

nlohmann::json Adamax::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["beta_1"] = o_.beta_1;
  c["beta_2"] = o_.beta_2;
  c["epsilon"] = o_.epsilon;
  return c;
}

}  // namespace keras::optimizers
