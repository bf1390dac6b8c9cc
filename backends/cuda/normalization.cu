// Batch and layer normalization (see backend.hpp's NormDims).
//
// Batch normalization runs on cuDNN (spatial mode; norm_plan.hpp describes
// (outer, C, inner) as a 4-D tensor of the same memory). The forward
// training pass asks for the batch statistics as running averages with
// factor 1 (starting from zero), which gives the batch mean and the
// unbiased variance; one small kernel turns the latter into the biased
// variance Keras uses. cuDNN's saved inverse standard deviation is exactly
// what the backward pass reads. Where cuDNN does not fit (see
// bn_cudnn_layout) and for the backward pass with constant statistics, the
// composed defaults of Backend run instead.
//
// Layer normalization uses the kernels below: one block per row when the
// channels are contiguous (inner == 1), one thread per position otherwise,
// two passes over the row (mean, then squared deviations). Parameter
// gradients are column sums over positions, computed as fixed chunks of
// partial sums that a second kernel adds in order: deterministic, no atomics.
#include "backends/cuda/cuda_backend_impl.cuh"
#include "backends/cuda/cudnn_desc.cuh"
#include "backends/cuda/norm_plan.hpp"

namespace keras::backend::cuda {
namespace {

constexpr int kBlock = 256;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v += __shfl_down_sync(0xffffffffu, v, d);
  return v;
}

// Sum of v over the block, returned to every thread. sh holds 32 floats.
__device__ float block_sum(float v, float* sh) {
  v = warp_sum(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();  // the previous call's readers are done with sh
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const int nw = (blockDim.x + 31) >> 5;
    v = lane < nw ? sh[lane] : 0.0f;
    v = warp_sum(v);
    if (lane == 0) sh[0] = v;
  }
  __syncthreads();
  return sh[0];
}

__global__ void scale_kernel(float* v, std::int64_t n, float f) {
  KERAS_CUDA_LOOP(i, n) v[i] *= f;
}

// inner == 1: one block per row of C values.
__global__ void ln_forward_rows(const float* x, const float* g, const float* b, float eps, std::int64_t rows,
                                std::int64_t C, float* y, float* mean, float* inv) {
  __shared__ float sh[32];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * C;
    float s = 0.0f;
    for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x) s += xr[j];
    const float m = block_sum(s, sh) / static_cast<float>(C);
    float q = 0.0f;
    for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x) {
      const float t = xr[j] - m;
      q += t * t;
    }
    const float iv = rsqrtf(block_sum(q, sh) / static_cast<float>(C) + eps);
    if (threadIdx.x == 0) {
      mean[r] = m;
      inv[r] = iv;
    }
    for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x) {
      float t = (xr[j] - m) * iv;
      if (g) t *= g[j];
      if (b) t += b[j];
      y[r * C + j] = t;
    }
  }
}

// inner > 1: one thread per (o, i) position, reading the channels at stride I.
__global__ void ln_forward_cols(const float* x, const float* g, const float* b, float eps, std::int64_t positions,
                                std::int64_t C, std::int64_t I, float* y, float* mean, float* inv) {
  KERAS_CUDA_LOOP(p, positions) {
    const std::int64_t base = (p / I) * C * I + p % I;
    float s = 0.0f;
    for (std::int64_t c = 0; c < C; ++c) s += x[base + c * I];
    const float m = s / static_cast<float>(C);
    float q = 0.0f;
    for (std::int64_t c = 0; c < C; ++c) {
      const float t = x[base + c * I] - m;
      q += t * t;
    }
    const float iv = rsqrtf(q / static_cast<float>(C) + eps);
    mean[p] = m;
    inv[p] = iv;
    for (std::int64_t c = 0; c < C; ++c) {
      float t = (x[base + c * I] - m) * iv;
      if (g) t *= g[c];
      if (b) t += b[c];
      y[base + c * I] = t;
    }
  }
}

