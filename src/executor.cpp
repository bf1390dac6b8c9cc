// The model executor: planning (order, slots, fusion, lifetimes) and running.
#include "executor.hpp"

#include <functional>
#include <map>
#include <set>
#include <typeinfo>

#include "keras/layers/conv.hpp"
#include "keras/layers/core.hpp"
#include "keras/layers/pooling.hpp"
#include "keras/ops.hpp"
#include "profiler/scope.hpp"

namespace keras::detail {
namespace {

bool is_input_node(const GraphNode& n) {
  return n.inputs.empty() && typeid(*n.layer) == typeid(layers::InputLayer);
}

std::string names_of(const std::vector<KerasTensor>& ts) {
  std::string r;
  for (auto& t : ts) r += (r.empty() ? "" : ", ") + std::string("\"") + t.source()->name() + "\"";
  return "[" + r + "]";
}

template <class L>
bool exactly(const layers::Layer& l) {
  return typeid(l) == typeid(L);
}

// A built-in activation the backend applies together with the bias.
bool fusable(const activations::Activation& a) {
  return a.builtin() && !a.is_linear() && ops::bias_activation_supported(a.name);
}

bool builtin_softmax(const activations::Activation& a) { return a.builtin() && a.name == "softmax"; }

// The activation of a step's layer for the patterns, or null.
const activations::Activation* activation_of(const layers::Layer& l) {
  if (exactly<layers::Dense>(l)) return &static_cast<const layers::Dense&>(l).activation();
  if (exactly<layers::Conv1D>(l) || exactly<layers::Conv2D>(l)) return &static_cast<const layers::Conv&>(l).activation();
  if (exactly<layers::Activation>(l)) return &static_cast<const layers::Activation&>(l).activation();
  return nullptr;
}

// bias + activation of a Dense or Conv pre-activation value, keeping the
// logits of a softmax output when asked.
Tensor finish(const Tensor& z, const Variable& bias, bool use_bias, const activations::Activation& act,
              Tensor* logits) {
  if (use_bias && fusable(act)) return ops::bias_activation(z, bias.value(), act.name);
  Tensor y = use_bias ? ops::add(z, bias.value()) : z;
  if (logits && builtin_softmax(act)) {
    *logits = y;
    return ops::softmax(y, -1);
  }
  return act(y);
}

Tensor run_dense(layers::Dense& d, const Tensor& x, Tensor* logits) {
  d.prepare_call(x);
  const std::int64_t in = d.kernel().shape()[0];
  KERAS_CHECK(x.ndim() >= 2 && x.shape(-1) == in, ValueError, "Input 0 of layer \"", d.name(),
              "\" is incompatible with the layer: expected last dimension ", in, ", received shape ",
              shape_str(x.shape()));
  return finish(ops::matmul(x, d.kernel().value()), d.bias(), d.use_bias(), d.activation(), logits);
}

Tensor run_conv(layers::Conv& c, const Tensor& x, Tensor* logits) {
  c.prepare_call(x);
  c.compute_output_shape(x.shape());  // the layer's own input checks
  if (c.use_bias() && fusable(c.activation()))
    return ops::conv_bias_activation(x, c.kernel().value(), c.bias().value(), c.activation().name, c.strides(),
                                     c.padding(), c.dilation_rate());
  Tensor z = ops::conv(x, c.kernel().value(), c.strides(), c.padding(), c.dilation_rate());
  return finish(z, c.bias(), c.use_bias(), c.activation(), logits);
}

Tensor run_conv_pool(layers::Conv& c, layers::Pooling& pool, const Tensor& x) {
  c.prepare_call(x);
  const Shape ys = c.compute_output_shape(x.shape());
  pool.compute_output_shape(ys);  // the pooling layer's own checks (window larger than its input)
  return ops::conv_bias_activation_max_pool(x, c.kernel().value(), c.bias().value(), c.activation().name,
                                            c.strides(), c.padding(), c.dilation_rate(), pool.pool_size());
}

}  // namespace

Executor::Executor(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, const std::string& model_name,
                   const std::string& input_owner)
    : name_(model_name), input_owner_(input_owner.empty() ? model_name : input_owner), inputs_(std::move(inputs)),
      outputs_(std::move(outputs)) {
  KERAS_CHECK(!inputs_.empty() && !outputs_.empty(), ValueError, "Model \"", name_,
              "\": expected at least one input and one output");
  std::map<const GraphNode*, int> first_slot;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    const auto& t = inputs_[i];
    KERAS_CHECK(t.defined() && is_input_node(*t.node()), ValueError, "Model \"", name_, "\": input ", i,
                " must be a keras::Input, received the output of layer \"", t.defined() ? t.source()->name() : "?",
                "\"");
    KERAS_CHECK(!first_slot.count(t.node().get()), ValueError, "Model \"", name_, "\": input \"",
                t.source()->name(), "\" is passed twice");
    first_slot[t.node().get()] = static_cast<int>(i);
  }
  num_slots_ = static_cast<int>(inputs_.size());
  // Depth-first from the outputs: a node's slots come after its inputs'.
  std::set<const GraphNode*> visiting;
  std::function<int(const KerasTensor&, const GraphNode*)> visit = [&](const KerasTensor& t,
                                                                      const GraphNode* consumer) -> int {
    const auto& n = t.node();
    auto it = first_slot.find(n.get());
    if (it != first_slot.end()) return it->second + t.tensor_index();
    if (is_input_node(*n))
      throw ValueError("Graph disconnected: cannot obtain value for input \"" + n->layer->name() +
                       "\" needed by layer \"" + (consumer ? consumer->layer->name() : n->layer->name()) +
                       "\". The model's inputs are: " + names_of(inputs_));
    KERAS_ASSERT(!visiting.count(n.get()));
    visiting.insert(n.get());
    Step s;
    s.node = n;
    for (auto& in : n->inputs) s.args.push_back(visit(in, n.get()));
    s.out = num_slots_;
    num_slots_ += static_cast<int>(n->output_shapes.size());
    first_slot[n.get()] = s.out;
    steps_.push_back(std::move(s));
    return first_slot[n.get()] + t.tensor_index();
  };
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    KERAS_CHECK(outputs_[i].defined(), ValueError, "Model \"", name_, "\": output ", i, " is not a symbolic tensor");
    output_slots_.push_back(visit(outputs_[i], nullptr));
  }
  std::set<int> used(output_slots_.begin(), output_slots_.end());
  for (auto& s : steps_) used.insert(s.args.begin(), s.args.end());
  for (std::size_t i = 0; i < inputs_.size(); ++i)
    KERAS_CHECK(used.count(static_cast<int>(i)), ValueError, "Model \"", name_, "\": input \"",
                inputs_[i].source()->name(), "\" is not connected to any output ", names_of(outputs_));
  // Masks may flow from steps whose layer creates them, to their consumers.
  std::vector<bool> may_mask(num_slots_, false);
  for (auto& s : steps_) {
    s.masked = s.node->layer->creates_mask();
    for (int a : s.args) s.masked = s.masked || may_mask[a];
    for (std::size_t k = 0; k < s.node->output_shapes.size(); ++k) may_mask[s.out + k] = s.masked;
  }
  plan_fusion();
  plan_lifetimes();
}

