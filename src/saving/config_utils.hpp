// Internal: reading and writing Keras's JSON configs, shared by the layer
// from_config factories, model configs and the file formats.
//
// Keras 3 and tf.keras 2 differ in small ways that these helpers absorb:
// "batch_shape" vs "batch_input_shape", dtype strings vs DTypePolicy
// objects, dict- vs list-form inbound nodes.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/activations.hpp"
#include "keras/initializers.hpp"
#include "keras/layers/layer.hpp"

namespace keras {
class Model;
}

namespace keras::saving {

using json = nlohmann::json;

// [null, 8] <-> {-1, 8}. Throws ValueError naming `what` on a non-list.
Shape shape_from_json(const json& j, const std::string& what);
json shape_to_json(const Shape& s);

// "float32" or {"class_name": "DTypePolicy", "config": {"name": "float32"}}
// (also "mixed_*" policies, which name their variable dtype). Missing: float32.
DType dtype_from_config(const json& config, const std::string& layer);

// config["name"] or "" (a fresh name is then generated).
std::string name_from_config(const json& config);
// Applies the options every layer config carries ("trainable").
void apply_common(layers::Layer& layer, const json& config);
// "relu", null (linear) or a serialized activation {"class_name": "relu"}.
activations::Activation activation_from_config(const json& j, const std::string& layer);
initializers::InitializerArg initializer_from_config(const json& j, const std::string& layer, const std::string& arg);
// The one rule for config arguments the project does not support
// (regularizers and constraints of layers that do not read them, noise shapes, LoRA, quantization, non-float32
// dtypes): a null or default value is accepted, anything else raises
// ValueError naming the layer, its class, the argument and the value; never
// silently dropped. layers::from_config applies it to every built-in class.
// Keys Keras writes that do not change behaviour (name, trainable, dtype
// policies, build_config) pass.
void check_supported_args(const json& config, const std::string& class_name);
// ValueError "Layer "<name>" (<class>): <arg> is not supported; received <value>".
[[noreturn]] void throw_unsupported(const json& config, const std::string& class_name, const std::string& arg);

// config[key] when present and not null, else `fallback`.
template <class T>
T value_or(const json& c, const char* key, T fallback) {
  return c.contains(key) && !c.at(key).is_null() ? c.at(key).get<T>() : fallback;
}
inline std::string name_of(const json& c) { return name_from_config(c); }
// config[key] as an initializer (a name or a serialized one), `fallback` when absent or null.
initializers::InitializerArg read_init(const json& c, const char* key, const char* fallback);
// config[key] as a regularizer / constraint (a name or a serialized one),
// none when absent or null; errors name the layer and the argument.
regularizers::RegularizerArg read_regularizer(const json& c, const char* key);
constraints::ConstraintArg read_constraint(const json& c, const char* key);
// config["activation"] (any form activation_from_config reads); linear when absent.
activations::Activation read_activation(const json& c);

// {"module", "class_name", "config", "registered_name", "build_config"}:
// one layer as Keras 3 serializes it.
json serialize_layer(const layers::Layer& layer);

// Model configs (model_config.cpp).
json functional_config(const Model& model);
// The layers in Keras's order: Sequential as added; functional by
// decreasing depth from the outputs, ties in traversal order (Keras's
// Functional.layers). Weights files are matched in this order.
std::vector<std::shared_ptr<layers::Layer>> keras_layer_order(const Model& model);
// {"module", "class_name", "config", "registered_name", "build_config"} of a
// whole model, as Model.to_json writes it.
json model_to_json(const Model& model);
// A Sequential or functional model from {"class_name", "config"} or from a
// bare model config. `source` names the file in error messages.
std::shared_ptr<Model> model_from_config(const json& j, const std::string& source = "");

}  // namespace keras::saving
