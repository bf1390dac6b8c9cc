// Nadam and Lion, Keras 3's update rules (t = update_iterations() + 1):
//   Nadam: u_t = beta_1 * (1 - 0.5 * 0.96^t), u_t1 = beta_1 * (1 - 0.5 * 0.96^(t+1))
//          u_product *= u_t (once per update, before the variables)
//          m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
//          m_hat = u_t1 * m / (1 - u_product * u_t1) + (1 - u_t) * g / (1 - u_product)
//          var -= lr * m_hat / (sqrt(v / (1 - beta_2^t)) + eps)
//   Lion:  var -= lr * sign(beta_1 * m + (1 - beta_1) * g)
//          m = beta_2 * m + (1 - beta_2) * g
// Nadam's slots "momentum" + "velocity" form one group; its u_product is a
// scalar float32 variable Keras names "variable", stored after the slots.
#include <cmath>
#include <nlohmann/json.hpp>

#include "optimizers/common.hpp"
#include "keras/ops.hpp"
#include "keras/ops_update.hpp"
#include "keras/optimizers/extra.hpp"

namespace keras::optimizers {

using detail::named;

namespace {

void check_beta(double b, const char* who, const char* arg) {
  KERAS_CHECK(std::isfinite(b) && b >= 0.0 && b < 1.0, ValueError, who, ": `", arg,
              "` must be in [0, 1). Received: ", arg, "=", b);
}
}  // namespace

Nadam::Nadam(NadamOptions o) : Optimizer(o.learning_rate, named(o.base, "nadam"), "Nadam"), o_(std::move(o)) {
  check_beta(o_.beta_1, "Nadam", "beta_1");
  check_beta(o_.beta_2, "Nadam", "beta_2");
  KERAS_CHECK(std::isfinite(o_.epsilon) && o_.epsilon >= 0.0, ValueError,
              "Nadam: `epsilon` must be non-negative. Received: epsilon=", o_.epsilon);
}

void Nadam::build_slots(const Variable& var, std::size_t index) {
  slots_.push_back(add_slot(var, "momentum"));
  slots_.push_back(add_slot(var, "velocity"));
  if (index == 0) extra_.push_back(Variable(Tensor::scalar(1.0, float32), "variable", /*trainable=*/false));
}

void Nadam::before_updates() {
  if (extra_.empty()) return;
  // float32 throughout, as Keras computes it.
  const float t = static_cast<float>(local_step());
  const float u_t = static_cast<float>(o_.beta_1) * (1.0f - 0.5f * std::pow(0.96f, t));
  const float p = static_cast<float>(extra_[0].value().item());
  extra_[0].assign(Tensor::scalar(static_cast<double>(p * u_t), float32));
}

void Nadam::update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) {
  const std::size_t n = built_for_.size();
  const float t = static_cast<float>(local_step());
  const float b1 = static_cast<float>(o_.beta_1), b2 = static_cast<float>(o_.beta_2);
  const float u_t = b1 * (1.0f - 0.5f * std::pow(0.96f, t));
  const float u_t1 = b1 * (1.0f - 0.5f * std::pow(0.96f, t + 1.0f));
  const float u_prod = static_cast<float>(extra_[0].value().item());
  const float u_prod1 = u_prod * u_t1;
  const float b2_power = std::pow(b2, t);
  Tensor m = slots_[index].value();
  Tensor v = slots_[n + index].value();
  Tensor w = var.value();
  if (ops::can_fuse_update(w, grad)) {
    backend::UpdateStep s;
    s.rule = backend::UpdateRule::nadam;
    s.lr = static_cast<float>(lr);
    s.epsilon = static_cast<float>(o_.epsilon);
    s.one_minus_beta1 = 1.0f - b1;
    s.one_minus_beta2 = 1.0f - b2;
    s.c[0] = u_t1;
    s.c[1] = 1.0f - u_prod1;
    s.c[2] = 1.0f - u_t;
    s.c[3] = 1.0f - u_prod;
    s.c[4] = 1.0f - b2_power;
    ops::fused_update(w, grad, &m, &v, nullptr, s);
    return;
  }
  ops::assign(m, m + (grad - m) * static_cast<double>(1.0f - b1));
  ops::assign(v, v + (ops::square(grad) - v) * static_cast<double>(1.0f - b2));
  Tensor m_hat = (m * static_cast<double>(u_t1)) / static_cast<double>(1.0f - u_prod1) +
                 (grad * static_cast<double>(1.0f - u_t)) / static_cast<double>(1.0f - u_prod);
  Tensor v_hat = v / static_cast<double>(1.0f - b2_power);
  ops::assign(w, w - (m_hat * lr) / (ops::sqrt(v_hat) + o_.epsilon));
}

nlohmann::json Nadam::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["beta_1"] = o_.beta_1;
  c["beta_2"] = o_.beta_2;
  c["epsilon"] = o_.epsilon;
  return c;
}

Lion::Lion(LionOptions o) : Optimizer(o.learning_rate, named(o.base, "lion"), "Lion"), o_(std::move(o)) {
  KERAS_CHECK(std::isfinite(o_.beta_1) && o_.beta_1 > 0.0 && o_.beta_1 <= 1.0, ValueError,
              "Lion: `beta_1` must be in the (0, 1] range. Otherwise, the optimizer degenerates to "
              "SignSGD. Received: beta_1=",
              o_.beta_1);
  KERAS_CHECK(std::isfinite(o_.beta_2) && o_.beta_2 >= 0.0 && o_.beta_2 <= 1.0, ValueError,
              "Lion: `beta_2` must be in [0, 1]. Received: beta_2=", o_.beta_2);
}

void Lion::build_slots(const Variable& var, std::size_t) { slots_.push_back(add_slot(var, "momentum")); }

void Lion::update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) {
  Tensor m = slots_[index].value();
  const double b1 = static_cast<float>(o_.beta_1), b2 = static_cast<float>(o_.beta_2);
  Tensor w = var.value();
  if (ops::can_fuse_update(w, grad)) {
    backend::UpdateStep s;
    s.rule = backend::UpdateRule::lion;
    s.lr = static_cast<float>(lr);
    s.beta1 = static_cast<float>(b1);
    s.one_minus_beta1 = 1.0f - static_cast<float>(b1);
    s.beta2 = static_cast<float>(b2);
    s.one_minus_beta2 = 1.0f - static_cast<float>(b2);
    ops::fused_update(w, grad, &m, nullptr, nullptr, s);
    return;
  }
  ops::assign(w, w - ops::sign(m * b1 + grad * static_cast<double>(1.0f - static_cast<float>(b1))) * lr);
  ops::assign(m, m * b2 + grad * static_cast<double>(1.0f - static_cast<float>(b2)));
}

nlohmann::json Lion::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["beta_1"] = o_.beta_1;
  c["beta_2"] = o_.beta_2;
  return c;
}

}  // namespace keras::optimizers
