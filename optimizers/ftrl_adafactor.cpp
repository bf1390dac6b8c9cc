// Ftrl and Adafactor, Keras 3's update rules (t = update_iterations() + 1).
//   Ftrl (p = learning_rate_power):
//     l2 = l2_regularization_strength + beta / (2 lr)
//     new_acc = acc + g^2
//     linear += g + 2 l2_shrinkage var - (new_acc^-p - acc^-p) / lr * var
//     var = (clip(linear, -l1, l1) - linear) / (new_acc^-p / lr + 2 l2);  acc = new_acc
//   Adafactor: rho = min(lr, 1/sqrt(t)), alpha = max(epsilon_2, rms(var)) * rho
//     s = g^2 + epsilon_1, b = 1 - t^beta_2_decay
//     rank >= 2: r = b r + (1 - b) mean(s, -1); c = b c + (1 - b) mean(s, -2)
//                v = (r / mean(r, -1))[..., None] * c[..., None, :]
//     rank < 2:  v = b v + (1 - b) s
//     u = g / sqrt(v);  var -= alpha * u / max(1, rms(u) / clip_threshold)
// Ftrl's "accumulator" (starting at initial_accumulator_value) + "linear"
// form one slot group. Adafactor's files hold, per variable, r, c (named
// like the variable, e.g. "kernel"; int32 scalars for rank < 2) and
// "<path>_velocity".
#include <cmath>
#include <nlohmann/json.hpp>

#include "optimizers/common.hpp"
#include "keras/ops.hpp"
#include "keras/ops_update.hpp"
#include "keras/optimizers/extra.hpp"

namespace keras::optimizers {

using detail::named;

namespace {

void check_non_negative(double v, const char* who, const char* arg) {
  KERAS_CHECK(std::isfinite(v) && v >= 0.0, ValueError, who, ": `", arg,
              "` needs to be positive or zero. Received: ", arg, "=", v);
}

Tensor pow_scalar(const Tensor& x, double p) { return ops::power(x, ops::full_like(x, p)); }

float rms(const Tensor& x) { return std::sqrt(static_cast<float>(ops::mean(ops::square(x)).item())); }
}  // namespace

Ftrl::Ftrl(FtrlOptions o) : Optimizer(o.learning_rate, named(o.base, "ftrl"), "Ftrl"), o_(std::move(o)) {
  check_non_negative(o_.initial_accumulator_value, "Ftrl", "initial_accumulator_value");
  KERAS_CHECK(std::isfinite(o_.learning_rate_power) && o_.learning_rate_power <= 0.0, ValueError,
              "Ftrl: `learning_rate_power` needs to be negative or zero. Received: learning_rate_power=",
              o_.learning_rate_power);
  check_non_negative(o_.l1_regularization_strength, "Ftrl", "l1_regularization_strength");
  check_non_negative(o_.l2_regularization_strength, "Ftrl", "l2_regularization_strength");
  check_non_negative(o_.l2_shrinkage_regularization_strength, "Ftrl", "l2_shrinkage_regularization_strength");
  KERAS_CHECK(std::isfinite(o_.beta), ValueError, "Ftrl: `beta` must be a number. Received: beta=", o_.beta);
}

void Ftrl::build_slots(const Variable& var, std::size_t) {
  Variable acc = add_slot(var, "accumulator");
  Tensor t = acc.value();
  ops::assign(t, ops::full_like(t, o_.initial_accumulator_value));
  slots_.push_back(acc);
  slots_.push_back(add_slot(var, "linear"));
}

void Ftrl::update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) {
  const std::size_t n = built_for_.size();
  Tensor acc = slots_[index].value();
  Tensor linear = slots_[n + index].value();
  Tensor w = var.value();
  const float lr32 = static_cast<float>(lr);
  const double l2 = static_cast<float>(o_.l2_regularization_strength) +
                    static_cast<float>(o_.beta) / (2.0f * lr32);
  const double p = -o_.learning_rate_power;
  if (ops::can_fuse_update(w, grad)) {
    backend::UpdateStep s;
    s.rule = backend::UpdateRule::ftrl;
    s.lr = lr32;
    s.beta1 = static_cast<float>(p);
    s.c[0] = static_cast<float>(2.0 * o_.l2_shrinkage_regularization_strength);
    s.c[1] = static_cast<float>(2.0 * l2);
    s.c[2] = static_cast<float>(o_.l1_regularization_strength);
    ops::fused_update(w, grad, &acc, &linear, nullptr, s);
    return;
  }
  Tensor grad_to_use = grad + w * (2.0 * o_.l2_shrinkage_regularization_strength);
  Tensor new_acc = acc + ops::square(grad);
  Tensor new_pow = pow_scalar(new_acc, p);
  ops::assign(linear, linear + (grad_to_use - ((new_pow - pow_scalar(acc, p)) / lr) * w));
  Tensor quadratic = new_pow / lr + 2.0 * l2;
  const double l1 = o_.l1_regularization_strength;
  ops::assign(w, (ops::clip(linear, -l1, l1) - linear) / quadratic);
  ops::assign(acc, new_acc);
}

