// Elementwise functions of two inputs (with broadcasting), where, clip.
#include <type_traits>

#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {
namespace {

template <class T>
__device__ __forceinline__ T int_pow(T base, T e) {
  if constexpr (std::is_signed_v<T>) {
    if (e < 0) {  // only +-1 have integer reciprocals
      if (base == T(1)) return T(1);
      if (base == T(-1)) return (e & 1) ? T(-1) : T(1);
      return T(0);
    }
  }
  T r = 1;
  while (e) {
    if (e & 1) r = static_cast<T>(r * base);
    base = static_cast<T>(base * base);
    e = static_cast<T>(e >> 1);
  }
  return r;
}

// Comparisons and logical ops give 0/1 in T; the kernel stores the result
// as the output type (T, or uint8 for bool outputs). The op is a runtime
// argument: the switch is uniform across the grid and memory-bound kernels
// do not notice it, while it keeps the number of template instances small.
template <class T>
__device__ __forceinline__ T apply_binary(Binary op, T a, T b) {
  switch (op) {
    case Binary::add: return static_cast<T>(a + b);
    case Binary::sub: return static_cast<T>(a - b);
    case Binary::mul: return static_cast<T>(a * b);
    case Binary::div:
      if constexpr (std::is_floating_point_v<T>) return a / b;
      else return b == T(0) ? T(0) : static_cast<T>(a / b);  // no trap on the GPU: define it
    case Binary::pow:
      if constexpr (std::is_floating_point_v<T>) return powf(a, b);
      else return int_pow<T>(a, b);
    case Binary::maximum:
      if constexpr (std::is_floating_point_v<T>) return (a > b || a != a) ? a : b;  // NaN wins
      else return a > b ? a : b;
    case Binary::minimum:
      if constexpr (std::is_floating_point_v<T>) return (a < b || a != a) ? a : b;
      else return a < b ? a : b;
    case Binary::equal: return a == b;
    case Binary::not_equal: return a != b;
    case Binary::less: return a < b;
    case Binary::less_equal: return a <= b;
    case Binary::greater: return a > b;
    case Binary::greater_equal: return a >= b;
    case Binary::logical_and: return a != T(0) && b != T(0);
    case Binary::logical_or: return a != T(0) || b != T(0);
  }
  return T(0);
}

// Same-shape operands, or a one-element operand (the common bias / scalar cases).
template <class T, class O>
__global__ void binary_flat(Binary op, const T* a, const T* b, O* out, bool a_one, bool b_one,
                            std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    out[i] = static_cast<O>(apply_binary<T>(op, a[a_one ? 0 : i], b[b_one ? 0 : i]));
  }
}

template <class T, class O, class I>
__global__ void binary_strided(Binary op, const T* a, const T* b, O* out, StridedLayout<2> L,
                               std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    I off[2];
    strided_offsets<2, I>(L, static_cast<I>(i), off);
    out[i] = static_cast<O>(apply_binary<T>(op, a[off[0]], b[off[1]]));
  }
}

template <class U>
__global__ void where_flat(const std::uint8_t* c, const U* a, const U* b, U* out, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) out[i] = c[i] ? a[i] : b[i];
}

template <class U, class I>
__global__ void where_strided(const std::uint8_t* c, const U* a, const U* b, U* out,
                              StridedLayout<3> L, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    I off[3];
    strided_offsets<3, I>(L, static_cast<I>(i), off);
    out[i] = c[off[0]] ? a[off[1]] : b[off[2]];
  }
}

__global__ void clip_kernel(const float* x, float lo, float hi, float* out, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) out[i] = fminf(fmaxf(x[i], lo), hi);
}

bool is_predicate(Binary op) { return op >= Binary::equal; }

template <class T, class O>
void launch_binary(Binary op, const Tensor& a, const Tensor& b, Tensor& out, cudaStream_t s) {
  const std::int64_t n = out.size();
  const auto c = launch_config(n);
  const bool a_one = a.size() == 1, b_one = b.size() == 1;
  if ((a_one || a.size() == n) && (b_one || b.size() == n)) {
    // Equal sizes under broadcasting mean equal shapes up to leading 1s.
    binary_flat<T, O><<<c.grid, c.block, 0, s>>>(op, ptr<const T>(a), ptr<const T>(b), ptr<O>(out),
                                                 a_one, b_one, n);
    return;
  }
  const auto L = broadcast_layout<2>(out.shape(), {a.shape(), b.shape()});
  if (fits_int32(n))
    binary_strided<T, O, std::uint32_t><<<c.grid, c.block, 0, s>>>(
        op, ptr<const T>(a), ptr<const T>(b), ptr<O>(out), L, n);
  else
    binary_strided<T, O, std::int64_t><<<c.grid, c.block, 0, s>>>(
        op, ptr<const T>(a), ptr<const T>(b), ptr<O>(out), L, n);
}

}  // namespace

void CudaBackend::binary(Binary op, const Tensor& a, const Tensor& b, Tensor& out) {
  if (out.size() == 0) return;
  activate();
  KERAS_CHECK(a.dtype() == b.dtype(), TypeError, "binary op: both inputs must have one dtype, received ",
              dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  const bool to_bool = out.dtype() != a.dtype();
  KERAS_CHECK(!to_bool || (is_predicate(op) && dtype_size(out.dtype()) == 1), TypeError,
              "binary op ", static_cast<int>(op), ": output dtype ", dtype_name(out.dtype()),
              " does not match input dtype ", dtype_name(a.dtype()));
  dispatch_all(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (to_bool)
      launch_binary<T, std::uint8_t>(op, a, b, out, stream_);
    else
      launch_binary<T, T>(op, a, b, out, stream_);
  });
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) {
  const std::int64_t n = out.size();
  if (n == 0) return;
  activate();
  const auto c = launch_config(n);
  const bool flat = cond.size() == n && a.size() == n && b.size() == n;
  const auto L = flat ? StridedLayout<3>{}
                      : broadcast_layout<3>(out.shape(), {cond.shape(), a.shape(), b.shape()});
  dispatch_size(dtype_size(out.dtype()), [&](auto tag) {
    using U = decltype(tag);
    const auto* cp = ptr<const std::uint8_t>(cond);
    if (flat)
      where_flat<U><<<c.grid, c.block, 0, stream_>>>(cp, ptr<const U>(a), ptr<const U>(b), ptr<U>(out), n);
    else if (fits_int32(n))
      where_strided<U, std::uint32_t><<<c.grid, c.block, 0, stream_>>>(
          cp, ptr<const U>(a), ptr<const U>(b), ptr<U>(out), L, n);
    else
      where_strided<U, std::int64_t><<<c.grid, c.block, 0, stream_>>>(
          cp, ptr<const U>(a), ptr<const U>(b), ptr<U>(out), L, n);
  });
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::clip(const Tensor& x, float lo, float hi, Tensor& out) {
  const std::int64_t n = x.size();
  if (n == 0) return;
  activate();
  const auto c = launch_config(n);
  clip_kernel<<<c.grid, c.block, 0, stream_>>>(ptr<const float>(x), lo, hi, ptr<float>(out), n);
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace keras::backend::cuda
