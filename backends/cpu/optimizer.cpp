// In-place optimizer updates. Plain loops over __restrict pointers and local
// constants: with -O3 -march=native -fno-math-errno GCC vectorizes them fully
// (sqrt and division included).
#include <xmmintrin.h>

#include <algorithm>
#include <cmath>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {
namespace {

void sgd_plain(float* __restrict w, const float* __restrict g, int64_t n, float lr) {
  for (int64_t i = 0; i < n; ++i) w[i] -= lr * g[i];
}

void sgd_momentum(float* __restrict w, const float* __restrict g, float* __restrict v, int64_t n,
                  float lr, float momentum, bool nesterov) {
  if (nesterov) {
    for (int64_t i = 0; i < n; ++i) {
      const float vi = momentum * v[i] - lr * g[i];
      v[i] = vi;
      w[i] += momentum * vi - lr * g[i];
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float vi = momentum * v[i] - lr * g[i];
      v[i] = vi;
      w[i] += vi;
    }
  }
}

// Adam's moments of parameters whose gradient is always zero (e.g. weights
// of border pixels) decay geometrically into denormal floats, which run ~100x
// slower. Flush them to zero for the duration of an update (FTZ + DAZ), and
// restore the caller's floating-point mode afterwards.
class FlushDenormals {
 public:
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved_); }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_;
};

struct AdamConst {
  float alpha, b1, b2, c1, c2, eps, decay;
};

void adam_range(float* __restrict w, const float* __restrict g, float* __restrict m,
                float* __restrict v, float* __restrict vhat, int64_t n, AdamConst k) {
  const float alpha = k.alpha, c1 = k.c1, c2 = k.c2, eps = k.eps;
  if (k.decay != 0.0f) {
    const float decay = k.decay;
    for (int64_t i = 0; i < n; ++i) w[i] -= decay * w[i];
  }
  if (vhat) {
    for (int64_t i = 0; i < n; ++i) {
      const float mi = m[i] + (g[i] - m[i]) * c1;  // Keras's form: m += (g - m) (1 - beta_1)
      const float vi = v[i] + (g[i] * g[i] - v[i]) * c2;
      const float hi = std::max(vhat[i], vi);
      m[i] = mi;
      v[i] = vi;
      vhat[i] = hi;
      w[i] -= alpha * mi / (std::sqrt(hi) + eps);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float mi = m[i] + (g[i] - m[i]) * c1;  // Keras's form: m += (g - m) (1 - beta_1)
      const float vi = v[i] + (g[i] * g[i] - v[i]) * c2;
      m[i] = mi;
      v[i] = vi;
      w[i] -= alpha * mi / (std::sqrt(vi) + eps);
    }
  }
}

}  // namespace

void CpuBackend::sgd_update(Tensor& var, const Tensor& grad, Tensor* velocity, float lr, float momentum,
                            bool nesterov) {
  float* w = ptr<float>(var);
  const float* g = ptr<float>(grad);
  float* v = velocity ? ptr<float>(*velocity) : nullptr;
  parallel_for(var.size(), kParallelThreshold, [=](int64_t b, int64_t e) {
    FlushDenormals ftz;
    if (v)
      sgd_momentum(w + b, g + b, v + b, e - b, lr, momentum, nesterov);
    else
      sgd_plain(w + b, g + b, e - b, lr);
  });
}

void CpuBackend::adam_update(Tensor& var, const Tensor& grad, Tensor& m, Tensor& v, Tensor* vhat, const AdamStep& s) {
  float* w = ptr<float>(var);
  const float* g = ptr<float>(grad);
  float* pm = ptr<float>(m);
  float* pv = ptr<float>(v);
  float* ph = vhat && s.amsgrad ? ptr<float>(*vhat) : nullptr;
  // Keras folds both bias corrections into the step size.
  const AdamConst k{s.lr * std::sqrt(1.0f - s.beta2_power) / (1.0f - s.beta1_power),
                    s.beta1,
                    s.beta2,
                    s.one_minus_beta1 >= 0 ? s.one_minus_beta1 : 1.0f - s.beta1,
                    s.one_minus_beta2 >= 0 ? s.one_minus_beta2 : 1.0f - s.beta2,
                    s.epsilon,
                    s.lr * s.weight_decay};
  parallel_for(var.size(), kParallelThreshold, [=](int64_t b, int64_t e) {
    FlushDenormals ftz;  // per thread: MXCSR is thread-local
    adam_range(w + b, g + b, pm + b, pv + b, ph ? ph + b : nullptr, e - b, k);
  });
}

}  // namespace keras::backend::cpu
