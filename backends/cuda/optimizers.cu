// In-place optimizer updates (SGD with momentum / Nesterov, Adam / AdamW /
// AMSGrad, and the rules of keras/update_step.hpp), one fused kernel per step
// and variable.
#include <cmath>

#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {
namespace {

__global__ void sgd_plain(float* var, const float* g, float lr, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) var[i] -= lr * g[i];
}

__global__ void sgd_momentum(float* var, const float* g, float* vel, float lr, float momentum,
                             bool nesterov, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    const float gi = g[i];
    const float v = momentum * vel[i] - lr * gi;
    vel[i] = v;
    var[i] += nesterov ? momentum * v - lr * gi : v;
  }
}

// alpha = lr * sqrt(1 - b2^t) / (1 - b1^t) is computed once on the host.
__global__ void adam_kernel(float* var, const float* g, float* m, float* v, float* vhat,
                            float lr, float c1, float c2, float eps, float alpha, float wd,
                            std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    float w = var[i];
    if (wd != 0.0f) w -= lr * wd * w;  // AdamW: decoupled decay first
    const float gi = g[i];
    const float mi = m[i] + (gi - m[i]) * c1;  // Keras's form: m += (g - m) (1 - beta_1)
    const float vi = v[i] + (gi * gi - v[i]) * c2;
    m[i] = mi;
    v[i] = vi;
    float denom = vi;
    if (vhat) {
      denom = fmaxf(vhat[i], vi);
      vhat[i] = denom;
    }
    var[i] = w - alpha * mi / (sqrtf(denom) + eps);
  }
}

// Products that feed a sum are rounded on their own (__fmul_rn is never
// contracted into an FMA), keeping the float32 order of keras/update_step.hpp.
__device__ __forceinline__ float mul(float a, float b) { return __fmul_rn(a, b); }

__device__ __forceinline__ void rmsprop_one(float& w, float g, float* v, float* m, float* a,
                                            const UpdateStep& k) {
  const float vi = mul(*v, k.beta1) + mul(mul(g, g), k.one_minus_beta1);
  *v = vi;
  float d = vi + k.epsilon;
  if (a) {
    const float ai = mul(*a, k.beta1) + mul(g, k.one_minus_beta1);
    *a = ai;
    d = (vi - mul(ai, ai)) + k.epsilon;
  }
  const float inc = mul(g, k.lr) / sqrtf(d);
  if (m) {
    const float mi = mul(*m, k.beta2) + inc;
    *m = mi;
    w = w - mi;
  } else {
    w = w - inc;
  }
}

__device__ __forceinline__ void two_slot_one(float& w, float g, float* s0, float* s1, const UpdateStep& k) {
  switch (k.rule) {
    case UpdateRule::adadelta: {
      const float si = mul(*s0, k.beta1) + mul(mul(g, g), k.one_minus_beta1);
      *s0 = si;
      const float delta = -(mul(sqrtf(*s1 + k.epsilon), g) / sqrtf(si + k.epsilon));
      *s1 = mul(*s1, k.beta1) + mul(mul(delta, delta), k.one_minus_beta1);
      w = w + mul(delta, k.lr);
      return;
    }
    case UpdateRule::adamax: {
      const float mi = *s0 + mul(g - *s0, k.one_minus_beta1);
      const float scaled = mul(*s1, k.beta2), ag = fabsf(g);
      const float ui = scaled < ag ? ag : scaled;
      *s0 = mi;
      *s1 = ui;
      w = w - mul(mi, k.lr) / mul(ui + k.epsilon, k.c[0]);
      return;
    }
    case UpdateRule::ftrl: {
      const float si = *s0, s1v = si + mul(g, g), p1 = powf(s1v, k.beta1);
      const float li = *s1 + ((g + mul(w, k.c[0])) - mul((p1 - powf(si, k.beta1)) / k.lr, w));
      float c = li < -k.c[2] ? -k.c[2] : li;
      c = c > k.c[2] ? k.c[2] : c;
      w = (c - li) / (p1 / k.lr + k.c[1]);
      *s1 = li;
      *s0 = s1v;
      return;
    }
    default: {  // nadam
      const float mi = *s0 + mul(g - *s0, k.one_minus_beta1);
      const float vi = *s1 + mul(mul(g, g) - *s1, k.one_minus_beta2);
      *s0 = mi;
      *s1 = vi;
      const float m_hat = mul(mi, k.c[0]) / k.c[1] + mul(g, k.c[2]) / k.c[3];
      w = w - mul(m_hat, k.lr) / (sqrtf(vi / k.c[4]) + k.epsilon);
      return;
    }
  }
}

