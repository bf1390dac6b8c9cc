// Adagrad, Keras 3's formula:
//   accumulator += g^2
//   var -= lr * g / sqrt(accumulator + epsilon)
// One "accumulator" slot per variable, starting at initial_accumulator_value.
#include <nlohmann/json.hpp>

#include "optimizers/common.hpp"
#include "keras/ops.hpp"
#include "keras/ops_update.hpp"
#include "keras/optimizers.hpp"

namespace keras::optimizers {

using detail::named;

Adagrad::Adagrad(AdagradOptions o)
    : Optimizer(o.learning_rate, named(o.base, "adagrad"), "Adagrad"), o_(std::move(o)) {
  KERAS_CHECK(o_.initial_accumulator_value >= 0.0, ValueError,
              "Adagrad: `initial_accumulator_value` must be non-negative. Received: "
              "initial_accumulator_value=",
              o_.initial_accumulator_value);
  KERAS_CHECK(o_.epsilon >= 0.0, ValueError,
              "Adagrad: `epsilon` must be non-negative. Received: epsilon=", o_.epsilon);
}

void Adagrad::build_slots(const Variable& var, std::size_t) {
  Variable acc = add_slot(var, "accumulator");
  Tensor t = acc.value();
  ops::assign(t, ops::full_like(t, o_.initial_accumulator_value));
  slots_.push_back(acc);
}

void Adagrad::update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) {
  Tensor acc = slots_[index].value();
  Tensor v = var.value();
  if (ops::can_fuse_update(v, grad)) {
    backend::UpdateStep s;
    s.rule = backend::UpdateRule::adagrad;
    s.lr = static_cast<float>(lr);
    s.epsilon = static_cast<float>(o_.epsilon);
    ops::fused_update(v, grad, &acc, nullptr, nullptr, s);
    return;
  }
  ops::assign(acc, acc + ops::square(grad));  // other dtypes: composed, same order
  ops::assign(v, v - (grad * lr) / ops::sqrt(acc + o_.epsilon));
}

nlohmann::json Adagrad::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["initial_accumulator_value"] = o_.initial_accumulator_value;
  c["epsilon"] = o_.epsilon;
  return c;
}

}  // namespace keras::optimizers
