// Attention layers with Keras 3's names, arguments, weights and configs:
// Attention (dot-product or concat scores), AdditiveAttention (Bahdanau)
// and MultiHeadAttention.
//
// Keras's call keyword arguments (use_causal_mask, return_attention_scores,
// key, attention_mask) are given per call through the *Call structs below.
// The layer keeps the options of its (last) call; a layer shared by several
// graph calls must use the same options in each (else ValueError). With
// return_attention_scores the layer has two outputs (output, scores), so
// call it with call_all.
//
//   auto mha = std::make_shared<MultiHeadAttention>(4, 16);
//   auto y = mha->call_all(x, x, {.use_causal_mask = true})[0];
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct AttentionCall {
  bool use_causal_mask = false;
  bool return_attention_scores = false;
};

struct AttentionOptions {
  bool use_scale = false;        // AdditiveAttention: true by default
  std::string score_mode = "dot";  // Attention: "dot" or "concat"
  double dropout = 0.0;          // on the attention weights, in training
  std::optional<std::int64_t> seed;
  std::string name;
};

// Inputs [query, value] or [query, value, key] of shape (batch, T, dim);
// masks [query_mask, value_mask] (batch, T). Scores (batch, Tq, Tv):
// dot: query . key (times a learned scalar `scale` with use_scale); concat:
// concat_score_weight * sum(tanh(scale * (query + key))). Masked value
// positions (and future ones with use_causal_mask) get scores - 1e9; rows of
// masked queries give zeros.
class Attention : public Layer {
 public:
  explicit Attention(AttentionOptions o = {});
  KERAS_LAYER_CLASS(Attention)
  void build_n(const std::vector<Shape>& input_shapes) override;
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_n(const std::vector<Tensor>& inputs, bool training) override;
  int num_outputs() const override { return call_.return_attention_scores ? 2 : 1; }
  std::vector<Tensor> call_outputs(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
  Shape compute_output_shape_n(const std::vector<Shape>& input_shapes) const override;
  std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                  bool training) override;
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  nlohmann::json get_config() const override;
  nlohmann::json call_kwargs() const override;
  void set_call_kwargs(const nlohmann::json& kwargs, int num_positional_inputs) override;

  using Layer::call_all;
  // A graph call with Keras's call options.
  std::vector<KerasTensor> call_all(const std::vector<KerasTensor>& inputs, AttentionCall c);
  // An eager call: {output} or {output, scores}; masks [query_mask, value_mask] may be empty.
  std::vector<Tensor> attend(const std::vector<Tensor>& inputs, AttentionCall c, bool training = false,
                             const std::vector<Tensor>& masks = {});

 protected:
  virtual Tensor scores(const Tensor& q, const Tensor& k) const;
  void set_call(AttentionCall c);
  std::vector<Tensor> compute(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training);
  void check_shapes(const std::vector<Shape>& shapes) const;
  AttentionOptions o_;
  AttentionCall call_;
  Variable scale_, concat_weight_;
};

// Bahdanau-style: scores = sum(scale * tanh(query + key)) with a learned
// `scale` of shape (dim,) (glorot_uniform) when use_scale, else 1.
class AdditiveAttention : public Attention {
 public:
  explicit AdditiveAttention(AttentionOptions o = {.use_scale = true});
  KERAS_LAYER_CLASS(AdditiveAttention)
  void build_n(const std::vector<Shape>& input_shapes) override;
  nlohmann::json get_config() const override;

 protected:
  Tensor scores(const Tensor& q, const Tensor& k) const override;
};

struct MultiHeadAttentionOptions {
  int value_dim = 0;                  // 0: key_dim
  double dropout = 0.0;               // on the attention probabilities, in training
  bool use_bias = true;
  Shape output_shape;                 // empty: the query's last dimension
  std::vector<int> attention_axes;    // empty: every axis but batch, heads and features
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  std::optional<std::int64_t> seed;
  std::string name;
};

// Keras's call arguments for one MultiHeadAttention call; T is Tensor
// (eager) or KerasTensor (graph). key defaults to value; attention_mask is
// bool, broadcastable to (batch, [other axes,] Tq..., Tk...).
template <class T>
struct MultiHeadAttentionCall {
  T key;
  T attention_mask;
  bool use_causal_mask = false;
  bool return_attention_scores = false;
};

// Weights as Keras 3 lays them out, under sub-layers query/key/value/
// attention_output (attributes query_dense, key_dense, value_dense,
// output_dense): kernels (dim, num_heads, key_dim) (value: value_dim),
// biases (num_heads, key_dim); output kernel (num_heads, value_dim,
// *output_shape), bias (*output_shape). Graph inputs are
// [query, value, key?, attention_mask?]; masks of query, value and key
// (from the graph) are combined with attention_mask and the causal mask as
// Keras combines them. Outputs: (batch, ..., *output_shape) and, with
// return_attention_scores, the probabilities (batch, [other axes,]
// num_heads, Tq..., Tk...) before dropout.
class MultiHeadAttention : public Layer {
 public:
  MultiHeadAttention(int num_heads, int key_dim, MultiHeadAttentionOptions o = {});
  KERAS_LAYER_CLASS(MultiHeadAttention)
  void build_n(const std::vector<Shape>& input_shapes) override;
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_n(const std::vector<Tensor>& inputs, bool training) override;
  int num_outputs() const override { return call_.scores ? 2 : 1; }
  std::vector<Tensor> call_outputs(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
  Shape compute_output_shape_n(const std::vector<Shape>& input_shapes) const override;
  std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                  bool training) override;
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  nlohmann::json get_config() const override;
  nlohmann::json call_kwargs() const override;
  void set_call_kwargs(const nlohmann::json& kwargs, int num_positional_inputs) override;
  std::vector<std::string> tensor_kwargs() const override;
  bool shapes_by_dry_run() const override { return false; }

  using Layer::call_all;
  std::vector<KerasTensor> call_all(const KerasTensor& query, const KerasTensor& value,
                                    MultiHeadAttentionCall<KerasTensor> c = {});
  // Eager: {output} or {output, scores}; masks [query_mask, value_mask, key_mask] may be empty.
  std::vector<Tensor> attend(const Tensor& query, const Tensor& value, MultiHeadAttentionCall<Tensor> c = {},
                             bool training = false, const std::vector<Tensor>& masks = {});
  int num_heads() const { return num_heads_; }
  int key_dim() const { return key_dim_; }
  int value_dim() const { return o_.value_dim; }

 private:
  struct CallState {
    bool key = false, attention_mask = false, causal = false, scores = false, key_kwarg = false, value_kwarg = false;
    bool operator==(const CallState&) const = default;
  };
  void set_state(CallState s);
  std::vector<Tensor> compute(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training);
  Tensor combined_mask(const Tensor& q, const Tensor& v, const std::vector<Tensor>& masks,
                       const Tensor& attention_mask, bool causal) const;
  Shape scores_shape(const Shape& q, const Shape& k) const;
  Tensor keep_mask(Tensor mask, const Shape& full, std::size_t head_axis, bool fused, const Shape& flat,
                   const Tensor& q, const Tensor& v, std::int64_t& rep) const;
  void check_inputs(const std::vector<Shape>& shapes) const;
  int num_heads_, key_dim_;
  MultiHeadAttentionOptions o_;
  CallState call_;
  std::vector<int> axes_;  // attention axes, normalized at build
  std::shared_ptr<Layer> query_, key_, value_, output_;
};

}  // namespace keras::layers
