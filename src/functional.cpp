// Functional models: building the graph from KerasTensors and running it.
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "keras/models.hpp"
#include "keras/ops.hpp"

namespace keras {
namespace {

bool is_input_node(const GraphNode& n) { return n.inputs.empty() && dynamic_cast<layers::InputLayer*>(n.layer.get()); }

std::string names_of(const std::vector<KerasTensor>& ts) {
  std::string r;
  for (auto& t : ts) r += (r.empty() ? "" : ", ") + std::string("\"") + t.source()->name() + "\"";
  return "[" + r + "]";
}

}  // namespace

Model::Model(const KerasTensor& inputs, const KerasTensor& outputs, std::string name)
    : Model(std::vector<KerasTensor>{inputs}, std::vector<KerasTensor>{outputs}, std::move(name)) {}

Model::Model(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string name)
    : Layer(name.empty() ? unique_name("functional") : std::move(name)) {
  sequential_ = false;
  KERAS_CHECK(!inputs.empty() && !outputs.empty(), ValueError, "Model \"", name_,
              "\": expected at least one input and one output");
  std::map<const GraphNode*, int> slot;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& t = inputs[i];
    KERAS_CHECK(t.defined() && is_input_node(*t.node()), ValueError, "Model \"", name_, "\": input ", i,
                " must be a keras::Input, received the output of layer \"", t.defined() ? t.source()->name() : "?",
                "\"");
    KERAS_CHECK(!slot.count(t.node().get()), ValueError, "Model \"", name_, "\": input \"", t.source()->name(),
                "\" is passed twice");
    slot[t.node().get()] = static_cast<int>(i);
    input_nodes_.push_back(t.node());
  }
  inputs_ = inputs;
  outputs_ = outputs;
  // Depth-first from the outputs; a node's slot is assigned after its inputs'.
  std::set<const GraphNode*> visiting;
  std::function<int(const std::shared_ptr<GraphNode>&, const GraphNode*)> visit =
      [&](const std::shared_ptr<GraphNode>& n, const GraphNode* consumer) -> int {
    auto it = slot.find(n.get());
    if (it != slot.end()) return it->second;
    if (is_input_node(*n))
      throw ValueError("Graph disconnected: cannot obtain value for input \"" + n->layer->name() +
                       "\" needed by layer \"" + (consumer ? consumer->layer->name() : n->layer->name()) +
                       "\". The model's inputs are: " + names_of(inputs_));
    KERAS_ASSERT(!visiting.count(n.get()));
    visiting.insert(n.get());
    Step s{n, {}};
    for (auto& in : n->inputs) s.args.push_back(visit(in.node(), n.get()));
    int id = static_cast<int>(inputs_.size() + steps_.size());
    slot[n.get()] = id;
    steps_.push_back(std::move(s));
    return id;
  };
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    KERAS_CHECK(outputs[i].defined(), ValueError, "Model \"", name_, "\": output ", i, " is not a symbolic tensor");
    output_slots_.push_back(visit(outputs[i].node(), nullptr));
  }
  // Steps whose value only the next step reads.
  std::map<int, int> uses;
  for (int o : output_slots_) uses[o] += 2;
  for (auto& s : steps_)
    for (int a : s.args) ++uses[a];
  for (std::size_t k = 0; k + 1 < steps_.size(); ++k) {
    const int slot_k = static_cast<int>(inputs_.size() + k);
    const auto& next = steps_[k + 1].args;
    steps_[k].feeds_only_next =
        steps_[k].args.size() == 1 && next.size() == 1 && next[0] == slot_k && uses[slot_k] == 1;
  }
  // Every input must feed some output.
  std::set<int> used(output_slots_.begin(), output_slots_.end());
  for (auto& s : steps_) used.insert(s.args.begin(), s.args.end());
  for (std::size_t i = 0; i < inputs_.size(); ++i)
    KERAS_CHECK(used.count(static_cast<int>(i)), ValueError, "Model \"", name_, "\": input \"",
                inputs_[i].source()->name(), "\" is not connected to any output ", names_of(outputs_));
  // Layers: the inputs, then each layer once in execution order; names unique.
  std::map<std::string, const layers::Layer*> by_name;
  auto add = [&](const std::shared_ptr<layers::Layer>& l) {
    auto [it, inserted] = by_name.emplace(l->name(), l.get());
    if (!inserted && it->second != l.get())
      throw ValueError("The name \"" + l->name() + "\" is used 2 times in the model \"" + name_ +
                       "\". All layer names should be unique.");
    if (inserted) layers_.push_back(l);
  };
  for (auto& t : inputs_) add(t.source());
  for (auto& s : steps_) add(s.node->layer);
  input_shape_ = inputs_[0].shape();
  input_dtype_ = inputs_[0].dtype();
  build_shape_ = input_shape_;
  built_ = true;
}

