// softmax / log_softmax along any axis, their backward, and sparse softmax
// cross-entropy. Own kernels: one warp per row when the axis is innermost
// (the usual case), one thread per (outer, inner) column otherwise.
#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {
namespace {

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v += __shfl_xor_sync(0xffffffffu, v, d);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, d));
  return v;
}

#define KERAS_WARP_ROWS(row, lane, rows)                                                 \
  const int lane = threadIdx.x % 32;                                                     \
  for (std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32; \
       row < (rows); row += static_cast<std::int64_t>(gridDim.x) * blockDim.x / 32)

__global__ void softmax_rows(const float* x, float* out, std::int64_t rows, std::int64_t len,
                             bool log) {
  KERAS_WARP_ROWS(row, lane, rows) {
    const float* p = x + row * len;
    float* q = out + row * len;
    float m = -INFINITY;
    for (std::int64_t j = lane; j < len; j += 32) m = fmaxf(m, p[j]);
    m = warp_max(m);
    float s = 0.0f;
    for (std::int64_t j = lane; j < len; j += 32) s += expf(p[j] - m);
    s = warp_sum(s);
    if (log) {
      const float lse = m + logf(s);
      for (std::int64_t j = lane; j < len; j += 32) q[j] = p[j] - lse;
    } else {
      const float inv = 1.0f / s;
      for (std::int64_t j = lane; j < len; j += 32) q[j] = expf(p[j] - m) * inv;
    }
  }
}

__global__ void softmax_cols(const float* x, float* out, std::int64_t outer, std::int64_t len,
                             std::int64_t inner, bool log) {
  KERAS_CUDA_LOOP(i, outer * inner) {
    const std::int64_t o = i / inner, in = i % inner;
    const float* p = x + o * len * inner + in;
    float* q = out + o * len * inner + in;
    float m = -INFINITY;
    for (std::int64_t j = 0; j < len; ++j) m = fmaxf(m, p[j * inner]);
    float s = 0.0f;
    for (std::int64_t j = 0; j < len; ++j) s += expf(p[j * inner] - m);
    const float lse = m + logf(s), inv = 1.0f / s;
    for (std::int64_t j = 0; j < len; ++j)
      q[j * inner] = log ? p[j * inner] - lse : expf(p[j * inner] - m) * inv;
  }
}

// softmax:     dx = y * (dy - sum(dy * y))
// log_softmax: dx = dy - exp(y) * sum(dy)
__global__ void softmax_backward_rows(const float* y, const float* dy, float* dx,
                                      std::int64_t rows, std::int64_t len, bool log) {
  KERAS_WARP_ROWS(row, lane, rows) {
    const float* yp = y + row * len;
    const float* gp = dy + row * len;
    float* q = dx + row * len;
    float s = 0.0f;
    for (std::int64_t j = lane; j < len; j += 32) s += log ? gp[j] : gp[j] * yp[j];
    s = warp_sum(s);
    for (std::int64_t j = lane; j < len; j += 32)
      q[j] = log ? gp[j] - expf(yp[j]) * s : yp[j] * (gp[j] - s);
  }
}

__global__ void softmax_backward_cols(const float* y, const float* dy, float* dx,
                                      std::int64_t outer, std::int64_t len, std::int64_t inner,
                                      bool log) {
  KERAS_CUDA_LOOP(i, outer * inner) {
    const std::int64_t base = (i / inner) * len * inner + i % inner;
    float s = 0.0f;
    for (std::int64_t j = 0; j < len; ++j) {
      const std::int64_t k = base + j * inner;
      s += log ? dy[k] : dy[k] * y[k];
    }
    for (std::int64_t j = 0; j < len; ++j) {
      const std::int64_t k = base + j * inner;
      dx[k] = log ? dy[k] - expf(y[k]) * s : y[k] * (dy[k] - s);
    }
  }
}

