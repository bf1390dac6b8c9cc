// Convolution layers (channels-last): Conv1D, Conv2D, Conv2DTranspose,
// DepthwiseConv2D, SeparableConv2D. Weight layouts are Keras's: kernel
// (kh, kw, in/groups, filters), Conv2DTranspose kernel (kh, kw, filters, in),
// depthwise kernel (kh, kw, in, depth_multiplier).
//
//   keras::layers::Conv2D(32, 3, "relu")
//   keras::layers::Conv2D(64, {3, 5}, "relu", {.strides = 2, .padding = "same"})
#pragma once
#include <initializer_list>
#include <string>
#include <vector>

#include "keras/activations.hpp"
#include "keras/layers/layer.hpp"

namespace keras::layers {

// A size per spatial axis, written as Keras accepts it: one value for all
// axes (3) or one per axis ({3, 5}).
struct Ints {
  std::vector<int> v;
  Ints(int x) : v{x} {}
  Ints(std::initializer_list<int> l) : v(l) {}
  Ints(std::vector<int> x) : v(std::move(x)) {}
  // The values for `rank` axes (throws ValueError naming `what` otherwise).
  std::vector<int> expand(int rank, const char* what, const std::string& layer) const;
};

struct ConvOptions {
  Ints strides = 1;
  std::string padding = "valid";  // "valid", "same" ("causal" for Conv1D)
  Ints dilation_rate = 1;
  int groups = 1;
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

// Base of Conv1D and Conv2D (rank 1 or 2 spatial axes).
class Conv : public Layer {
 public:
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  int filters() const { return filters_; }
  const Variable& kernel() const { return kernel_; }
  const Variable& bias() const { return bias_; }
  bool use_bias() const { return o_.use_bias; }
  const activations::Activation& activation() const { return activation_; }
  const std::vector<int>& strides() const { return strides_; }
  const std::vector<int>& dilation_rate() const { return dilation_; }
  const std::string& padding() const { return o_.padding; }

 protected:
  Conv(int rank, const char* prefix, int filters, Ints kernel_size, activations::Activation activation,
       ConvOptions o);
  int rank_, filters_;
  std::vector<int> kernel_size_, strides_, dilation_;
  activations::Activation activation_;
  ConvOptions o_;
  Variable kernel_, bias_;
};

class Conv1D : public Conv {
 public:
  Conv1D(int filters, Ints kernel_size, activations::Activation activation = {}, ConvOptions o = {})
      : Conv(1, "conv1d", filters, std::move(kernel_size), std::move(activation), std::move(o)) {}
  KERAS_LAYER_CLASS(Conv1D)
};

class Conv2D : public Conv {
 public:
  Conv2D(int filters, Ints kernel_size, activations::Activation activation = {}, ConvOptions o = {})
      : Conv(2, "conv2d", filters, std::move(kernel_size), std::move(activation), std::move(o)) {}
  KERAS_LAYER_CLASS(Conv2D)
};

struct Conv2DTransposeOptions {
  Ints strides = 1;
  std::string padding = "valid";
  std::vector<int> output_padding;  // empty: inferred (Keras's None)
  Ints dilation_rate = 1;
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

// The transposed convolution ("deconvolution"): the gradient of a Conv2D.
class Conv2DTranspose : public Layer {
 public:
  Conv2DTranspose(int filters, Ints kernel_size, activations::Activation activation = {},
                  Conv2DTransposeOptions o = {});
  KERAS_LAYER_CLASS(Conv2DTranspose)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  const Variable& kernel() const { return kernel_; }

 private:
  int filters_;
  std::vector<int> kernel_size_, strides_, dilation_;
  activations::Activation activation_;
  Conv2DTransposeOptions o_;
  Variable kernel_, bias_;
};

struct DepthwiseConv2DOptions {
  Ints strides = 1;
  std::string padding = "valid";
  int depth_multiplier = 1;
  Ints dilation_rate = 1;
  bool use_bias = true;
  initializers::InitializerArg depthwise_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  regularizers::RegularizerArg depthwise_regularizer;
  regularizers::RegularizerArg bias_regularizer;
  regularizers::RegularizerArg activity_regularizer;
  constraints::ConstraintArg depthwise_constraint;
  constraints::ConstraintArg bias_constraint;
  std::string name;
};

// One filter bank per input channel: output channel c*depth_multiplier + j.
class DepthwiseConv2D : public Layer {
 public:
  explicit DepthwiseConv2D(Ints kernel_size, activations::Activation activation = {},
                           DepthwiseConv2DOptions o = {});
  KERAS_LAYER_CLASS(DepthwiseConv2D)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  std::vector<int> kernel_size_, strides_, dilation_;
  activations::Activation activation_;
  DepthwiseConv2DOptions o_;
  Variable kernel_, bias_;
};

struct SeparableConv2DOptions {
  Ints strides = 1;
  std::string padding = "valid";
  int depth_multiplier = 1;
  Ints dilation_rate = 1;
  bool use_bias = true;
  initializers::InitializerArg depthwise_initializer = "glorot_uniform";
  initializers::InitializerArg pointwise_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  regularizers::RegularizerArg depthwise_regularizer;
  regularizers::RegularizerArg pointwise_regularizer;
  regularizers::RegularizerArg bias_regularizer;
  regularizers::RegularizerArg activity_regularizer;
  constraints::ConstraintArg depthwise_constraint;
  constraints::ConstraintArg pointwise_constraint;
  constraints::ConstraintArg bias_constraint;
  std::string name;
};

// A depthwise convolution followed by a 1x1 convolution to `filters`.
class SeparableConv2D : public Layer {
 public:
  SeparableConv2D(int filters, Ints kernel_size, activations::Activation activation = {},
                  SeparableConv2DOptions o = {});
  KERAS_LAYER_CLASS(SeparableConv2D)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  int filters_;
  std::vector<int> kernel_size_, strides_, dilation_;
  activations::Activation activation_;
  SeparableConv2DOptions o_;
  Variable depthwise_, pointwise_, bias_;
};

}  // namespace keras::layers