__global__ void ln_backward_rows(const float* x, const float* dy, const float* g, const float* mean,
                                 const float* inv, std::int64_t rows, std::int64_t C, float* dx) {
  __shared__ float sh[32];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *xr = x + r * C, *dr = dy + r * C;
    const float m = mean[r], iv = inv[r];
    float s1 = 0.0f, s2 = 0.0f;
    for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x) {
      const float gg = g ? dr[j] * g[j] : dr[j];
      s1 += gg;
      s2 += gg * (xr[j] - m) * iv;
    }
    const float a = block_sum(s1, sh) / static_cast<float>(C);
    const float c2 = block_sum(s2, sh) / static_cast<float>(C);
    for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x) {
      const float gg = g ? dr[j] * g[j] : dr[j];
      dx[r * C + j] = iv * (gg - a - (xr[j] - m) * iv * c2);
    }
  }
}

__global__ void ln_backward_cols(const float* x, const float* dy, const float* g, const float* mean,
                                 const float* inv, std::int64_t positions, std::int64_t C, std::int64_t I,
                                 float* dx) {
  KERAS_CUDA_LOOP(p, positions) {
    const std::int64_t base = (p / I) * C * I + p % I;
    const float m = mean[p], iv = inv[p];
    float s1 = 0.0f, s2 = 0.0f;
    for (std::int64_t c = 0; c < C; ++c) {
      const float d = dy[base + c * I], gg = g ? d * g[c] : d;
      s1 += gg;
      s2 += gg * (x[base + c * I] - m) * iv;
    }
    const float a = s1 / static_cast<float>(C), c2 = s2 / static_cast<float>(C);
    for (std::int64_t c = 0; c < C; ++c) {
      const float d = dy[base + c * I], gg = g ? d * g[c] : d;
      dx[base + c * I] = iv * (gg - a - (x[base + c * I] - m) * iv * c2);
    }
  }
}

// Partial sums of dy * xhat and dy for channel c over the kNormChunk
// positions of chunk k: pg[k * C + c], pb[k * C + c].
__global__ void ln_param_partials(const float* x, const float* dy, const float* mean, const float* inv,
                                  std::int64_t positions, std::int64_t C, std::int64_t I, std::int64_t chunks,
                                  float* pg, float* pb) {
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  for (std::int64_t k = blockIdx.y; k < chunks; k += gridDim.y) {
    const std::int64_t p1 = min(positions, (k + 1) * kNormChunk);
    float sg = 0.0f, sb = 0.0f;
    for (std::int64_t p = k * kNormChunk; p < p1; ++p) {
      const std::int64_t idx = ((p / I) * C + c) * I + p % I;
      const float d = dy[idx];
      sg += d * (x[idx] - mean[p]) * inv[p];
      sb += d;
    }
    pg[k * C + c] = sg;
    pb[k * C + c] = sb;
  }
}

// out[c] = sum over chunks of part[k * C + c], in chunk order, in double.
__global__ void sum_partials(const float* part, std::int64_t chunks, std::int64_t C, float* out) {
  KERAS_CUDA_LOOP(c, C) {
    double s = 0.0;
    for (std::int64_t k = 0; k < chunks; ++k) s += part[k * C + c];
    out[c] = static_cast<float>(s);
  }
}

const float* fptr(const Tensor* t) { return t ? static_cast<const float*>(t->data_ptr()) : nullptr; }

// The tensor and per-channel descriptors of a usable layout.
struct BnDescs {
  TensorDesc x, p;
  explicit BnDescs(const BnCudnnLayout& l) {
    KERAS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x.get(), l.nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW,
                                                 CUDNN_DATA_FLOAT, l.n, l.c, l.h, l.w));
    KERAS_CUDNN_CHECK(cudnnDeriveBNTensorDescriptor(p.get(), x.get(), CUDNN_BATCHNORM_SPATIAL));
  }
};

}  // namespace

// Per-channel parameters cuDNN requires even when the layer has none.
Tensor CudaBackend::norm_constant(std::int64_t c, float value) {
  Tensor t = Tensor::empty({c}, float32, device());
  fill(t, value);
  return t;
}

