// The fused bias + activation op used by Dense and the Conv layers.
#include "ops/common.hpp"

namespace keras::ops {
using namespace detail;
using backend::Unary;

namespace {

struct Fused {
  Unary op;
  float alpha;
};

// The Keras activations the backend fuses (their derivative depends on y
// only); linear is handled by add. Returns false for anything else.
bool lookup(const std::string& name, Fused& f) {
  if (name == "relu") f = {Unary::relu, 0.0f};
  else if (name == "relu6") f = {Unary::relu6, 0.0f};
  else if (name == "sigmoid") f = {Unary::sigmoid, 0.0f};
  else if (name == "tanh") f = {Unary::tanh, 0.0f};
  else if (name == "elu") f = {Unary::elu, 1.0f};  // Keras's elu activation: alpha = 1
  else return false;
  return true;
}

}  // namespace

bool bias_activation_supported(const std::string& activation) {
  Fused f;
  return activation == "linear" || activation.empty() || lookup(activation, f);
}

Tensor bias_activation(const Tensor& x, const Tensor& bias, const std::string& activation) {
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
