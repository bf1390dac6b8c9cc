// Unary elementwise ops and their derivatives, vectorized with xsimd.
//
// Each function is written once on xsimd batches; the ragged tail of an
// array goes through the same code via a padded buffer, so every element gets
// bit-identical results whatever its position or the thread split.
#include <cmath>
#include <cstring>

// GCC 12 reports false "may be used uninitialized" inside its own AVX-512
// intrinsics headers when xsimd's masked operations are inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <xsimd/xsimd.hpp>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {
namespace {

using B = xsimd::batch<float>;
constexpr int64_t W = static_cast<int64_t>(B::size);

constexpr float kSeluScale = 1.0507009873554804934193349852946f;
constexpr float kSeluAlpha = 1.6732632423543772848170429916717f;
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

// out[i] = f(x[i]) over batches, in parallel for large arrays.
template <class F>
void map1(const float* x, float* out, int64_t n, F f) {
  auto body = [&](int64_t b, int64_t e) {
    int64_t i = b;
    for (; i + W <= e; i += W) f(B::load_unaligned(x + i)).store_unaligned(out + i);
    if (i < e) {
      alignas(64) float buf[W] = {};
      std::memcpy(buf, x + i, (e - i) * sizeof(float));
      f(B::load_aligned(buf)).store_aligned(buf);
      std::memcpy(out + i, buf, (e - i) * sizeof(float));
    }
  };
  parallel_for(n, kParallelThreshold, body);
}

// out[i] = f(x[i], y[i], dy[i]).
template <class F>
void map3(const float* x, const float* y, const float* dy, float* out, int64_t n, F f) {
  auto body = [&](int64_t b, int64_t e) {
    int64_t i = b;
    for (; i + W <= e; i += W)
      f(B::load_unaligned(x + i), B::load_unaligned(y + i), B::load_unaligned(dy + i))
          .store_unaligned(out + i);
    if (i < e) {
      alignas(64) float bx[W] = {}, by[W] = {}, bd[W] = {};
      const std::size_t len = (e - i) * sizeof(float);
      std::memcpy(bx, x + i, len);
      std::memcpy(by, y + i, len);
      std::memcpy(bd, dy + i, len);
      f(B::load_aligned(bx), B::load_aligned(by), B::load_aligned(bd)).store_aligned(bx);
      std::memcpy(out + i, bx, len);
    }
  };
  parallel_for(n, kParallelThreshold, body);
}

inline B sigmoid(B v) { return B(1.0f) / (B(1.0f) + xsimd::exp(-v)); }

template <class T>
void unary_int(Unary op, const T* x, T* out, int64_t n) {
  switch (op) {
    case Unary::neg:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(-x[i]);
      return;
    case Unary::abs:
      for (int64_t i = 0; i < n; ++i) out[i] = x[i] < 0 ? static_cast<T>(-x[i]) : x[i];
      return;
    case Unary::sign:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>((x[i] > 0) - (x[i] < 0));
      return;
    case Unary::square:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(x[i] * x[i]);
      return;
    default:
      throw NotImplementedError(detail::cat("cpu backend: unary op ", static_cast<int>(op),
                                            " is only implemented for float32"));
  }
}

}  // namespace

void CpuBackend::unary(Unary op, const Tensor& x, Tensor& out, float alpha) {
  const int64_t n = x.size();
  if (op == Unary::logical_not) {
    dispatch(x.dtype(), [&](auto in_tag) {
      using I = decltype(in_tag);
      dispatch(out.dtype(), [&](auto out_tag) {
        using O = decltype(out_tag);
        const I* src = ptr<I>(x);
        O* dst = ptr<O>(out);
        for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<O>(src[i] == I(0));
      });
    });
    return;
  }
  if (x.dtype() != DType::float32) {
    dispatch(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, float>) {
      } else {
        unary_int<T>(op, ptr<T>(x), ptr<T>(out), n);
      }
    });
    return;
  }
  const float* px = ptr<float>(x);
  float* po = ptr<float>(out);
  const B zero(0.0f), one(1.0f), a(alpha);
  switch (op) {
    case Unary::neg: return map1(px, po, n, [](B v) { return -v; });
    case Unary::abs: return map1(px, po, n, [](B v) { return xsimd::abs(v); });
    case Unary::sign:
      return map1(px, po, n, [=](B v) {
        return xsimd::select(v > zero, one, xsimd::select(v < zero, -one, zero));
      });
    case Unary::square: return map1(px, po, n, [](B v) { return v * v; });
    case Unary::sqrt: return map1(px, po, n, [](B v) { return xsimd::sqrt(v); });
    case Unary::rsqrt: return map1(px, po, n, [=](B v) { return one / xsimd::sqrt(v); });
    case Unary::exp: return map1(px, po, n, [](B v) { return xsimd::exp(v); });
    case Unary::log: return map1(px, po, n, [](B v) { return xsimd::log(v); });
    case Unary::log1p: return map1(px, po, n, [](B v) { return xsimd::log1p(v); });
    case Unary::reciprocal: return map1(px, po, n, [=](B v) { return one / v; });
    case Unary::tanh: return map1(px, po, n, [](B v) { return xsimd::tanh(v); });
    case Unary::sigmoid: return map1(px, po, n, [](B v) { return sigmoid(v); });
    case Unary::relu: return map1(px, po, n, [=](B v) { return xsimd::max(v, zero); });
    case Unary::relu6:
      return map1(px, po, n, [=](B v) { return xsimd::min(xsimd::max(v, zero), B(6.0f)); });
    case Unary::elu:
      return map1(px, po, n, [=](B v) { return xsimd::select(v > zero, v, a * xsimd::expm1(v)); });
    case Unary::selu:
      return map1(px, po, n, [=](B v) {
        return B(kSeluScale) * xsimd::select(v > zero, v, B(kSeluAlpha) * xsimd::expm1(v));
      });
    case Unary::softplus:
      // max(x, 0) + log1p(exp(-|x|)) never overflows.
      return map1(px, po, n, [=](B v) {
        return xsimd::max(v, zero) + xsimd::log1p(xsimd::exp(-xsimd::abs(v)));
      });
    case Unary::softsign:
      return map1(px, po, n, [=](B v) { return v / (one + xsimd::abs(v)); });
    case Unary::gelu:
      return map1(px, po, n,
                  [=](B v) { return B(0.5f) * v * (one + xsimd::erf(v * B(kInvSqrt2))); });
    case Unary::gelu_tanh:
      return map1(px, po, n, [=](B v) {
        B inner = B(kSqrt2OverPi) * (v + B(0.044715f) * v * v * v);
        return B(0.5f) * v * (one + xsimd::tanh(inner));
      });
    case Unary::silu: return map1(px, po, n, [](B v) { return v * sigmoid(v); });
    case Unary::leaky_relu:
      return map1(px, po, n, [=](B v) { return xsimd::select(v > zero, v, a * v); });
    case Unary::hard_sigmoid:
      return map1(px, po, n, [=](B v) {
        return xsimd::min(xsimd::max(v * B(1.0f / 6.0f) + B(0.5f), zero), one);
      });
    case Unary::floor: return map1(px, po, n, [](B v) { return xsimd::floor(v); });
    // Round half to even, like NumPy and Keras.
    case Unary::round: return map1(px, po, n, [](B v) { return xsimd::nearbyint(v); });
    case Unary::logical_not: break;  // handled above
  }
}

