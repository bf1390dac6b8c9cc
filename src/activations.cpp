// Activation functions by Keras 3 name, each built from keras::ops so it is
// differentiable and runs on any backend.
#include "keras/activations.hpp"

#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/ops.hpp"
#include "keras/registry.hpp"

namespace keras::activations {
namespace {

// Keras 3 defaults: gelu is exact (approximate=False), leaky_relu's slope is
// 0.2, softmax / log_softmax act on the last axis. "linear" has no Fn.
registry::Registry<Fn>& activations() {
  static registry::Registry<Fn>& r = [] () -> registry::Registry<Fn>& {
    auto& reg = registry::make<Fn>("activation");
    const std::pair<const char*, Fn> builtins[] = {
        {"linear", Fn()},
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
        // tf.keras 2's hard_sigmoid (files Keras 2 wrote name it "hard_sigmoid").
        {"hard_sigmoid_keras2",
         [](const Tensor& x) {
           return ops::clip(ops::add(ops::multiply(x, Tensor::scalar(0.2, x.dtype(), x.device())),
                                     Tensor::scalar(0.5, x.dtype(), x.device())),
                            0.0, 1.0);
         }},
        {"hard_silu", [](const Tensor& x) { return ops::multiply(x, ops::hard_sigmoid(x)); }},
        {"hard_swish", [](const Tensor& x) { return ops::multiply(x, ops::hard_sigmoid(x)); }},
        {"mish", [](const Tensor& x) { return ops::multiply(x, ops::tanh(ops::softplus(x))); }},
        {"log_sigmoid", [](const Tensor& x) { return ops::negative(ops::softplus(ops::negative(x))); }},
        {"exponential", [](const Tensor& x) { return ops::exp(x); }},
        {"softmax", [](const Tensor& x) { return ops::softmax(x, -1); }},
        {"log_softmax", [](const Tensor& x) { return ops::log_softmax(x, -1); }},
    };
    for (const auto& [name, fn] : builtins) reg.add(name, fn, /*builtin=*/true);
    return reg;
  }();
  return r;
}

}  // namespace

Activation get(const std::string& name) {
  if (name.empty()) return Activation();
  const auto dot = name.rfind('.');  // "keras.activations.relu"
  const std::string key = dot == std::string::npos ? name : name.substr(dot + 1);
  Fn fn = activations().at(key);
  Activation a(key, std::move(fn));
  a.builtin_ = activations().is_builtin(key);
  return a;
}

Activation deserialize(const nlohmann::json& j) {
  if (j.is_null()) return Activation();
  if (j.is_string()) return get(j.get<std::string>());
  if (j.is_object()) {
    if (j.contains("config") && j["config"].is_string()) return get(j["config"].get<std::string>());
    if (j.contains("registered_name") && j["registered_name"].is_string())
      return get(j["registered_name"].get<std::string>());
    if (j.contains("class_name") && j["class_name"].is_string()) return get(j["class_name"].get<std::string>());
  }
  throw ValueError("Cannot read activation " + j.dump() + ": expected a name or {\"class_name\": ..., \"config\": ...}");
}

nlohmann::json serialize(const Activation& a) { return a.name; }

void register_activation(const std::string& name, Fn fn, bool replace) {
  KERAS_CHECK(static_cast<bool>(fn), ValueError, "register_activation: '", name, "' needs a callable");
  activations().add_user(name, name, std::move(fn), replace);
}

std::vector<std::string> registered_activations() { return activations().names(); }

Activation::Activation(const char* n) : Activation(get(n ? std::string(n) : std::string())) {}
Activation::Activation(const std::string& n) : Activation(get(n)) {}

}  // namespace keras::activations
