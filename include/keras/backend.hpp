// The backend interface: the kernels a device must provide.
//
// keras::ops checks shapes and dtypes, allocates outputs and records
// gradients; a backend only computes. Every Tensor passed to a backend is
// contiguous, row-major, on the backend's device, with the shapes and dtypes
// described per method (the front end guarantees them). `out` tensors are
// already allocated with their final shape and dtype.
//
// Broadcasting: binary/where inputs may have fewer dimensions or size-1
// dimensions; they broadcast to out.shape() by NumPy rules (align right).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "keras/errors.hpp"
#include "keras/tensor.hpp"
#include "keras/update_step.hpp"

namespace keras::backend {

// Elementwise functions of one input. `alpha` is the parameter where one
// exists (leaky_relu slope, elu alpha); ignored otherwise.
enum class Unary : std::uint8_t {
  neg, abs, sign, square, sqrt, rsqrt, exp, log, log1p, reciprocal,
  tanh, sigmoid, relu, relu6, elu, selu, softplus, softsign,
  gelu,       // exact (erf) form
  gelu_tanh,  // tanh approximation
  silu, leaky_relu, hard_sigmoid,  // hard_sigmoid: clip(x/6 + 0.5, 0, 1) (Keras 3)
  floor, round, logical_not,
};

// Elementwise functions of two inputs. Comparisons write bool (uint8 0/1)
// outputs; the others write the inputs' dtype.
enum class Binary : std::uint8_t {
  add, sub, mul, div, pow, maximum, minimum,
  equal, not_equal, less, less_equal, greater, greater_equal,
  logical_and, logical_or,
};

enum class Reduce : std::uint8_t { sum, mean, max, min, prod };

// Adam / AdamW / AMSGrad step, all float32 of the same shape, in place.
struct AdamStep {
  float lr, beta1, beta2, epsilon;
  float beta1_power, beta2_power;  // beta^t with t = iterations + 1
  float weight_decay;              // decoupled (AdamW); 0 for Adam
  bool amsgrad;
  // 1 - beta, rounded from double as Keras computes it (1 - 0.999f in
  // float32 is 4.7e-5 relative off 0.001f); negative: 1 - beta in float32.
  float one_minus_beta1 = -1, one_minus_beta2 = -1;
};


// ===== Convolution and pooling (fused kernels, as GPU libraries shape them) =====
// float32, channels-last (NHWC) as Keras stores them. 1-D ops are the 2-D
// ones with H = 1; Conv2DTranspose is conv2d_backward_data; depthwise
// convolution is groups == input channels. The front end (keras::ops)
// resolves 'valid' / 'same' into explicit padding, so a backend never sees
// padding modes: 'same' pads floor(total/2) at the top/left and the rest at
// the bottom/right (TensorFlow's rule; GPU libraries with symmetric padding may need an extra
// one-sided pad when top != bottom).

// Output size along one axis: (in + pad_lo + pad_hi - dilation*(k-1) - 1) / stride + 1.
struct Conv2dDesc {
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;  // Cin and Cout are both divisible by groups
};

enum class PoolMode : std::uint8_t { max, average };

// Pooling window over H and W (channels and batch are independent).
// Padded positions never win a max and are not counted by an average
// (Keras/TensorFlow "same" semantics: averages exclude the padding).
struct Pool2dDesc {
  int window_h = 1, window_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
};

// ===== Normalization (float32) =====
// A normalized tensor viewed as (outer, channels, inner) in memory order:
// x.size() == outer * channels * inner, element (o, c, i) at
// (o * channels + c) * inner + i. Normalizing axis `a` of a shape gives
// outer = product of the dims before a, channels = dim a, inner = product
// of the dims after a (channels last: inner = 1).
struct NormDims {
  std::int64_t outer = 1, channels = 1, inner = 1;
};

// The kernel families a front end may ask a backend about (supports()).
enum class Op : std::uint8_t {
  unary, binary, reduce, take, one_hot, matmul, softmax, sparse_softmax_cross_entropy,
  bias_activation, conv2d, pool2d, conv2d_bias_activation, conv2d_bias_activation_max_pool,
  batch_norm, layer_norm, attention,
};
const char* op_name(Op op);

// ===== Attention (float32) =====
// q (batch, tq, dk), k (batch, tk, dk), v (batch, tk, dv); an optional keep
// mask (batch / mask_repeat, tq, tk) of bool, batch row b reading mask row
// b / mask_repeat; with causal, key j > query i is masked too.
struct AttentionDesc {
  std::int64_t batch = 0, tq = 0, tk = 0, dk = 0, dv = 0, mask_repeat = 1;
  float scale = 1.0f;
  bool causal = false;
};

// The shapes a convolution + pooling query depends on.
struct ConvPoolShapes {
  const Shape& x;
  const Shape& w;
  const Conv2dDesc& conv;
  const Pool2dDesc& pool;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "cpu", "cuda"
  virtual Device device() const = 0;

