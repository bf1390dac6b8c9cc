// keras::layers::Layer: naming, weights, building and input checks.
#include "keras/layers/layer.hpp"

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "keras/autograd.hpp"
#include "keras/keras_tensor.hpp"
#include "keras/ops.hpp"

namespace keras::layers {
namespace {
std::mutex g_names_mu;
std::map<std::string, int>& name_counts() {
  static std::map<std::string, int> m;
  return m;
}
}  // namespace

std::string Layer::unique_name(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(g_names_mu);
  int n = name_counts()[prefix]++;
  return n == 0 ? prefix : prefix + "_" + std::to_string(n);
}

void Layer::reset_names() {
  std::lock_guard<std::mutex> lock(g_names_mu);
  name_counts().clear();
}

void Layer::build(const Shape&) {}

Shape Layer::compute_output_shape(const Shape& input_shape) const { return input_shape; }

nlohmann::json Layer::get_config() const {
  return {{"name", name_}, {"trainable", trainable_}, {"dtype", "float32"}};
}

void Layer::ensure_built(const Shape& input_shape) {
  if (built_) return;
  build(input_shape);
  build_shape_ = input_shape;
  built_ = true;
}

void Layer::prepare_call(const Tensor& x) {
  KERAS_CHECK(x.defined(), ValueError, "Layer \"", name_, "\" received an undefined input tensor");
  if (!built_) {
    Shape s = x.shape();
    if (!s.empty()) s[0] = -1;
    ensure_built(s);
  } else if (!build_shape_.empty()) {
    // Like Keras's default input spec: the rank and the last (feature or
    // channel) dimension are fixed by build; other dimensions may vary.
    const Shape& b = build_shape_;
    if (x.ndim() != static_cast<int>(b.size()))
      check_input(false, "rank " + std::to_string(b.size()) + " (shape " + shape_str(b) + ")", x.shape());
    if (!b.empty() && b.size() >= 2 && b.back() >= 0 && x.shape().back() != b.back())
      check_input(false, "last dimension " + std::to_string(b.back()), x.shape());
  }
}


Tensor Layer::operator()(const Tensor& x, bool training) {
  prepare_call(x);
  if (!LossScope::active()) clear_losses();
  LossScope scope;
  Tensor y = call(x, training);
  if (activity_regularizer_) record_activity({y});
  return y;
}

Tensor Layer::operator()(const std::vector<Tensor>& xs, bool training) {
  KERAS_CHECK(!xs.empty(), ValueError, "Layer \"", name_, "\" received no inputs");
  if (xs.size() == 1) return (*this)(xs[0], training);
  if (!built_) {
    std::vector<Shape> shapes;
    for (auto& x : xs) {
      KERAS_CHECK(x.defined(), ValueError, "Layer \"", name_, "\" received an undefined input tensor");
      shapes.push_back(x.shape());  // concrete shapes, so errors show what was received
    }
    ensure_built_n(shapes);
  }
  if (!LossScope::active()) clear_losses();
  LossScope scope;
  Tensor y = call_n(xs, training);
  if (activity_regularizer_) record_activity({y});
  return y;
}

void Layer::build_n(const std::vector<Shape>& shapes) {
  KERAS_CHECK(shapes.size() == 1, ValueError, "Layer \"", name_, "\" (", class_name(), ") expects 1 input, received ",
              shapes.size());
  build(shapes[0]);
}

Tensor Layer::call_n(const std::vector<Tensor>& xs, bool training) {
  KERAS_CHECK(xs.size() == 1, ValueError, "Layer \"", name_, "\" (", class_name(), ") expects 1 input, received ",
              xs.size());
  return (*this)(xs[0], training);
}

Shape Layer::compute_output_shape_n(const std::vector<Shape>& shapes) const {
  KERAS_CHECK(shapes.size() == 1, ValueError, "Layer \"", name_, "\" (", class_name(), ") expects 1 input, received ",
              shapes.size());
  return compute_output_shape(shapes[0]);
}

void Layer::ensure_built_n(const std::vector<Shape>& shapes) {
  if (built_) return;
  if (shapes.size() == 1) return ensure_built(shapes[0]);
  build_n(shapes);
  build_shape_.clear();  // several inputs: no single shape to check against
  built_ = true;
}

std::shared_ptr<Layer> Layer::clone_shared() const {
  throw ValueError("Layer \"" + name_ + "\" (" + class_name() +
                   ") cannot be copied into a functional graph: create it with std::make_shared, or add "
                   "KERAS_LAYER_CLASS(" + class_name() + ") to the class");
}

std::shared_ptr<Layer> Layer::shared() {
  if (auto self = weak_from_this().lock()) return self;
  if (!graph_copy_) graph_copy_ = clone_shared();
  return graph_copy_;
}

KerasTensor Layer::operator()(const KerasTensor& x) { return (*this)(std::vector<KerasTensor>{x}); }

KerasTensor Layer::operator()(const std::vector<KerasTensor>& xs) {
  auto outs = call_all(xs);
  KERAS_CHECK(outs.size() == 1, ValueError, "Layer \"", name_, "\" (", class_name(), ") returns ", outs.size(),
              " outputs: use call_all({...}) to get them all");
  return outs[0];
}

namespace {
// Zeros shaped like a symbolic input, unknown dimensions (and the batch) 1.
Tensor dry_input(const KerasTensor& t) {
  Shape s = t.shape();
  for (auto& d : s) d = d < 0 ? 1 : d;
  return ops::zeros(s, t.dtype());
}
}  // namespace

std::vector<KerasTensor> Layer::call_all(const std::vector<KerasTensor>& xs) {
  KERAS_CHECK(!xs.empty(), ValueError, "Layer \"", name_, "\" was called on no inputs");
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    KERAS_CHECK(xs[i].defined(), ValueError, "Layer \"", name_, "\": input ", i,
                " is not a symbolic tensor (use keras::Input or a layer's output)");
    shapes.push_back(xs[i].shape());
  }
  auto layer = shared();
  layer->ensure_built_n(shapes);
  std::vector<Shape> outs;
  if (layer->shapes_by_dry_run()) {
    // A layer that owns layers builds them by running once on zeros (as
    // Keras traces call()); the output shapes come from that run.
    autograd::NoGradGuard ng;
    std::vector<Tensor> dry;
    for (auto& t : xs) dry.push_back(dry_input(t));
    for (auto& y : layer->call_all(dry, false)) {
      Shape s = y.shape();
      if (!s.empty()) s[0] = shapes[0].empty() ? s[0] : shapes[0][0];
      outs.push_back(s);
    }
  } else {
    outs = layer->compute_output_shapes(shapes);
  }
  auto node = std::make_shared<GraphNode>();
  node->layer = layer;
  node->inputs = xs;
  node->list_call = xs.size() > 1;
  node->node_index = layer->num_nodes_++;
  node->output_shapes = outs;
  layer->record_node(node);
  std::vector<KerasTensor> r;
  for (std::size_t i = 0; i < outs.size(); ++i) r.emplace_back(outs[i], xs[0].dtype(), node, static_cast<int>(i));
  return r;
}

