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

// The fused rules of keras/update_step.hpp, in its operation order (no
// contraction into FMA: the build is ISO C++, -ffp-contract=off).
template <bool kCentered, bool kMomentum>
void rmsprop_range(float* __restrict w, const float* __restrict g, float* __restrict v,
                   float* __restrict m, float* __restrict a, int64_t n, UpdateStep k) {
  const float rho = k.beta1, c1 = k.one_minus_beta1, mom = k.beta2, lr = k.lr, eps = k.epsilon;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float vi = v[i] * rho + (gi * gi) * c1;
    v[i] = vi;
    float d;
    if constexpr (kCentered) {
      const float ai = a[i] * rho + gi * c1;
      a[i] = ai;
      d = (vi - ai * ai) + eps;
    } else {
      d = vi + eps;
    }
    const float inc = (gi * lr) / std::sqrt(d);
    if constexpr (kMomentum) {
      const float mi = m[i] * mom + inc;
      m[i] = mi;
      w[i] = w[i] - mi;
    } else {
      w[i] = w[i] - inc;
    }
  }
}

void adagrad_range(float* __restrict w, const float* __restrict g, float* __restrict s, int64_t n,
                   UpdateStep k) {
  const float lr = k.lr, eps = k.epsilon;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float si = s[i] + gi * gi;
    s[i] = si;
    w[i] = w[i] - (gi * lr) / std::sqrt(si + eps);
  }
}

void adadelta_range(float* __restrict w, const float* __restrict g, float* __restrict s,
                    float* __restrict d, int64_t n, UpdateStep k) {
  const float rho = k.beta1, c1 = k.one_minus_beta1, lr = k.lr, eps = k.epsilon;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float si = s[i] * rho + (gi * gi) * c1;
    s[i] = si;
    const float delta = -((std::sqrt(d[i] + eps) * gi) / std::sqrt(si + eps));
    d[i] = d[i] * rho + (delta * delta) * c1;
    w[i] = w[i] + delta * lr;
  }
}

void adamax_range(float* __restrict w, const float* __restrict g, float* __restrict m,
                  float* __restrict u, int64_t n, UpdateStep k) {
  const float c1 = k.one_minus_beta1, b2 = k.beta2, lr = k.lr, eps = k.epsilon, corr = k.c[0];
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = m[i] + (gi - m[i]) * c1;
    const float scaled = u[i] * b2, ag = std::fabs(gi);
    const float ui = scaled < ag ? ag : scaled;
    m[i] = mi;
    u[i] = ui;
    w[i] = w[i] - (mi * lr) / ((ui + eps) * corr);
  }
}

void nadam_range(float* __restrict w, const float* __restrict g, float* __restrict m,
                 float* __restrict v, int64_t n, UpdateStep k) {
  const float c1 = k.one_minus_beta1, c2 = k.one_minus_beta2, lr = k.lr, eps = k.epsilon;
  const float u1 = k.c[0], d1 = k.c[1], ug = k.c[2], d2 = k.c[3], vc = k.c[4];
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = m[i] + (gi - m[i]) * c1;
    const float vi = v[i] + (gi * gi - v[i]) * c2;
    m[i] = mi;
    v[i] = vi;
    const float m_hat = (mi * u1) / d1 + (gi * ug) / d2;
    w[i] = w[i] - (m_hat * lr) / (std::sqrt(vi / vc) + eps);
  }
}

void lion_range(float* __restrict w, const float* __restrict g, float* __restrict m, int64_t n,
                UpdateStep k) {
  const float b1 = k.beta1, c1 = k.one_minus_beta1, b2 = k.beta2, c2 = k.one_minus_beta2, lr = k.lr;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i], mi = m[i];
    const float x = mi * b1 + gi * c1;
    const float sign = x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    w[i] = w[i] - sign * lr;
    m[i] = mi * b2 + gi * c2;
  }
}

void ftrl_range(float* __restrict w, const float* __restrict g, float* __restrict s, float* __restrict l,
                int64_t n, UpdateStep k) {
  const float p = k.beta1, lr = k.lr, shrink = k.c[0], q2 = k.c[1], hi = k.c[2], lo = -k.c[2];
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i], wi = w[i], si = s[i];
    const float gs = gi + wi * shrink;
    const float s1 = si + gi * gi;
    const float p1 = std::pow(s1, p);
    const float li = l[i] + (gs - ((p1 - std::pow(si, p)) / lr) * wi);
    float c = li < lo ? lo : li;
    c = c > hi ? hi : c;
    w[i] = (c - li) / (p1 / lr + q2);
    l[i] = li;
    s[i] = s1;
  }
}

void rmsprop_dispatch(float* w, const float* g, float* v, float* m, float* a, int64_t n, const UpdateStep& k) {
  if (a) {
    if (m)
      rmsprop_range<true, true>(w, g, v, m, a, n, k);
    else
      rmsprop_range<true, false>(w, g, v, m, a, n, k);
  } else if (m) {
    rmsprop_range<false, true>(w, g, v, m, a, n, k);
  } else {
    rmsprop_range<false, false>(w, g, v, m, a, n, k);
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

namespace keras::backend::cpu {

void CpuBackend::fused_update(Tensor& var, const Tensor& grad, Tensor* slot0, Tensor* slot1, Tensor* slot2,
                              const UpdateStep& s) {
  float* w = ptr<float>(var);
  const float* g = ptr<float>(grad);
  float* p0 = slot0 ? ptr<float>(*slot0) : nullptr;
  float* p1 = slot1 ? ptr<float>(*slot1) : nullptr;
  float* p2 = slot2 && s.rule == UpdateRule::rmsprop_centered ? ptr<float>(*slot2) : nullptr;
  const UpdateStep k = s;
  parallel_for(var.size(), kParallelThreshold, [=](int64_t b, int64_t e) {
    FlushDenormals ftz;  // per thread: MXCSR is thread-local
    const int64_t n = e - b;
    auto at = [b](float* p) { return p ? p + b : nullptr; };
    switch (k.rule) {
      case UpdateRule::rmsprop:
      case UpdateRule::rmsprop_centered: return rmsprop_dispatch(w + b, g + b, p0 + b, at(p1), at(p2), n, k);
      case UpdateRule::adagrad: return adagrad_range(w + b, g + b, p0 + b, n, k);
      case UpdateRule::adadelta: return adadelta_range(w + b, g + b, p0 + b, p1 + b, n, k);
      case UpdateRule::adamax: return adamax_range(w + b, g + b, p0 + b, p1 + b, n, k);
      case UpdateRule::nadam: return nadam_range(w + b, g + b, p0 + b, p1 + b, n, k);
      case UpdateRule::lion: return lion_range(w + b, g + b, p0 + b, n, k);
      case UpdateRule::ftrl: return ftrl_range(w + b, g + b, p0 + b, p1 + b, n, k);
    }
  });
}

}  // namespace keras::backend::cpu