void Executor::plan_fusion() {
  std::map<int, int> readers;
  for (int o : output_slots_) readers[o] += 2;  // an output is never folded away
  for (auto& s : steps_)
    for (int a : s.args) ++readers[a];
  std::set<int> outs(output_slots_.begin(), output_slots_.end());
  for (std::size_t k = 0; k < steps_.size(); ++k) {
    Step& s = steps_[k];
    const layers::Layer& l = *s.node->layer;
    if (s.masked || s.args.size() != 1 || l.activity_regularizer()) continue;  // call() records activity losses
    if (exactly<layers::Dense>(l)) s.kind = Kind::dense;
    if (exactly<layers::Conv1D>(l) || exactly<layers::Conv2D>(l)) s.kind = Kind::conv;
    const activations::Activation* act = activation_of(l);
    s.keep_logits = act && builtin_softmax(*act) && outs.count(s.out);
    if (!exactly<layers::Conv2D>(l) || k + 1 >= steps_.size()) continue;
    auto& conv = static_cast<const layers::Conv&>(l);
    const Step& next = steps_[k + 1];
    if (!exactly<layers::MaxPooling2D>(*next.node->layer) || next.masked || next.args != std::vector<int>{s.out} ||
        readers[s.out] != 1 || !conv.use_bias() || !fusable(conv.activation()))
      continue;
    auto& pool = static_cast<const layers::Pooling&>(*next.node->layer);
    if (pool.padding() != "valid" || pool.strides() != pool.pool_size()) continue;
    s.kind = Kind::conv_pool;
    s.skip = 1;
    s.keep_logits = false;
    ++k;
  }
}

void Executor::plan_lifetimes() {
  std::vector<int> last(num_slots_, -1);
  for (std::size_t k = 0; k < steps_.size(); k += 1 + steps_[k].skip)
    for (int a : steps_[k].args) last[a] = static_cast<int>(k);
  for (int o : output_slots_) last[o] = -1;
  for (int slot = 0; slot < num_slots_; ++slot)
    if (last[slot] >= 0) steps_[last[slot]].release.push_back(slot);
}

