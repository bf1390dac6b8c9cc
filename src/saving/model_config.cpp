// Model configs in Keras's JSON shape: functional get_config, Keras's layer
// order, and rebuilding Sequential / functional models from a config
// written by Keras 3, tf.keras 2 or this library.
#include <algorithm>
#include <map>
#include <set>

#include "keras/layers/recurrent.hpp"
#include "keras/layers/registry.hpp"
#include "keras/models.hpp"
#include "saving/config_bounds.hpp"
#include "saving/config_utils.hpp"
#include "saving/keras2_config.hpp"

namespace keras::saving {
namespace {

bool is_input_node(const GraphNode& n) {
  return n.inputs.empty() && dynamic_cast<const layers::InputLayer*>(n.layer.get()) != nullptr;
}

// The model's own call nodes (reachable from the outputs, stopping at the
// inputs) grouped by layer, each layer's sorted by call order. A layer
// shared with another model has nodes there too; Keras renumbers the ones
// in this model from 0, and so do we.
std::map<const layers::Layer*, std::vector<const GraphNode*>> model_nodes(const Model& model) {
  std::map<const layers::Layer*, std::vector<const GraphNode*>> by_layer;
  std::set<const GraphNode*> seen;
  std::vector<const GraphNode*> stack;
  for (auto& o : model.outputs()) stack.push_back(o.node().get());
  for (auto& i : model.inputs()) stack.push_back(i.node().get());
  while (!stack.empty()) {
    const GraphNode* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    by_layer[n->layer.get()].push_back(n);
    for (auto& t : n->inputs) stack.push_back(t.node().get());
  }
  for (auto& [l, nodes] : by_layer)
    std::sort(nodes.begin(), nodes.end(), [](auto* a, auto* b) { return a->node_index < b->node_index; });
  return by_layer;
}

int local_index(const std::map<const layers::Layer*, std::vector<const GraphNode*>>& nodes, const GraphNode* n) {
  auto& v = nodes.at(n->layer.get());
  return static_cast<int>(std::find(v.begin(), v.end(), n) - v.begin());
}

json tensor_json(const KerasTensor& t, const std::map<const layers::Layer*, std::vector<const GraphNode*>>& nodes) {
  return {{"class_name", "__keras_tensor__"},
          {"config",
           {{"shape", shape_to_json(t.shape())},
            {"dtype", dtype_name(t.dtype())},
            {"keras_history", {t.source()->name(), local_index(nodes, t.node().get()), t.tensor_index()}}}}};
}

// --- reading ---

struct Ref {
  std::string layer;
  int node = 0, tensor = 0;
};

Ref ref_from(const json& j, const std::string& where) {
  KERAS_CHECK(j.is_array() && j.size() >= 3 && j[0].is_string() && j[1].is_number_integer() && j[2].is_number_integer(),
              ValueError, where, ": expected [layer_name, node_index, tensor_index], received ", j.dump());
  return {j[0].get<std::string>(), j[1].get<int>(), j[2].get<int>()};
}

// Collects the keras tensors of one Keras 3 call argument (a tensor or a
// nested list of tensors).
void collect_tensors(const json& arg, std::vector<Ref>& out, const std::string& where) {
  if (arg.is_array()) {
    for (auto& a : arg) collect_tensors(a, out, where);
  } else if (arg.is_object() && arg.value("class_name", "") == "__keras_tensor__") {
    KERAS_CHECK(arg.contains("config") && arg["config"].contains("keras_history"), ValueError, where,
                ": a __keras_tensor__ without keras_history: ", arg.dump());
    out.push_back(ref_from(arg["config"]["keras_history"], where));
  }
}

struct NodeSpec {
  std::vector<Ref> inputs;
  bool list_call = false;  // the layer was called on a list (merge layers)
  json kwargs = json::object();  // the call's keyword arguments (Keras 3)
  int num_positional = 0;        // inputs from "args"; the rest came from kwargs
};

// Positional tensors of every argument, then the tensor keyword arguments
// the layer names for these kwargs (layers::Layer::tensor_kwargs).
void read_call_args(const json& node, layers::Layer* layer, NodeSpec& spec, const std::string& where) {
  const json& args = node["args"];
  spec.list_call = args[0].is_array();
  for (auto& a : args) collect_tensors(a, spec.inputs, where);
  spec.num_positional = static_cast<int>(spec.inputs.size());
  if (node.contains("kwargs") && node["kwargs"].is_object()) spec.kwargs = node["kwargs"];
  if (!layer) return;
  layer->set_call_kwargs(spec.kwargs, spec.num_positional);
  for (const auto& k : layer->tensor_kwargs()) {
    KERAS_CHECK(spec.kwargs.contains(k), ValueError, where, ": the call has no keyword argument \"", k, "\"");
    collect_tensors(spec.kwargs[k], spec.inputs, where);
  }
}

// tf.keras 2 keeps a call's keyword arguments in each reference's fourth
// entry, tensors as [name, node, tensor]: read as Keras 3's kwargs.
void read_tf2_kwargs(const json& node, layers::Layer* layer, NodeSpec& spec, const std::string& where) {
  json kwargs = json::object();
  for (auto& r : node)
    if (r.size() >= 4 && r[3].is_object())
      for (auto& [k, v] : r[3].items()) {
        bool ref = v.is_array() && v.size() >= 3 && v[0].is_string() && v[1].is_number_integer();
        kwargs[k] = ref ? json{{"class_name", "__keras_tensor__"}, {"config", {{"keras_history", v}}}} : v;
      }
  if (kwargs.empty()) return;
  spec.kwargs = kwargs;
  spec.num_positional = static_cast<int>(spec.inputs.size());
  if (!layer) return;
  layer->set_call_kwargs(spec.kwargs, spec.num_positional);
  for (const auto& k : layer->tensor_kwargs()) {
    KERAS_CHECK(spec.kwargs.contains(k), ValueError, where, ": the call has no keyword argument \"", k, "\"");
    collect_tensors(spec.kwargs[k], spec.inputs, where);
  }
}

std::vector<NodeSpec> parse_inbound_nodes(const json& layer_json, const std::string& name,
                                          layers::Layer* layer = nullptr) {
  std::vector<NodeSpec> nodes;
  if (!layer_json.contains("inbound_nodes")) return nodes;
  const json& in = layer_json["inbound_nodes"];
  std::string where = "Layer \"" + name + "\" inbound_nodes";
  KERAS_CHECK(in.is_array(), ValueError, where, ": expected a list, received ", in.dump());
  for (auto& node : in) {
    NodeSpec spec;
    if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
      KERAS_CHECK(node.contains("args") && node["args"].is_array() && !node["args"].empty(), ValueError, where,
                  ": expected {\"args\": [...]}, received ", node.dump());
      // Recurrent layers: initial states are extra inputs after the sequence.
      if (node.contains("kwargs") && node["kwargs"].is_object() && node["kwargs"].contains("initial_state")) {
        const json& first = node["args"][0];
        spec.list_call = first.is_array();
        collect_tensors(first, spec.inputs, where);
        collect_tensors(node["kwargs"]["initial_state"], spec.inputs, where);
        spec.list_call = spec.inputs.size() > 1;
        spec.num_positional = static_cast<int>(spec.inputs.size());
      } else {
        read_call_args(node, layer, spec, where);
      }
    } else if (node.is_array()) {  // tf.keras 2: [[name, node, tensor, kwargs], ...]
      for (auto& r : node) spec.inputs.push_back(ref_from(r, where));
      spec.list_call = spec.inputs.size() > 1;
      spec.num_positional = static_cast<int>(spec.inputs.size());
      read_tf2_kwargs(node, layer, spec, where);
    } else {
      throw ValueError(where + ": cannot read node " + node.dump());
    }
    KERAS_CHECK(!spec.inputs.empty(), ValueError, where, ": a node without input tensors: ", node.dump());
    nodes.push_back(std::move(spec));
  }
  return nodes;
}

// input_layers / output_layers: [[name, 0, 0], ...], a single [name, 0, 0]
// (tf.keras 2 with one tensor) or {key: [name, 0, 0]} (Keras 3 dicts).
std::vector<Ref> parse_endpoints(const json& j, const std::string& what) {
  std::vector<Ref> refs;
  if (j.is_array() && !j.empty() && j[0].is_string()) {
    refs.push_back(ref_from(j, what));
  } else if (j.is_array()) {
    for (auto& r : j) refs.push_back(ref_from(r, what));
  } else if (j.is_object()) {
    for (auto& [k, r] : j.items()) refs.push_back(ref_from(r, what));
  } else {
    throw ValueError(what + ": expected a list of [layer_name, node_index, tensor_index], received " + j.dump());
  }
  return refs;
}

std::string class_of(const json& layer_json) {
  KERAS_CHECK(layer_json.is_object() && layer_json.contains("class_name") && layer_json["class_name"].is_string(),
              ValueError, "A layer entry needs a \"class_name\"; received ", layer_json.dump().substr(0, 200));
  return layer_json["class_name"].get<std::string>();
}

const json& config_of(const json& layer_json) {
  static const json empty = json::object();
  return layer_json.contains("config") && layer_json["config"].is_object() ? layer_json["config"] : empty;
}

KerasTensor input_from_config(const json& config) {
  std::string name = name_from_config(config);
  check_config_integers(config, "InputLayer");
  Shape batch;
  if (config.contains("batch_shape")) batch = shape_from_json(config["batch_shape"], "InputLayer \"" + name + "\" batch_shape");
  else if (config.contains("batch_input_shape"))
    batch = shape_from_json(config["batch_input_shape"], "InputLayer \"" + name + "\" batch_input_shape");
  else if (config.contains("shape")) {
    batch = shape_from_json(config["shape"], "InputLayer \"" + name + "\" shape");
    batch.insert(batch.begin(), -1);
  }
  KERAS_CHECK(!batch.empty(), ValueError, "InputLayer \"", name, "\": expected batch_shape or batch_input_shape, received ",
              config.dump());
  return Input(Shape(batch.begin() + 1, batch.end()), name, dtype_from_config(config, name));
}

}  // namespace

