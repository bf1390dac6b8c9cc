// Activation functions by Keras name.
#pragma once
#include <functional>
#include <string>

#include "keras/tensor.hpp"

namespace keras::activations {

using Fn = std::function<Tensor(const Tensor&)>;

// A named activation; an empty name means linear (identity).
struct Activation {
  std::string name;  // Keras name ("relu", "linear", ...)
  Fn fn;             // empty for linear
  Activation() : name("linear") {}
  Activation(const char* n);
  Activation(const std::string& n);
  // A C++ callable with a name for the config.
  Activation(std::string n, Fn f) : name(std::move(n)), fn(std::move(f)) {}
  Tensor operator()(const Tensor& x) const { return fn ? fn(x) : x; }
  bool is_linear() const { return !fn; }
};

// relu, sigmoid, softmax, tanh, linear, elu, selu, softplus, softsign,
// gelu, silu, swish, leaky_relu, relu6, hard_sigmoid, exponential,
// log_softmax. Throws ValueError naming the unknown activation.
Activation get(const std::string& name);

}  // namespace keras::activations
