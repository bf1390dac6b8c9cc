// Normalization layers: BatchNormalization and LayerNormalization.
#pragma once
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct BatchNormalizationOptions {
  int axis = -1;  // the feature (channel) axis
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;  // beta
  bool scale = true;   // gamma
  initializers::InitializerArg beta_initializer = "zeros";
  initializers::InitializerArg gamma_initializer = "ones";
  initializers::InitializerArg moving_mean_initializer = "zeros";
  initializers::InitializerArg moving_variance_initializer = "ones";
  regularizers::RegularizerArg beta_regularizer;
  regularizers::RegularizerArg gamma_regularizer;
  constraints::ConstraintArg beta_constraint;
  constraints::ConstraintArg gamma_constraint;
  // tf.keras 2's fused kernel (4-D or 5-D inputs, features on the last axis
  // or axis 1): the moving variance moves toward the batch variance with
  // Bessel's correction n / (n - 1), and epsilon is at least 1.001e-5. Set
  // when a file written by tf.keras 2 is read; not part of Keras 3's config.
  bool keras2_fused = false;
  std::string name;
};

// Training (and trainable): normalizes with the batch's mean and (biased)
// variance over every axis but `axis`, and moves the moving statistics:
// moving = moving * momentum + batch * (1 - momentum). Inference (or frozen):
// normalizes with the moving statistics. Weights, in Keras's order: gamma,
// beta (trainable), moving_mean, moving_variance (non-trainable).
class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions o = {});
  KERAS_LAYER_CLASS(BatchNormalization)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  const Variable& moving_mean() const { return moving_mean_; }
  const Variable& moving_variance() const { return moving_variance_; }

 private:
  BatchNormalizationOptions o_;
  int axis_ = -1;  // normalized at build
  Variable gamma_, beta_, moving_mean_, moving_variance_;
};

struct LayerNormalizationOptions {
  int axis = -1;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  initializers::InitializerArg beta_initializer = "zeros";
  initializers::InitializerArg gamma_initializer = "ones";
  regularizers::RegularizerArg beta_regularizer;
  regularizers::RegularizerArg gamma_regularizer;
  constraints::ConstraintArg beta_constraint;
  constraints::ConstraintArg gamma_constraint;
  std::string name;
};

// Normalizes each sample over `axis` (mean 0, variance 1), then scales by
// gamma and shifts by beta (weights in that order).
class LayerNormalization : public Layer {
 public:
  explicit LayerNormalization(LayerNormalizationOptions o = {});
  KERAS_LAYER_CLASS(LayerNormalization)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  LayerNormalizationOptions o_;
  int axis_ = -1;
  Variable gamma_, beta_;
};

}  // namespace keras::layers
