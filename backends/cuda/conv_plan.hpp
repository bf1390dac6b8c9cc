// Host-side planning for the cuDNN convolution and pooling calls. Plain C++
// (no CUDA headers) so the logic is tested on machines without a GPU.
//
// Asymmetric padding. The legacy cuDNN API pads both sides of an axis by the
// same amount, while Keras's 'same' padding puts floor(total/2) before and
// the rest after. Per axis (lo, hi) we use, in order:
//  1. cuDNN's symmetric pad `lo` alone, when that yields the same number of
//     outputs: the windows then start at the same places (i*stride - lo) and
//     none of them reaches past the `hi` cells, so the padding differs only
//     in cells that no window reads. This covers lo == hi, and excess
//     padding past the last window (e.g. lo > hi from a transposed
//     convolution). Keras's 'same' never pads more than its windows read,
//     so its odd totals (even kernels; stride 2 on even sizes) take path 2,
//     at the cost of one copy of the input.
//  2. Otherwise the input is copied into a scratch buffer with the excess
//     (lo - p before, hi - p after, p = min(lo, hi)) written out as zeros,
//     and cuDNN pads that buffer symmetrically by p. Backward-data computes
//     the gradient of the padded buffer and crops it.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>

#if defined(__CUDACC__)
#define KERAS_CONV_HD __host__ __device__
#else
#define KERAS_CONV_HD
#endif

namespace keras::backend::cuda {

// Outputs along one axis: (in + lo + hi - window) / stride + 1, where window
// is the dilated extent dilation * (k - 1) + 1; 0 when no window fits.
inline std::int64_t conv_out_size(std::int64_t in, std::int64_t lo, std::int64_t hi,
                                  std::int64_t window, std::int64_t stride) {
  const std::int64_t span = in + lo + hi - window;
  return span < 0 ? 0 : span / stride + 1;
}

// How one spatial axis is handed to cuDNN (see the comment at the top).
struct AxisPlan {
  int pad = 0;                // cuDNN's symmetric padding
  int extra_lo = 0;           // zero cells written before the data in scratch
  int extra_hi = 0;           // and after it
  std::int64_t padded = 0;    // extent of the (possibly padded) input
  bool explicit_pad() const { return extra_lo != 0 || extra_hi != 0; }
};

inline AxisPlan plan_axis(std::int64_t in, int lo, int hi, std::int64_t window, int stride,
                          std::int64_t out) {
  AxisPlan p;
  if (conv_out_size(in, lo, lo, window, stride) == out) {
    p.pad = lo;
    p.padded = in;
    return p;
  }
  p.pad = std::min(lo, hi);
  p.extra_lo = lo - p.pad;
  p.extra_hi = hi - p.pad;
  p.padded = in + p.extra_lo + p.extra_hi;
  return p;
}

// Keras stores a kernel as (KH, KW, Cg, K) and cuDNN's NHWC filter layout is
// (K, KH, KW, Cg): both are 2-D matrices, (KH*KW*Cg, K) and its transpose.
// Index in cuDNN's layout of the element at Keras index i (rows = KH*KW*Cg).
KERAS_CONV_HD inline std::int64_t keras_to_cudnn_filter_index(std::int64_t i, std::int64_t rows,
                                                              std::int64_t k) {
  return (i % k) * rows + i / k;
}

// The algorithm cache key: everything that shapes a convolution call.
struct ConvKey {
  int pass = 0;  // 0 forward, 1 backward data, 2 backward filter
  std::int64_t n = 0, h = 0, w = 0, c = 0;  // input as cuDNN sees it (padded)
  std::int64_t k = 0, r = 0, s = 0;         // filter: outputs, height, width
  int pad_h = 0, pad_w = 0, stride_h = 0, stride_w = 0, dil_h = 0, dil_w = 0, groups = 0;
  bool operator==(const ConvKey& o) const {
    return pass == o.pass && n == o.n && h == o.h && w == o.w && c == o.c && k == o.k &&
           r == o.r && s == o.s && pad_h == o.pad_h && pad_w == o.pad_w &&
           stride_h == o.stride_h && stride_w == o.stride_w && dil_h == o.dil_h &&
           dil_w == o.dil_w && groups == o.groups;
  }
};

struct ConvKeyHash {
  std::size_t operator()(const ConvKey& key) const {
    const std::int64_t v[] = {key.pass, key.n, key.h, key.w, key.c, key.k, key.r, key.s,
                              key.pad_h, key.pad_w, key.stride_h, key.stride_w, key.dil_h,
                              key.dil_w, key.groups};
    std::size_t h = 1469598103934665603ull;
    for (std::int64_t x : v) h = (h ^ std::hash<std::int64_t>{}(x)) * 1099511628211ull;
    return h;
  }
};

// The cached choice: cuDNN's algorithm enum value and its workspace bytes.
struct ConvChoice {
  int algo = 0;
  std::size_t workspace = 0;
};

}  // namespace keras::backend::cuda
