// The fused bias + activation op used by Dense and the Conv layers.
#include "ops/common.hpp"
#include "profiler/scope.hpp"

namespace keras::ops {
using backend::Unary;

// The Keras activations the backend fuses (their derivative depends on y
// only); linear is handled by add.
bool detail::fused_activation(const std::string& name, Unary& op, float& alpha) {
  alpha = 0.0f;
  if (name == "relu") op = Unary::relu;
  else if (name == "relu6") op = Unary::relu6;
  else if (name == "sigmoid") op = Unary::sigmoid;
  else if (name == "tanh") op = Unary::tanh;
  else if (name == "elu") op = Unary::elu, alpha = 1.0f;  // Keras's elu activation: alpha = 1
  else return false;
  return true;
}

using namespace detail;

namespace {

struct Fused {
  Unary op;
  float alpha;
};

bool lookup(const std::string& name, Fused& f) { return fused_activation(name, f.op, f.alpha); }

}  // namespace

bool bias_activation_supported(const std::string& activation) {
  Fused f;
  return activation == "linear" || activation.empty() || lookup(activation, f);
}

Tensor bias_activation(const Tensor& x, const Tensor& bias, const std::string& activation) {
  KERAS_PROFILE_OP("bias_activation");
  const char* op = "bias_activation";
  need_defined(op, x);
  need_defined(op, bias);
  same_device(op, x, bias);
  need_float(op, x);
  need_float(op, bias);
  KERAS_CHECK(x.ndim() >= 1 && bias.ndim() == 1 && bias.shape()[0] == x.shape().back(), ValueError, op,
              ": expected a bias of shape (C,) matching the last axis of x, received x ", shape_str(x.shape()),
              " and bias ", shape_str(bias.shape()));
  if (activation == "linear" || activation.empty()) return add(x, bias);
  Fused f;
  KERAS_CHECK(lookup(activation, f), ValueError, op,
              ": expected one of linear, relu, relu6, sigmoid, tanh, elu, received activation '", activation, "'");
  require_supported(op, backend::Op::bias_activation, x, {x.dtype(), bias.dtype()});
  Tensor y = empty(x.shape(), float32, x.device());
  be(x).bias_activation(x, bias, f.op, f.alpha, y);
  // Capture a detached alias of y: capturing y itself would make its node own it (a cycle).
  return autograd::record(op, y, {x, bias}, [f, y = y.detach()](const Tensor& g) {
    Tensor dx = empty(y.shape(), float32, y.device());
    Shape keep(y.shape().size(), 1);
    keep.back() = y.shape().back();
    Tensor db = empty(keep, float32, y.device());
    be(y).bias_activation_backward(f.op, y, g, f.alpha, dx, db);
    return std::vector<Tensor>{dx, std::move(db).reshape({keep.back()})};
  });
}

}  // namespace keras::ops