std::shared_ptr<Model> sequential_from_config(const json& config) {
  auto model = std::make_shared<Sequential>(name_from_config(config));
  KERAS_CHECK(config.contains("layers") && config["layers"].is_array(), ValueError, "Sequential \"", model->name(),
              "\": the config has no \"layers\" list");
  bool have_input = false;
  for (auto& lj : config["layers"]) {
    std::string cls = class_of(lj);
    const json& c = config_of(lj);
    if (cls == "InputLayer") {
      model->add(input_from_config(c));
      have_input = true;
      continue;
    }
    // tf.keras 2 without an InputLayer: the first layer carries the shape.
    if (!have_input && c.contains("batch_input_shape")) {
      Shape b = shape_from_json(c["batch_input_shape"], "Layer batch_input_shape");
      model->add(Input(Shape(b.begin() + 1, b.end()), "", dtype_from_config(c, name_from_config(c))));
      have_input = true;
    }
    model->add(layers::from_config(cls, c));
  }
  if (!have_input && config.contains("build_input_shape") && config["build_input_shape"].is_array())
    model->ensure_built(shape_from_json(config["build_input_shape"], "Sequential build_input_shape"));
  apply_common(*model, config);
  return model;
}

// Calls each layer's nodes in order once their inputs exist; shared
// layers may need several passes (Keras defers such nodes the same way).
namespace {
template <class Entries, class Lookup>
void call_nodes(Entries& entries, Lookup& lookup) {
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto& e : entries) {
      while (e.layer && e.outputs.size() < e.nodes.size()) {
        const NodeSpec& spec = e.nodes[e.outputs.size()];
        std::vector<KerasTensor> args;
        for (auto& r : spec.inputs) {
          const KerasTensor* t = lookup(r, e.name);
          if (!t) break;
          args.push_back(*t);
        }
        if (args.size() < spec.inputs.size()) break;
        e.layer->set_call_kwargs(spec.kwargs, spec.num_positional);
        auto outs = e.layer->call_all(args);
        outs[0].node()->list_call = spec.list_call;
        if (spec.kwargs.contains("training") && spec.kwargs["training"].is_boolean())
          outs[0].node()->training = spec.kwargs["training"].get<bool>() ? 1 : 0;
        e.outputs.push_back(std::move(outs));
        progress = true;
      }
    }
  }
}

}  // namespace

