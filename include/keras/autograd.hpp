// Reverse-mode automatic differentiation over keras::ops.
//
// Every op that has an input with requires_grad() records a node holding
// its gradient rule. grad() walks the graph backwards from a scalar.
//
// Example (a custom training step):
//   keras::GradientTape tape;
//   keras::Tensor loss = keras::ops::mean(keras::ops::square(model(x) - y));
//   auto grads = tape.gradient(loss, model.trainable_weights());
//   optimizer.apply_gradients(grads, model.trainable_weights());
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras {

class Variable;

namespace autograd {

// Gradient rule: given the gradient of the output, returns one gradient per
// input (an undefined Tensor for inputs that need none).
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  const char* op = "";             // op name, for error messages
  std::vector<Tensor> inputs;      // the op's differentiable inputs
  BackwardFn backward;
};

// True while ops record gradients (the default).
bool is_enabled();

// Disables recording in a scope: `keras::autograd::NoGradGuard g;`
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

// Records `fn` as the gradient rule for `output` computed from `inputs`, if
// recording is on and any input requires a gradient. Returns output.
Tensor record(const char* op, Tensor output, std::vector<Tensor> inputs, BackwardFn fn);

// d(output)/d(wrt[i]) for a scalar output (or with `grad_output` seeding
// the backward pass). Inputs not reached get zeros.
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& wrt,
                         const Tensor& grad_output = Tensor());

}  // namespace autograd

// Tensorflow-style tape: gradients of anything computed while it lives.
class GradientTape {
 public:
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources);
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Variable>& sources);
};

}  // namespace keras