  // Whether this backend computes `op` for inputs of these dtypes (and, for
  // conv2d_bias_activation_max_pool, these shapes: without them the answer is
  // false). The front end asks before running, to compose a fallback or to
  // fail naming the op, the dtypes and the device. The default follows the
  // dtypes documented per method below; it allocates nothing.
  virtual bool supports(Op op, std::initializer_list<DType> dtypes, const ConvPoolShapes* shapes = nullptr) const;

  // --- memory (bytes) ---
  virtual void* allocate(std::size_t nbytes) = 0;
  virtual void deallocate(void* ptr, std::size_t nbytes) = 0;
  virtual void copy_from_host(void* dst, const void* host_src, std::size_t nbytes) = 0;
  virtual void copy_to_host(void* host_dst, const void* src, std::size_t nbytes) = 0;
  virtual void copy(void* dst, const void* src, std::size_t nbytes) = 0;
  virtual void synchronize() {}

  // --- fill, cast ---
  virtual void fill(Tensor& out, double value) = 0;
  // Converts any dtype to any dtype (bool: nonzero -> 1; float->int truncates).
  virtual void cast(const Tensor& x, Tensor& out) = 0;
  // out (int64 or float32, 1-D): start, start+step, ...
  virtual void arange(Tensor& out, double start, double step) = 0;

  // --- elementwise ---
  // x and out: same shape, float32 (neg/abs/sign/square also int32/int64).
  virtual void unary(Unary op, const Tensor& x, Tensor& out, float alpha) = 0;
  // dx = dy * f'(x); y = f(x) is passed too (kernels may use either). float32.
  virtual void unary_backward(Unary op, const Tensor& x, const Tensor& y, const Tensor& dy,
                              Tensor& dx, float alpha) = 0;
  // a, b broadcast to out.shape(); a and b have the same dtype
  // (float32, int32, int64, uint8 or bool).
  virtual void binary(Binary op, const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // out = cond ? a : b; cond is bool; all three broadcast to out.
  virtual void where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // out = min(max(x, lo), hi); float32.
  virtual void clip(const Tensor& x, float lo, float hi, Tensor& out) = 0;

  // --- reductions ---
  // Reduces x over `axes` (sorted, unique, non-negative). out has x's rank
  // with the reduced axes set to 1 (keepdims form), same dtype as x.
  virtual void reduce(Reduce op, const Tensor& x, const std::vector<int>& axes, Tensor& out) = 0;
  // Index of the max (or min) along `axis`; out is int64 with that axis removed.
  virtual void argmax(const Tensor& x, int axis, Tensor& out, bool min = false) = 0;

  // --- layout ---
  // out = x transposed by perm (out.shape()[i] == x.shape()[perm[i]]); any dtype.
  virtual void transpose(const Tensor& x, const std::vector<int>& perm, Tensor& out) = 0;
  // Concatenate along `axis`; any dtype, all inputs share the other dims.
  virtual void concat(const std::vector<Tensor>& xs, int axis, Tensor& out) = 0;
  // out = x[..., start:start+out.shape(axis), ...] along `axis`; any dtype.
  virtual void slice(const Tensor& x, int axis, std::int64_t start, Tensor& out) = 0;
  // dx (zero-filled by the caller) [..., start:start+dy.shape(axis), ...] += dy.
  virtual void slice_backward(const Tensor& dy, int axis, std::int64_t start, Tensor& dx) = 0;

  // --- indexing ---
  // Gather along `axis`: out.shape = x.shape[:axis] + idx.shape + x.shape[axis+1:].
  // indices int32 or int64 in range (checked by the front end); x any dtype.
  virtual void take(const Tensor& x, const Tensor& indices, int axis, Tensor& out) = 0;
  // dx (zero-filled by the caller) += scatter of dy by the same indices. float32.
  virtual void take_backward(const Tensor& dy, const Tensor& indices, int axis, Tensor& dx) = 0;
  // out (N..., depth) float32 = one_hot(indices), indices int32/int64 (-1 -> zeros row).
  virtual void one_hot(const Tensor& indices, std::int64_t depth, Tensor& out) = 0;

  // --- linear algebra ---
  // out = alpha * op(a) @ op(b) + beta * out, float32. a: (..., M, K) or
  // (..., K, M) if trans_a; b: (..., K, N) or (..., N, K) if trans_b. Leading
  // batch dims are equal or absent (then broadcast) — the front end expands
  // them. Rank-2 is the common case and must be fast.
  virtual void matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, Tensor& out,
                      float alpha = 1.0f, float beta = 0.0f) = 0;