void CpuBackend::unary_backward(Unary op, const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx, float alpha) {
  const int64_t n = x.size();
  const float* px = ptr<float>(x);
  const float* py = ptr<float>(y);
  const float* pd = ptr<float>(dy);
  float* po = ptr<float>(dx);
  const B zero(0.0f), one(1.0f), a(alpha);
  auto run = [&](auto f) { map3(px, py, pd, po, n, f); };
  switch (op) {
    case Unary::neg: return run([](B, B, B d) { return -d; });
    case Unary::abs:
      return run([=](B v, B, B d) {
        return xsimd::select(v > zero, d, xsimd::select(v < zero, -d, zero));
      });
    case Unary::sign:
    case Unary::floor:
    case Unary::round:
    case Unary::logical_not: return run([=](B, B, B) { return zero; });
    case Unary::square: return run([](B v, B, B d) { return B(2.0f) * v * d; });
    case Unary::sqrt: return run([](B, B r, B d) { return B(0.5f) * d / r; });
    case Unary::rsqrt: return run([](B, B r, B d) { return B(-0.5f) * d * r * r * r; });
    case Unary::exp: return run([](B, B e, B d) { return d * e; });
    case Unary::log: return run([](B v, B, B d) { return d / v; });
    case Unary::log1p: return run([=](B v, B, B d) { return d / (one + v); });
    case Unary::reciprocal: return run([](B, B r, B d) { return -d * r * r; });
    case Unary::tanh: return run([=](B, B t, B d) { return d * (one - t * t); });
    case Unary::sigmoid: return run([=](B, B s, B d) { return d * s * (one - s); });
    case Unary::relu: return run([=](B v, B, B d) { return xsimd::select(v > zero, d, zero); });
    case Unary::relu6:
      return run([=](B v, B, B d) {
        return xsimd::select((v > zero) && (v < B(6.0f)), d, zero);
      });
    case Unary::elu:
      // y = alpha (e^x - 1) for x <= 0, so dy/dx = y + alpha there.
      return run([=](B v, B r, B d) { return xsimd::select(v > zero, d, d * (r + a)); });
    case Unary::selu:
      return run([=](B v, B r, B d) {
        return xsimd::select(v > zero, d * B(kSeluScale), d * (r + B(kSeluScale * kSeluAlpha)));
      });
    case Unary::softplus: return run([](B v, B, B d) { return d * sigmoid(v); });
    case Unary::softsign:
      return run([=](B v, B, B d) {
        B s = one + xsimd::abs(v);
        return d / (s * s);
      });
    case Unary::gelu:
      // Phi(x) + x phi(x)
      return run([=](B v, B, B d) {
        B cdf = B(0.5f) * (one + xsimd::erf(v * B(kInvSqrt2)));
        B pdf = B(kInvSqrt2Pi) * xsimd::exp(B(-0.5f) * v * v);
        return d * (cdf + v * pdf);
      });
    case Unary::gelu_tanh:
      return run([=](B v, B, B d) {
        B v2 = v * v;
        B t = xsimd::tanh(B(kSqrt2OverPi) * (v + B(0.044715f) * v2 * v));
        B dinner = B(kSqrt2OverPi) * (one + B(3.0f * 0.044715f) * v2);
        return d * (B(0.5f) * (one + t) + B(0.5f) * v * (one - t * t) * dinner);
      });
    case Unary::silu:
      return run([=](B v, B, B d) {
        B s = sigmoid(v);
        return d * s * (one + v * (one - s));
      });
    case Unary::leaky_relu:
      return run([=](B v, B, B d) { return xsimd::select(v > zero, d, a * d); });
    case Unary::hard_sigmoid:
      return run([=](B v, B, B d) {
        return xsimd::select((v > B(-3.0f)) && (v < B(3.0f)), d * B(1.0f / 6.0f), zero);
      });
  }
}

}  // namespace keras::backend::cpu
