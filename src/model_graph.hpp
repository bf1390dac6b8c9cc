// Internal: a model's layers as a graph, for the pictures of it
// (plot_model's DOT text, TensorBoard's graph tab).
#pragma once
#include <vector>

#include "keras/models.hpp"

namespace keras::detail {

struct LayerGraphNode {
  const layers::Layer* layer = nullptr;
  std::vector<const layers::Layer*> inputs;  // the layers feeding it, each once, in call order
  Shape input_shape;                          // of its first input (empty for an input)
  Shape output_shape;                         // of its first output, batch dimension first
};

// Every layer once, producers before consumers: a functional model's
// inputs first, then its layers as their calls reach the outputs (a shared
// layer once, with the inputs of all its calls); a Sequential model's
// layers in order (shapes when it is built).
std::vector<LayerGraphNode> layer_graph(const Model& model);

}  // namespace keras::detail
