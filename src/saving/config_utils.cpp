// Helpers for Keras's JSON configs (see config_utils.hpp).
#include "saving/config_utils.hpp"

#include <set>

#include "keras/models.hpp"

namespace keras::saving {

Shape shape_from_json(const json& j, const std::string& what) {
  KERAS_CHECK(j.is_array(), ValueError, what, ": expected a shape list such as [null, 8], received ", j.dump());
  Shape s;
  for (auto& d : j) {
    if (d.is_null()) {
      s.push_back(-1);
    } else {
      KERAS_CHECK(d.is_number_integer() && d.get<std::int64_t>() >= -1, ValueError, what,
                  ": shape entries must be null or non-negative integers, received ", j.dump());
      s.push_back(d.get<std::int64_t>());
    }
  }
  return s;
}

json shape_to_json(const Shape& s) {
  json j = json::array();
  for (auto d : s) d < 0 ? j.push_back(nullptr) : j.push_back(d);
  return j;
}

DType dtype_from_config(const json& config, const std::string& layer) {
  if (!config.contains("dtype") || config["dtype"].is_null()) return float32;
  const json& d = config["dtype"];
  std::string name;
  if (d.is_string()) {
    name = d.get<std::string>();
  } else if (d.is_object() && d.contains("config") && d["config"].is_object() && d["config"].contains("name")) {
    name = d["config"]["name"].get<std::string>();  // DTypePolicy / FloatDTypePolicy
  } else {
    throw ValueError("Layer \"" + layer + "\": cannot read dtype " + d.dump());
  }
  // Mixed policies compute in half precision but keep float32 variables.
  if (name == "mixed_float16" || name == "mixed_bfloat16") name = "float32";
  try {
    return dtype_from_name(name);
  } catch (const ValueError&) {
    throw ValueError("Layer \"" + layer + "\": unsupported dtype '" + name +
                     "' (supported: float32, int32, int64, uint8, bool)");
  }
}

void require_float32(const json& config, const std::string& layer) {
  DType t = dtype_from_config(config, layer);
  KERAS_CHECK(t == float32, ValueError, "Layer \"", layer, "\": only float32 layers are supported, received dtype ",
              dtype_name(t));
}

std::string name_from_config(const json& config) {
  if (config.contains("name") && config["name"].is_string()) return config["name"].get<std::string>();
  return "";
}

void apply_common(layers::Layer& layer, const json& config) {
  if (config.contains("trainable") && config["trainable"].is_boolean()) layer.set_trainable(config["trainable"].get<bool>());
}

activations::Activation activation_from_config(const json& j, const std::string& layer) {
  if (j.is_null()) return activations::Activation();
  if (j.is_string()) return activations::Activation(j.get<std::string>());
  if (j.is_object()) {
    // Keras 3 serializes a function as {"class_name": "function", "config": "relu", ...}.
    if (j.contains("config") && j["config"].is_string()) return activations::Activation(j["config"].get<std::string>());
    if (j.contains("registered_name") && j["registered_name"].is_string())
      return activations::Activation(j["registered_name"].get<std::string>());
    if (j.contains("class_name") && j["class_name"].is_string())
      return activations::Activation(j["class_name"].get<std::string>());
  }
  throw ValueError("Layer \"" + layer + "\": cannot read activation " + j.dump());
}

initializers::InitializerArg initializer_from_config(const json& j, const std::string& layer, const std::string& arg) {
  try {
    return initializers::InitializerArg(initializers::deserialize(j));
  } catch (const ValueError& e) {
    throw ValueError("Layer \"" + layer + "\": cannot read " + arg + ": " + e.what());
  }
}

void require_null(const json& config, const std::string& arg, const std::string& layer) {
  KERAS_CHECK(!config.contains(arg) || config[arg].is_null(), ValueError, "Layer \"", layer, "\": ", arg,
              " is not supported yet; received ", config.contains(arg) ? config[arg].dump() : "");
}

namespace {
// The keras.layers classes this library implements. Other classes are a
// user's: Keras finds them by registered name (custom_objects), not module.
bool keras_layer_class(const std::string& cls) {
  static const std::set<std::string> names = {
      "Activation", "Add", "Average", "AveragePooling1D", "AveragePooling2D", "BatchNormalization", "Concatenate",
      "Conv1D", "Conv2D", "Conv2DTranspose", "Cropping2D", "Dense", "DepthwiseConv2D", "Dot", "Dropout", "Flatten",
      "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "InputLayer",
      "LayerNormalization", "MaxPooling1D", "MaxPooling2D", "Maximum", "Minimum", "Multiply", "Reshape",
      "SeparableConv2D", "SpatialDropout2D", "Subtract", "UpSampling2D", "ZeroPadding2D"};
  return names.count(cls) > 0;
}
}  // namespace

json serialize_layer(const layers::Layer& layer) {
  std::string cls = layer.class_name();
  json j = {{"module", "keras.layers"}, {"class_name", cls}, {"config", layer.get_config()}, {"registered_name", nullptr}};
  if (!keras_layer_class(cls) && cls != "Sequential" && cls != "Functional") {
    j["module"] = nullptr;
    j["registered_name"] = cls;
  }
  if (cls == "Sequential") {
    j["module"] = "keras";
  } else if (cls == "Functional") {
    j["module"] = "keras.src.models.functional";
    j["registered_name"] = "Functional";
  }
  if (cls != "InputLayer" && layer.built() && !layer.build_input_shape().empty())
    j["build_config"] = {{"input_shape", shape_to_json(layer.build_input_shape())}};
  return j;
}

}  // namespace keras::saving