void Executor::check_inputs(const std::vector<Tensor>& xs) const {
  KERAS_CHECK(xs.size() == inputs_.size(), ValueError, "Model \"", name_, "\" expects ", inputs_.size(),
              " inputs, received ", xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Shape& e = inputs_[i].shape();
    const Tensor& x = xs[i];
    KERAS_CHECK(x.defined(), ValueError, "Model \"", name_, "\": input ", i, " is undefined");
    bool ok = x.ndim() == static_cast<int>(e.size());
    for (std::size_t d = 1; ok && d < e.size(); ++d) ok = e[d] < 0 || e[d] == x.shape()[d];
    KERAS_CHECK(ok, ValueError, "Input ", i, " of layer \"", input_owner_,
                "\" is incompatible with the layer: expected shape ", shape_str(e), ", received shape ",
                shape_str(x.shape()));  }
}

// Every layer runs with the model's `training`: as in Keras 3, whose
// functional replay passes the outer call's value over a training=False
// recorded at graph construction (GraphNode::training is kept only so that
// saved configs keep the argument); a frozen layer (trainable=false) is what
// keeps BatchNormalization in inference mode while the model trains.
RunResult Executor::run(const std::vector<Tensor>& xs, bool training) const {
  check_inputs(xs);
  std::vector<Tensor> vals(num_slots_), masks, args, arg_masks;
  std::vector<Tensor> logits_of(num_slots_);
  for (std::size_t i = 0; i < xs.size(); ++i)
    vals[i] = xs[i].dtype() == inputs_[i].dtype() || inputs_[i].dtype() != float32 ? xs[i] : ops::cast(xs[i], float32);
  for (std::size_t k = 0; k < steps_.size(); k += 1 + steps_[k].skip) {
    const Step& s = steps_[k];
    layers::Layer& layer = *s.node->layer;
    Tensor* logits = s.keep_logits ? &logits_of[s.out] : nullptr;
    std::string fused;  // a conv + pooling step is timed as one, named after both layers
    if (s.kind == Kind::conv_pool && profiler::active())
      fused = layer.name() + " + " + steps_[k + 1].node->layer->name();
    profiler::detail::Scope timed(fused.empty() ? layer.name() : fused, profiler::Category::layer);
    switch (s.kind) {
      case Kind::dense: vals[s.out] = run_dense(static_cast<layers::Dense&>(layer), vals[s.args[0]], logits); break;
      case Kind::conv: vals[s.out] = run_conv(static_cast<layers::Conv&>(layer), vals[s.args[0]], logits); break;
      case Kind::conv_pool:
        vals[steps_[k + 1].out] = run_conv_pool(static_cast<layers::Conv&>(layer),
                                                static_cast<layers::Pooling&>(*steps_[k + 1].node->layer),
                                                vals[s.args[0]]);
        break;
      case Kind::call: {
        args.clear();
        for (int a : s.args) args.push_back(vals[a]);
        std::vector<Tensor> ys;
        if (s.masked) {
          if (masks.empty()) masks.resize(num_slots_);
          arg_masks.clear();
          for (int a : s.args) arg_masks.push_back(masks[a]);
          ys = layer.call_masked(args, arg_masks, training);
          auto ms = layer.compute_mask(args, arg_masks);
          for (std::size_t j = 0; j < ms.size() && j < s.node->output_shapes.size(); ++j) masks[s.out + j] = ms[j];
        } else {
          ys = layer.call_all(args, training);
        }
        KERAS_CHECK(ys.size() == s.node->output_shapes.size(), ValueError, "Layer \"", layer.name(), "\" (",
                    layer.class_name(), ") returned ", ys.size(), " outputs, but its num_outputs() is ",
                    s.node->output_shapes.size());
        for (std::size_t j = 0; j < ys.size(); ++j) vals[s.out + j] = std::move(ys[j]);
        if (s.keep_logits) logits_of[s.out] = args[0];  // an Activation("softmax") output
        break;
      }
    }
    for (int r : s.release) vals[r] = Tensor();
  }
  RunResult r;
  for (int o : output_slots_) {
    r.outputs.push_back(vals[o]);
    r.logits.push_back(logits_of[o]);
    r.masks.push_back(masks.empty() ? Tensor() : masks[o]);
  }
  return r;
}

std::vector<const GraphNode*> Executor::nodes() const {
  std::vector<const GraphNode*> r;
  for (auto& s : steps_) r.push_back(s.node.get());
  return r;
}

std::vector<std::shared_ptr<layers::Layer>> Executor::layers() const {
  std::vector<std::shared_ptr<layers::Layer>> r;
  std::set<const layers::Layer*> seen;
  auto add = [&](const std::shared_ptr<layers::Layer>& l) {
    if (seen.insert(l.get()).second) r.push_back(l);
  };
  for (auto& t : inputs_) add(t.source());
  for (auto& s : steps_) add(s.node->layer);
  return r;
}

int Executor::fused_steps() const {
  int n = 0;
  for (auto& s : steps_) n += s.kind != Kind::call;
  return n;
}

}  // namespace keras::detail