std::shared_ptr<Model> functional_from_config(const json& config) {
  std::string model_name = name_from_config(config);
  KERAS_CHECK(config.contains("layers") && config["layers"].is_array(), ValueError, "Model \"", model_name,
              "\": the config has no \"layers\" list");
  struct Entry {
    std::string name;
    std::shared_ptr<layers::Layer> layer;  // null for inputs
    std::vector<NodeSpec> nodes;
    std::vector<std::vector<KerasTensor>> outputs;  // per processed node, every output
  };
  std::vector<Entry> entries;
  std::map<std::string, std::size_t> index;
  for (auto& lj : config["layers"]) {
    std::string cls = class_of(lj);
    const json& c = config_of(lj);
    Entry e;
    e.name = lj.contains("name") && lj["name"].is_string() ? lj["name"].get<std::string>() : name_from_config(c);
    KERAS_CHECK(!index.count(e.name), ValueError, "Model \"", model_name, "\": the layer name \"", e.name,
                "\" appears twice in the config");
    if (cls == "InputLayer") {
      e.outputs.push_back({input_from_config(c)});
    } else {
      e.layer = layers::from_config(cls, c);
      e.nodes = parse_inbound_nodes(lj, e.name, e.layer.get());
    }
    index[e.name] = entries.size();
    entries.push_back(std::move(e));
  }
  auto lookup = [&](const Ref& r, const std::string& user) -> const KerasTensor* {
    auto it = index.find(r.layer);
    KERAS_CHECK(it != index.end(), ValueError, "Model \"", model_name, "\": layer \"", user, "\" refers to layer \"",
                r.layer, "\", which is not in the config");
    auto& outs = entries[it->second].outputs;
    if (r.node < 0 || r.node >= static_cast<int>(outs.size())) return nullptr;
    KERAS_CHECK(r.tensor >= 0 && r.tensor < static_cast<int>(outs[r.node].size()), ValueError, "Model \"",
                model_name, "\": layer \"", r.layer, "\" has ", outs[r.node].size(),
                " outputs per call, but tensor_index ", r.tensor, " is requested by \"", user, "\"");
    return &outs[r.node][r.tensor];
  };
  call_nodes(entries, lookup);
  for (auto& e : entries)
    if (e.layer && e.outputs.size() < e.nodes.size()) {
      const NodeSpec& spec = e.nodes[e.outputs.size()];
      std::string missing;
      for (auto& r : spec.inputs)
        if (!lookup(r, e.name)) missing = r.layer + " (node " + std::to_string(r.node) + ")";
      throw ValueError("Model \"" + model_name + "\": cannot build layer \"" + e.name + "\": its input " + missing +
                       " is never computed");
    }
  auto endpoints = [&](const char* key) {
    KERAS_CHECK(config.contains(key), ValueError, "Model \"", model_name, "\": the config has no \"", key, "\"");
    std::vector<KerasTensor> ts;
    for (auto& r : parse_endpoints(config[key], std::string("Model \"") + model_name + "\" " + key)) {
      const KerasTensor* t = lookup(r, key);
      KERAS_CHECK(t, ValueError, "Model \"", model_name, "\": ", key, " refers to node ", r.node, " of layer \"", r.layer,
                  "\", which does not exist");
      ts.push_back(*t);
    }
    return ts;
  };
  auto model = std::make_shared<Model>(endpoints("input_layers"), endpoints("output_layers"), model_name);
  apply_common(*model, config);
  return model;
}


