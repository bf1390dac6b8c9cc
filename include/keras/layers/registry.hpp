// Layer classes by Keras class name, for from_config / model_from_json /
// load_model. Each layer file registers its classes; user layers can too:
//
//   KERAS_REGISTER_LAYER(Scale, [](const nlohmann::json& config) {
//     return std::make_shared<Scale>(config.at("units").get<int>());
//   });
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "keras/layers/layer.hpp"

namespace keras::layers {

// Builds a layer from the "config" object of Keras's layer JSON.
using LayerFactory = std::function<std::shared_ptr<Layer>(const nlohmann::json& config)>;

// Registers a user layer class. A built-in class name raises ValueError; a
// user name already taken raises unless `replace` is set.
void register_layer(const std::string& class_name, LayerFactory factory, bool replace = false);
// The built-in classes register with this (KERAS_REGISTER_BUILTIN_LAYER).
void register_builtin_layer(const std::string& class_name, LayerFactory factory);
bool is_builtin(const std::string& class_name);
bool is_registered(const std::string& class_name);
std::vector<std::string> registered_layers();
// Throws ValueError naming the class (and the closest known ones) when
// unknown, or naming the class and the bad field when the config is invalid.
// Before the factory runs, every config passes saving's one rule for
// arguments the project does not support (see check_supported_args).
std::shared_ptr<Layer> from_config(const std::string& class_name, const nlohmann::json& config);

}  // namespace keras::layers

#define KERAS_REGISTER_LAYER_CAT2(a, b) a##b
#define KERAS_REGISTER_LAYER_CAT(a, b) KERAS_REGISTER_LAYER_CAT2(a, b)
#define KERAS_REGISTER_LAYER(Name, ...)                                                     \
  static const bool KERAS_REGISTER_LAYER_CAT(keras_layer_registered_, __LINE__) =          \
      (::keras::layers::register_layer(#Name, __VA_ARGS__), true)
#define KERAS_REGISTER_BUILTIN_LAYER(Name, ...)                                             \
  static const bool KERAS_REGISTER_LAYER_CAT(keras_layer_registered_, __LINE__) =          \
      (::keras::layers::register_builtin_layer(#Name, __VA_ARGS__), true)