std::vector<Tensor> Layer::call_all(const std::vector<Tensor>& xs, bool training) {
  KERAS_CHECK(!xs.empty(), ValueError, "Layer \"", name_, "\" received no inputs");
  if (xs.size() == 1) prepare_call(xs[0]);
  else if (!built_) {
    std::vector<Shape> shapes;
    for (auto& x : xs) {
      KERAS_CHECK(x.defined(), ValueError, "Layer \"", name_, "\" received an undefined input tensor");
      shapes.push_back(x.shape());
    }
    ensure_built_n(shapes);
  }
  if (!LossScope::active()) clear_losses();
  LossScope scope;
  std::vector<Tensor> ys = call_outputs(xs, training);
  if (activity_regularizer_) record_activity(ys);
  return ys;
}

std::vector<Tensor> Layer::call_outputs(const std::vector<Tensor>& xs, bool training) {
  if (xs.size() == 1) return {call(xs[0], training)};
  return {call_n(xs, training)};
}

std::vector<Shape> Layer::compute_output_shapes(const std::vector<Shape>& shapes) const {
  return {compute_output_shape_n(shapes)};
}

std::vector<Tensor> Layer::call_masked(const std::vector<Tensor>& xs, const std::vector<Tensor>&, bool training) {
  return call_all(xs, training);
}

std::vector<Tensor> Layer::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  std::vector<Tensor> r(static_cast<std::size_t>(num_outputs()));
  if (supports_masking_ && !masks.empty())
    for (auto& m : r) m = masks[0];
  return r;
}

nlohmann::json Layer::call_kwargs() const { return nlohmann::json::object(); }

void Layer::set_call_kwargs(const nlohmann::json&, int) {}