std::vector<std::shared_ptr<layers::Layer>> keras_layer_order(const Model& model) {
  if (!model.is_functional()) return model.layers();
  // Keras's Functional._build_map: depth-first from the outputs; a layer's
  // index is its first visit; depths grow towards the inputs.
  std::map<const layers::Layer*, int> op_index;
  std::map<const layers::Layer*, std::shared_ptr<layers::Layer>> owner;
  std::vector<const GraphNode*> post;
  std::set<const GraphNode*> finished, model_inputs;
  for (auto& t : model.inputs()) model_inputs.insert(t.node().get());
  std::function<void(const GraphNode*)> visit = [&](const GraphNode* n) {
    if (finished.count(n)) return;
    op_index.emplace(n->layer.get(), static_cast<int>(op_index.size()));
    owner[n->layer.get()] = n->layer;
    if (!is_input_node(*n) && !model_inputs.count(n))
      for (auto& t : n->inputs) visit(t.node().get());
    finished.insert(n);
    post.push_back(n);
  };
  for (auto& o : model.outputs()) visit(o.node().get());
  std::map<const GraphNode*, int> node_depth;
  std::map<const layers::Layer*, int> op_depth;
  for (auto it = post.rbegin(); it != post.rend(); ++it) {
    const GraphNode* n = *it;
    int depth = std::max(node_depth[n], op_depth[n->layer.get()]);
    op_depth[n->layer.get()] = depth;
    node_depth[n] = depth;
    for (auto& t : n->inputs) node_depth[t.node().get()] = std::max(depth + 1, node_depth[t.node().get()]);
  }
  for (auto& t : model.inputs())
    if (!op_depth.count(t.node()->layer.get())) {
      op_depth[t.node()->layer.get()] = 0;
      op_index[t.node()->layer.get()] = -1;
      owner[t.node()->layer.get()] = t.node()->layer;
    }
  std::vector<const layers::Layer*> ops;
  for (auto& [l, d] : op_depth) ops.push_back(l);
  std::sort(ops.begin(), ops.end(), [&](auto* a, auto* b) {
    return op_depth[a] != op_depth[b] ? op_depth[a] > op_depth[b] : op_index[a] < op_index[b];
  });
  std::vector<std::shared_ptr<layers::Layer>> out;
  for (auto* l : ops) out.push_back(owner[l]);
  return out;
}

