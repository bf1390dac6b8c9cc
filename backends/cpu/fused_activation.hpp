// Internal to the CPU backend: the activations that bias + activation
// kernels fuse (relu, relu6, sigmoid, tanh, elu), as SIMD functors, shared by
// bias_activation.cpp and conv_fused.cpp so both compute the same values.
#pragma once
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 + AVX-512 intrinsics
#pragma GCC diagnostic ignored "-Wuninitialized"        // (xsimd min/max on AVX-512)
#include <xsimd/xsimd.hpp>

#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {

using SimdF = xsimd::batch<float>;

// Calls f(fwd, bwd) with fwd(z) = act(z) and bwd(y, dy) = dy * act'(z)
// written in terms of y = act(z). Padded lanes with dy = 0 give 0 for every
// activation. Throws NotImplementedError naming `op` for other activations.
template <class F>
decltype(auto) with_fused_activation(Unary act, float alpha, const char* op, F&& f) {
  using B = SimdF;
  const B zero(0.0f), one(1.0f), a(alpha);
  switch (act) {
    case Unary::relu:
      return f([=](B v) { return xsimd::max(v, zero); },
               [=](B v, B d) { return xsimd::select(v > zero, d, zero); });
    case Unary::relu6:
      return f([=](B v) { return xsimd::min(xsimd::max(v, zero), B(6.0f)); },
               [=](B v, B d) { return xsimd::select((v > zero) && (v < B(6.0f)), d, zero); });
    case Unary::sigmoid:
      return f([=](B v) { return one / (one + xsimd::exp(-v)); },
               [=](B s, B d) { return d * s * (one - s); });
    case Unary::tanh:
      return f([](B v) { return xsimd::tanh(v); }, [=](B t, B d) { return d * (one - t * t); });
    case Unary::elu:
      // y = alpha (e^x - 1) <= 0 for x <= 0 (alpha > 0): dy/dx = y + alpha.
      return f([=](B v) { return xsimd::select(v > zero, v, a * xsimd::expm1(v)); },
               [=](B v, B d) { return xsimd::select(v > zero, d, d * (v + a)); });
    default:
      throw NotImplementedError(
          detail::cat("cpu backend: ", op, " does not fuse unary op ", static_cast<int>(act)));
  }
}

}  // namespace keras::backend::cpu
