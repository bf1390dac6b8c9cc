// Helpers for Keras's JSON configs (see config_utils.hpp).
#include "saving/config_utils.hpp"

#include <map>
#include <set>

#include "keras/models.hpp"
#include "keras/layers/registry.hpp"
#include "keras/registry.hpp"

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

std::string name_from_config(const json& config) {
  if (config.contains("name") && config["name"].is_string()) return config["name"].get<std::string>();
  return "";
}

void apply_common(layers::Layer& layer, const json& config) {
  if (config.contains("trainable") && config["trainable"].is_boolean()) layer.set_trainable(config["trainable"].get<bool>());
}

activations::Activation activation_from_config(const json& j, const std::string& layer) {
  try {
    return activations::deserialize(j);
  } catch (const ValueError& e) {
    throw ValueError("Layer \"" + layer + "\": cannot read activation: " + e.what());
  }
}

initializers::InitializerArg initializer_from_config(const json& j, const std::string& layer, const std::string& arg) {
  try {
    return initializers::InitializerArg(initializers::deserialize(j));
  } catch (const ValueError& e) {
    throw ValueError("Layer \"" + layer + "\": cannot read " + arg + ": " + e.what());
  }
}

namespace {
// A value that leaves the layer as the project implements it.
bool is_default(const std::string& arg, const json& v) {
  if (v.is_null()) return true;
  if (arg == "lora_rank") return v == 0;
  return false;
}

// The regularizer and constraint arguments a built-in layer class reads.
bool reads_penalty(const std::string& class_name, const std::string& key) {
  static const std::map<std::string, std::set<std::string>> args = [] {
    const std::set<std::string> kernel{"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                       "kernel_constraint", "bias_constraint"};
    const std::set<std::string> norm{"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"};
    return std::map<std::string, std::set<std::string>>{
        {"Dense", kernel},
        {"Conv1D", kernel},
        {"Conv2D", kernel},
        {"Conv2DTranspose", kernel},
        {"DepthwiseConv2D",
         {"depthwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint",
          "bias_constraint"}},
        {"SeparableConv2D",
         {"depthwise_regularizer", "pointwise_regularizer", "bias_regularizer", "activity_regularizer",
          "depthwise_constraint", "pointwise_constraint", "bias_constraint"}},
        {"BatchNormalization", norm},
        {"LayerNormalization", norm}};
  }();
  auto it = args.find(class_name);
  return it != args.end() && it->second.count(key) > 0;
}

bool unsupported(const std::string& class_name, const std::string& key) {
  auto ends_with = [&](const char* suffix) {
    std::string s(suffix);
    return key.size() >= s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with("_regularizer") || ends_with("_constraint")) return !reads_penalty(class_name, key);
  return key == "noise_shape" || key == "lora_rank" || key == "quantization_config" || key == "ignore_class";
}

bool keeps_any_dtype(const std::string& class_name) {
  return class_name == "InputLayer" || class_name == "Sequential" || class_name == "Functional" ||
         class_name == "Model" ||
         class_name == "Hashing" || class_name == "Discretization";  // their dtype: the integer output's
}
}  // namespace

void throw_unsupported(const json& config, const std::string& class_name, const std::string& arg) {
  const std::string v = config.contains(arg) ? config[arg].dump() : "null";
  throw ValueError("Layer \"" + name_from_config(config) + "\" (" + class_name + "): " + arg +
                   " is not supported; received " + (v.size() > 200 ? v.substr(0, 200) + "..." : v));
}

void check_supported_args(const json& config, const std::string& class_name) {
  if (!config.is_object()) return;
  for (const auto& [key, v] : config.items())
    if (unsupported(class_name, key) && !is_default(key, v)) throw_unsupported(config, class_name, key);
  if (!keeps_any_dtype(class_name) && dtype_from_config(config, name_from_config(config)) != float32)
    throw_unsupported(config, class_name, "dtype");
}

initializers::InitializerArg read_init(const json& c, const char* key, const char* fallback) {
  if (!c.contains(key) || c.at(key).is_null()) return fallback;
  return initializer_from_config(c.at(key), name_from_config(c), key);
}

regularizers::RegularizerArg read_regularizer(const json& c, const char* key) {
  if (!c.contains(key) || c.at(key).is_null()) return {};
  try {
    return regularizers::deserialize(c.at(key));
  } catch (const ValueError& e) {
    throw ValueError("Layer \"" + name_from_config(c) + "\": cannot read " + key + ": " + e.what());
  }
}

constraints::ConstraintArg read_constraint(const json& c, const char* key) {
  if (!c.contains(key) || c.at(key).is_null()) return {};
  try {
    return constraints::deserialize(c.at(key));
  } catch (const ValueError& e) {
    throw ValueError("Layer \"" + name_from_config(c) + "\": cannot read " + key + ": " + e.what());
  }
}

activations::Activation read_activation(const json& c) {
  return activation_from_config(c.value("activation", json(nullptr)), name_from_config(c));
}

json serialize_layer(const layers::Layer& layer) {
  std::string cls = layer.class_name();
  json j = registry::serialized("keras.layers", cls, layer.get_config());
  // A user's class: Keras finds it by registered name (custom_objects), not by module.
  if (!layers::is_builtin(cls)) {
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
  // Keras builds a nested functional model from its config, not from a
  // shape (its build would reject one): it writes input_shape null.
  if (cls == "Functional" && j.contains("build_config")) j["build_config"] = {{"input_shape", nullptr}};
  return j;
}

}  // namespace keras::saving
