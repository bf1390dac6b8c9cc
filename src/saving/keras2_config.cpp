// tf.keras 2 <-> Keras 3 model entries (see keras2_config.hpp).
#include "saving/keras2_config.hpp"

#include <functional>
#include <set>

#include "keras/layers/registry.hpp"
#include "saving/preprocessing_keras2.hpp"

namespace keras::saving {
namespace {

bool is_model_class(const std::string& cls) { return cls == "Sequential" || cls == "Functional" || cls == "Model"; }

std::string class_name(const json& entry) {
  return entry.is_object() && entry.contains("class_name") && entry["class_name"].is_string()
             ? entry["class_name"].get<std::string>()
             : "";
}

// Applies `f(class_name, config)` to every layer entry, depth first: the
// entry itself, the layers of nested models and wrapped layers.
void for_each_layer(json& entry, const std::function<void(const std::string&, json&)>& f) {
  if (!entry.is_object() || !entry.contains("config") || !entry["config"].is_object()) return;
  json& c = entry["config"];
  if (c.contains("layers") && c["layers"].is_array())
    for (auto& l : c["layers"]) for_each_layer(l, f);
  for (const char* key : {"layer", "backward_layer"})
    if (c.contains(key) && c[key].is_object()) for_each_layer(c[key], f);
  f(class_name(entry), c);
}

// A functional model config's layer names whose first call node is their
// own (tf.keras 2's _should_skip_first_node: a nested model built on an Input).
std::set<std::string> models_owning_node0(const json& config) {
  std::set<std::string> out;
  if (!config.contains("layers") || !config["layers"].is_array()) return out;
  for (auto& l : config["layers"]) {
    if (!is_model_class(class_name(l)) || !l.contains("config")) continue;
    const json& lc = l["config"];
    if (lc.contains("layers") && lc["layers"].is_array() && !lc["layers"].empty() &&
        class_name(lc["layers"][0]) == "InputLayer")
      out.insert(l.contains("name") && l["name"].is_string() ? l["name"].get<std::string>()
                                                              : lc.value("name", std::string()));
  }
  return out;
}

// Shifts the node index of [layer, node, tensor, ...] references to the given layers.
void shift_ref(json& ref, const std::set<std::string>& owners, int delta) {
  if (ref.is_array() && ref.size() >= 3 && ref[0].is_string() && ref[1].is_number_integer() &&
      owners.count(ref[0].get<std::string>()))
    ref[1] = ref[1].get<int>() + delta;
}

void shift_endpoints(json& j, const std::set<std::string>& owners, int delta) {
  if (j.is_array() && !j.empty() && j[0].is_string()) return shift_ref(j, owners, delta);
  if (j.is_array() || j.is_object())
    for (auto& r : j) shift_ref(r, owners, delta);
}

// Keras 2 node indices of nested models, in one functional config (its own
// nested configs are visited by for_each_layer).
void renumber_nested_nodes(json& config, int delta, bool keras2_nodes_only) {
  if (!config.contains("input_layers")) return;
  auto owners = models_owning_node0(config);
  if (owners.empty()) return;
  for (auto& l : config["layers"]) {
    if (!l.contains("inbound_nodes")) continue;
    for (auto& node : l["inbound_nodes"]) {
      if (node.is_array() && keras2_nodes_only)
        for (auto& ref : node) shift_ref(ref, owners, delta);
    }
  }
  for (const char* key : {"input_layers", "output_layers"})
    if (config.contains(key)) shift_endpoints(config[key], owners, delta);
}

void rename_activation(json& c, const std::string& from, const std::string& to) {
  if (!c.contains("activation")) return;
  json& a = c["activation"];
  if (a.is_string() && a.get<std::string>() == from) a = to;
  else if (a.is_object() && class_name(a) == from) a["class_name"] = to;
}

std::string layer_name(const json& c) { return c.value("name", std::string("?")); }

void refuse_keras2_only(const std::string& cls, const json& c) {
  if (cls != "BatchNormalization") return;
  auto set = [&](const char* k) { return c.contains(k) && !c[k].is_null() && c[k] != json(false); };
  for (const char* k : {"renorm", "virtual_batch_size", "adjustment"})
    if (set(k))
      throw ValueError("Layer \"" + layer_name(c) + "\" (BatchNormalization): the tf.keras 2 argument " + k +
                       " is not supported; received " + c[k].dump());
}

// tf.keras 2 passes a call's second and later tensors by keyword: the
// names, per class, of Keras 3's positional arguments after the first.
const std::vector<std::string>& keyword_positionals(const std::string& cls) {
  static const std::vector<std::string> mha{"value", "key"}, none;
  return cls == "MultiHeadAttention" ? mha : none;
}

// Keras 3's {"class_name": "__keras_tensor__", ...} arguments (nested in
// lists too) as tf.keras 2's [layer, node, tensor] triples.
json tensors_to_keras2(const json& a) {
  if (a.is_array()) {
    json r = json::array();
    for (auto& x : a) r.push_back(tensors_to_keras2(x));
    return r;
  }
  if (a.is_object() && a.value("class_name", "") == "__keras_tensor__") {
    const json& h = a["config"]["keras_history"];
    return json::array({h[0], h[1], h[2]});
  }
  return a;
}

// A Keras 3 {"args": [...], "kwargs": {...}} node as
// [[layer, node, tensor, kwargs], ...]: the first argument's tensors, with the
// call's keyword arguments on the first of them.
json node_to_keras2(const json& node, const std::string& cls) {
  json refs = json::array();
  std::function<void(const json&)> collect = [&](const json& a) {
    if (a.is_array()) {
      for (auto& x : a) collect(x);
    } else if (a.is_object() && a.value("class_name", "") == "__keras_tensor__") {
      const json& h = a["config"]["keras_history"];
      refs.push_back({h[0], h[1], h[2], json::object()});
    }
  };
  if (!node.is_object() || !node.contains("args") || node["args"].empty()) return refs;
  collect(node["args"][0]);
  json kwargs = json::object();
  const auto& names = keyword_positionals(cls);
  for (std::size_t i = 1; i < node["args"].size() && i - 1 < names.size(); ++i)
    kwargs[names[i - 1]] = tensors_to_keras2(node["args"][i]);
  if (node.contains("kwargs") && node["kwargs"].is_object())
    for (auto& [k, v] : node["kwargs"].items()) kwargs[k] = tensors_to_keras2(v);
  if (!refs.empty()) refs[0][3] = kwargs;
  return refs;
}

// tf.keras 2's MultiHeadAttention rebuilds from query_shape / value_shape /
// key_shape in its config; Keras 3 keeps them in build_config.
void shapes_to_keras2_config(json& l) {
  if (l.value("class_name", "") != "MultiHeadAttention" || !l.contains("config")) return;
  if (!l.contains("build_config")) l["build_config"] = json::object();
  const json& b = l["build_config"];
  if (!b.is_object() || !b.contains("shapes_dict"))
    throw ValueError("Layer \"" + l.value("name", std::string("?")) +
                     "\" (MultiHeadAttention) has no recorded query/value shapes, and tf.keras 2's form of the layer "
                     "needs them: the tf.keras 2 format does not have an equivalent without them; save it in the "
                     "Keras 3 format");
  const json& d = b["shapes_dict"];
  for (const char* k : {"query_shape", "value_shape", "key_shape"})
    l["config"][k] = d.contains(k) ? d[k] : json(nullptr);
}

// Keras 3's initializer class names tf.keras 2 knows under another name.
void initializers_to_keras2(json& j) {
  if (j.is_array()) {
    for (auto& x : j) initializers_to_keras2(x);
  } else if (j.is_object()) {
    if (j.contains("class_name") && j["class_name"] == "OrthogonalInitializer") j["class_name"] = "Orthogonal";
    for (auto& [k, v] : j.items()) initializers_to_keras2(v);
  }
}

void layer_to_keras2(const std::string& cls, json& c) {
  if (c.contains("dtype") && c["dtype"].is_object()) {
    const json& d = c["dtype"];
    c["dtype"] = d.contains("config") && d["config"].contains("name") ? d["config"]["name"] : json("float32");
  }
  if (cls == "InputLayer") {
    if (c.contains("batch_shape")) c["batch_input_shape"] = c["batch_shape"];
    c.erase("batch_shape");
    c.erase("optional");
    if (!c.contains("sparse")) c["sparse"] = false;
    if (!c.contains("ragged")) c["ragged"] = false;
  }
  for (const char* k : {"synchronized", "rms_scaling", "lora_rank", "lora_alpha", "quantization_config"}) c.erase(k);
  preprocessing_to_keras2(cls, c);
  // Keras 3's recurrent layers take a dropout seed; tf.keras 2's do not.
  static const std::set<std::string> recurrent{"SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell"};
  if (recurrent.count(cls)) c.erase("seed");
  if (c.contains("activation") && c["activation"].is_string()) {
    std::string a = c["activation"];
    if (a == "hard_sigmoid_keras2") {
      c["activation"] = "hard_sigmoid";
    } else if (a == "hard_sigmoid" || a == "hard_silu" || a == "hard_swish" || a == "log_sigmoid") {
      throw ValueError("Layer \"" + layer_name(c) + "\" (" + cls + "): the activation '" + a +
                       "' (Keras 3's meaning) has no tf.keras 2 equivalent, so it cannot be saved in the tf.keras 2 "
                       "format; save it in the Keras 3 format");
    }
  }
  if (is_model_class(cls) && c.contains("layers") && c.contains("input_layers")) {
    for (auto& l : c["layers"]) {
      l.erase("module");
      l.erase("registered_name");
      shapes_to_keras2_config(l);
      l.erase("build_config");
      if (l.contains("inbound_nodes")) {
        json nodes = json::array();
        for (auto& n : l["inbound_nodes"]) nodes.push_back(node_to_keras2(n, l.value("class_name", "")));
        l["inbound_nodes"] = nodes;
      }
    }
    renumber_nested_nodes(c, +1, true);
  } else if (is_model_class(cls) && c.contains("layers")) {
    for (auto& l : c["layers"]) {
      l.erase("module");
      l.erase("registered_name");
      shapes_to_keras2_config(l);
      l.erase("build_config");
    }
  }
}

}  // namespace

bool is_keras2_version(const std::string& version) { return version.rfind("2.", 0) == 0; }

bool looks_like_keras2(const json& entry) {
  bool found = false;
  json copy = entry;
  for_each_layer(copy, [&](const std::string& cls, json& c) {
    if (!is_model_class(cls) || !c.contains("layers") || !c["layers"].is_array()) return;
    for (auto& l : c["layers"]) {
      if (l.contains("inbound_nodes") && l["inbound_nodes"].is_array() && !l["inbound_nodes"].empty() &&
          l["inbound_nodes"][0].is_array())
        found = true;
      if (class_name(l) == "InputLayer" && l.contains("config") && l["config"].contains("batch_input_shape"))
        found = true;
    }
  });
  return found;
}

json keras2_to_keras3(json entry) {
  for_each_layer(entry, [](const std::string& cls, json& c) {
    refuse_keras2_only(cls, c);
    // tf.keras 2 fuses BatchNormalization unless told not to (keras2_fused).
    if (cls == "BatchNormalization") c["_keras2_fused"] = !c.contains("fused") || c["fused"] != json(false);
    rename_activation(c, "hard_sigmoid", "hard_sigmoid_keras2");
    preprocessing_to_keras3(cls, c);
    if (is_model_class(cls)) renumber_nested_nodes(c, -1, true);
  });
  return entry;
}

json keras3_to_keras2(json entry) {
  for_each_layer(entry, [](const std::string& cls, json& c) { layer_to_keras2(cls, c); });
  initializers_to_keras2(entry);
  entry.erase("module");
  entry.erase("registered_name");
  entry.erase("build_config");
  return entry;
}

json training_to_keras2(json training) {
  if (training.is_object() && training.contains("optimizer_config")) {
    json& oc = training["optimizer_config"];
    if (oc.contains("config") && oc["config"].is_object()) {
      json& c = oc["config"];
      for (const char* k : {"loss_scale_factor", "gradient_accumulation_steps"}) c.erase(k);
      if (!c.contains("jit_compile")) c["jit_compile"] = false;
      c["is_legacy_optimizer"] = false;
    }
    oc.erase("module");
    oc.erase("registered_name");
    // tf.keras 2.11+ registers its optimizers as "Custom>Adam", ... (AdamW only so).
    if (oc.contains("class_name") && oc["class_name"].is_string()) {
      std::string cls = oc["class_name"];
      if (cls.rfind("Custom>", 0) != 0) oc["class_name"] = "Custom>" + cls;
    }
  }
  for (const char* k : {"run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"}) training.erase(k);
  return training;
}

void check_keras3_representable(const json& entry) {
  json copy = entry;
  for_each_layer(copy, [](const std::string& cls, json& c) {
    if (c.contains("activation") && c["activation"] == json("hard_sigmoid_keras2"))
      throw ValueError("Layer \"" + layer_name(c) + "\" (" + cls +
                       "): its activation is tf.keras 2's hard_sigmoid (clip(0.2 x + 0.5, 0, 1)), which Keras 3 "
                       "does not have, so it cannot be saved in a Keras 3 format; save with "
                       "SaveFormat::tf_keras2 (a .h5 file)");
  });
}

void check_layer_classes(const json& entry) {
  std::set<std::string> missing;
  json copy = entry;
  for_each_layer(copy, [&](const std::string& cls, json&) {
    if (!cls.empty() && !is_model_class(cls) && !layers::is_registered(cls)) missing.insert(cls);
  });
  if (missing.empty()) return;
  std::string list;
  for (auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  throw ValueError("The model uses " + std::to_string(missing.size()) + " layer class" +
                   (missing.size() == 1 ? "" : "es") + " this build of keras.cpp does not have: " + list +
                   " (register custom classes with keras::layers::register_layer)");
}

}  // namespace keras::saving
