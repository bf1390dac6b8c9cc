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
// Layers other than InputLayer compute in float32 only (for now).
void require_float32(const json& config, const std::string& layer);

// config["name"] or "" (a fresh name is then generated).
std::string name_from_config(const json& config);
// Applies the options every layer config carries ("trainable").
void apply_common(layers::Layer& layer, const json& config);
// "relu", null (linear) or a serialized activation {"class_name": "relu"}.
activations::Activation activation_from_config(const json& j, const std::string& layer);
initializers::InitializerArg initializer_from_config(const json& j, const std::string& layer, const std::string& arg);
// Throws ValueError when config[arg] is set: regularizers and constraints
// are not supported yet, and silently dropping them would change training.
void require_null(const json& config, const std::string& arg, const std::string& layer);

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
