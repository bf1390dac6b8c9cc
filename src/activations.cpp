// Activation functions by Keras 3 name, each built from keras::ops so it is
// differentiable and runs on any backend.
#include "keras/activations.hpp"

#include <map>

#include "keras/errors.hpp"
#include "keras/ops.hpp"

namespace keras::activations {
namespace {

// Keras 3 defaults: gelu is exact (approximate=False), leaky_relu's slope is
// 0.2, softmax / log_softmax act on the last axis.
const std::map<std::string, Fn>& registry() {
  static const std::map<std::string, Fn> r = {
      {"relu", [](const Tensor& x) { return ops::relu(x); }},
      {"relu6", [](const Tensor& x) { return ops::relu6(x); }},
      {"sigmoid", [](const Tensor& x) { return ops::sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return ops::tanh(x); }},
      {"elu", [](const Tensor& x) { return ops::elu(x, 1.0); }},
      {"selu", [](const Tensor& x) { return ops::selu(x); }},
      {"softplus", [](const Tensor& x) { return ops::softplus(x); }},
      {"softsign", [](const Tensor& x) { return ops::softsign(x); }},
      {"gelu", [](const Tensor& x) { return ops::gelu(x, /*approximate=*/false); }},
      {"silu", [](const Tensor& x) { return ops::silu(x); }},
      {"swish", [](const Tensor& x) { return ops::silu(x); }},
      {"leaky_relu", [](const Tensor& x) { return ops::leaky_relu(x, 0.2); }},
      {"hard_sigmoid", [](const Tensor& x) { return ops::hard_sigmoid(x); }},
      {"hard_silu", [](const Tensor& x) { return ops::multiply(x, ops::hard_sigmoid(x)); }},
      {"hard_swish", [](const Tensor& x) { return ops::multiply(x, ops::hard_sigmoid(x)); }},
      {"mish", [](const Tensor& x) { return ops::multiply(x, ops::tanh(ops::softplus(x))); }},
      {"log_sigmoid", [](const Tensor& x) { return ops::negative(ops::softplus(ops::negative(x))); }},
      {"exponential", [](const Tensor& x) { return ops::exp(x); }},
      {"softmax", [](const Tensor& x) { return ops::softmax(x, -1); }},
      {"log_softmax", [](const Tensor& x) { return ops::log_softmax(x, -1); }},
  };
  return r;
}

}  // namespace

Activation get(const std::string& name) {
  if (name.empty() || name == "linear") return Activation();
  auto it = registry().find(name);
  if (it == registry().end()) {
    std::string known = "linear";
    for (const auto& [k, f] : registry()) known += ", " + k;
    throw ValueError(detail::cat("Unknown activation: '", name, "'. Known: ", known));
  }
  Activation a(name, it->second);
  a.builtin_ = true;
  return a;
}

Activation::Activation(const char* n) : Activation(get(n ? std::string(n) : std::string())) {}
Activation::Activation(const std::string& n) : Activation(get(n)) {}

}  // namespace keras::activations
