// Shared by the CUDA backend's .cu files: error checking, dtype dispatch,
// grid-stride loops and strided offsets.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdint>

#include "backends/cuda/launch_config.hpp"
#include "keras/errors.hpp"
#include "keras/tensor.hpp"

namespace keras::backend::cuda {

// Throws keras::RuntimeError("<library> error in <call>: <what> (file:line)").
[[noreturn]] void throw_error(const char* library, const char* call, const char* what,
                              const char* file, int line);

}  // namespace keras::backend::cuda

// Every CUDA runtime, cuBLAS and cuDNN call goes through one of these. The
// runtime's last-error slot is cleared so a recoverable error (e.g. out of
// memory) does not resurface in an unrelated later check.
#define KERAS_CUDA_CHECK(call)                                                                \
  do {                                                                                        \
    const cudaError_t keras_err_ = (call);                                                    \
    if (keras_err_ != cudaSuccess) {                                                          \
      (void)cudaGetLastError();                                                               \
      ::keras::backend::cuda::throw_error("CUDA", #call, cudaGetErrorString(keras_err_),      \
                                          __FILE__, __LINE__);                                \
    }                                                                                         \
  } while (0)

#define KERAS_CUBLAS_CHECK(call)                                                              \
  do {                                                                                        \
    const cublasStatus_t keras_st_ = (call);                                                  \
    if (keras_st_ != CUBLAS_STATUS_SUCCESS)                                                   \
      ::keras::backend::cuda::throw_error("cuBLAS", #call, cublasGetStatusString(keras_st_),  \
                                          __FILE__, __LINE__);                                \
  } while (0)

#define KERAS_CUDNN_CHECK(call)                                                               \
  do {                                                                                        \
    const cudnnStatus_t keras_st_ = (call);                                                   \
    if (keras_st_ != CUDNN_STATUS_SUCCESS)                                                    \
      ::keras::backend::cuda::throw_error("cuDNN", #call, cudnnGetErrorString(keras_st_),     \
                                          __FILE__, __LINE__);                                \
  } while (0)

// After a kernel launch: reports bad launch configurations right away.
#define KERAS_CUDA_CHECK_LAUNCH() KERAS_CUDA_CHECK(cudaGetLastError())

namespace keras::backend::cuda {

// Grid-stride loop over [0, n).
#define KERAS_CUDA_LOOP(i, n)                                                            \
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; \
       i < (n); i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)

// Offsets of the N operands at linear index `i` of the layout.
template <int N, class I>
__device__ __forceinline__ void strided_offsets(const StridedLayout<N>& L, I i, I (&off)[N]) {
#pragma unroll
  for (int k = 0; k < N; ++k) off[k] = 0;
  for (int d = L.rank - 1; d >= 0; --d) {
    const I n = static_cast<I>(L.shape[d]);
    const I c = i % n;
    i /= n;
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] += c * static_cast<I>(L.strides[k][d]);
  }
}

// One-operand shortcut.
template <class I>
__device__ __forceinline__ I strided_offset(const StridedLayout<1>& L, I i) {
  I off[1];
  strided_offsets<1, I>(L, i, off);
  return off[0];
}

// Calls f(T{}) with T the C++ element type of dtype t (bool is uint8_t).
template <class F>
void dispatch_all(DType t, F&& f) {
  switch (t) {
    case DType::float32: f(float{}); return;
    case DType::int32: f(std::int32_t{}); return;
    case DType::int64: f(std::int64_t{}); return;
    case DType::uint8:
    case DType::bool_: f(std::uint8_t{}); return;
  }
  throw ValueError("CUDA backend: unknown dtype");
}

// Calls f(U{}) with U an unsigned type of the dtype's size, for kernels that
// only move bytes (transpose, take, concat).
template <class F>
void dispatch_size(std::size_t bytes, F&& f) {
  switch (bytes) {
    case 1: f(std::uint8_t{}); return;
    case 2: f(std::uint16_t{}); return;
    case 4: f(std::uint32_t{}); return;
    case 8: f(std::uint64_t{}); return;
  }
  throw ValueError(detail::cat("CUDA backend: unsupported element size ", bytes));
}

// Typed device pointer of a tensor.
template <class T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

// Layout of N operands of the given shapes broadcast to `shape`; throws
// NotImplementedError past kMaxRank.
template <int N>
StridedLayout<N> broadcast_layout(const Shape& shape, const std::array<Shape, N>& ins) {
  std::array<std::vector<std::int64_t>, N> st;
  for (int k = 0; k < N; ++k) st[k] = broadcast_strides(ins[k], shape);
  StridedLayout<N> L;
  KERAS_CHECK(make_layout<N>(shape, st, L), NotImplementedError,
              "CUDA backend supports tensors of rank <= ", kMaxRank, "; received shape ",
              shape_str(shape));
  return L;
}

// True if the index space fits 32-bit arithmetic (much cheaper divisions).
inline bool fits_int32(std::int64_t n) { return n < (std::int64_t{1} << 31); }

}  // namespace keras::backend::cuda