  // --- fused neural-network kernels (float32) ---
  // Softmax (or log-softmax) along the last axis... or any `axis`.
  virtual void softmax(const Tensor& x, int axis, Tensor& out, bool log) = 0;
  // dx from y = softmax(x) (or log_softmax when log) and dy.
  virtual void softmax_backward(const Tensor& y, const Tensor& dy, int axis, Tensor& dx,
                                bool log) = 0;
  // Per-row loss of softmax cross-entropy with integer labels, from logits
  // (N, C) and labels (N,) int32/int64 in [0, C). With label smoothing s, the
  // target is (1 - s) * one_hot + s / C. loss: (N,). If grad is defined
  // (N, C), it receives d(loss_i)/d(logits_i) = softmax - target.
  virtual void sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels,
                                            float label_smoothing, Tensor& loss,
                                            Tensor* grad) = 0;

  // --- random (counter-based: the same seed gives the same numbers) ---
  virtual void random_uniform(Tensor& out, float low, float high, std::uint64_t seed) = 0;
  virtual void random_normal(Tensor& out, float mean, float stddev, std::uint64_t seed) = 0;
  // Normal values redrawn until within two stddevs (Keras TruncatedNormal).
  virtual void random_truncated_normal(Tensor& out, float mean, float stddev,
                                       std::uint64_t seed) = 0;
  // A random permutation of 0..n-1 into out (int64, (n,)).
  virtual void random_permutation(Tensor& out, std::uint64_t seed) = 0;

  // --- optimizer updates (in place, float32) ---
  // var -= lr * grad (momentum == 0), or with a velocity buffer:
  //   v = momentum * v - lr * grad; var += nesterov ? momentum * v - lr * grad : v
  virtual void sgd_update(Tensor& var, const Tensor& grad, Tensor* velocity, float lr,
                          float momentum, bool nesterov) = 0;
  // Keras Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; (vhat = max(vhat, v));
  // alpha = lr sqrt(1-b2^t)/(1-b1^t); var -= alpha m / (sqrt(v or vhat) + eps);
  // AdamW first does var -= lr * weight_decay * var.
  virtual void adam_update(Tensor& var, const Tensor& grad, Tensor& m, Tensor& v,
                           Tensor* vhat, const AdamStep& step) = 0;
  // The other optimizers' rules (RMSprop, Adagrad, Adadelta, Adamax, Nadam,
  // Lion): step.rule applied in one pass, in the float32 operation order of
  // keras/update_step.hpp. The front end checks shapes and dtypes and passes
  // null for the slots the rule does not read.
  virtual void fused_update(Tensor& var, const Tensor& grad, Tensor* slot0, Tensor* slot1, Tensor* slot2,
                            const UpdateStep& step) = 0;
  // Sum of squares of x (float32) into out (0-d float32), for clipnorm.
  virtual void sum_squares(const Tensor& x, Tensor& out) = 0;