json functional_config(const Model& model) {
  auto nodes = model_nodes(model);
  json layers = json::array();
  for (auto& l : keras_layer_order(model)) {
    json e = serialize_layer(*l);
    e["name"] = l->name();
    json inbound = json::array();
    for (const GraphNode* n : nodes[l.get()]) {
      if (n->inputs.empty()) continue;
      if (n->inputs.size() > 1 && layers::takes_initial_state(*l)) {  // lstm(x, initial_state=[h, c])
        json states = json::array();
        for (std::size_t i = 1; i < n->inputs.size(); ++i) states.push_back(tensor_json(n->inputs[i], nodes));
        inbound.push_back({{"args", json::array({tensor_json(n->inputs[0], nodes)})},
                           {"kwargs", {{"initial_state", states}}}});
        continue;
      }
      json kwargs = l->call_kwargs();
      if (n->training >= 0) kwargs["training"] = n->training != 0;  // base_model(x, training=False)
      auto named = l->tensor_kwargs();
      std::size_t npos = n->inputs.size() - std::min(named.size(), n->inputs.size());
      for (std::size_t j = 0; j < named.size() && npos + j < n->inputs.size(); ++j)
        kwargs[named[j]] = tensor_json(n->inputs[npos + j], nodes);
      json args = json::array();
      if (!n->list_call) {
        for (std::size_t j = 0; j < npos; ++j) args.push_back(tensor_json(n->inputs[j], nodes));
      } else {
        json arg = json::array();
        for (std::size_t j = 0; j < npos; ++j) arg.push_back(tensor_json(n->inputs[j], nodes));
        args.push_back(arg);
      }
      inbound.push_back({{"args", args}, {"kwargs", kwargs}});
    }
    e["inbound_nodes"] = inbound;
    layers.push_back(std::move(e));
  }
  // One input or output is written as a bare [layer, node, tensor], as Keras
  // 3 writes a model built from single tensors (a nested model called on a
  // tensor then receives a tensor, not a list of one).
  auto endpoints = [&](const std::vector<KerasTensor>& ts) {
    json j = json::array();
    for (auto& t : ts) j.push_back({t.source()->name(), local_index(nodes, t.node().get()), t.tensor_index()});
    return j.size() == 1 ? j[0] : j;
  };
  return {{"name", model.name()},
          {"trainable", model.trainable()},
          {"layers", layers},
          {"input_layers", endpoints(model.inputs())},
          {"output_layers", endpoints(model.outputs())}};
}

json model_to_json(const Model& model) {
  json j = serialize_layer(model);
  j["build_config"] = {{"input_shape", model.is_functional() || model.input_shape().empty()
                                           ? json(nullptr)
                                           : shape_to_json(model.input_shape())}};
  return j;
}

std::shared_ptr<Model> model_from_config(const json& j, const std::string& source) {
  std::string in = source.empty() ? "" : " in '" + source + "'";
  try {
    KERAS_CHECK(j.is_object(), ValueError, "Expected a model config object, received ", j.dump().substr(0, 200));
    std::string cls;
    const json* config = &j;
    if (j.contains("class_name")) {
      cls = class_of(j);
      KERAS_CHECK(j.contains("config") && j["config"].is_object(), ValueError, "Model class '", cls,
                  "' has no \"config\" object");
      config = &j["config"];
    } else {
      cls = j.contains("input_layers") ? "Functional" : "Sequential";
    }
    check_layer_classes(j.contains("class_name") ? j : json{{"class_name", cls}, {"config", *config}});
    if (cls == "Sequential") return sequential_from_config(*config);
    if (cls == "Functional" || cls == "Model") return functional_from_config(*config);
    throw ValueError("Unknown model class '" + cls + "': expected Sequential, Functional or Model");
  } catch (const ValueError& e) {
    if (in.empty()) throw;
    throw ValueError(std::string(e.what()) + in);
  } catch (const json::exception& e) {
    throw ValueError("Invalid model config" + in + ": " + e.what());
  }
}

}  // namespace keras::saving
