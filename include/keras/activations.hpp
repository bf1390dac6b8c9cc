// Activation functions by Keras name.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

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
  // A C++ callable with a name for the config. Never taken for the
  // built-in of the same name: builtin() is false.
  Activation(std::string n, Fn f) : name(std::move(n)), fn(std::move(f)), builtin_(false) {}
  Tensor operator()(const Tensor& x) const { return fn ? fn(x) : x; }
  bool is_linear() const { return !fn; }
  // True only for activations made by get() (or from a name): the identity
  // a planning pass may fuse into a kernel, never a user's callable.
  bool builtin() const { return builtin_; }

 private:
  bool builtin_ = true;  // linear (the default) is built in
  friend Activation get(const std::string& name);
};

// relu, sigmoid, softmax, tanh, linear, elu, selu, softplus, softsign,
// gelu, silu, swish, leaky_relu, relu6, hard_sigmoid, exponential,
// log_softmax, or a registered user activation; a module prefix
// ("keras.activations.relu") is ignored. Throws ValueError naming the
// unknown activation and the closest known names.
Activation get(const std::string& name);
// A name, null (linear), or a serialized activation: Keras 3's
// {"class_name": "function", "config": "relu"}, or {"class_name": "relu"}.
Activation deserialize(const nlohmann::json& j);
// The name a config stores (Keras writes activations as their name).
nlohmann::json serialize(const Activation& a);

// Registers a user activation: configs naming it load it, and the
// Activations made from it are not builtin(). Built-in names cannot be
// taken (ValueError: a planner fuses built-ins by name); a user name
// already registered raises unless `replace` is set.
void register_activation(const std::string& name, Fn fn, bool replace = false);
std::vector<std::string> registered_activations();

}  // namespace keras::activations
