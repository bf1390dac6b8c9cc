// Functional models: the graph from KerasTensors, planned and run by the
// executor (src/executor.cpp). Sequential (src/sequential.cpp) is the
// linear case.
#include <map>
#include <nlohmann/json.hpp>

#include "declaration.hpp"
#include "executor.hpp"
#include "saving/config_utils.hpp"

namespace keras {
namespace detail {

class FunctionalDeclaration : public Declaration {
 public:
  std::string class_name() const override { return "Functional"; }
  bool functional() const override { return true; }
  nlohmann::json config(const Model& m) const override { return saving::functional_config(m); }
  void build(Model&, const Shape&) const override {}
};

std::shared_ptr<const Declaration> Declaration::functional_api() {
  static const auto d = std::make_shared<const FunctionalDeclaration>();
  return d;
}

}  // namespace detail

std::string Model::class_name() const { return declaration_->class_name(); }
bool Model::is_functional() const { return declaration_->functional(); }
nlohmann::json Model::get_config() const { return declaration_->config(*this); }

void Model::build(const Shape& input_shape) { declaration_->build(*this, input_shape); }

void Model::ensure_graph(const std::vector<Tensor>& xs) {
  if (executor_ || layers_.empty()) return;
  KERAS_CHECK(xs.size() == 1 && xs[0].defined() && xs[0].ndim() >= 1, ValueError, "Model \"", name_,
              "\" expects one input tensor, received ", xs.size());
  Shape s = xs[0].shape();
  s[0] = -1;
  build(s);
}

Model::Model(const KerasTensor& inputs, const KerasTensor& outputs, std::string name)
    : Model(std::vector<KerasTensor>{inputs}, std::vector<KerasTensor>{outputs}, std::move(name)) {}

Model::Model(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string name)
    : Layer(name.empty() ? unique_name("functional") : std::move(name)),
      declaration_(detail::Declaration::functional_api()) {
  inputs_ = std::move(inputs);
  outputs_ = std::move(outputs);
  plan();
}

void Model::plan() {
  auto exec = std::make_shared<detail::Executor>(inputs_, outputs_, name_,
                                                 is_functional() || layers_.empty() ? name_ : layers_[0]->name());
  // Layers: the inputs, then each layer once in execution order; names unique.
  std::map<std::string, const layers::Layer*> by_name;
  for (auto& l : exec->layers()) {
    auto [it, inserted] = by_name.emplace(l->name(), l.get());
    if (!inserted && it->second != l.get())
      throw ValueError("The name \"" + l->name() + "\" is used 2 times in the model \"" + name_ +
                       "\". All layer names should be unique.");
  }
  executor_ = std::move(exec);
  // model.layers in Keras's order (weights, optimizer slots and files follow it).
  if (is_functional()) layers_ = saving::keras_layer_order(*this);
  input_shape_ = inputs_[0].shape();
  input_dtype_ = inputs_[0].dtype();
  build_shape_ = input_shape_;
  built_ = true;
}

std::vector<Tensor> Model::call_all(const std::vector<Tensor>& xs, bool training) {
  ensure_graph(xs);
  KERAS_CHECK(executor_ != nullptr, ValueError, "Model \"", name_, "\" has no layers to run");
  return executor_->outputs(xs, training);
}

std::vector<Tensor> Model::call_outputs(const std::vector<Tensor>& xs, bool training) { return call_all(xs, training); }

Tensor Model::call(const Tensor& x, bool training) {
  KERAS_CHECK(x.defined(), ValueError, "Model \"", name_, "\" received an undefined input");
  return call_n({x}, training);
}

Tensor Model::call_n(const std::vector<Tensor>& xs, bool training) {
  auto outs = call_all(xs, training);
  KERAS_CHECK(outs.size() == 1, ValueError, "Model \"", name_, "\" has ", outs.size(),
              " outputs; call_all() returns them all");
  return outs[0];
}

void Model::build_n(const std::vector<Shape>& shapes) {
  KERAS_CHECK(shapes.size() == inputs_.size(), ValueError, "Model \"", name_, "\" expects ", inputs_.size(),
              " inputs, received ", shapes.size());
}

std::vector<Shape> Model::compute_output_shapes(const std::vector<Shape>& shapes) const {
  std::vector<Shape> r;
  for (auto& o : outputs_) {
    Shape s = o.shape();
    if (!shapes.empty() && !shapes[0].empty() && !s.empty()) s[0] = shapes[0][0];
    r.push_back(s);
  }
  return r;
}

Shape Model::compute_output_shape_n(const std::vector<Shape>& shapes) const {
  KERAS_CHECK(outputs_.size() == 1, ValueError, "Model \"", name_, "\" has ", outputs_.size(),
              " outputs; compute_output_shapes() gives them all");
  return compute_output_shapes(shapes)[0];
}

Shape Model::compute_output_shape(const Shape& input_shape) const {
  if (executor_) return compute_output_shape_n({input_shape});
  Shape s = input_shape;  // a Sequential not built yet
  for (auto& l : layers_) s = l->compute_output_shape(s);
  return s;
}

std::vector<std::string> Model::output_names() const {
  if (outputs_.empty()) return {layers_.empty() ? name_ : layers_.back()->name()};  // an unbuilt Sequential
  std::vector<std::string> r;
  for (auto& o : outputs_) r.push_back(o.source()->name());
  return r;
}

}  // namespace keras
