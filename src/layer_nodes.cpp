// Layers' symbolic calls for transfer learning: layer.input() /
// layer.output() (Keras's layer.input / layer.output) and calls with a
// fixed training flag (base_model(x, training=False)).
#include "keras/layers/core.hpp"
#include "keras/layers/layer.hpp"

namespace keras::layers {

void Layer::record_node(const std::shared_ptr<GraphNode>& node) {
  // Forget calls no graph holds any more (a Sequential re-records its calls).
  std::erase_if(nodes_, [](const std::weak_ptr<GraphNode>& w) { return w.expired(); });
  nodes_.push_back(node);
}

KerasTensor Layer::operator()(const KerasTensor& x, bool training) {
  KerasTensor y = (*this)(x);
  y.node()->training = training ? 1 : 0;
  return y;
}

namespace {
std::shared_ptr<GraphNode> live_node(const std::vector<std::weak_ptr<GraphNode>>& nodes, int index,
                                     const std::string& layer, const char* what) {
  std::vector<std::shared_ptr<GraphNode>> live;
  for (auto& w : nodes)
    if (auto n = w.lock()) live.push_back(std::move(n));
  KERAS_CHECK(!live.empty(), ValueError, "Layer \"", layer, "\" has never been called on symbolic tensors, so its ",
              what, " is not defined: call it on a keras::Input or on another layer's output first");
  KERAS_CHECK(index >= 0 && static_cast<std::size_t>(index) < live.size(), ValueError, "Layer \"", layer, "\" has ",
              live.size(), " symbolic calls; asked for the ", what, " of call ", index);
  return live[static_cast<std::size_t>(index)];
}
}  // namespace

std::vector<KerasTensor> Layer::inputs_at(int node_index) const {
  if (graph_copy_) return graph_copy_->inputs_at(node_index);
  auto node = live_node(nodes_, node_index, name_, "input");
  if (node->inputs.empty()) return outputs_at(node_index);  // an InputLayer: its tensor
  return node->inputs;
}

std::vector<KerasTensor> Layer::outputs_at(int node_index) const {
  if (graph_copy_) return graph_copy_->outputs_at(node_index);
  auto node = live_node(nodes_, node_index, name_, "output");
  DType dtype = float32;
  if (!node->inputs.empty()) dtype = node->inputs[0].dtype();
  else if (auto* in = dynamic_cast<const InputLayer*>(node->layer.get())) dtype = in->dtype();
  std::vector<KerasTensor> r;
  for (std::size_t i = 0; i < node->output_shapes.size(); ++i)
    r.emplace_back(node->output_shapes[i], dtype, node, static_cast<int>(i));
  return r;
}

KerasTensor Layer::input() const {
  auto ins = inputs_at(0);
  KERAS_CHECK(ins.size() == 1, ValueError, "Layer \"", name_, "\" was called on ", ins.size(),
              " inputs: use inputs_at() for all of them");
  return ins[0];
}

KerasTensor Layer::output() const {
  auto outs = outputs_at(0);
  KERAS_CHECK(outs.size() == 1, ValueError, "Layer \"", name_, "\" has ", outs.size(),
              " outputs: use outputs_at() for all of them");
  return outs[0];
}

}  // namespace keras::layers
