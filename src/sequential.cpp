// keras::Sequential: a list of layers that becomes a functional graph once
// its input shape is known, then runs through the model executor.
#include <typeinfo>

#include "declaration.hpp"
#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras {
namespace detail {

class SequentialDeclaration : public Declaration {
 public:
  std::string class_name() const override { return "Sequential"; }
  bool functional() const override { return false; }

  nlohmann::json config(const Model& m) const override {
    nlohmann::json layers = nlohmann::json::array();
    if (m.input_layer_) layers.push_back(saving::serialize_layer(*m.input_layer_));
    for (auto& l : m.layers_) layers.push_back(saving::serialize_layer(*l));
    nlohmann::json c = {{"name", m.name()}, {"trainable", m.trainable()}, {"dtype", "float32"}, {"layers", layers}};
    if (!m.input_shape_.empty()) c["build_input_shape"] = saving::shape_to_json(m.input_shape_);
    return c;
  }

  void build(Model& m, const Shape& input_shape) const override {
    if (m.executor_ || m.layers_.empty()) return;
    if (!m.input_.defined()) {
      KERAS_CHECK(!input_shape.empty(), ValueError, "Sequential \"", m.name(), "\": build() needs an input shape");
      m.input_ = Input(Shape(input_shape.begin() + 1, input_shape.end()), "", m.input_dtype_);
      m.input_shape_ = m.input_.shape();
    }
    m.record_layers();
  }
};

std::shared_ptr<const Declaration> Declaration::sequential_list() {
  static const auto d = std::make_shared<const SequentialDeclaration>();
  return d;
}

}  // namespace detail

Sequential::Sequential(std::string name) : Model(name.empty() ? unique_name("sequential") : std::move(name)) {
  declaration_ = detail::Declaration::sequential_list();
}

Sequential::Sequential(std::initializer_list<LayerArg> layers, std::string name) : Sequential(std::move(name)) {
  for (auto& l : layers) add(l);
}

void Sequential::set_input(const KerasTensor& input) {
  auto src = input.source();
  auto in = src && typeid(*src) == typeid(layers::InputLayer) ? std::static_pointer_cast<layers::InputLayer>(src)
                                                               : nullptr;
  KERAS_CHECK(in != nullptr, ValueError, "Model \"", name_, "\": expected a keras::Input, received the output of layer \"",
              input.source() ? input.source()->name() : "?", "\"");
  KERAS_CHECK(layers_.empty(), ValueError, "Model \"", name_,
              "\": keras::Input must come first, before any layer (received it after ", layers_.size(), " layers)");
  input_layer_ = in;
  input_ = input;
  input_shape_ = in->batch_shape();
  input_dtype_ = in->dtype();
}

void Sequential::add(LayerArg arg) {
  auto layer = std::move(arg.layer);
  KERAS_CHECK(layer != nullptr, ValueError, "Model \"", name_, "\": cannot add a null layer");
  if (typeid(*layer) == typeid(layers::InputLayer)) {
    auto in = std::static_pointer_cast<layers::InputLayer>(layer);
    auto node = std::make_shared<GraphNode>();
    node->layer = in;
    node->output_shapes = {in->batch_shape()};
    in->record_node(node);
    set_input(KerasTensor(in->batch_shape(), in->dtype(), node));
    return;
  }
  for (auto& l : layers_)
    KERAS_CHECK(l->name() != layer->name(), ValueError, "All layers added to a Sequential model should have unique names. "
                "Name \"", layer->name(), "\" is already the name of a layer in model \"", name_, "\"");
  layers_.push_back(std::move(layer));
  // Build eagerly once the input shape is known, so summary() shows shapes.
  if (input_.defined()) record_layers();
}

void Sequential::pop() {
  KERAS_CHECK(!layers_.empty(), ValueError, "There are no layers in model \"", name_, "\" to pop");
  layers_.pop_back();
  if (input_.defined()) record_layers();
}

// Records each layer's call on the previous output and plans the graph.
void Model::record_layers() {
  if (layers_.empty()) {
    executor_.reset();
    inputs_.clear();
    outputs_.clear();
    return;
  }
  KerasTensor h = input_;
  for (auto& l : layers_) h = (*l)(h);
  inputs_ = {input_};
  outputs_ = {h};
  plan();
}

}  // namespace keras
