// Elementwise functions of one input and their derivatives.
#include <type_traits>

#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {
namespace {

constexpr float kSeluScale = 1.0507009873554804934193349852946f;
constexpr float kSeluAlpha = 1.6732632423543772848170429916717f;
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;
constexpr float kGeluC = 0.044715f;

__device__ __forceinline__ float sigmoidf(float x) {
  // Never exponentiates a large positive number.
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

// The op is a kernel argument, not a template parameter: the switch is
// uniform across threads (no divergence) and memory bandwidth dominates,
// while 27 ops x dtypes of template instances would only cost build time.
__device__ __forceinline__ float apply_unary(Unary op, float x, float alpha) {
  switch (op) {
    case Unary::neg: return -x;
    case Unary::abs: return fabsf(x);
    case Unary::sign: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : (x == 0.0f ? 0.0f : x));
    case Unary::square: return x * x;
    case Unary::sqrt: return sqrtf(x);
    case Unary::rsqrt: return rsqrtf(x);
    case Unary::exp: return expf(x);
    case Unary::log: return logf(x);
    case Unary::log1p: return log1pf(x);
    case Unary::reciprocal: return 1.0f / x;
    case Unary::tanh: return tanhf(x);
    case Unary::sigmoid: return sigmoidf(x);
    case Unary::relu: return x > 0.0f ? x : 0.0f;
    case Unary::relu6: return fminf(fmaxf(x, 0.0f), 6.0f);
    case Unary::elu: return x > 0.0f ? x : alpha * expm1f(x);
    case Unary::selu: return x > 0.0f ? kSeluScale * x : kSeluScale * kSeluAlpha * expm1f(x);
    case Unary::softplus: return log1pf(expf(-fabsf(x))) + fmaxf(x, 0.0f);
    case Unary::softsign: return x / (1.0f + fabsf(x));
    case Unary::gelu: return 0.5f * x * (1.0f + erff(x * kInvSqrt2));
    case Unary::gelu_tanh:
      return 0.5f * x * (1.0f + tanhf(kSqrt2OverPi * (x + kGeluC * x * x * x)));
    case Unary::silu: return x * sigmoidf(x);
    case Unary::leaky_relu: return x > 0.0f ? x : alpha * x;
    case Unary::hard_sigmoid: return fminf(fmaxf(x / 6.0f + 0.5f, 0.0f), 1.0f);
    case Unary::floor: return floorf(x);
    case Unary::round: return rintf(x);  // half to even, like NumPy
    case Unary::logical_not: return x == 0.0f ? 1.0f : 0.0f;
  }
  return x;
}

// dy * f'(x), given x and y = f(x).
__device__ __forceinline__ float apply_unary_grad(Unary op, float x, float y, float dy, float alpha) {
  switch (op) {
    case Unary::neg: return -dy;
    case Unary::abs: return x > 0.0f ? dy : (x < 0.0f ? -dy : 0.0f);
    case Unary::square: return 2.0f * x * dy;
    case Unary::sqrt: return 0.5f * dy / y;
    case Unary::rsqrt: return -0.5f * dy * y * y * y;
    case Unary::exp: return dy * y;
    case Unary::log: return dy / x;
    case Unary::log1p: return dy / (1.0f + x);
    case Unary::reciprocal: return -dy * y * y;
    case Unary::tanh: return dy * (1.0f - y * y);
    case Unary::sigmoid: return dy * y * (1.0f - y);
    case Unary::relu: return x > 0.0f ? dy : 0.0f;
    case Unary::relu6: return x > 0.0f && x < 6.0f ? dy : 0.0f;
    case Unary::elu: return x > 0.0f ? dy : dy * (y + alpha);
    case Unary::selu: return x > 0.0f ? kSeluScale * dy : dy * (y + kSeluScale * kSeluAlpha);
    case Unary::softplus: return dy * sigmoidf(x);
    case Unary::softsign: {
      const float d = 1.0f + fabsf(x);
      return dy / (d * d);
    }
    case Unary::gelu:
      return dy * (0.5f * (1.0f + erff(x * kInvSqrt2)) + x * kInvSqrt2Pi * expf(-0.5f * x * x));
    case Unary::gelu_tanh: {
      const float t = tanhf(kSqrt2OverPi * (x + kGeluC * x * x * x));
      const float dt = kSqrt2OverPi * (1.0f + 3.0f * kGeluC * x * x);
      return dy * (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * dt);
    }
    case Unary::silu: {
      const float s = sigmoidf(x);
      return dy * s * (1.0f + x * (1.0f - s));
    }
    case Unary::leaky_relu: return x > 0.0f ? dy : alpha * dy;
    case Unary::hard_sigmoid: return x > -3.0f && x < 3.0f ? dy / 6.0f : 0.0f;
    case Unary::sign:
    case Unary::floor:
    case Unary::round:
    case Unary::logical_not: return 0.0f;
  }
  return 0.0f;
}

__global__ void unary_f32(Unary op, const float* x, float* out, float alpha, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) out[i] = apply_unary(op, x[i], alpha);
}

