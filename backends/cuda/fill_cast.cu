// fill, cast, arange.
#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {
namespace {

template <class T>
__global__ void fill_kernel(T* out, T value, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) out[i] = value;
}

// bool destinations store nonzero as 1; float -> int truncates (C++ rules).
template <class S, class D>
__global__ void cast_kernel(const S* x, D* out, std::int64_t n, bool to_bool) {
  KERAS_CUDA_LOOP(i, n) {
    const S v = x[i];
    out[i] = to_bool ? static_cast<D>(v != S(0)) : static_cast<D>(v);
  }
}

template <class T>
__global__ void arange_kernel(T* out, double start, double step, std::int64_t n) {
  // In double, so long int64 ranges stay exact.
  KERAS_CUDA_LOOP(i, n) out[i] = static_cast<T>(start + static_cast<double>(i) * step);
}

template <class T>
T convert(double v, DType t) {
  if (t == DType::bool_) return static_cast<T>(v != 0.0);
  return static_cast<T>(v);
}

}  // namespace

void CudaBackend::fill(Tensor& out, double value) {
  const std::int64_t n = out.size();
  if (n == 0) return;
  activate();
  if (value == 0.0) {  // also covers -0.0: the bit pattern 0 is +0.0, which compares equal
    KERAS_CUDA_CHECK(cudaMemsetAsync(out.data_ptr(), 0, out.nbytes(), stream_));
    return;
  }
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto c = launch_config(n);
    fill_kernel<T><<<c.grid, c.block, 0, stream_>>>(ptr<T>(out), convert<T>(value, out.dtype()), n);
  });
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::cast(const Tensor& x, Tensor& out) {
  const std::int64_t n = x.size();
  if (n == 0) return;
  activate();
  const bool to_bool = out.dtype() == DType::bool_;
  if (x.dtype() == out.dtype() || (!to_bool && dtype_size(x.dtype()) == 1 &&
                                    dtype_size(out.dtype()) == 1)) {
    copy(out.data_ptr(), x.data_ptr(), x.nbytes());  // same representation
    return;
  }
  const auto c = launch_config(n);
  dispatch_all(x.dtype(), [&](auto stag) {
    using S = decltype(stag);
    dispatch_all(out.dtype(), [&](auto dtag) {
      using D = decltype(dtag);
      cast_kernel<S, D><<<c.grid, c.block, 0, stream_>>>(ptr<const S>(x), ptr<D>(out), n, to_bool);
    });
  });
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::arange(Tensor& out, double start, double step) {
  const std::int64_t n = out.size();
  if (n == 0) return;
  activate();
  const auto c = launch_config(n);
  switch (out.dtype()) {
    case DType::float32:
      arange_kernel<float><<<c.grid, c.block, 0, stream_>>>(ptr<float>(out), start, step, n);
      break;
    case DType::int32:
      arange_kernel<std::int32_t><<<c.grid, c.block, 0, stream_>>>(ptr<std::int32_t>(out), start, step, n);
      break;
    case DType::int64:
      arange_kernel<std::int64_t><<<c.grid, c.block, 0, stream_>>>(ptr<std::int64_t>(out), start, step, n);
      break;
    default:
      throw TypeError(detail::cat("arange: expected a float32, int32 or int64 output, received ",
                                  dtype_name(out.dtype())));
  }
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace keras::backend::cuda
