#include "model_graph.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace keras::detail {
namespace {

// Depth-first from the outputs; a node is appended after its inputs.
void visit(const std::shared_ptr<GraphNode>& n, std::set<const GraphNode*>& seen,
           std::map<const layers::Layer*, std::size_t>& index, std::vector<LayerGraphNode>& out) {
  if (!seen.insert(n.get()).second) return;
  for (const auto& in : n->inputs) visit(in.node(), seen, index, out);
  const layers::Layer* l = n->layer.get();
  auto it = index.find(l);
  if (it == index.end()) {
    it = index.emplace(l, out.size()).first;
    out.push_back({l, {}, n->inputs.empty() ? Shape{} : n->inputs[0].shape(),
                   n->output_shapes.empty() ? Shape{} : n->output_shapes[0]});
  }
  auto& node = out[it->second];
  for (const auto& in : n->inputs) {
    const layers::Layer* src = in.source().get();
    if (std::find(node.inputs.begin(), node.inputs.end(), src) == node.inputs.end()) node.inputs.push_back(src);
  }
}

}  // namespace

std::vector<LayerGraphNode> layer_graph(const Model& model) {
  std::vector<LayerGraphNode> out;
  if (model.is_functional()) {
    std::set<const GraphNode*> seen;
    std::map<const layers::Layer*, std::size_t> index;
    for (const auto& in : model.inputs()) visit(in.node(), seen, index, out);
    for (const auto& o : model.outputs()) visit(o.node(), seen, index, out);
    return out;
  }
  Shape s = model.input_shape();
  const layers::Layer* prev = nullptr;
  for (const auto& l : model.layers()) {
    Shape next = s.empty() ? Shape{} : l->compute_output_shape(s);
    out.push_back({l.get(), prev ? std::vector<const layers::Layer*>{prev} : std::vector<const layers::Layer*>{}, s,
                   next});
    prev = l.get();
    s = next;
  }
  return out;
}

}  // namespace keras::detail