void CudaBackend::batch_norm_training(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                                      const NormDims& n, Tensor& y, Tensor& mean, Tensor& var, Tensor& inv_std) {
  const BnCudnnLayout l = bn_cudnn_layout(n, epsilon, CUDNN_BN_MIN_EPSILON, true);
  if (!l.usable) return Backend::batch_norm_training(x, gamma, beta, epsilon, n, y, mean, var, inv_std);
  activate();
  BnDescs d(l);
  const Tensor ones = gamma ? Tensor() : norm_constant(n.channels, 1.0f);
  const Tensor zeros = beta ? Tensor() : norm_constant(n.channels, 0.0f);
  KERAS_CUDA_CHECK(cudaMemsetAsync(mean.data_ptr(), 0, mean.nbytes(), stream_));
  KERAS_CUDA_CHECK(cudaMemsetAsync(var.data_ptr(), 0, var.nbytes(), stream_));
  Scratch saved_mean(*this, mean.nbytes());
  const float one = 1.0f, zero = 0.0f;
  KERAS_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
      cudnn_, CUDNN_BATCHNORM_SPATIAL, &one, &zero, d.x.get(), ptr<const float>(x), d.x.get(), ptr<float>(y),
      d.p.get(), gamma ? fptr(gamma) : ptr<const float>(ones), beta ? fptr(beta) : ptr<const float>(zeros),
      1.0, ptr<float>(mean), ptr<float>(var), static_cast<double>(epsilon), saved_mean.as<float>(),
      ptr<float>(inv_std)));
  const auto c = launch_config(n.channels);
  scale_kernel<<<c.grid, c.block, 0, stream_>>>(ptr<float>(var), n.channels,
                                                static_cast<float>(bn_biased_factor(n)));
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::batch_norm_inference(const Tensor& x, const Tensor* gamma, const Tensor* beta,
                                       const Tensor& mean, const Tensor& var, float epsilon, const NormDims& n,
                                       Tensor& y) {
  const BnCudnnLayout l = bn_cudnn_layout(n, epsilon, CUDNN_BN_MIN_EPSILON, false);
  if (!l.usable) return Backend::batch_norm_inference(x, gamma, beta, mean, var, epsilon, n, y);
  activate();
  BnDescs d(l);
  const Tensor ones = gamma ? Tensor() : norm_constant(n.channels, 1.0f);
  const Tensor zeros = beta ? Tensor() : norm_constant(n.channels, 0.0f);
  const float one = 1.0f, zero = 0.0f;
  KERAS_CUDNN_CHECK(cudnnBatchNormalizationForwardInference(
      cudnn_, CUDNN_BATCHNORM_SPATIAL, &one, &zero, d.x.get(), ptr<const float>(x), d.x.get(), ptr<float>(y),
      d.p.get(), gamma ? fptr(gamma) : ptr<const float>(ones), beta ? fptr(beta) : ptr<const float>(zeros),
      ptr<const float>(mean), ptr<const float>(var), static_cast<double>(epsilon)));
}

void CudaBackend::batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                                      const Tensor& inv_std, const NormDims& n, bool batch_stats, Tensor* dx,
                                      Tensor* dgamma, Tensor* dbeta) {
  // epsilon only matters to cuDNN when no saved statistics are given; they
  // always are here, so any value it accepts will do.
  const double eps = CUDNN_BN_MIN_EPSILON > 1e-5 ? CUDNN_BN_MIN_EPSILON : 1e-5;
  const BnCudnnLayout l = bn_cudnn_layout(n, eps, CUDNN_BN_MIN_EPSILON, true);
  if (!l.usable || !batch_stats)
    return Backend::batch_norm_backward(x, dy, gamma, mean, inv_std, n, batch_stats, dx, dgamma, dbeta);
  activate();
  BnDescs d(l);
  const Tensor ones = gamma ? Tensor() : norm_constant(n.channels, 1.0f);
  // cuDNN writes every output: unwanted ones go to scratch.
  Scratch sdx(*this, dx ? 4 : x.nbytes()), sg(*this, dgamma ? 4 : mean.nbytes()), sb(*this, dbeta ? 4 : mean.nbytes());
  const float one = 1.0f, zero = 0.0f;
  KERAS_CUDNN_CHECK(cudnnBatchNormalizationBackward(
      cudnn_, CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one, &zero, d.x.get(), ptr<const float>(x), d.x.get(),
      ptr<const float>(dy), d.x.get(), dx ? ptr<float>(*dx) : sdx.as<float>(), d.p.get(),
      gamma ? fptr(gamma) : ptr<const float>(ones), dgamma ? ptr<float>(*dgamma) : sg.as<float>(),
      dbeta ? ptr<float>(*dbeta) : sb.as<float>(), eps, ptr<const float>(mean), ptr<const float>(inv_std)));
}