// Integer inputs: neg, abs, sign, square (and logical_not).
template <class T>
__device__ __forceinline__ bool is_negative(T v) {
  if constexpr (std::is_signed_v<T>) return v < T(0);
  else return false;
}

template <class T>
__global__ void unary_int(Unary op, const T* x, T* out, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    const T v = x[i];
    T r = v;
    switch (op) {
      case Unary::neg: r = static_cast<T>(-v); break;
      case Unary::abs: r = is_negative(v) ? static_cast<T>(-v) : v; break;
      case Unary::sign: r = static_cast<T>(is_negative(v) ? -1 : (v > T(0) ? 1 : 0)); break;
      case Unary::square: r = static_cast<T>(v * v); break;
      case Unary::logical_not: r = static_cast<T>(v == T(0)); break;
      default: break;
    }
    out[i] = r;
  }
}

// logical_not writing bool from any input dtype.
template <class T>
__global__ void logical_not_to_bool(const T* x, std::uint8_t* out, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) out[i] = x[i] == T(0) ? 1 : 0;
}

__global__ void unary_backward_f32(Unary op, const float* x, const float* y, const float* dy,
                                   float* dx, float alpha, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    const float xi = x[i];
    const float yi = y ? y[i] : apply_unary(op, xi, alpha);
    dx[i] = apply_unary_grad(op, xi, yi, dy[i], alpha);
  }
}

}  // namespace

void CudaBackend::unary(Unary op, const Tensor& x, Tensor& out, float alpha) {
  const std::int64_t n = x.size();
  if (n == 0) return;
  activate();
  const auto c = launch_config(n);
  if (op == Unary::logical_not && out.dtype() != x.dtype()) {
    KERAS_CHECK(out.dtype() == DType::bool_ || out.dtype() == DType::uint8, TypeError,
                "logical_not: expected a bool output, received ", dtype_name(out.dtype()));
    dispatch_all(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      logical_not_to_bool<T><<<c.grid, c.block, 0, stream_>>>(ptr<const T>(x), ptr<std::uint8_t>(out), n);
    });
  } else if (x.dtype() == DType::float32) {
    unary_f32<<<c.grid, c.block, 0, stream_>>>(op, ptr<const float>(x), ptr<float>(out), alpha, n);
  } else {
    KERAS_CHECK(op == Unary::neg || op == Unary::abs || op == Unary::sign ||
                    op == Unary::square || op == Unary::logical_not,
                TypeError, "CUDA unary op ", static_cast<int>(op),
                " expects float32 input, received ", dtype_name(x.dtype()));
    dispatch_all(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      unary_int<T><<<c.grid, c.block, 0, stream_>>>(op, ptr<const T>(x), ptr<T>(out), n);
    });
  }
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::unary_backward(Unary op, const Tensor& x, const Tensor& y, const Tensor& dy,
                                 Tensor& dx, float alpha) {
  const std::int64_t n = x.size();
  if (n == 0) return;
  activate();
  const auto c = launch_config(n);
  // Callers pass y; should one not, the kernel recomputes it from x.
  const float* yp = y.defined() ? ptr<const float>(y) : nullptr;
  unary_backward_f32<<<c.grid, c.block, 0, stream_>>>(op, ptr<const float>(x), yp,
                                                      ptr<const float>(dy), ptr<float>(dx), alpha, n);
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace keras::backend::cuda
