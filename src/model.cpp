// keras::Model and keras::Sequential: structure, calling and weights.
#include "keras/models.hpp"

#include <nlohmann/json.hpp>

#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras {

KerasTensor Input(Shape shape, std::string name, DType dtype) {
  auto layer = std::make_shared<layers::InputLayer>(shape, std::move(name), dtype);
  auto node = std::make_shared<GraphNode>();
  node->layer = layer;
  node->node_index = 0;
  node->output_shape = layer->batch_shape();
  return KerasTensor(layer->batch_shape(), dtype, node);
}

Model::Model(std::string name) : Layer(name.empty() ? unique_name("functional") : std::move(name)) {}

void Model::set_input(const KerasTensor& input) {
  auto in = std::dynamic_pointer_cast<layers::InputLayer>(input.source());
  KERAS_CHECK(in != nullptr, ValueError, "Model \"", name_, "\": expected a keras::Input, received the output of layer \"",
              input.source() ? input.source()->name() : "?", "\"");
  KERAS_CHECK(layers_.empty(), ValueError, "Model \"", name_,
              "\": keras::Input must come first, before any layer (received it after ", layers_.size(), " layers)");
  input_layer_ = in;
  input_shape_ = in->batch_shape();
  input_dtype_ = in->dtype();
}

void Model::add_layer(std::shared_ptr<layers::Layer> layer) {
  KERAS_CHECK(layer != nullptr, ValueError, "Model \"", name_, "\": cannot add a null layer");
  if (auto in = std::dynamic_pointer_cast<layers::InputLayer>(layer)) {
    auto node = std::make_shared<GraphNode>();
    node->layer = in;
    set_input(KerasTensor(in->batch_shape(), in->dtype(), node));
    return;
  }
  for (auto& l : layers_)
    KERAS_CHECK(l->name() != layer->name(), ValueError, "All layers added to a Sequential model should have unique names. "
                "Name \"", layer->name(), "\" is already the name of a layer in model \"", name_, "\"");
  layers_.push_back(std::move(layer));
  // Build eagerly once the input shape is known, so summary() shows shapes.
  if (!input_shape_.empty()) {
    Shape s = output_shapes_.empty() ? input_shape_ : output_shapes_.back();
    auto& l = layers_.back();
    l->ensure_built(s);
    output_shapes_.push_back(l->compute_output_shape(s));
    built_ = true;
    build_shape_ = input_shape_;
  }
}

void Model::build(const Shape& input_shape) {
  if (!sequential_) return;
  if (input_shape_.empty()) input_shape_ = input_shape;
  output_shapes_.clear();
  Shape s = input_shape_;
  for (auto& l : layers_) {
    l->ensure_built(s);
    s = l->compute_output_shape(s);
    output_shapes_.push_back(s);
  }
}

Tensor Model::call(const Tensor& x, bool training) {
  KERAS_CHECK(x.defined(), ValueError, "Model \"", name_, "\" received an undefined input");
  if (!sequential_) return call_n({x}, training);
  if (!input_shape_.empty()) {
    const Shape& e = input_shape_;
    bool ok = x.ndim() == static_cast<int>(e.size());
    for (std::size_t i = 1; ok && i < e.size(); ++i) ok = e[i] < 0 || e[i] == x.shape()[i];
    KERAS_CHECK(ok, ValueError, "Input 0 of layer \"", layers_.empty() ? name_ : layers_[0]->name(),
                "\" is incompatible with the layer: expected shape ", shape_str(e), ", received shape ",
                shape_str(x.shape()));
  }
  if (!built_) {
    Shape s = x.shape();
    s[0] = -1;
    ensure_built(s);
  }
  Tensor h = x;
  if (h.dtype() != input_dtype_ && input_dtype_ == float32 && h.dtype() != float32) h = ops::cast(h, float32);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    // A layer may run the next one with it (Conv2D + MaxPooling2D).
    if (i + 1 < layers_.size()) {
      Tensor fused = layers_[i]->call_fused(*layers_[i + 1], h, training);
      if (fused.defined()) {
        h = std::move(fused);
        ++i;
        continue;
      }
    }
    h = (*layers_[i])(h, training);
  }
  return h;
}

Shape Model::compute_output_shape(const Shape& input_shape) const {
  if (!sequential_) return compute_output_shape_n({input_shape});
  Shape s = input_shape;
  for (auto& l : layers_) s = l->compute_output_shape(s);
  return s;
}

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

nlohmann::json Model::get_config() const {
  // Keras 3's shapes; the functional graph is serialized in src/saving/.
  if (!sequential_) return saving::functional_config(*this);
  nlohmann::json layers = nlohmann::json::array();
  if (input_layer_) layers.push_back(saving::serialize_layer(*input_layer_));
  for (auto& l : layers_) layers.push_back(saving::serialize_layer(*l));
  nlohmann::json c = {{"name", name_}, {"trainable", trainable_}, {"dtype", "float32"}, {"layers", layers}};
  if (!input_shape_.empty()) c["build_input_shape"] = saving::shape_to_json(input_shape_);
  return c;
}

Sequential::Sequential(std::string name) : Model(name.empty() ? unique_name("sequential") : std::move(name)) {
  sequential_ = true;
}

Sequential::Sequential(std::initializer_list<LayerArg> layers, std::string name) : Sequential(std::move(name)) {
  for (auto& l : layers) add(l);
}

void Sequential::add(LayerArg layer) { add_layer(std::move(layer.layer)); }

void Sequential::pop() {
  KERAS_CHECK(!layers_.empty(), ValueError, "There are no layers in model \"", name_, "\" to pop");
  layers_.pop_back();
  if (!output_shapes_.empty()) output_shapes_.pop_back();
}

}  // namespace keras
