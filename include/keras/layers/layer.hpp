// keras::layers::Layer: the base of every layer and of Model.
//
// A layer is four members: the constructor (validate and store the
// config), build(input_shape) (create weights with add_weight), call()
// (compute with keras::ops only — gradients come from autograd) and
// get_config(). operator() builds on first use and checks the input.
//
// Example (a custom layer):
//   class Scale : public keras::layers::Layer {
//    public:
//     Scale() : Layer(unique_name("scale")) {}
//     std::string class_name() const override { return "Scale"; }
//     void build(const keras::Shape& s) override {
//       w_ = add_weight("w", {s.back()}, "ones");
//     }
//     keras::Tensor call(const keras::Tensor& x, bool) override { return x * w_.value(); }
//    private:
//     keras::Variable w_;
//   };
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "keras/constraints.hpp"
#include "keras/initializers.hpp"
#include "keras/regularizers.hpp"
#include "keras/keras_tensor.hpp"
#include "keras/tensor.hpp"
#include "keras/variable.hpp"

namespace keras::layers {

// While one is alive, layer calls keep the losses recorded so far instead
// of clearing them: the outermost call (or a fit step) owns the losses of
// every layer it runs, as Keras's call context does.
class LossScope {
 public:
  LossScope();
  ~LossScope();
  LossScope(const LossScope&) = delete;
  LossScope& operator=(const LossScope&) = delete;
  static bool active();
};

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  virtual ~Layer() = default;
  // Keras class name for summary() and configs: "Dense".
  virtual std::string class_name() const = 0;

  // Creates the weights for an input shape whose first (batch) dimension
  // is -1. The default creates none.
  virtual void build(const Shape& input_shape);
  // The computation. `training` is true inside fit().
  virtual Tensor call(const Tensor& inputs, bool training) = 0;
  // Output shape for an input shape (batch dimension -1). The default
  // returns the input shape.
  virtual Shape compute_output_shape(const Shape& input_shape) const;
  // Keras config: name, trainable, dtype and the layer's own arguments.
  virtual nlohmann::json get_config() const;

  // Builds if needed (checking the input against the built shape), then calls.
  Tensor operator()(const Tensor& x, bool training = false);
  // Several inputs (merge layers): builds if needed, then call_n().
  Tensor operator()(const std::vector<Tensor>& xs, bool training = false);
  // Every output of a call (layers with several outputs): builds if needed,
  // then call_outputs().
  std::vector<Tensor> call_all(const std::vector<Tensor>& xs, bool training = false);

  // Functional API: records a call on symbolic tensors and returns its
  // output. The layer object itself goes into the graph when it is owned by
  // a std::shared_ptr; otherwise a copy does (the first call makes it, later
  // calls on the same object reuse it, so the layer is shared). A layer with
  // several outputs throws here: call_all() returns them all.
  KerasTensor operator()(const KerasTensor& x);
  KerasTensor operator()(const std::vector<KerasTensor>& xs);
  std::vector<KerasTensor> call_all(const std::vector<KerasTensor>& xs);
  // A symbolic call whose training flag is fixed, as Keras's
  // base_model(x, training=False): the layer runs in that mode whatever
  // mode the outer model runs in (saved as the call's "training" kwarg).
  KerasTensor operator()(const KerasTensor& x, bool training);
  // Transfer learning (Keras's layer.input / layer.output): the symbolic
  // input and output of this layer's first recorded call that is still
  // part of a graph. Throws ValueError for a layer never called on
  // symbolic tensors, or one with several inputs/outputs (inputs_at/outputs_at).
  virtual KerasTensor input() const;
  virtual KerasTensor output() const;
  std::vector<KerasTensor> inputs_at(int node_index = 0) const;
  std::vector<KerasTensor> outputs_at(int node_index = 0) const;
  // Internal: remembers a symbolic call of this layer (for input()/output()).
  void record_node(const std::shared_ptr<GraphNode>& node);

