// keras::KerasTensor: a symbolic tensor of the functional API.
//
// keras::Input returns one; calling a layer on KerasTensors records a node
// and returns the node's output. keras::Model(inputs, outputs) then runs the
// recorded graph on real tensors.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras {

namespace layers {
class Layer;
}

struct GraphNode;

class KerasTensor {
 public:
  KerasTensor() = default;
  KerasTensor(Shape shape, DType dtype, std::shared_ptr<GraphNode> node, int tensor_index = 0)
      : shape_(std::move(shape)), dtype_(dtype), node_(std::move(node)), tensor_index_(tensor_index) {}
  bool defined() const { return node_ != nullptr; }
  // Shape with the batch dimension (-1) first.
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  // The call that produced this tensor.
  const std::shared_ptr<GraphNode>& node() const { return node_; }
  // The layer that produced it (an InputLayer for keras::Input).
  std::shared_ptr<layers::Layer> source() const;
  // Which of the call's outputs this is (Keras's tensor_index): 0 for
  // layers with one output.
  int tensor_index() const { return tensor_index_; }

 private:
  Shape shape_;
  DType dtype_ = float32;
  std::shared_ptr<GraphNode> node_;
  int tensor_index_ = 0;
};

// One call of a layer on symbolic inputs.
struct GraphNode {
  std::shared_ptr<layers::Layer> layer;
  std::vector<KerasTensor> inputs;  // empty for an Input
  bool list_call = false;           // called on a list (merge layers), even of one tensor
  int node_index = 0;               // which call of `layer` this is (shared layers)
  std::vector<Shape> output_shapes; // one per output, batch dimension (-1) first
  int training = -1;                // a fixed training flag (layer(x, training=false)): -1 none, 0, 1
};

}  // namespace keras
