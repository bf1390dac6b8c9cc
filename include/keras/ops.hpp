// keras::ops: the differentiable operations everything else is built from.
//
// Each function checks shapes and dtypes (throwing keras::ValueError with the
// op name, what was expected and what was received), dispatches to the
// backend of its inputs' device, and records a gradient rule when an input
// requires a gradient and gradient recording is on.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::ops {

// ---- creation ----
Tensor zeros(const Shape& shape, DType dtype = float32);
Tensor ones(const Shape& shape, DType dtype = float32);
Tensor full(const Shape& shape, double value, DType dtype = float32);
Tensor zeros_like(const Tensor& x);
Tensor ones_like(const Tensor& x);
Tensor full_like(const Tensor& x, double value);
// 0, 1, ..., n-1
Tensor arange(std::int64_t n, DType dtype = int64);
Tensor cast(const Tensor& x, DType dtype);

// ---- elementwise, broadcasting (NumPy rules) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor subtract(const Tensor& a, const Tensor& b);
Tensor multiply(const Tensor& a, const Tensor& b);
Tensor divide(const Tensor& a, const Tensor& b);
Tensor power(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// Comparisons return bool tensors and are not differentiable.
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);
// cond ? a : b (cond bool); differentiable in a and b.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

Tensor negative(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor round(const Tensor& x);
Tensor clip(const Tensor& x, double min_value, double max_value);

// ---- activations (Keras definitions) ----
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor selu(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor softsign(const Tensor& x);
Tensor gelu(const Tensor& x, bool approximate = true);
Tensor silu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.2);
Tensor hard_sigmoid(const Tensor& x);
Tensor softmax(const Tensor& x, int axis = -1);
Tensor log_softmax(const Tensor& x, int axis = -1);
// act(x + bias) in one fused op, bias (C,) over x's last axis; `activation`
// is a Keras name among those bias_activation_supported() accepts.
Tensor bias_activation(const Tensor& x, const Tensor& bias, const std::string& activation);
// linear, relu, relu6, sigmoid, tanh, elu: the activations the fused op handles.
bool bias_activation_supported(const std::string& activation);

// ---- normalization (features along one `axis`; float32) ----
// keras.ops.batch_normalization, the inference form:
//   (x - mean) / sqrt(variance + epsilon) * scale + offset
// with mean, variance, offset and scale of shape (C,), C = x.shape[axis];
// offset and scale may be undefined (0 and 1). One fused op, differentiable
// in all five inputs.
Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance, int axis,
                           const Tensor& offset = {}, const Tensor& scale = {}, double epsilon = 1e-3);
// Batch normalization with the batch's own statistics (training mode): the
// mean and biased variance of x over every axis but `axis`. y is
// differentiable in x, offset and scale through the batch statistics;
// mean and variance (C,) are returned without gradient (for the moving
// averages that BatchNormalization keeps).
struct BatchNormStats {
  Tensor y, mean, variance;
};
BatchNormStats batch_normalization_training(const Tensor& x, int axis, const Tensor& offset = {},
                                            const Tensor& scale = {}, double epsilon = 1e-3);
// Layer normalization over `axis`: each position's C = x.shape[axis] values
// are normalized by their mean and biased variance, then scaled by gamma and
// shifted by beta (shape (C,), or undefined: 1 and 0). One fused op.
Tensor layer_normalization(const Tensor& x, const Tensor& gamma = {}, const Tensor& beta = {}, int axis = -1,
                           double epsilon = 1e-3);

// ---- reductions (axes may be negative; empty = all axes) ----
Tensor sum(const Tensor& x, std::vector<int> axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, std::vector<int> axes = {}, bool keepdims = false);
Tensor max(const Tensor& x, std::vector<int> axes = {}, bool keepdims = false);
Tensor min(const Tensor& x, std::vector<int> axes = {}, bool keepdims = false);
Tensor prod(const Tensor& x, std::vector<int> axes = {}, bool keepdims = false);
Tensor argmax(const Tensor& x, int axis = -1);  // int64
Tensor argmin(const Tensor& x, int axis = -1);  // int64