  // Multi-input layers override these; the defaults accept exactly one
  // input and forward to build / call / compute_output_shape.
  virtual void build_n(const std::vector<Shape>& input_shapes);
  virtual Tensor call_n(const std::vector<Tensor>& inputs, bool training);
  virtual Shape compute_output_shape_n(const std::vector<Shape>& input_shapes) const;

  // Several outputs (e.g. an RNN with return_state): override all three.
  // The defaults give one output, from call_n / compute_output_shape_n.
  virtual int num_outputs() const { return 1; }
  virtual std::vector<Tensor> call_outputs(const std::vector<Tensor>& inputs, bool training);
  virtual std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const;

  // Masks, as Keras defines them: a bool (uint8) tensor per input, or an
  // undefined tensor for none. A layer that consumes masks overrides
  // call_masked (the default ignores them). compute_mask gives the mask of
  // each output: by default the first input's mask when supports_masking()
  // (layers that keep the time axis), none otherwise.
  virtual std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                          bool training);
  virtual std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const;
  bool supports_masking() const { return supports_masking_; }
  // True when compute_mask may give a mask for inputs that have none
  // (Masking, Embedding with mask_zero): the executor then tracks masks.
  virtual bool creates_mask() const { return false; }

  // Keyword arguments of the layer's graph calls, as Keras records them in a
  // node's "kwargs" (MultiHeadAttention's use_causal_mask, ...). Saving
  // writes call_kwargs() (non-tensor values) and names the last inputs of a
  // node by tensor_kwargs() (the inputs passed by keyword, in input order);
  // loading hands a node's kwargs to set_call_kwargs before the call, then
  // appends the tensors tensor_kwargs() names. The defaults: none.
  virtual nlohmann::json call_kwargs() const;
  virtual void set_call_kwargs(const nlohmann::json& kwargs, int num_positional_inputs);
  virtual std::vector<std::string> tensor_kwargs() const { return {}; }
  // Whether a graph call learns its output shapes by running the layer on
  // zeros (the default for layers that own layers) instead of from
  // compute_output_shapes (false where a dry run would disturb state, e.g.
  // a stateful RNN).
  virtual bool shapes_by_dry_run() const { return !sublayers_.empty(); }

  // Layers that own layers: sub-layers are tracked under an attribute name
  // (the name Keras's .keras files use in weight paths, e.g. "dense_1" for
  // self.dense_1). weights(), trainable flags, count_params(), get/set_weights
  // and saving recurse into them.
  template <class L>
  std::shared_ptr<L> track(const std::string& attribute, std::shared_ptr<L> layer) {
    track_layer(attribute, layer);
    return layer;
  }
  struct Tracked {
    std::string attribute;
    std::shared_ptr<Layer> layer;
  };
  // The directly owned sub-layers (a Model's are its layers).
  virtual std::vector<Tracked> sublayers() const { return sublayers_; }
  // This layer's own variables, without its sub-layers'.
  const std::vector<Variable>& own_weights() const { return weights_; }

  // A heap copy of this layer (KERAS_LAYER_CLASS defines it).
  virtual std::shared_ptr<Layer> clone_shared() const;
  // The layer that graph calls on this object use (itself, or its copy).
  std::shared_ptr<Layer> shared();

  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }
  bool trainable() const { return trainable_; }
  // Frozen layers keep their weights during fit; as in Keras, setting it
  // sets every sub-layer (a frozen BatchNormalization runs in inference mode).
  void set_trainable(bool t);
  bool built() const { return built_; }
  // The input shape build() was called with (batch dimension -1).
  const Shape& build_input_shape() const { return build_shape_; }
  // What operator() checks before call(): builds if needed, and checks the
  // input's rank and last dimension against the built shape.
  void prepare_call(const Tensor& x);
  // Marks the layer built for `input_shape` (calls build if not built).
  void ensure_built(const Shape& input_shape);
  void ensure_built_n(const std::vector<Shape>& input_shapes);
  // Number of symbolic calls recorded so far (graph nodes of this layer).
  int num_nodes() const { return num_nodes_; }

  // All weights in creation order (Keras's get_weights order).
  virtual std::vector<Variable> weights() const;
  virtual std::vector<Variable> trainable_weights() const;
  virtual std::vector<Variable> non_trainable_weights() const;
  std::vector<Tensor> get_weights() const;
  // Copies values in; throws ValueError naming the layer, the weight and
  // both shapes when a count or shape differs.
  void set_weights(const std::vector<Tensor>& values);
  std::int64_t count_params() const;

  // Losses, as Keras's layer.losses: the tensors add_loss recorded during
  // the latest call of this layer and of its sub-layers, then the penalty
  // of each regularized trainable weight (computed now, so gradients flow
  // to the weights). fit adds their sum to the training loss.
  std::vector<Tensor> losses() const;
  // Records a scalar loss tensor from inside call() (the model's next call
  // starts afresh). A non-scalar tensor is summed, as Keras does.
  void add_loss(const Tensor& loss);
  // Forgets the losses add_loss recorded here and in the sub-layers.
  void clear_losses();
  void clear_own_losses() { call_losses_.clear(); }
  // The tensors add_loss recorded on this layer alone.
  const std::vector<Tensor>& own_losses() const { return call_losses_; }
  // Keras's activity_regularizer: each call adds regularizer(output) /
  // batch size to losses(). Null when none.
  const regularizers::RegularizerPtr& activity_regularizer() const { return activity_regularizer_; }
  void set_activity_regularizer(regularizers::RegularizerArg r) { activity_regularizer_ = std::move(r.ptr); }
  // Applies the activity regularizer to a call's outputs (no-op without one).
  void record_activity(const std::vector<Tensor>& outputs);

  // "dense", "dense_1", ...: the next free name for a prefix.
  static std::string unique_name(const std::string& prefix);
  // Forgets the names given so far (keras.backend.clear_session).
  static void reset_names();

 protected:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  Layer(const Layer&) = default;
  Layer& operator=(const Layer&) = default;
  // Creates a weight named `name` (path "<layer>/<name>"), with an optional
  // regularizer (its penalty joins losses()) and constraint (applied after
  // each optimizer step), as Keras's add_weight.
  Variable add_weight(const std::string& name, const Shape& shape,
                      const initializers::InitializerArg& initializer, bool trainable = true,
                      regularizers::RegularizerArg regularizer = {}, constraints::ConstraintArg constraint = {});
  // Throws ValueError "Input 0 of layer "<name>" is incompatible: expected
  // ..., received shape ..." unless `ok`.
  void check_input(bool ok, const std::string& expected, const Shape& received) const;
  void track_layer(const std::string& attribute, std::shared_ptr<Layer> layer);
  void set_path_prefix(const std::string& prefix);

  std::string name_;
  bool trainable_ = true;
  bool built_ = false;
  Shape build_shape_;
  std::vector<Variable> weights_;
  std::vector<Tracked> sublayers_;
  std::string path_prefix_;  // "outer/" for a sub-layer: its weights' paths
  bool supports_masking_ = false;
  int num_nodes_ = 0;
  std::shared_ptr<Layer> graph_copy_;  // see operator()(KerasTensor)
  regularizers::RegularizerPtr activity_regularizer_;
  std::vector<Tensor> call_losses_;  // add_loss during the latest call
  std::vector<std::weak_ptr<GraphNode>> nodes_;  // symbolic calls (input()/output())
};

// Declares class_name() and clone_shared() for a layer class:
//   class Scale : public keras::layers::Layer { public: KERAS_LAYER_CLASS(Scale) ... };
#define KERAS_LAYER_CLASS(Name)                                              \
  std::string class_name() const override { return #Name; }                 \
  std::shared_ptr<::keras::layers::Layer> clone_shared() const override {    \
    return std::make_shared<Name>(*this);                                    \
  }

using LayerPtr = std::shared_ptr<Layer>;

}  // namespace keras::layers
