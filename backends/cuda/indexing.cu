// take (gather along an axis), its scatter-add backward, one_hot.
#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {
namespace {

// x viewed as (outer, len, inner), indices flattened to J entries; out is
// (outer, J, inner). Negative indices count from the end (NumPy).
template <class U, class Idx>
__global__ void take_kernel(const U* x, const Idx* idx, U* out, std::int64_t len,
                            std::int64_t J, std::int64_t inner, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    const std::int64_t in = i % inner, j = (i / inner) % J, o = i / (inner * J);
    std::int64_t k = static_cast<std::int64_t>(idx[j]);
    if (k < 0) k += len;
    out[i] = x[(o * len + k) * inner + in];
  }
}

// Repeated indices add up: atomics (summation order, hence the last bits,
// may vary between runs).
template <class Idx>
__global__ void take_backward_kernel(const float* dy, const Idx* idx, float* dx, std::int64_t len,
                                     std::int64_t J, std::int64_t inner, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    const std::int64_t in = i % inner, j = (i / inner) % J, o = i / (inner * J);
    std::int64_t k = static_cast<std::int64_t>(idx[j]);
    if (k < 0) k += len;
    atomicAdd(dx + (o * len + k) * inner + in, dy[i]);
  }
}

// Out-of-range indices (including -1) give rows of zeros.
template <class Idx>
__global__ void one_hot_kernel(const Idx* idx, float* out, std::int64_t depth, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    out[i] = static_cast<std::int64_t>(idx[i / depth]) == i % depth ? 1.0f : 0.0f;
  }
}

template <class F>
void dispatch_index(DType t, F&& f) {
  if (t == DType::int32) f(std::int32_t{});
  else if (t == DType::int64) f(std::int64_t{});
  else throw TypeError(detail::cat("indices must be int32 or int64, received ", dtype_name(t)));
}

struct AxisView {
  std::int64_t outer = 1, len = 1, inner = 1;
};

AxisView view_along(const Shape& s, int axis) {
  AxisView v;
  for (int d = 0; d < axis; ++d) v.outer *= s[d];
  v.len = s[axis];
  for (std::size_t d = axis + 1; d < s.size(); ++d) v.inner *= s[d];
  return v;
}

}  // namespace

void CudaBackend::take(const Tensor& x, const Tensor& indices, int axis, Tensor& out) {
  const std::int64_t n = out.size();
  if (n == 0) return;
  activate();
  const AxisView v = view_along(x.shape(), axis);
  const std::int64_t J = indices.size();
  const auto c = launch_config(n);
  dispatch_index(indices.dtype(), [&](auto itag) {
    using Idx = decltype(itag);
    dispatch_size(dtype_size(x.dtype()), [&](auto tag) {
      using U = decltype(tag);
      take_kernel<U, Idx><<<c.grid, c.block, 0, stream_>>>(ptr<const U>(x), ptr<const Idx>(indices),
                                                           ptr<U>(out), v.len, J, v.inner, n);
    });
  });
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::take_backward(const Tensor& dy, const Tensor& indices, int axis, Tensor& dx) {
  const std::int64_t n = dy.size();
  if (n == 0) return;
  activate();
  const AxisView v = view_along(dx.shape(), axis);
  const std::int64_t J = indices.size();
  const auto c = launch_config(n);
  dispatch_index(indices.dtype(), [&](auto itag) {
    using Idx = decltype(itag);
    take_backward_kernel<Idx><<<c.grid, c.block, 0, stream_>>>(
        ptr<const float>(dy), ptr<const Idx>(indices), ptr<float>(dx), v.len, J, v.inner, n);
  });
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::one_hot(const Tensor& indices, std::int64_t depth, Tensor& out) {
  const std::int64_t n = out.size();
  if (n == 0) return;
  activate();
  const auto c = launch_config(n);
  dispatch_index(indices.dtype(), [&](auto itag) {
    using Idx = decltype(itag);
    one_hot_kernel<Idx><<<c.grid, c.block, 0, stream_>>>(ptr<const Idx>(indices), ptr<float>(out),
                                                         depth, n);
  });
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace keras::backend::cuda
