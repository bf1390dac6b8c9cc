// keras::Model: keras::Input, an empty model, weights and layer lookup.
#include "declaration.hpp"

#include <nlohmann/json.hpp>

#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras {

KerasTensor Input(Shape shape, std::string name, DType dtype) {
  auto layer = std::make_shared<layers::InputLayer>(shape, std::move(name), dtype);
  auto node = std::make_shared<GraphNode>();
  node->layer = layer;
  node->node_index = 0;
  node->output_shapes = {layer->batch_shape()};
  layer->record_node(node);
  return KerasTensor(layer->batch_shape(), dtype, node);
}

Model::Model(std::string name)
    : Layer(name.empty() ? unique_name("functional") : std::move(name)),
      declaration_(detail::Declaration::functional_api()) {}

std::vector<Variable> Model::weights() const {
  std::vector<Variable> r;
  for (auto& l : layers_)
    for (auto& w : l->weights()) r.push_back(w);
  return r;
}

std::vector<Variable> Model::trainable_weights() const {
  std::vector<Variable> r;
  if (!trainable_) return r;
  for (auto& l : layers_)
    for (auto& w : l->trainable_weights()) r.push_back(w);
  return r;
}

std::vector<Variable> Model::non_trainable_weights() const {
  std::vector<Variable> r;
  for (auto& l : layers_)
    for (auto& w : trainable_ ? l->non_trainable_weights() : l->weights()) r.push_back(w);
  return r;
}

std::shared_ptr<layers::Layer> Model::get_layer(const std::string& name) const {
  std::string known;
  for (auto& l : layers_) {
    if (l->name() == name) return l;
    known += (known.empty() ? "" : ", ") + l->name();
  }
  throw ValueError("No such layer: " + name + ". Existing layers are: [" + known + "]");
}

std::shared_ptr<layers::Layer> Model::get_layer(int index) const {
  int n = static_cast<int>(layers_.size());
  KERAS_CHECK(index >= 0 && index < n, ValueError, "Was asked to retrieve layer at index ", index,
              " but model only has ", n, " layers.");
  return layers_[index];
}

std::vector<layers::Layer::Tracked> Model::sublayers() const {
  std::vector<Tracked> r;
  for (auto& l : layers_) r.push_back({l->name(), l});
  return r;
}

}  // namespace keras
