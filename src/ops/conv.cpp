// Convolution and pooling ops: shape checks, 'valid'/'same'/'causal'
// padding resolved into explicit amounts, dispatch to the backend's fused
// 2-D kernels (1-D goes through them with H = 1) and the gradient rules.
#include <string>

#include "ops/common.hpp"
#include "profiler/scope.hpp"

namespace keras::ops {
using namespace detail;

namespace {

using backend::Conv2dDesc;
using backend::Pool2dDesc;
using backend::PoolMode;

enum class Padding { valid, same, causal };

Padding parse_padding(const char* op, const std::string& p, int rank) {
  if (p == "valid") return Padding::valid;
  if (p == "same") return Padding::same;
  if (p == "causal" && rank == 1) return Padding::causal;
  throw ValueError(keras::detail::cat(op, ": padding must be \"valid\" or \"same\"", rank == 1 ? " or \"causal\"" : "",
                               ", received \"", p, "\""));
}

// One value per spatial axis, from one value or one per axis; all >= `min`.
std::vector<int> per_axis(const char* op, const char* what, const std::vector<int>& v, int rank, int min = 1) {
  KERAS_CHECK(v.size() == 1 || static_cast<int>(v.size()) == rank, ValueError, op, ": ", what,
              " must have 1 or ", rank, " values, received ", v.size());
  std::vector<int> out(rank, v[0]);
  if (v.size() > 1) out = v;
  for (int a : out) KERAS_CHECK(a >= min, ValueError, op, ": ", what, " must be >= ", min, ", received ", a);
  return out;
}

// Output size and padding along one axis for an effective kernel extent k.
struct Axis {
  std::int64_t out;
  int lo, hi;
};

Axis resolve(const char* op, Padding pad, std::int64_t in, std::int64_t k, int stride, const Shape& xs,
             const Shape& ks) {
  if (pad == Padding::same) {
    std::int64_t out = (in + stride - 1) / stride;
    std::int64_t total = std::max<std::int64_t>((out - 1) * stride + k - in, 0);
    return {out, static_cast<int>(total / 2), static_cast<int>(total - total / 2)};
  }
  int lo = pad == Padding::causal ? static_cast<int>(k - 1) : 0;
  KERAS_CHECK(in + lo >= k, ValueError, op, ": the kernel (extent ", k, " with dilation) of shape ", shape_str(ks),
              " is larger than the padded input of shape ", shape_str(xs), " (spatial size ", in + lo,
              "); use padding=\"same\" or a smaller kernel");
  return {(in + lo - k) / stride + 1, lo, 0};
}

// 1-D inputs go through the 2-D kernels with H = 1.
Tensor input_2d(const Tensor& x) {  // (N, L, C) -> (N, 1, L, C)
  return reshape(x, {x.shape()[0], 1, x.shape()[1], x.shape()[2]});
}
Tensor kernel_2d(const Tensor& k) {  // (K, Ci, Co) -> (1, K, Ci, Co)
  return reshape(k, {1, k.shape()[0], k.shape()[1], k.shape()[2]});
}

void check_input(const char* op, const Tensor& x, const Tensor& kernel) {
  KERAS_PROFILE_OP(op);
  need_defined(op, x);
  need_defined(op, kernel);
  need_float(op, x);
  need_float(op, kernel);
  same_device(op, x, kernel);
  KERAS_CHECK(x.ndim() == 3 || x.ndim() == 4, ValueError, op,
              ": expected an input of rank 3 (batch, length, channels) or 4 (batch, height, width, channels), "
              "received shape ",
              shape_str(x.shape()));
  KERAS_CHECK(kernel.ndim() == x.ndim(), ValueError, op, ": expected a kernel of rank ", x.ndim(),
              " for an input of shape ", shape_str(x.shape()), ", received kernel shape ", shape_str(kernel.shape()));
}

// The differentiable core: y = conv2d(x, w) with 4-D x, w.
Tensor conv2d_core(const char* op, const Tensor& x, const Tensor& w, const Conv2dDesc& d, const Shape& ys) {
  KERAS_PROFILE_OP(op);
  Tensor y = empty(ys, float32, x.device());
  be(x).conv2d_forward(x, w, d, y);
  const bool gx = x.requires_grad(), gw = w.requires_grad();
  return autograd::record(op, y, {x, w}, [x = x.detach(), w = w.detach(), d, gx, gw](const Tensor& g) {
    Tensor dx, dw;
    if (gx) {
      dx = empty(x.shape(), float32, x.device());
      be(x).conv2d_backward_data(g, w, d, dx);
    }
    if (gw) {
      dw = empty(w.shape(), float32, w.device());
      be(x).conv2d_backward_filter(x, g, d, dw);
    }
    return std::vector<Tensor>{dx, dw};
  });
}

// y = the transposed convolution of x: the backward-data pass of a
// convolution from ys to x.shape().
Tensor conv2d_transpose_core(const char* op, const Tensor& x, const Tensor& w, const Conv2dDesc& d,
                             const Shape& ys) {
  KERAS_PROFILE_OP(op);
  Tensor y = empty(ys, float32, x.device());
  be(x).conv2d_backward_data(x, w, d, y);
  const bool gx = x.requires_grad(), gw = w.requires_grad();
  return autograd::record(op, y, {x, w}, [x = x.detach(), w = w.detach(), d, gx, gw](const Tensor& g) {
    Tensor dx, dw;
    if (gx) {
      dx = empty(x.shape(), float32, x.device());
      be(x).conv2d_forward(g, w, d, dx);
    }
    if (gw) {
      dw = empty(w.shape(), float32, w.device());
      be(x).conv2d_backward_filter(g, x, d, dw);
    }
    return std::vector<Tensor>{dx, dw};
  });
}

// A convolution with its checks done and padding resolved: the 4-D input
// and kernel (1-D gets H = 1), the backend descriptor, the 4-D output shape
// and the output shape at the caller's rank.
struct ConvPlan {
  Tensor x, w;
  Conv2dDesc d;
  Shape ys, out;
};

ConvPlan plan_conv(const char* op, const Tensor& x_in, const Tensor& k_in, const std::vector<int>& strides_in,
                   const std::string& padding, const std::vector<int>& dilation_in) {
  check_input(op, x_in, k_in);
  const int rank = x_in.ndim() - 2;
  const Padding pad = parse_padding(op, padding, rank);
  auto strides = per_axis(op, "strides", strides_in, rank);
  auto dil = per_axis(op, "dilation_rate", dilation_in, rank);
  const std::int64_t cin = x_in.shape(-1), kin = k_in.shape(-2), cout = k_in.shape(-1);
  KERAS_CHECK(kin > 0 && cin % kin == 0, ValueError, op, ": the input has ", cin,
              " channels, which is not a multiple of the kernel's input channels (kernel shape ",
              shape_str(k_in.shape()), ", input shape ", shape_str(x_in.shape()), ")");
  const std::int64_t groups = cin / kin;
  KERAS_CHECK(cout % groups == 0, ValueError, op, ": the kernel's ", cout,
              " output channels are not divisible by the ", groups, " groups (kernel shape ",
              shape_str(k_in.shape()), ", input shape ", shape_str(x_in.shape()), ")");
  if (rank == 1) {
    strides.insert(strides.begin(), 1);
    dil.insert(dil.begin(), 1);
  }
  ConvPlan p;
  p.x = rank == 1 ? input_2d(x_in) : x_in;
  p.w = rank == 1 ? kernel_2d(k_in) : k_in;
  const Shape& xs = p.x.shape();
  const Shape& ws = p.w.shape();
  Axis ah = resolve(op, pad == Padding::causal ? Padding::valid : pad, xs[1], (ws[0] - 1) * dil[0] + 1,
                    strides[0], x_in.shape(), k_in.shape());
  Axis aw = resolve(op, pad, xs[2], (ws[1] - 1) * dil[1] + 1, strides[1], x_in.shape(), k_in.shape());
  Conv2dDesc& d = p.d;
  d.stride_h = strides[0], d.stride_w = strides[1];
  d.pad_top = ah.lo, d.pad_bottom = ah.hi, d.pad_left = aw.lo, d.pad_right = aw.hi;
  d.dilation_h = dil[0], d.dilation_w = dil[1];
  d.groups = static_cast<int>(groups);
  p.ys = {xs[0], ah.out, aw.out, cout};
  p.out = rank == 1 ? Shape{xs[0], aw.out, cout} : p.ys;
  return p;
}

Tensor conv_impl(const char* op, const Tensor& x_in, const Tensor& k_in, const std::vector<int>& strides_in,
                 const std::string& padding, const std::vector<int>& dilation_in) {
  KERAS_PROFILE_OP(op);
  ConvPlan p = plan_conv(op, x_in, k_in, strides_in, padding, dilation_in);
  Tensor y = conv2d_core(op, p.x, p.w, p.d, p.ys);
  return p.out.size() == 3 ? reshape(y, p.out) : y;
}

Tensor pool_impl(const char* op, PoolMode mode, const Tensor& x_in, const std::vector<int>& size_in,
                 const std::vector<int>& strides_in, const std::string& padding) {
  KERAS_PROFILE_OP(op);
  need_defined(op, x_in);
  need_float(op, x_in);
  KERAS_CHECK(x_in.ndim() == 3 || x_in.ndim() == 4, ValueError, op,
              ": expected an input of rank 3 (batch, length, channels) or 4 (batch, height, width, channels), "
              "received shape ",
              shape_str(x_in.shape()));
  const int rank = x_in.ndim() - 2;
  const Padding pad = parse_padding(op, padding, 2);  // no "causal" for pooling
  auto size = per_axis(op, "pool_size", size_in, rank);
  auto strides = strides_in.empty() ? size : per_axis(op, "strides", strides_in, rank);
  if (rank == 1) {
    size.insert(size.begin(), 1);
    strides.insert(strides.begin(), 1);
  }
  Tensor x = rank == 1 ? input_2d(x_in) : x_in;
  const Shape& xs = x.shape();
  Shape window_shape{size[0], size[1]};
  Axis ah = resolve(op, pad, xs[1], size[0], strides[0], x_in.shape(), window_shape);
  Axis aw = resolve(op, pad, xs[2], size[1], strides[1], x_in.shape(), window_shape);
  Pool2dDesc d;
  d.window_h = size[0], d.window_w = size[1];
  d.stride_h = strides[0], d.stride_w = strides[1];
  d.pad_top = ah.lo, d.pad_bottom = ah.hi, d.pad_left = aw.lo, d.pad_right = aw.hi;
  Tensor y = empty({xs[0], ah.out, aw.out, xs[3]}, float32, x.device());
  be(x).pool2d_forward(mode, x, d, y);
  y = autograd::record(op, y, {x}, [x = x.detach(), y = y.detach(), d, mode](const Tensor& g) {
    Tensor dx = empty(x.shape(), float32, x.device());
    be(x).pool2d_backward(mode, x, y, g, d, dx);
    return std::vector<Tensor>{dx};
  });
  return rank == 1 ? reshape(y, {xs[0], aw.out, xs[3]}) : y;
}

// A Conv layer's bias: (Cout,) float32 on the kernel's device.
void check_bias(const char* op, const Tensor& kernel, const Tensor& bias) {
  KERAS_PROFILE_OP(op);
  need_defined(op, kernel);
  need_defined(op, bias);
  need_float(op, bias);
  same_device(op, kernel, bias);
  KERAS_CHECK(kernel.ndim() >= 1 && bias.ndim() == 1 && bias.shape()[0] == kernel.shape(-1), ValueError, op,
              ": expected a bias of shape (C,) matching the kernel's output channels, received kernel ",
              shape_str(kernel.shape()), " and bias ", shape_str(bias.shape()));
}

}  // namespace

Tensor conv(const Tensor& x, const Tensor& kernel, std::vector<int> strides, const std::string& padding,
            std::vector<int> dilation_rate) {
  KERAS_PROFILE_OP("conv");
  return conv_impl("conv", x, kernel, strides, padding, dilation_rate);
}

Tensor conv_bias_activation(const Tensor& x, const Tensor& kernel, const Tensor& bias, const std::string& activation,
                            std::vector<int> strides, const std::string& padding, std::vector<int> dilation_rate) {
  KERAS_PROFILE_OP("conv_bias_activation");
  const char* op = "conv_bias_activation";
  check_bias(op, kernel, bias);
  if (activation == "linear" || activation.empty()) return add(conv(x, kernel, strides, padding, dilation_rate), bias);
  backend::Unary act;
  float alpha;
  KERAS_CHECK(fused_activation(activation, act, alpha), ValueError, op,
              ": expected one of linear, relu, relu6, sigmoid, tanh, elu, received activation '", activation, "'");
  ConvPlan p = plan_conv(op, x, kernel, strides, padding, dilation_rate);
  Tensor y = empty(p.ys, float32, x.device());
  be(x).conv2d_bias_activation(p.x, p.w, bias, p.d, act, alpha, y);
  const bool gx = p.x.requires_grad(), gw = p.w.requires_grad();
  // One node for the three gradients; y is captured detached (capturing y
  // itself would make its node own it, a cycle).
  y = autograd::record(op, y, {p.x, p.w, bias},
                       [x = p.x.detach(), w = p.w.detach(), y = y.detach(), d = p.d, act, alpha, gx,
                        gw](const Tensor& g) {
                         Tensor dx, dw;
                         if (gx) dx = empty(x.shape(), float32, x.device());
                         if (gw) dw = empty(w.shape(), float32, w.device());
                         Tensor db = empty({w.shape()[3]}, float32, w.device());
                         be(x).conv2d_bias_activation_backward(x, w, d, act, alpha, y, g, gx ? &dx : nullptr,
                                                               gw ? &dw : nullptr, db);
                         return std::vector<Tensor>{dx, dw, db};
                       });
  return p.out.size() == 3 ? reshape(y, p.out) : y;
}

Tensor conv_bias_activation_max_pool(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                                     const std::string& activation, std::vector<int> strides,
                                     const std::string& padding, std::vector<int> dilation_rate,
                                     std::vector<int> pool_size) {
  KERAS_PROFILE_OP("conv_bias_activation_max_pool");
  const char* op = "conv_bias_activation_max_pool";
  auto composed = [&] {
    return max_pool(conv_bias_activation(x, kernel, bias, activation, strides, padding, dilation_rate), pool_size,
                    {}, "valid");
  };
  backend::Unary act;
  float alpha;
  if (!x.defined() || x.ndim() != 4 || !fused_activation(activation, act, alpha)) return composed();
  check_bias(op, kernel, bias);
  ConvPlan p = plan_conv(op, x, kernel, strides, padding, dilation_rate);
  const auto window = per_axis(op, "pool_size", pool_size, 2);
  Pool2dDesc pd;
  pd.window_h = pd.stride_h = window[0];
  pd.window_w = pd.stride_w = window[1];
  const backend::ConvPoolShapes shapes{p.x.shape(), p.w.shape(), p.d, pd};
  if (p.ys[1] < window[0] || p.ys[2] < window[1] ||
      !be(x).supports(backend::Op::conv2d_bias_activation_max_pool, {x.dtype(), kernel.dtype(), bias.dtype()},
                      &shapes))
    return composed();
  const Shape ps{p.ys[0], p.ys[1] / window[0], p.ys[2] / window[1], p.ys[3]};
  Tensor y = empty(ps, float32, x.device());
  Tensor argmax = empty(ps, int32, x.device());
  be(x).conv2d_bias_activation_max_pool(p.x, p.w, bias, p.d, act, alpha, pd, y, argmax);
  const bool gx = p.x.requires_grad(), gw = p.w.requires_grad();
  return autograd::record(op, y, {p.x, p.w, bias},
                          [x = p.x.detach(), w = p.w.detach(), y = y.detach(), argmax, d = p.d, pd, act, alpha, gx,
                           gw](const Tensor& g) {
                            Tensor dx, dw;
                            if (gx) dx = empty(x.shape(), float32, x.device());
                            if (gw) dw = empty(w.shape(), float32, w.device());
                            Tensor db = empty({w.shape()[3]}, float32, w.device());
                            be(x).conv2d_bias_activation_max_pool_backward(x, w, d, act, alpha, pd, y, argmax, g,
                                                                           gx ? &dx : nullptr, gw ? &dw : nullptr, db);
                            return std::vector<Tensor>{dx, dw, db};
                          });
}

Tensor depthwise_conv(const Tensor& x, const Tensor& kernel, std::vector<int> strides, const std::string& padding,
                      std::vector<int> dilation_rate) {
  KERAS_PROFILE_OP("depthwise_conv");
  const char* op = "depthwise_conv";
  check_input(op, x, kernel);
  KERAS_CHECK(kernel.shape(-2) == x.shape(-1), ValueError, op, ": the kernel of shape ", shape_str(kernel.shape()),
              " expects ", kernel.shape(-2), " input channels, received input of shape ", shape_str(x.shape()));
  // (.., Cin, M) and (.., 1, Cin*M) have the same memory order, and group c
  // of a grouped convolution writes outputs c*M .. c*M+M-1.
  Shape ks = kernel.shape();
  ks[ks.size() - 1] = ks[ks.size() - 2] * ks.back();
  ks[ks.size() - 2] = 1;
  return conv_impl(op, x, reshape(kernel, ks), strides, padding, dilation_rate);
}

Tensor conv_transpose(const Tensor& x_in, const Tensor& k_in, std::vector<int> strides_in, const std::string& padding,
                      std::vector<int> output_padding, std::vector<int> dilation_in) {
  KERAS_PROFILE_OP("conv_transpose");
  const char* op = "conv_transpose";
  check_input(op, x_in, k_in);
  const int rank = x_in.ndim() - 2;
  const Padding pad = parse_padding(op, padding, 2);
  auto strides = per_axis(op, "strides", strides_in, rank);
  auto dil = per_axis(op, "dilation_rate", dilation_in, rank);
  std::vector<int> opad = output_padding.empty() ? std::vector<int>(rank, -1)
                                                 : per_axis(op, "output_padding", output_padding, rank, 0);
  KERAS_CHECK(k_in.shape(-1) == x_in.shape(-1), ValueError, op, ": the kernel of shape ", shape_str(k_in.shape()),
              " (kh, kw, filters, in_channels) expects ", k_in.shape(-1),
              " input channels, received input of shape ", shape_str(x_in.shape()));
  if (rank == 1) {
    strides.insert(strides.begin(), 1);
    dil.insert(dil.begin(), 1);
    opad.insert(opad.begin(), -1);
  }
  Tensor x = rank == 1 ? input_2d(x_in) : x_in;
  Tensor w = rank == 1 ? kernel_2d(k_in) : k_in;
  const Shape& xs = x.shape();
  // Output size as Keras computes it, then the padding of the forward
  // convolution (from the output back to x) that TensorFlow uses.
  Axis axes[2];
  for (int a = 0; a < 2; ++a) {
    const std::int64_t in = xs[1 + a], k = (w.shape()[a] - 1) * dil[a] + 1, s = strides[a];
    std::int64_t out;
    if (rank == 1 && a == 0) {
      out = 1;
    } else if (opad[a] < 0) {
      out = pad == Padding::same ? in * s : in * s + std::max<std::int64_t>(k - s, 0);
    } else {
      KERAS_CHECK(opad[a] < s, ValueError, op, ": output_padding ", opad[a], " must be smaller than the stride ", s);
      out = (in - 1) * s + k + opad[a] - (pad == Padding::same ? 2 * (k / 2) : 0);
    }
    std::int64_t total = std::max<std::int64_t>((in - 1) * s + k - out, 0);
    axes[a] = {out, static_cast<int>(total / 2), static_cast<int>(total - total / 2)};
    KERAS_CHECK(out > 0 && (out + total - k) / s + 1 == in, ValueError, op, ": cannot produce an output for input of shape ",
                shape_str(x_in.shape()), " and kernel of shape ", shape_str(k_in.shape()), " with these strides and padding");
  }
  Conv2dDesc d;
  d.stride_h = strides[0], d.stride_w = strides[1];
  d.pad_top = axes[0].lo, d.pad_bottom = axes[0].hi, d.pad_left = axes[1].lo, d.pad_right = axes[1].hi;
  d.dilation_h = dil[0], d.dilation_w = dil[1];
  const std::int64_t cout = w.shape()[2];
  Tensor y = conv2d_transpose_core(op, x, w, d, {xs[0], axes[0].out, axes[1].out, cout});
  return rank == 1 ? reshape(y, {xs[0], axes[1].out, cout}) : y;
}

Tensor max_pool(const Tensor& x, std::vector<int> pool_size, std::vector<int> strides, const std::string& padding) {
  KERAS_PROFILE_OP("max_pool");
  return pool_impl("max_pool", PoolMode::max, x, pool_size, strides, padding);
}

Tensor average_pool(const Tensor& x, std::vector<int> pool_size, std::vector<int> strides,
                    const std::string& padding) {
  KERAS_PROFILE_OP("average_pool");
  return pool_impl("average_pool", PoolMode::average, x, pool_size, strides, padding);
}

}  // namespace keras::ops
