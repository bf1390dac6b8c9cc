// SGD with optional (Nesterov) momentum, Keras 3's formula:
//   m = momentum * m - lr * g
//   var += m                             (plain momentum)
//   var += momentum * m - lr * g         (nesterov, with the new m)
//   var -= lr * g                        (no momentum: no slot is created)
#include <cmath>
#include <nlohmann/json.hpp>

#include "optimizers/common.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"

namespace keras::optimizers {

using detail::named;

SGD::SGD(SGDOptions o) : Optimizer(o.learning_rate, named(o.base, "SGD"), "SGD"), o_(std::move(o)) {
  KERAS_CHECK(std::isfinite(o_.momentum) && o_.momentum >= 0.0 && o_.momentum <= 1.0, ValueError,
              "SGD: `momentum` must be a float between [0, 1]. Received: momentum=", o_.momentum);
}

void SGD::build_slots(const Variable& var, std::size_t) {
  if (o_.momentum != 0.0) slots_.push_back(add_slot(var, "momentum"));
}

void SGD::update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) {
  Tensor v = var.value();
  if (o_.momentum != 0.0) {
    Tensor m = slots_[index].value();
    ops::sgd_update(v, grad, &m, lr, o_.momentum, o_.nesterov);
  } else {
    ops::sgd_update(v, grad, nullptr, lr, 0.0, false);
  }
}

nlohmann::json SGD::get_config() const {
  nlohmann::json c = Optimizer::get_config();
  c["momentum"] = o_.momentum;
  c["nesterov"] = o_.nesterov;
  return c;
}

}  // namespace keras::optimizers
