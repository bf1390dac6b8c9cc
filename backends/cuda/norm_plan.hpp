// Host-side planning of the CUDA normalization kernels (normalization.cu):
// how a (outer, C, inner) tensor is described to cuDNN's batch
// normalization, and when cuDNN cannot be used. Plain C++, so the tests
// check it on machines without a GPU.
#pragma once
#include <climits>
#include <cstdint>

#include "keras/backend.hpp"

namespace keras::backend::cuda {

// cuDNN's 4-D description of the same memory. inner == 1 (channels last):
// NHWC with N = outer, H = W = 1; otherwise NCHW with N = outer, H = inner,
// W = 1, which is exactly the (outer, C, inner) row-major layout. Spatial
// mode then takes per-channel statistics over N, H and W: over outer and inner.
struct BnCudnnLayout {
  bool usable = false;
  bool nhwc = false;
  int n = 0, c = 0, h = 0, w = 0;
};

// `training`: the batch-statistics forward or backward pass, which needs at
// least two values per channel (cuDNN's running variance is unbiased, M / (M
// - 1) times the biased one, see bn_biased_factor). min_epsilon is cuDNN's
// CUDNN_BN_MIN_EPSILON. Not usable: empty tensors, sizes past cuDNN's int
// range, or a smaller epsilon; the callers then use the composed defaults.
inline BnCudnnLayout bn_cudnn_layout(const NormDims& d, double epsilon, double min_epsilon, bool training) {
  BnCudnnLayout l;
  const std::int64_t total = d.outer * d.channels * d.inner;
  if (d.outer <= 0 || d.channels <= 0 || d.inner <= 0 || total > INT_MAX) return l;
  if (epsilon < min_epsilon) return l;
  if (training && d.outer * d.inner < 2) return l;
  l.usable = true;
  l.nhwc = d.inner == 1;
  l.n = static_cast<int>(d.outer);
  l.c = static_cast<int>(d.channels);
  l.h = static_cast<int>(d.inner);
  l.w = 1;
  return l;
}

// cuDNN's running variance, updated with factor 1 from zero, is the batch
// variance times M / (M - 1) (M = outer * inner values per channel): this
// factor turns it back into the biased variance Keras uses.
inline double bn_biased_factor(const NormDims& d) {
  const double m = static_cast<double>(d.outer) * static_cast<double>(d.inner);
  return m > 1 ? (m - 1) / m : 0.0;
}

// Column partial sums of the layer-norm parameter gradients: positions
// (outer * inner of them) are summed in chunks of this many per partial, and
// the partials of a channel are then added in chunk order (deterministic).
inline constexpr std::int64_t kNormChunk = 256;
inline std::int64_t norm_chunks(const NormDims& d) {
  const std::int64_t p = d.outer * d.inner;
  return p <= 0 ? 0 : (p + kNormChunk - 1) / kNormChunk;
}

}  // namespace keras::backend::cuda
