// keras::models::clone_model: the same graph (or layer list) with each
// layer rebuilt from its config, or made by the user's clone_function.
#include <map>

#include <nlohmann/json.hpp>

#include "keras/clone_model.hpp"
#include "keras/layers/registry.hpp"

namespace keras::models {

namespace {

using LayerPtr = std::shared_ptr<layers::Layer>;

LayerPtr default_clone(const layers::Layer& l) {
  if (auto* m = dynamic_cast<const Model*>(&l)) {  // a nested model: cloned as a model
    auto sub = std::make_shared<Model>(clone_model(*m));
    return sub;
  }
  try {
    return layers::from_config(l.class_name(), l.get_config());
  } catch (const ValueError& e) {
    throw ValueError("clone_model: layer \"" + l.name() + "\" (" + l.class_name() +
                     ") cannot be rebuilt from its config (give clone_model a clone_function for it): " + e.what());
  }
}

KerasTensor clone_input(const KerasTensor& t) {
  auto* in = dynamic_cast<const layers::InputLayer*>(t.source().get());
  KERAS_CHECK(in != nullptr, ValueError, "clone_model: a model input does not come from keras::Input");
  Shape s = in->batch_shape();
  s.erase(s.begin());
  return Input(s, in->name(), in->dtype());
}

struct GraphCloner {
  const CloneFunction& fn;
  std::map<const layers::Layer*, LayerPtr> layer_map;
  std::map<const GraphNode*, std::vector<KerasTensor>> node_outputs;

  LayerPtr layer(const LayerPtr& l) {
    auto it = layer_map.find(l.get());
    if (it != layer_map.end()) return it->second;
    LayerPtr c = fn ? fn(*l) : default_clone(*l);
    KERAS_CHECK(c != nullptr, ValueError, "clone_model: the clone_function returned null for layer \"", l->name(), "\"");
    return layer_map[l.get()] = c;
  }

  KerasTensor tensor(const KerasTensor& t) {
    const GraphNode* n = t.node().get();
    auto it = node_outputs.find(n);
    if (it == node_outputs.end()) {
      KERAS_CHECK(!n->inputs.empty(), ValueError, "clone_model: input layer \"", n->layer->name(),
                  "\" feeds the model but is not one of its inputs");
      std::vector<KerasTensor> args;
      for (auto& in : n->inputs) args.push_back(tensor(in));
      auto outs = layer(n->layer)->call_all(args);
      outs[0].node()->list_call = n->list_call;
      outs[0].node()->training = n->training;
      it = node_outputs.emplace(n, std::move(outs)).first;
    }
    return it->second.at(static_cast<std::size_t>(t.tensor_index()));
  }
};

}  // namespace

Model clone_model(const Model& model, const CloneFunction& clone_function) {
  if (!model.is_functional()) {
    Sequential seq(model.name());
    if (!model.inputs().empty()) seq.add(clone_input(model.inputs()[0]));
    for (auto& l : model.layers()) {
      LayerPtr c = clone_function ? clone_function(*l) : default_clone(*l);
      KERAS_CHECK(c != nullptr, ValueError, "clone_model: the clone_function returned null for layer \"", l->name(), "\"");
      seq.add(c);
    }
    return seq;
  }
  KERAS_CHECK(!model.inputs().empty() && !model.outputs().empty(), ValueError, "clone_model: model \"", model.name(),
              "\" has no graph to clone");
  GraphCloner g{clone_function, {}, {}};
  std::vector<KerasTensor> ins, outs;
  for (auto& t : model.inputs()) {
    ins.push_back(clone_input(t));
    g.node_outputs[t.node().get()] = {ins.back()};
  }
  for (auto& t : model.outputs()) outs.push_back(g.tensor(t));
  return Model(ins, outs, model.name());
}

}  // namespace keras::models