std::vector<Tensor> Model::call_all(const std::vector<Tensor>& xs, bool training) {
  if (sequential_) {
    KERAS_CHECK(xs.size() == 1, ValueError, "Model \"", name_, "\" expects 1 input, received ", xs.size());
    return {call(xs[0], training)};
  }
  KERAS_CHECK(xs.size() == inputs_.size(), ValueError, "Model \"", name_, "\" expects ", inputs_.size(),
              " inputs, received ", xs.size());
  std::vector<Tensor> vals(inputs_.size() + steps_.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Shape& e = inputs_[i].shape();
    const Tensor& x = xs[i];
    KERAS_CHECK(x.defined(), ValueError, "Model \"", name_, "\": input ", i, " is undefined");
    bool ok = x.ndim() == static_cast<int>(e.size());
    for (std::size_t d = 1; ok && d < e.size(); ++d) ok = e[d] < 0 || e[d] == x.shape()[d];
    KERAS_CHECK(ok, ValueError, "Input ", i, " of layer \"", name_, "\" is incompatible with the layer: expected shape ",
                shape_str(e), ", received shape ", shape_str(x.shape()));
    vals[i] = x.dtype() == inputs_[i].dtype() || inputs_[i].dtype() != float32 ? x : ops::cast(x, float32);
  }
  std::vector<Tensor> args;
  for (std::size_t k = 0; k < steps_.size(); ++k) {
    const Step& s = steps_[k];
    Tensor out;
    if (s.feeds_only_next) {
      out = s.node->layer->call_fused(*steps_[k + 1].node->layer, vals[s.args[0]], training);
      if (out.defined()) {  // the next step's value; this step's is never needed
        vals[inputs_.size() + ++k] = std::move(out);
        continue;
      }
    }
    if (s.args.size() == 1) {
      out = (*s.node->layer)(vals[s.args[0]], training);
    } else {
      args.clear();
      for (int a : s.args) args.push_back(vals[a]);
      out = (*s.node->layer)(args, training);
    }
    vals[inputs_.size() + k] = std::move(out);
  }
  std::vector<Tensor> outs;
  for (int o : output_slots_) outs.push_back(vals[o]);
  return outs;
}

void Model::build_n(const std::vector<Shape>& shapes) {
  if (sequential_) return Layer::build_n(shapes);
  KERAS_CHECK(shapes.size() == inputs_.size(), ValueError, "Model \"", name_, "\" expects ", inputs_.size(),
              " inputs, received ", shapes.size());
}

Tensor Model::call_n(const std::vector<Tensor>& xs, bool training) {
  auto outs = call_all(xs, training);
  KERAS_CHECK(outs.size() == 1, ValueError, "Model \"", name_, "\" has ", outs.size(),
              " outputs; as a layer it must have one");
  return outs[0];
}

Shape Model::compute_output_shape_n(const std::vector<Shape>& shapes) const {
  if (sequential_) return Layer::compute_output_shape_n(shapes);
  KERAS_CHECK(outputs_.size() == 1, ValueError, "Model \"", name_, "\" has ", outputs_.size(),
              " outputs; as a layer it must have one");
  Shape s = outputs_[0].shape();
  if (!shapes.empty() && !shapes[0].empty() && !s.empty()) s[0] = shapes[0][0];
  return s;
}

std::vector<std::string> Model::output_names() const {
  if (sequential_) return {layers_.empty() ? name_ : layers_.back()->name()};
  std::vector<std::string> r;
  for (auto& o : outputs_) r.push_back(o.source()->name());
  return r;
}

}  // namespace keras
