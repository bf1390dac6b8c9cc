// FileWriter::graph: a model's layers as the GraphDef that TensorBoard's
// Graphs tab draws.
#include <nlohmann/json.hpp>

#include "event.pb.h"
#include "keras/models.hpp"
#include "keras/summary.hpp"
#include "model_graph.hpp"
#include "tensorboard/graph_def.hpp"

namespace keras::summary::detail {
namespace pb = keras::tensorboard;
namespace {

void set_attrs(pb::NodeDef& node, const layers::Layer& layer, const Shape& output_shape) {
  auto& attrs = *node.mutable_attr();
  if (!output_shape.empty()) {
    pb::TensorShapeProto* s = attrs["_output_shapes"].mutable_list()->add_shape();
    for (auto d : output_shape) s->add_dim()->set_size(d < 0 ? -1 : d);
  }
  nlohmann::json config = layer.get_config();
  for (auto it = config.begin(); it != config.end(); ++it) {
    if (it.key() == "name") continue;
    const auto& v = it.value();
    if (v.is_string()) attrs[it.key()].set_s(v.get<std::string>());
    else if (v.is_number() || v.is_boolean()) attrs[it.key()].set_s(v.dump());
  }
}

// Emits the layers of `model` under `prefix`; `feed` names the producers
// of its inputs when it is nested. Returns the names of its outputs.
std::vector<std::string> emit(const Model& model, const std::string& prefix, const std::vector<std::string>& feed,
                              pb::GraphDef& g) {
  std::map<const layers::Layer*, std::string> name_of;
  std::vector<const layers::Layer*> model_inputs;
  if (model.is_functional())
    for (const auto& in : model.inputs()) model_inputs.push_back(in.source().get());
  bool first = true;
  for (const auto& n : keras::detail::layer_graph(model)) {
    std::vector<std::string> inputs;
    for (const auto* in : n.inputs) inputs.push_back(name_of.at(in));
    auto pos = std::find(model_inputs.begin(), model_inputs.end(), n.layer) - model_inputs.begin();
    if (n.inputs.empty() && static_cast<std::size_t>(pos) < model_inputs.size() &&
        static_cast<std::size_t>(pos) < feed.size())
      inputs.push_back(feed[static_cast<std::size_t>(pos)]);
    else if (n.inputs.empty() && model_inputs.empty() && first && !feed.empty())
      inputs.push_back(feed[0]);  // a nested Sequential's first layer
    first = false;
    if (const auto* sub = dynamic_cast<const Model*>(n.layer)) {
      auto outs = emit(*sub, prefix + sub->name() + "/", inputs, g);
      name_of[n.layer] = outs.empty() ? prefix + sub->name() : outs[0];
      continue;
    }
    pb::NodeDef* node = g.add_node();
    node->set_name(prefix + n.layer->name());
    node->set_op(n.layer->class_name());
    for (auto& i : inputs) node->add_input(i);
    set_attrs(*node, *n.layer, n.output_shape);
    name_of[n.layer] = node->name();
  }
  std::vector<std::string> outs;
  if (model.is_functional()) {
    for (const auto& o : model.outputs()) outs.push_back(name_of.at(o.source().get()));
  } else if (!model.layers().empty()) {
    outs.push_back(name_of.at(model.layers().back().get()));
  }
  return outs;
}

}  // namespace

std::string graph_def_bytes(const Model& model) {
  pb::GraphDef g;
  g.mutable_versions()->set_producer(1);
  emit(model, "", {}, g);
  return g.SerializeAsString();
}

}  // namespace keras::summary::detail
