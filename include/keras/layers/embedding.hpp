// Embedding and Masking: the layers that start a masked sequence.
#pragma once
#include <cstdint>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct EmbeddingOptions {
  initializers::InitializerArg embeddings_initializer = initializers::InitializerArg(
      std::make_shared<initializers::RandomUniform>(-0.05, 0.05));
  // Index 0 is padding: the output mask is `inputs != 0`.
  bool mask_zero = false;
  std::string name;
};

// Integer indices (batch, ...) -> rows of `embeddings` (input_dim,
// output_dim): (batch, ..., output_dim). Float inputs holding whole numbers
// are accepted (a float32 keras::Input); a fractional value, a negative one
// or one >= input_dim raises ValueError naming the layer and the value.
class Embedding : public Layer {
 public:
  Embedding(std::int64_t input_dim, std::int64_t output_dim, EmbeddingOptions o = {});
  KERAS_LAYER_CLASS(Embedding)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  bool creates_mask() const override { return o_.mask_zero; }
  const Variable& embeddings() const { return embeddings_; }
  std::int64_t input_dim() const { return input_dim_; }
  std::int64_t output_dim() const { return output_dim_; }
  bool mask_zero() const { return o_.mask_zero; }

 private:
  std::int64_t input_dim_, output_dim_;
  EmbeddingOptions o_;
  Variable embeddings_;
};

// Masks the time steps whose features all equal mask_value: their output
// is zeros and their mask entry false (mask = any(x != mask_value, axis=-1)).
class Masking : public Layer {
 public:
  explicit Masking(double mask_value = 0.0, std::string name = "");
  KERAS_LAYER_CLASS(Masking)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  bool creates_mask() const override { return true; }
  double mask_value() const { return mask_value_; }

 private:
  Tensor keep(const Tensor& x) const;  // float32 (batch, ..., 1): 1 where kept
  double mask_value_;
};

}  // namespace keras::layers