void Layer::track_layer(const std::string& attribute, std::shared_ptr<Layer> layer) {
  KERAS_CHECK(layer != nullptr, ValueError, "Layer \"", name_, "\": cannot track a null sub-layer as '", attribute, "'");
  for (auto& t : sublayers_)
    KERAS_CHECK(t.attribute != attribute, ValueError, "Layer \"", name_, "\" already tracks a sub-layer as '",
                attribute, "'");
  layer->set_path_prefix(path_prefix_ + name_ + "/");
  sublayers_.push_back({attribute, std::move(layer)});
}

void Layer::set_path_prefix(const std::string& prefix) {
  path_prefix_ = prefix;
  for (auto& w : weights_) w.set_path(prefix + name_ + "/" + w.name());
  for (auto& sub : sublayers_) sub.layer->set_path_prefix(prefix + name_ + "/");
}

void Layer::check_input(bool ok, const std::string& expected, const Shape& received) const {
  KERAS_CHECK(ok, ValueError, "Input 0 of layer \"", name_, "\" is incompatible with the layer: expected ",
              expected, ", received shape ", shape_str(received));
}

void Layer::set_trainable(bool t) {
  trainable_ = t;  // trainable_weights() filters frozen layers out
  if (graph_copy_) graph_copy_->set_trainable(t);  // the copy a graph uses (see shared())
  for (auto& sub : sublayers()) sub.layer->set_trainable(t);
}

Variable Layer::add_weight(const std::string& name, const Shape& shape,
                           const initializers::InitializerArg& initializer, bool trainable,
                           regularizers::RegularizerArg regularizer, constraints::ConstraintArg constraint) {
  for (auto d : shape)
    KERAS_CHECK(d > 0, ValueError, "Layer \"", name_, "\": weight '", name, "' must have positive dimensions, received ",
                shape_str(shape));
  Tensor init;
  {
    autograd::NoGradGuard ng;
    init = (*initializer.ptr)(shape, float32);
  }
  Variable v(init, name, trainable);
  v.set_path(path_prefix_ + name_ + "/" + name);
  if (regularizer) v.set_regularizer(std::move(regularizer.ptr));
  if (constraint) v.set_constraint(std::move(constraint.ptr));
  weights_.push_back(v);
  return v;
}

namespace {
// Appends the variables of `vs` not in `out` yet (a layer reached twice,
// e.g. shared by two sub-layers, counts once).
void append_unique(std::vector<Variable>& out, const std::vector<Variable>& vs) {
  for (auto& v : vs) {
    bool seen = false;
    for (auto& o : out) seen = seen || o == v;
    if (!seen) out.push_back(v);
  }
}
}  // namespace

// Keras's order: the layer's own variables, then each sub-layer's.
std::vector<Variable> Layer::weights() const {
  if (sublayers_.empty()) return weights_;
  std::vector<Variable> r = weights_;
  for (auto& sub : sublayers_) append_unique(r, sub.layer->weights());
  return r;
}

std::vector<Variable> Layer::trainable_weights() const {
  std::vector<Variable> r;
  if (!trainable_) return r;
  for (auto& w : weights_) if (w.trainable()) r.push_back(w);
  for (auto& sub : sublayers_) append_unique(r, sub.layer->trainable_weights());
  return r;
}

std::vector<Variable> Layer::non_trainable_weights() const {
  std::vector<Variable> r;
  for (auto& w : weights_) if (!trainable_ || !w.trainable()) r.push_back(w);
  for (auto& sub : sublayers_) append_unique(r, sub.layer->non_trainable_weights());
  return r;
}

std::vector<Tensor> Layer::get_weights() const {
  std::vector<Tensor> r;
  for (auto& w : weights()) r.push_back(w.value().clone());
  return r;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
  auto ws = weights();
  KERAS_CHECK(values.size() == ws.size(), ValueError, "Layer \"", name_, "\" expects ", ws.size(),
              " weights, but set_weights received ", values.size());
  for (std::size_t i = 0; i < ws.size(); ++i)
    KERAS_CHECK(values[i].shape() == ws[i].shape(), ValueError, "Layer \"", name_, "\" weight ", i, " ('",
                ws[i].path(), "') has shape ", shape_str(ws[i].shape()), ", received ",
                shape_str(values[i].shape()));
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i].assign(values[i]);
}

std::int64_t Layer::count_params() const {
  std::int64_t n = 0;
  for (auto& w : weights()) n += w.value().size();
  return n;
}

}  // namespace keras::layers

namespace keras {
std::shared_ptr<layers::Layer> KerasTensor::source() const { return node_ ? node_->layer : nullptr; }
}  // namespace keras
