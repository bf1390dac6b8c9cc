// In-place updates used by variables and optimizers (not recorded).
#include <cmath>

#include "keras/ops_update.hpp"
#include "ops/common.hpp"
#include "profiler/scope.hpp"

namespace keras::ops {
using namespace detail;

void assign(Tensor& var, const Tensor& value) {
  KERAS_PROFILE_OP("assign");
  need_defined("assign", var);
  need_defined("assign", value);
  KERAS_CHECK(var.shape() == value.shape(), ValueError, "assign: variable of shape ", shape_str(var.shape()),
              " received a value of shape ", shape_str(value.shape()));
  Tensor v = value.dtype() == var.dtype() ? value : cast(value, var.dtype());
  if (v.device() != var.device()) v = v.to(var.device());
  if (v.data_ptr() == var.data_ptr()) return;
  be(var).copy(var.data_ptr(), v.data_ptr(), var.nbytes());
}

void sgd_update(Tensor& var, const Tensor& grad, Tensor* velocity, double lr, double momentum, bool nesterov) {
  KERAS_PROFILE_OP("sgd_update");
  KERAS_CHECK(grad.shape() == var.shape(), ValueError, "sgd_update: gradient of shape ", shape_str(grad.shape()),
              " for a variable of shape ", shape_str(var.shape()));
  be(var).sgd_update(var, grad, velocity, static_cast<float>(lr), static_cast<float>(momentum), nesterov);
}

void adam_update(Tensor& var, const Tensor& grad, Tensor& m, Tensor& v, Tensor* vhat, double lr, double beta1,
                 double beta2, double epsilon, std::int64_t iteration, double weight_decay) {
  KERAS_PROFILE_OP("adam_update");
  KERAS_CHECK(grad.shape() == var.shape(), ValueError, "adam_update: gradient of shape ", shape_str(grad.shape()),
              " for a variable of shape ", shape_str(var.shape()));
  backend::AdamStep s;
  s.lr = static_cast<float>(lr);
  s.beta1 = static_cast<float>(beta1);
  s.beta2 = static_cast<float>(beta2);
  s.epsilon = static_cast<float>(epsilon);
  // In float32, as Keras computes them: 1 - beta_2^t cancels, so a power
  // rounded from double differs from Keras's by up to 1e-5 relative.
  s.beta1_power = std::pow(static_cast<float>(beta1), static_cast<float>(iteration));
  s.beta2_power = std::pow(static_cast<float>(beta2), static_cast<float>(iteration));
  s.weight_decay = static_cast<float>(weight_decay);
  s.amsgrad = vhat != nullptr;
  s.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  s.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  be(var).adam_update(var, grad, m, v, vhat, s);
}

namespace {
using backend::UpdateRule;

const char* rule_name(UpdateRule r) {
  switch (r) {
    case UpdateRule::rmsprop: return "rmsprop";
    case UpdateRule::rmsprop_centered: return "rmsprop_centered";
    case UpdateRule::adagrad: return "adagrad";
    case UpdateRule::adadelta: return "adadelta";
    case UpdateRule::adamax: return "adamax";
    case UpdateRule::nadam: return "nadam";
    case UpdateRule::lion: return "lion";
    case UpdateRule::ftrl: return "ftrl";
  }
  return "unknown";
}

// Slot k of rule r: 2 required, 1 optional (rmsprop's momentum), 0 unused.
int slot_use(UpdateRule r, int k) {
  switch (r) {
    case UpdateRule::rmsprop: return k == 0 ? 2 : (k == 1 ? 1 : 0);
    case UpdateRule::rmsprop_centered: return k == 1 ? 1 : 2;
    case UpdateRule::adagrad:
    case UpdateRule::lion: return k == 0 ? 2 : 0;
    default: return k < 2 ? 2 : 0;
  }
}

void check_update_tensor(const char* rule, const char* what, const Tensor& t, const Tensor& var) {
  KERAS_CHECK(t.defined(), ValueError, "fused_update (", rule, "): ", what, " is undefined");
  KERAS_CHECK(t.dtype() == float32, ValueError, "fused_update (", rule, "): ", what,
              " must be float32; received ", dtype_name(t.dtype()));
  KERAS_CHECK(t.shape() == var.shape(), ValueError, "fused_update (", rule, "): ", what, " of shape ",
              shape_str(t.shape()), " for a variable of shape ", shape_str(var.shape()));
  KERAS_CHECK(t.device() == var.device(), ValueError, "fused_update (", rule, "): ", what,
              " is on another device than the variable");
}
}  // namespace

void fused_update(Tensor& var, const Tensor& grad, Tensor* slot0, Tensor* slot1, Tensor* slot2,
                  const backend::UpdateStep& step) {
  KERAS_PROFILE_OP("fused_update");
  const char* rule = rule_name(step.rule);
  check_update_tensor(rule, "variable", var, var);
  check_update_tensor(rule, "gradient", grad, var);
  Tensor* slots[3] = {slot0, slot1, slot2};
  static const char* const names[3] = {"slot 0", "slot 1", "slot 2"};
  for (int k = 0; k < 3; ++k) {
    const int use = slot_use(step.rule, k);
    if (use == 0 || (use == 1 && !slots[k])) {
      slots[k] = nullptr;
      continue;
    }
    KERAS_CHECK(slots[k], ValueError, "fused_update (", rule, "): ", names[k], " is required");
    check_update_tensor(rule, names[k], *slots[k], var);
  }
  be(var).fused_update(var, grad, slots[0], slots[1], slots[2], step);
}

Tensor sum_squares(const Tensor& x) {
  KERAS_PROFILE_OP("sum_squares");
  need_float("sum_squares", x);
  Tensor out = empty({}, float32, x.device());
  be(x).sum_squares(x, out);
  return out;
}

bool any_nonfinite(const Tensor& x) {
  if (x.dtype() != float32 || x.size() == 0) return false;
  // A finite sum proves every element finite without a temporary the size of
  // x; only when it is not (NaN, inf, or an overflowing sum) check exactly:
  // sum(x * 0) is NaN exactly when some element is NaN or infinite.
  autograd::NoGradGuard ng;
  if (std::isfinite(sum(x).item())) return false;
  Tensor z = sum(multiply(x, Tensor::scalar(0.0, float32, x.device())));
  return !std::isfinite(z.item());
}

}  // namespace keras::ops