  // ===== Convolution and pooling (see Conv2dDesc / Pool2dDesc above) =====
  // The defaults throw NotImplementedError so that a backend builds before
  // it implements them. All tensors float32, contiguous.
  //
  // y = conv(x, w). x (N, H, W, Cin); w (KH, KW, Cin/groups, Cout) (Keras's
  // kernel layout); y (N, OH, OW, Cout), overwritten. Group g reads input
  // channels [g*Cin/G, (g+1)*Cin/G) and writes output channels
  // [g*Cout/G, (g+1)*Cout/G). No bias: the front end adds it.
  virtual void conv2d_forward(const Tensor& /*x*/, const Tensor& /*w*/, const Conv2dDesc& /*d*/, Tensor& /*y*/) {
    not_implemented("conv2d_forward");
  }
  // dx = d(sum(y * dy))/dx, the transposed convolution. dy (N, OH, OW, Cout);
  // w as above; dx (N, H, W, Cin), overwritten (H, W from dx's shape; rows
  // and columns that no window touches get 0).
  virtual void conv2d_backward_data(const Tensor& /*dy*/, const Tensor& /*w*/, const Conv2dDesc& /*d*/,
                                    Tensor& /*dx*/) {
    not_implemented("conv2d_backward_data");
  }
  // dw = d(sum(y * dy))/dw. x (N, H, W, Cin); dy (N, OH, OW, Cout);
  // dw (KH, KW, Cin/groups, Cout), overwritten.
  virtual void conv2d_backward_filter(const Tensor& /*x*/, const Tensor& /*dy*/, const Conv2dDesc& /*d*/,
                                      Tensor& /*dw*/) {
    not_implemented("conv2d_backward_filter");
  }
  // y = pool(x). x (N, H, W, C); y (N, OH, OW, C), overwritten.
  virtual void pool2d_forward(PoolMode /*mode*/, const Tensor& /*x*/, const Pool2dDesc& /*d*/, Tensor& /*y*/) {
    not_implemented("pool2d_forward");
  }
  // dx from x, y = pool2d_forward(x), dy (shape of y); dx (shape of x),
  // overwritten. Max: each window's gradient goes to its first maximal
  // element (row-major order within the window), as TensorFlow does.
  virtual void pool2d_backward(PoolMode /*mode*/, const Tensor& /*x*/, const Tensor& /*y*/, const Tensor& /*dy*/,
                               const Pool2dDesc& /*d*/, Tensor& /*dx*/) {
    not_implemented("pool2d_backward");
  }

  // --- fused bias + activation (float32; what Dense and Conv layers do) ---
  // out = act(x + bias), bias (C,) over x's last axis (x: (..., C)).
  // `act` is one of relu, relu6, sigmoid, tanh, elu (alpha > 0): activations
  // whose derivative is a function of y alone, so the backward pass needs
  // only y. The defaults compose binary + unary, so a backend works without
  // overriding them; the CPU backend fuses the passes over memory.
  virtual void bias_activation(const Tensor& x, const Tensor& bias, Unary act, float alpha,
                               Tensor& out) {
    binary(Binary::add, x, bias, out);
    unary(act, out, out, alpha);  // elementwise, so in place is safe
  }
  // From y = bias_activation(x, ...) and dy: dx = dy * act'(y) (shape of y)
  // and dbias = sum of dx over all but the last axis, in keepdims form
  // (y's rank, leading axes 1).
  virtual void bias_activation_backward(Unary act, const Tensor& y, const Tensor& dy, float alpha,
                                        Tensor& dx, Tensor& dbias) {
    // y stands in for x: for these activations the sign and range tests on x
    // give the same answer on y, and the other derivatives read y.
    unary_backward(act, y, y, dy, dx, alpha);
    std::vector<int> axes;
    for (int i = 0; i + 1 < static_cast<int>(y.shape().size()); ++i) axes.push_back(i);
    reduce(Reduce::sum, dx, axes, dbias);
  }