nlohmann::json Ftrl::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["learning_rate_power"] = o_.learning_rate_power;
  c["initial_accumulator_value"] = o_.initial_accumulator_value;
  c["l1_regularization_strength"] = o_.l1_regularization_strength;
  c["l2_regularization_strength"] = o_.l2_regularization_strength;
  c["l2_shrinkage_regularization_strength"] = o_.l2_shrinkage_regularization_strength;
  c["beta"] = o_.beta;
  return c;
}

Adafactor::Adafactor(AdafactorOptions o)
    : Optimizer(o.learning_rate, named(o.base, "adafactor"), "Adafactor"), o_(std::move(o)) {
  check_non_negative(o_.epsilon_1, "Adafactor", "epsilon_1");
  check_non_negative(o_.epsilon_2, "Adafactor", "epsilon_2");
  KERAS_CHECK(std::isfinite(o_.clip_threshold) && o_.clip_threshold > 0.0, ValueError,
              "Adafactor: `clip_threshold` must be positive. Received: clip_threshold=", o_.clip_threshold);
  KERAS_CHECK(std::isfinite(o_.beta_2_decay) && o_.beta_2_decay <= 0.0, ValueError,
              "Adafactor: `beta_2_decay` must be negative or zero. Received: beta_2_decay=", o_.beta_2_decay);
}

void Adafactor::build_slots(const Variable& var, std::size_t) {
  const Shape& s = var.shape();
  if (s.size() < 2) {
    for (int k = 0; k < 2; ++k) extra_.push_back(Variable(Tensor::scalar(0.0, int32), var.name(), false));
  } else {
    Shape r(s.begin(), s.end() - 1), c(s.begin(), s.end() - 2);
    c.push_back(s.back());
    extra_.push_back(Variable(Tensor::zeros(r, var.value().dtype()), var.name(), false));
    extra_.push_back(Variable(Tensor::zeros(c, var.value().dtype()), var.name(), false));
  }
  slots_.push_back(add_slot(var, "velocity"));
}

std::vector<Variable> Adafactor::saved_variables() const {
  std::vector<Variable> out = ema_;
  out.insert(out.end(), accum_.begin(), accum_.end());
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    out.push_back(extra_[2 * i]);
    out.push_back(extra_[2 * i + 1]);
    out.push_back(slots_[i]);
  }
  return out;
}

void Adafactor::update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) {
  Tensor w = var.value();
  Tensor v = slots_[index].value();
  const float t = static_cast<float>(local_step());
  const float rho = std::min(static_cast<float>(lr), 1.0f / std::sqrt(t));
  const float alpha = std::max(static_cast<float>(o_.epsilon_2), rms(w)) * rho;
  Tensor s = ops::square(grad) + o_.epsilon_1;
  const float b = 1.0f - std::pow(t, static_cast<float>(o_.beta_2_decay));
  const int nd = static_cast<int>(w.ndim());
  if (nd >= 2) {
    Tensor r = extra_[2 * index].value();
    Tensor c = extra_[2 * index + 1].value();
    ops::assign(r, r * b + ops::mean(s, {nd - 1}) * static_cast<double>(1.0f - b));
    ops::assign(c, c * b + ops::mean(s, {nd - 2}) * static_cast<double>(1.0f - b));
    const int rd = nd - 1;
    ops::assign(v, ops::expand_dims(r / ops::mean(r, {rd - 1}, true), rd) * ops::expand_dims(c, nd - 2));
  } else {
    ops::assign(v, v * b + s * static_cast<double>(1.0f - b));
  }
  Tensor u = grad / ops::sqrt(v);
  const float denom = std::max(1.0f, rms(u) / static_cast<float>(o_.clip_threshold));
  ops::assign(w, w - (u / static_cast<double>(denom)) * static_cast<double>(alpha));
}

nlohmann::json Adafactor::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["beta_2_decay"] = o_.beta_2_decay;
  c["epsilon_1"] = o_.epsilon_1;
  c["epsilon_2"] = o_.epsilon_2;
  c["clip_threshold"] = o_.clip_threshold;
  c["relative_step"] = o_.relative_step;
  return c;
}

}  // namespace keras::optimizers
