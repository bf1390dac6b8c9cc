// In-place optimizer updates (SGD with momentum / Nesterov, Adam / AdamW /
// AMSGrad), one fused kernel per step and variable.
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

}  // namespace keras::backend::cuda