  // --- fused convolution + bias + activation (what Conv layers do) ---
  // y = act(conv(x, w) + bias): x, w, d and y as in conv2d_forward, bias
  // (Cout,), act as in bias_activation. The default composes
  // conv2d_forward and bias_activation (in place on y).
  virtual void conv2d_bias_activation(const Tensor& x, const Tensor& w, const Tensor& bias,
                                      const Conv2dDesc& d, Unary act, float alpha, Tensor& y) {
    conv2d_forward(x, w, d, y);
    bias_activation(y, bias, act, alpha, y);
  }
  // The gradients of y = conv2d_bias_activation(x, w, bias, ...) from y and
  // dy (shape of y), through dz = dy * act'(y):
  //   dbias (Cout,) = sum of dz over N, H and W (not the keepdims form);
  //   *dw = conv2d_backward_filter(x, dz) if dw is not null;
  //   *dx = conv2d_backward_data(dz, w) if dx is not null.
  // All outputs are overwritten. The default materialises dz and composes
  // bias_activation_backward and the two convolution backward passes.
  virtual void conv2d_bias_activation_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d,
                                               Unary act, float alpha, const Tensor& y,
                                               const Tensor& dy, Tensor* dx, Tensor* dw,
                                               Tensor& dbias) {
    Tensor dz = Tensor::empty(y.shape(), DType::float32, y.device());
    Tensor db = dbias.reshape({1, 1, 1, dbias.size()});  // keepdims view of dbias
    bias_activation_backward(act, y, dy, alpha, dz, db);
    if (dw) conv2d_backward_filter(x, dz, d, *dw);
    if (dx) conv2d_backward_data(dz, w, d, *dx);
  }
  // --- convolution + bias + activation + max pooling (a Conv layer followed
  // by a MaxPooling layer), for backends that can skip the full-size
  // activation in between; supports(Op::conv2d_bias_activation_max_pool, ...)
  // with the shapes says whether the two methods below are implemented for
  // them; the front end composes conv2d_bias_activation and pool2d_forward
  // otherwise. ---
  // p = max pooling of act(conv(x, w) + bias), for windows that tile the
  // convolution's output without overlap or padding (stride = window, pads
  // 0; trailing rows and columns that fill no window are dropped).
  // argmax (int32, shape of p) receives each window's position (row-major)
  // of its first maximal element, where pool2d_backward would route the
  // gradient.
  virtual void conv2d_bias_activation_max_pool(const Tensor& /*x*/, const Tensor& /*w*/, const Tensor& /*bias*/,
                                               const Conv2dDesc& /*d*/, Unary /*act*/, float /*alpha*/,
                                               const Pool2dDesc& /*pool*/, Tensor& /*p*/, Tensor& /*argmax*/) {
    not_implemented("conv2d_bias_activation_max_pool");
  }
  // Its gradients from p, argmax and dp (shape of p): the convolution's
  // output gradient dz is dp * act'(p) at each window's argmax and 0
  // elsewhere; dbias, *dw and *dx are then as in
  // conv2d_bias_activation_backward.
  virtual void conv2d_bias_activation_max_pool_backward(const Tensor& /*x*/, const Tensor& /*w*/,
                                                        const Conv2dDesc& /*d*/, Unary /*act*/, float /*alpha*/,
                                                        const Pool2dDesc& /*pool*/, const Tensor& /*p*/,
                                                        const Tensor& /*argmax*/, const Tensor& /*dp*/,
                                                        Tensor* /*dx*/, Tensor* /*dw*/, Tensor& /*dbias*/) {
    not_implemented("conv2d_bias_activation_max_pool_backward");
  }


  // ===== Normalization (see NormDims above; float32, contiguous) =====
  // gamma and beta are (channels,) or null (then 1 and 0). The defaults
  // compose reduce / binary / unary, so every backend works without
  // overriding them; the CPU and GPU backends fuse the passes.
  //
  // Batch normalization, statistics per channel over outer and inner.
  // Training: writes mean and var (channels,), the batch mean and the biased
  // batch variance, inv_std (channels,) = 1 / sqrt(var + epsilon) (what the
  // backward pass reads), and y (x's shape) = (x - mean) * inv_std * gamma + beta.
  virtual void batch_norm_training(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                                   const NormDims& n, Tensor& y, Tensor& mean, Tensor& var, Tensor& inv_std);
  // Inference: y = (x - mean) / sqrt(var + epsilon) * gamma + beta with the
  // given mean and var (channels,).
  virtual void batch_norm_inference(const Tensor& x, const Tensor* gamma, const Tensor* beta,
                                    const Tensor& mean, const Tensor& var, float epsilon, const NormDims& n,
                                    Tensor& y);
  // Gradients of y = (x - mean) * inv_std * gamma + beta from dy (x's shape),
  // with M = outer * inner and xhat = (x - mean) * inv_std:
  //   dbeta = sum(dy), dgamma = sum(dy * xhat) (channels,), each over outer and inner;
  //   batch_stats (mean and inv_std are the batch statistics of x, as
  //   batch_norm_training returned them, so they depend on x):
  //     dx = gamma * inv_std * (dy - dbeta / M - xhat * dgamma / M);
  //   otherwise (constant statistics): dx = gamma * inv_std * dy.
  // Null outputs are not computed; the others are overwritten.
  virtual void batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                                   const Tensor& inv_std, const NormDims& n, bool batch_stats, Tensor* dx,
                                   Tensor* dgamma, Tensor* dbeta);
  // Layer normalization: statistics over the channels of each (outer, inner)
  // position. Writes mean and inv_std (outer * inner values, any shape of
  // that size, in (o, i) order), with var the biased variance over the
  // channels and inv_std = 1 / sqrt(var + epsilon), and
  // y = (x - mean) * inv_std * gamma + beta (gamma, beta per channel).
  virtual void layer_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                                  const NormDims& n, Tensor& y, Tensor& mean, Tensor& inv_std);
  // Gradients from dy and layer_norm_forward's mean and inv_std, with
  // g = dy * gamma and xhat as above, C = channels, per (o, i):
  //   dx = inv_std * (g - mean_c(g) - xhat * mean_c(g * xhat));
  //   dgamma = sum over (o, i) of dy * xhat, dbeta = sum of dy (channels,).
  // Null outputs are not computed; the others are overwritten.
  virtual void layer_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                                   const Tensor& inv_std, const NormDims& n, Tensor* dx, Tensor* dgamma,
                                   Tensor* dbeta);

  // softmax(q k^T * scale over the kept keys) v, blockwise (Op::attention):
  // out (batch, tq, dv); lse (batch, tq) the log-sum-exp of each row's kept
  // scaled scores (-inf and an output row of 0 where no key is kept, as
  // Keras's masked softmax gives).
  virtual void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* keep,
                                 const AttentionDesc& d, Tensor& out, Tensor& lse) {
    not_implemented("attention_forward");
  }
  // dq, dk, dv (all overwritten) from dout, with out and lse from the forward.
  virtual void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* keep,
                                  const AttentionDesc& d, const Tensor& out, const Tensor& lse, const Tensor& dout,
                                  Tensor& dq, Tensor& dk, Tensor& dv) {
    not_implemented("attention_backward");
  }

 protected:
  [[noreturn]] void not_implemented(const char* op) const {
    throw NotImplementedError(detail::cat(op, " is not implemented by the ", name(), " backend"));
  }
};

// ===== Registration =====
// Each backend registers a factory from its own files with a static
// BackendRegistrar; the registry keeps one Backend per device, created on
// first use. A new backend adds files (and a directory in the build), not
// edits here.
struct BackendFactory {
  Device::Type type;
  // Usable devices of this type; 0 (never an exception) when none is present.
  int (*device_count)();
  // A backend for device `index` (0 <= index < device_count()).
  std::unique_ptr<Backend> (*make)(int index);
};
void register_backend(const BackendFactory& factory);
struct BackendRegistrar {
  explicit BackendRegistrar(const BackendFactory& factory) { register_backend(factory); }
};

// The backend for a device; throws ValueError if none is registered.
Backend& get(Device device);
// True if a backend for this device type is compiled in and a device exists.
bool is_available(Device::Type type);
// Every available device (CPU first).
std::vector<Device> available_devices();

}  // namespace keras::backend