// ---- shape and layout ----
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor expand_dims(const Tensor& x, int axis);
Tensor squeeze(const Tensor& x, std::optional<int> axis = std::nullopt);
Tensor transpose(const Tensor& x, std::vector<int> perm = {});
Tensor broadcast_to(const Tensor& x, const Shape& shape);
// Sums `x` down to `shape` (the inverse of broadcasting; used by gradients).
Tensor sum_to(const Tensor& x, const Shape& shape);
Tensor concatenate(const std::vector<Tensor>& xs, int axis = 0);
// x[..., start:stop, ...] along axis.
Tensor slice_axis(const Tensor& x, int axis, std::int64_t start, std::int64_t stop);
// Gather along axis (NumPy take); indices int32/int64.
Tensor take(const Tensor& x, const Tensor& indices, int axis = 0);
Tensor one_hot(const Tensor& indices, std::int64_t num_classes);
// The same values with no gradient flowing back.
Tensor stop_gradient(const Tensor& x);

// ---- linear algebra ----
// NumPy matmul: (..., M, K) @ (..., K, N); 1-D operands are promoted.
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- attention ----
// softmax(q @ k^T * scale) @ v for q (B, Tq, Dk), k (B, Tk, Dk), v (B, Tk, Dv),
// float32. keep: undefined, or bool (B / mask_repeat, Tq, Tk), batch row b
// reading keep[b / mask_repeat] (one mask for mask_repeat heads); causal
// masks key j > query i as well. Masked keys get probability 0 and a row
// with none kept gives 0 (Keras's masked softmax). One fused op with its
// own backward where the backend has it (the CPU: blockwise, never more
// than a block of scores, causal blocks skipped); otherwise composed.
Tensor dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& keep = {},
                             double scale = 1.0, bool causal = false, std::int64_t mask_repeat = 1);

// ---- convolution and pooling (channels-last, as Keras) ----
// Inputs are (N, L, C) for 1-D or (N, H, W, C) for 2-D; the kernel has the
// same rank. strides, dilation_rate and pool_size hold one value for every
// spatial axis or one per axis. padding is "valid" or "same" ("same" pads
// the odd extra row/column at the bottom/right, as TensorFlow does), or
// "causal" for 1-D convolutions (all padding on the left).
//
// kernel (KW, Cin/groups, Cout) or (KH, KW, Cin/groups, Cout); the group
// count is Cin / the kernel's input channels (as in keras.ops.conv).
Tensor conv(const Tensor& x, const Tensor& kernel, std::vector<int> strides = {1},
            const std::string& padding = "valid", std::vector<int> dilation_rate = {1});
// act(conv(x, kernel) + bias) as one op with one backward pass (what Conv1D
// and Conv2D do): the same arguments as conv, bias (Cout,), and activation
// one of linear, relu, relu6, sigmoid, tanh, elu (linear is conv + add).
// Throws ValueError for a bias that does not match the kernel's output
// channels or another activation, and whatever conv throws.
//   Tensor y = ops::conv_bias_activation(x, kernel, bias, "relu", {1}, "same");
Tensor conv_bias_activation(const Tensor& x, const Tensor& kernel, const Tensor& bias, const std::string& activation,
                            std::vector<int> strides = {1}, const std::string& padding = "valid",
                            std::vector<int> dilation_rate = {1});
// max_pool(conv_bias_activation(x, kernel, bias, activation, strides,
// padding, dilation_rate), pool_size) with pooling strides = pool_size and
// "valid" padding: a Conv2D layer followed by a MaxPooling2D layer. Where
// the backend can (the CPU: patches of at most 32 values), one pass that
// never writes the full-size activation; otherwise the two ops. Same
// values and gradients either way; 4-D input only (other ranks compose).
Tensor conv_bias_activation_max_pool(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                                     const std::string& activation, std::vector<int> strides,
                                     const std::string& padding, std::vector<int> dilation_rate,
                                     std::vector<int> pool_size);
