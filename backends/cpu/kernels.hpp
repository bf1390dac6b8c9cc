// Internal to the CPU backend: helpers the kernel files share (dtype dispatch,
// the broadcast iterator, the small thread pool, the convolution algorithms).
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "keras/backend.hpp"
#include "keras/errors.hpp"
#include "keras/tensor.hpp"

namespace keras::backend::cpu {

using std::int64_t;

// --- dtype dispatch: f(T{}) with T the element type (bool is stored as uint8) ---
template <class F>
decltype(auto) dispatch(DType t, F&& f) {
  switch (t) {
    case DType::float32: return f(float{});
    case DType::int32: return f(std::int32_t{});
    case DType::int64: return f(std::int64_t{});
    case DType::uint8:
    case DType::bool_: return f(std::uint8_t{});
  }
  throw ValueError(detail::cat("cpu backend: unsupported dtype ", static_cast<int>(t)));
}

template <class T>
inline T* ptr(const Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

// --- threading ---
// Runs fn(begin, end) over [0, n) split in chunks of at least `grain`
// elements, on the calling thread plus the pool's workers. Small n runs
// inline: waking a thread costs more than a few thousand flops.
void parallel_for_impl(int64_t n, int64_t grain, void (*call)(void*, int64_t, int64_t), void* ctx);
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& fn) {
  if (n <= grain) {
    if (n > 0) fn(int64_t{0}, n);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  parallel_for_impl(
      n, grain, [](void* c, int64_t b, int64_t e) { (*static_cast<Fn*>(c))(b, e); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}
// Element count above which elementwise kernels use more than one thread.
inline constexpr int64_t kParallelThreshold = 1 << 17;

// --- broadcasting ---
// Output shape collapsed to the fewest dimensions, with each input's strides
// in elements (0 where the input broadcasts). After collapsing, the last
// dimension's strides are 0 or 1.
struct BroadcastPlan {
  static constexpr int kMaxDims = 16;
  static constexpr int kMaxInputs = 3;
  int ndim = 0;
  int ninputs = 0;
  int64_t shape[kMaxDims];
  int64_t strides[kMaxInputs][kMaxDims];
  int64_t rows() const;  // product of all but the last dimension
  int64_t inner() const { return ndim ? shape[ndim - 1] : 1; }
  // Offsets (elements) of the inputs at the start of row r.
  void row_offsets(int64_t r, int64_t* offsets) const;
};
BroadcastPlan make_broadcast_plan(const Shape& out, const Shape* const* inputs, int ninputs);

// --- helpers shared by the kernel files ---
// The Backend methods themselves are CpuBackend's (cpu_backend.hpp).

// conv.cpp
// The convolution algorithms of the CPU backend, and the one place that
// chooses among them for a kernel shape w (KH, KW, Cin/groups, Cout), an
// output shape y (N, OH, OW, Cout) and a descriptor: every pass (forward,
// both backward passes, fused with bias + activation or max pooling) asks
// conv_algorithm, so a shape always runs the same algorithm.
//   direct:   patches of at most 32 values, one group (conv_fused.cpp);
//   winograd: 3x3, stride 1, no dilation, one group, >= 16 channels in and
//             out, output at least 4x4 (winograd.cpp);
//   im2col:   im2col + sgemm, everything else (conv.cpp). The backward data
//             pass has no direct kernel: direct shapes use im2col there.
enum class ConvAlgo : std::uint8_t { direct, winograd, im2col };
ConvAlgo conv_algorithm(const Shape& w, const Shape& y, const Conv2dDesc& d);
// Winograd F(4x4, 3x3) (winograd.cpp), where conv_algorithm says winograd.
bool winograd_suits(const Shape& w_shape, const Shape& y_shape, const Conv2dDesc& d);  // for conv_algorithm only
void winograd_forward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Tensor& y);
// Either backward pass, or both in one sweep (dx or dw may be null; x is
// read only for dw, and only its shape is needed for dx).
void winograd_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, const Tensor& dy, Tensor* dx,
                       Tensor* dw);
// The same with the bias + activation fused in: applied to each output tile
// forward; backward, dz = dy * act'(y) is formed (and summed into dbias,
// shape (Cout,)) while the gradient tiles are read.
void winograd_bias_activation(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dDesc& d, Unary act,
                              float alpha, Tensor& y);
void winograd_bias_activation_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Unary act, float alpha,
                                       const Tensor& y, const Tensor& dy, Tensor* dx, Tensor* dw, Tensor& dbias);
// And with max pooling fused in, for windows of 1, 2 or 4 (which tile the
// 4x4 output tiles) with stride = window, as conv2d_bias_activation_max_pool.
bool winograd_fuses_max_pool(const Shape& x_shape, const Shape& w_shape, const Conv2dDesc& d, const Pool2dDesc& pool);
void winograd_bias_activation_max_pool(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dDesc& d,
                                       Unary act, float alpha, const Pool2dDesc& pool, Tensor& p, Tensor& argmax);
void winograd_bias_activation_max_pool_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Unary act,
                                                float alpha, const Pool2dDesc& pool, const Tensor& p,
                                                const Tensor& argmax, const Tensor& dp, Tensor* dx, Tensor* dw,
                                                Tensor& dbias);
// conv_fused.cpp: direct kernels (where conv_algorithm says direct), which
// conv2d_forward / conv2d_backward_filter hand over to, and convolution
// fused with bias + activation (see backend.hpp).
bool conv2d_small_patch(const Shape& w, const Conv2dDesc& d);  // for conv_algorithm only
void conv2d_direct_forward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Tensor& y);
void conv2d_direct_backward_filter(const Tensor& x, const Tensor& dy, const Conv2dDesc& d, Tensor& dw);
// Convolution + bias + activation + max pooling in one pass (conv_fused.cpp),
// for short patches and non-overlapping, unpadded pooling windows.
bool conv2d_fuses_max_pool(const Shape& x, const Shape& w, const Conv2dDesc& d, const Pool2dDesc& pool);

// Splits `shape` around `axis` into (outer, n, inner) element counts.
inline void split_axis(const Shape& shape, int axis, int64_t& outer, int64_t& n, int64_t& inner) {
  outer = 1;
  inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape[i];
  n = shape.empty() ? 1 : shape[axis];
  for (std::size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
}

}  // namespace keras::backend::cpu