__global__ void fused_update_kernel(float* var, const float* grad, float* s0, float* s1, float* s2,
                                    UpdateStep k, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) {
    float w = var[i];
    const float g = grad[i];
    switch (k.rule) {
      case UpdateRule::rmsprop:
      case UpdateRule::rmsprop_centered:
        rmsprop_one(w, g, s0 + i, s1 ? s1 + i : nullptr, s2 ? s2 + i : nullptr, k);
        break;
      case UpdateRule::adagrad: {
        const float si = s0[i] + mul(g, g);
        s0[i] = si;
        w = w - mul(g, k.lr) / sqrtf(si + k.epsilon);
        break;
      }
      case UpdateRule::lion: {
        const float x = mul(s0[i], k.beta1) + mul(g, k.one_minus_beta1);
        const float sign = x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
        w = w - mul(sign, k.lr);
        s0[i] = mul(s0[i], k.beta2) + mul(g, k.one_minus_beta2);
        break;
      }
      default: two_slot_one(w, g, s0 + i, s1 + i, k);
    }
    var[i] = w;
  }
}

}  // namespace

void CudaBackend::sgd_update(Tensor& var, const Tensor& grad, Tensor* velocity, float lr,
                             float momentum, bool nesterov) {
  const std::int64_t n = var.size();
  if (n == 0) return;
  activate();
  const auto c = launch_config(n);
  if (momentum == 0.0f || !velocity || !velocity->defined())
    sgd_plain<<<c.grid, c.block, 0, stream_>>>(ptr<float>(var), ptr<const float>(grad), lr, n);
  else
    sgd_momentum<<<c.grid, c.block, 0, stream_>>>(ptr<float>(var), ptr<const float>(grad),
                                                  ptr<float>(*velocity), lr, momentum, nesterov, n);
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::adam_update(Tensor& var, const Tensor& grad, Tensor& m, Tensor& v, Tensor* vhat,
                              const AdamStep& step) {
  const std::int64_t n = var.size();
  if (n == 0) return;
  activate();
  const float alpha = static_cast<float>(static_cast<double>(step.lr) *
                                         std::sqrt(1.0 - static_cast<double>(step.beta2_power)) /
                                         (1.0 - static_cast<double>(step.beta1_power)));
  float* vh = step.amsgrad && vhat && vhat->defined() ? ptr<float>(*vhat) : nullptr;
  const auto c = launch_config(n);
  adam_kernel<<<c.grid, c.block, 0, stream_>>>(ptr<float>(var), ptr<const float>(grad), ptr<float>(m),
                                               ptr<float>(v), vh, step.lr,
                                               step.one_minus_beta1 >= 0 ? step.one_minus_beta1 : 1.0f - step.beta1,
                                               step.one_minus_beta2 >= 0 ? step.one_minus_beta2 : 1.0f - step.beta2,
                                               step.epsilon, alpha, step.weight_decay, n);
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::fused_update(Tensor& var, const Tensor& grad, Tensor* slot0, Tensor* slot1, Tensor* slot2,
                               const UpdateStep& step) {
  const std::int64_t n = var.size();
  if (n == 0) return;
  activate();
  auto p = [](Tensor* t) { return t && t->defined() ? ptr<float>(*t) : nullptr; };
  float* s2 = step.rule == UpdateRule::rmsprop_centered ? p(slot2) : nullptr;
  const auto c = launch_config(n);
  fused_update_kernel<<<c.grid, c.block, 0, stream_>>>(ptr<float>(var), ptr<const float>(grad), p(slot0),
                                                       p(slot1), s2, step, n);
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace keras::backend::cuda