void CudaBackend::layer_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                                     const NormDims& n, Tensor& y, Tensor& mean, Tensor& inv_std) {
  const std::int64_t positions = n.outer * n.inner;
  if (positions == 0 || n.channels == 0) return;
  activate();
  if (n.inner == 1) {
    const unsigned grid = static_cast<unsigned>(std::min<std::int64_t>(n.outer, 65535));
    ln_forward_rows<<<grid, kBlock, 0, stream_>>>(ptr<const float>(x), fptr(gamma), fptr(beta), epsilon, n.outer,
                                                  n.channels, ptr<float>(y), ptr<float>(mean), ptr<float>(inv_std));
  } else {
    const auto c = launch_config(positions);
    ln_forward_cols<<<c.grid, c.block, 0, stream_>>>(ptr<const float>(x), fptr(gamma), fptr(beta), epsilon,
                                                     positions, n.channels, n.inner, ptr<float>(y),
                                                     ptr<float>(mean), ptr<float>(inv_std));
  }
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::layer_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                                      const Tensor& inv_std, const NormDims& n, Tensor* dx, Tensor* dgamma,
                                      Tensor* dbeta) {
  const std::int64_t positions = n.outer * n.inner, C = n.channels;
  if (C == 0) return;
  activate();
  if (positions == 0) {
    if (dgamma) KERAS_CUDA_CHECK(cudaMemsetAsync(dgamma->data_ptr(), 0, dgamma->nbytes(), stream_));
    if (dbeta) KERAS_CUDA_CHECK(cudaMemsetAsync(dbeta->data_ptr(), 0, dbeta->nbytes(), stream_));
    return;
  }
  if (dx) {
    if (n.inner == 1) {
      const unsigned grid = static_cast<unsigned>(std::min<std::int64_t>(n.outer, 65535));
      ln_backward_rows<<<grid, kBlock, 0, stream_>>>(ptr<const float>(x), ptr<const float>(dy), fptr(gamma),
                                                     ptr<const float>(mean), ptr<const float>(inv_std), n.outer, C,
                                                     ptr<float>(*dx));
    } else {
      const auto c = launch_config(positions);
      ln_backward_cols<<<c.grid, c.block, 0, stream_>>>(ptr<const float>(x), ptr<const float>(dy), fptr(gamma),
                                                        ptr<const float>(mean), ptr<const float>(inv_std),
                                                        positions, C, n.inner, ptr<float>(*dx));
    }
    KERAS_CUDA_CHECK_LAUNCH();
  }
  if (!dgamma && !dbeta) return;
  const std::int64_t chunks = norm_chunks(n);
  Scratch part(*this, 2 * chunks * C * sizeof(float));
  float* pg = part.as<float>();
  float* pb = pg + chunks * C;
  const dim3 grid(static_cast<unsigned>((C + kBlock - 1) / kBlock),
                  static_cast<unsigned>(std::min<std::int64_t>(chunks, 65535)));
  ln_param_partials<<<grid, kBlock, 0, stream_>>>(ptr<const float>(x), ptr<const float>(dy), ptr<const float>(mean),
                                                  ptr<const float>(inv_std), positions, C, n.inner, chunks, pg, pb);
  KERAS_CUDA_CHECK_LAUNCH();
  const auto c = launch_config(C);
  if (dgamma) {
    sum_partials<<<c.grid, c.block, 0, stream_>>>(pg, chunks, C, ptr<float>(*dgamma));
    KERAS_CUDA_CHECK_LAUNCH();
  }
  if (dbeta) {
    sum_partials<<<c.grid, c.block, 0, stream_>>>(pb, chunks, C, ptr<float>(*dbeta));
    KERAS_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace keras::backend::cuda