// With target t = (1 - s) one_hot(label) + s / C and lse = logsumexp(x):
// loss = sum_j t_j (lse - x_j) = (1 - s)(lse - x_label) + s (lse - mean(x)),
// grad_j = softmax_j - t_j.
template <class Idx>
__global__ void sparse_ce_rows(const float* logits, const Idx* labels, float smoothing,
                               float* loss, float* grad, std::int64_t rows, std::int64_t C) {
  KERAS_WARP_ROWS(row, lane, rows) {
    const float* p = logits + row * C;
    float m = -INFINITY, sx = 0.0f;
    for (std::int64_t j = lane; j < C; j += 32) {
      m = fmaxf(m, p[j]);
      sx += p[j];
    }
    m = warp_max(m);
    sx = warp_sum(sx);
    float se = 0.0f;
    for (std::int64_t j = lane; j < C; j += 32) se += expf(p[j] - m);
    se = warp_sum(se);
    const float lse = m + logf(se);
    const std::int64_t label = static_cast<std::int64_t>(labels[row]);
    const bool valid = label >= 0 && label < C;
    if (lane == 0) {
      const float xl = valid ? p[label] : NAN;
      loss[row] = (1.0f - smoothing) * (lse - xl) + smoothing * (lse - sx / static_cast<float>(C));
    }
    if (grad) {
      const float off = smoothing / static_cast<float>(C);
      float* g = grad + row * C;
      for (std::int64_t j = lane; j < C; j += 32)
        g[j] = expf(p[j] - lse) - off - (j == label ? 1.0f - smoothing : 0.0f);
    }
  }
}

struct AxisView {
  std::int64_t outer = 1, len = 1, inner = 1;
};

AxisView view_along(const Shape& s, int axis) {
  AxisView v;
  for (int d = 0; d < axis; ++d) v.outer *= s[d];
  v.len = s[axis];
  for (std::size_t d = axis + 1; d < s.size(); ++d) v.inner *= s[d];
  return v;
}

int normalize_axis(int axis, int ndim) { return axis < 0 ? axis + ndim : axis; }

}  // namespace

void CudaBackend::softmax(const Tensor& x, int axis, Tensor& out, bool log) {
  if (x.size() == 0) return;
  activate();
  const AxisView v = view_along(x.shape(), normalize_axis(axis, x.ndim()));
  if (v.inner == 1) {
    const auto c = launch_config(v.outer * 32);
    softmax_rows<<<c.grid, c.block, 0, stream_>>>(ptr<const float>(x), ptr<float>(out), v.outer,
                                                  v.len, log);
  } else {
    const auto c = launch_config(v.outer * v.inner);
    softmax_cols<<<c.grid, c.block, 0, stream_>>>(ptr<const float>(x), ptr<float>(out), v.outer,
                                                  v.len, v.inner, log);
  }
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::softmax_backward(const Tensor& y, const Tensor& dy, int axis, Tensor& dx,
                                   bool log) {
  if (y.size() == 0) return;
  activate();
  const AxisView v = view_along(y.shape(), normalize_axis(axis, y.ndim()));
  if (v.inner == 1) {
    const auto c = launch_config(v.outer * 32);
    softmax_backward_rows<<<c.grid, c.block, 0, stream_>>>(
        ptr<const float>(y), ptr<const float>(dy), ptr<float>(dx), v.outer, v.len, log);
  } else {
    const auto c = launch_config(v.outer * v.inner);
    softmax_backward_cols<<<c.grid, c.block, 0, stream_>>>(
        ptr<const float>(y), ptr<const float>(dy), ptr<float>(dx), v.outer, v.len, v.inner, log);
  }
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels,
                                               float label_smoothing, Tensor& loss, Tensor* grad) {
  const std::int64_t N = logits.shape(0), C = logits.shape(1);
  if (N == 0) return;
  activate();
  float* g = grad && grad->defined() ? ptr<float>(*grad) : nullptr;
  const auto c = launch_config(N * 32);
  auto run = [&](auto tag) {
    using Idx = decltype(tag);
    sparse_ce_rows<Idx><<<c.grid, c.block, 0, stream_>>>(ptr<const float>(logits),
                                                         ptr<const Idx>(labels), label_smoothing,
                                                         ptr<float>(loss), g, N, C);
  };
  if (labels.dtype() == DType::int32) run(std::int32_t{});
  else if (labels.dtype() == DType::int64) run(std::int64_t{});
  else throw TypeError(detail::cat("sparse_softmax_cross_entropy: labels must be int32 or int64, received ",
                                   dtype_name(labels.dtype())));
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace keras::backend::cuda
