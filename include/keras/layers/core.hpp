// Core layers: Dense, Activation, Flatten, Reshape, Dropout, InputLayer.
#pragma once
#include <string>

#include "keras/activations.hpp"
#include "keras/layers/layer.hpp"

namespace keras::layers {

struct DenseOptions {
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  regularizers::RegularizerArg kernel_regularizer;
  regularizers::RegularizerArg bias_regularizer;
  regularizers::RegularizerArg activity_regularizer;
  constraints::ConstraintArg kernel_constraint;
  constraints::ConstraintArg bias_constraint;
  std::string name;
};

// y = activation(x @ kernel + bias); kernel (in, units), bias (units,).
class Dense : public Layer {
 public:
  explicit Dense(int units, activations::Activation activation = {}, DenseOptions o = {});
  KERAS_LAYER_CLASS(Dense)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  int units() const { return units_; }
  const Variable& kernel() const { return kernel_; }
  const Variable& bias() const { return bias_; }
  bool use_bias() const { return o_.use_bias; }
  const activations::Activation& activation() const { return activation_; }

 private:
  int units_;
  activations::Activation activation_;
  DenseOptions o_;
  Variable kernel_, bias_;
};

class Activation : public Layer {
 public:
  explicit Activation(activations::Activation activation, std::string name = "");
  KERAS_LAYER_CLASS(Activation)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  const activations::Activation& activation() const { return activation_; }

 private:
  activations::Activation activation_;
};

// (batch, d1, d2, ...) -> (batch, d1*d2*...)
class Flatten : public Layer {
 public:
  explicit Flatten(std::string name = "");
  KERAS_LAYER_CLASS(Flatten)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
};

// Reshapes the non-batch dimensions; one target dimension may be -1.
class Reshape : public Layer {
 public:
  explicit Reshape(Shape target_shape, std::string name = "");
  KERAS_LAYER_CLASS(Reshape)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  Shape target_;
};

// Zeroes inputs with probability `rate` during training only.
class Dropout : public Layer {
 public:
  explicit Dropout(double rate, std::string name = "");
  KERAS_LAYER_CLASS(Dropout)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  double rate_;
};

// The layer behind keras::Input: declares the input shape (without batch).
class InputLayer : public Layer {
 public:
  explicit InputLayer(Shape shape, std::string name = "", DType dtype = float32);
  KERAS_LAYER_CLASS(InputLayer)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  // Shape with the batch dimension (-1) first.
  Shape batch_shape() const;
  DType dtype() const { return dtype_; }

 private:
  Shape shape_;
  DType dtype_;
};

}  // namespace keras::layers