// The transpose (gradient) of conv. kernel (KH, KW, Cout, Cin) as Keras's
// Conv2DTranspose stores it; output_padding empty means inferred as Keras
// does: size = in * stride (+ max(k - stride, 0) for "valid").
Tensor conv_transpose(const Tensor& x, const Tensor& kernel, std::vector<int> strides = {1},
                      const std::string& padding = "valid", std::vector<int> output_padding = {},
                      std::vector<int> dilation_rate = {1});
// kernel (KH, KW, Cin, multiplier) (or (KW, Cin, multiplier) for 1-D);
// output channel c * multiplier + j.
Tensor depthwise_conv(const Tensor& x, const Tensor& kernel, std::vector<int> strides = {1},
                      const std::string& padding = "valid", std::vector<int> dilation_rate = {1});
// strides empty means strides = pool_size. Average pooling does not count
// padded positions.
Tensor max_pool(const Tensor& x, std::vector<int> pool_size, std::vector<int> strides = {},
                const std::string& padding = "valid");
Tensor average_pool(const Tensor& x, std::vector<int> pool_size, std::vector<int> strides = {},
                    const std::string& padding = "valid");

// ---- images (channels-last, as Keras) ----
namespace image {
// keras.ops.image.resize: images (H, W, C) or (N, H, W, C) float32 resized to
// size {height, width}, computed as Keras's JAX backend does (pixel centres
// at half-integers). interpolation is "nearest" (output o reads input
// floor((o + 0.5) * in / out)), "bilinear", "bicubic" (Keys, a = -0.5),
// "lanczos3" or "lanczos5"; antialias widens the kernel when downscaling
// (Keras's default is false). Differentiable in images. Throws ValueError
// for another rank, a size that is not two positive integers, or another
// interpolation.
//   Tensor y = ops::image::resize(x, {64, 96}, "bilinear");
Tensor resize(const Tensor& images, const std::vector<std::int64_t>& size,
              const std::string& interpolation = "bilinear", bool antialias = false);
}  // namespace image

// ---- losses (fused, numerically stable) ----
// Per-sample losses of shape x.shape[:-1].
Tensor sparse_categorical_crossentropy(const Tensor& target, const Tensor& output,
                                       bool from_logits = false, double label_smoothing = 0.0);
Tensor categorical_crossentropy(const Tensor& target, const Tensor& output,
                                bool from_logits = false, double label_smoothing = 0.0);
// Elementwise binary crossentropy (same shape as output).
Tensor binary_crossentropy(const Tensor& target, const Tensor& output, bool from_logits = false);

// ---- random (seeded from keras::random) ----
Tensor random_uniform(const Shape& shape, double minval = 0.0, double maxval = 1.0);
Tensor random_normal(const Shape& shape, double mean = 0.0, double stddev = 1.0);
Tensor truncated_normal(const Shape& shape, double mean = 0.0, double stddev = 1.0);
Tensor random_permutation(std::int64_t n);
// Zeroes each element with probability `rate` and scales the rest by 1/(1-rate).
// noise_shape (broadcast to x) lets whole channels drop together.
Tensor dropout(const Tensor& x, double rate, const Shape& noise_shape = {});

// ---- in-place updates (not recorded by autograd) ----
// Copies value's data into var (same shape and dtype).
void assign(Tensor& var, const Tensor& value);
// Keras SGD step; velocity may be null when momentum == 0.
void sgd_update(Tensor& var, const Tensor& grad, Tensor* velocity, double lr, double momentum,
                bool nesterov);
// Keras Adam/AdamW/AMSGrad step; `iteration` counts from 1.
void adam_update(Tensor& var, const Tensor& grad, Tensor& m, Tensor& v, Tensor* vhat,
                 double lr, double beta1, double beta2, double epsilon, std::int64_t iteration,
                 double weight_decay = 0.0);
// Sum of squares of all elements as a 0-d float32 tensor.
Tensor sum_squares(const Tensor& x);

// True if any element is NaN or infinite (synchronizes with the device).
bool any_nonfinite(const Tensor& x);

}  // namespace keras::ops
