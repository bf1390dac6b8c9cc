// The per-element bodies of the CUDA pooling kernels and of the
// convolution's border copy. Plain C++ that nvcc also compiles for the
// device, so the tests run exactly this code on the host (against the CPU
// backend) on machines without a GPU. NHWC throughout.
#pragma once
#include <cmath>
#include <cstdint>

#include "backends/cuda/conv_plan.hpp"

namespace keras::backend::cuda {

struct PoolGeom {
  std::int64_t n, h, w, c, oh, ow;
  int kh, kw, sh, sw, pt, pl;  // window, strides, padding before
};

// Splits a linear NHWC index over (n, rows, cols, c).
KERAS_CONV_HD inline void split_nhwc(std::int64_t i, std::int64_t rows, std::int64_t cols,
                                     std::int64_t c, std::int64_t& n, std::int64_t& y,
                                     std::int64_t& x, std::int64_t& ch) {
  ch = i % c;
  i /= c;
  x = i % cols;
  i /= cols;
  y = i % rows;
  n = i / rows;
}

// Window of output (oy, ox) clipped to the image: [h0, h1) x [w0, w1).
KERAS_CONV_HD inline void clipped_window(const PoolGeom& g, std::int64_t oy, std::int64_t ox,
                                         std::int64_t& h0, std::int64_t& h1, std::int64_t& w0,
                                         std::int64_t& w1) {
  const std::int64_t hs = oy * g.sh - g.pt, ws = ox * g.sw - g.pl;
  h0 = hs > 0 ? hs : 0;
  h1 = hs + g.kh < g.h ? hs + g.kh : g.h;
  w0 = ws > 0 ? ws : 0;
  w1 = ws + g.kw < g.w ? ws + g.kw : g.w;
}

// Outputs whose windows contain input (ih, iw): [oy0, oy1) x [ox0, ox1).
// Window oy covers oy*sh - pt <= ih < oy*sh - pt + kh, i.e.
// ih + pt - kh < oy*sh <= ih + pt.
KERAS_CONV_HD inline void covering_outputs(const PoolGeom& g, std::int64_t ih, std::int64_t iw,
                                           std::int64_t& oy0, std::int64_t& oy1,
                                           std::int64_t& ox0, std::int64_t& ox1) {
  const std::int64_t ah = ih + g.pt, aw = iw + g.pl;  // >= 0: padding is never negative
  const std::int64_t lo_h = ah - g.kh + 1, lo_w = aw - g.kw + 1;
  oy0 = lo_h <= 0 ? 0 : (lo_h + g.sh - 1) / g.sh;
  ox0 = lo_w <= 0 ? 0 : (lo_w + g.sw - 1) / g.sw;
  oy1 = ah / g.sh + 1 < g.oh ? ah / g.sh + 1 : g.oh;
  ox1 = aw / g.sw + 1 < g.ow ? aw / g.sw + 1 : g.ow;
}

// Output element i of max / average pooling; the same clipped windows,
// summation order and 1/count scaling as the CPU backend.
KERAS_CONV_HD inline float pool_forward_at(const PoolGeom& g, bool is_max, const float* x,
                                           std::int64_t i) {
  std::int64_t n, oy, ox, ch, h0, h1, w0, w1;
  split_nhwc(i, g.oh, g.ow, g.c, n, oy, ox, ch);
  clipped_window(g, oy, ox, h0, h1, w0, w1);
  const float* xn = x + n * g.h * g.w * g.c + ch;
  float acc = is_max ? -INFINITY : 0.0f;
  for (std::int64_t ih = h0; ih < h1; ++ih)
    for (std::int64_t iw = w0; iw < w1; ++iw) {
      const float v = xn[(ih * g.w + iw) * g.c];
      acc = is_max ? (v > acc ? v : acc) : acc + v;
    }
  if (!is_max) {
    const std::int64_t count = (h1 - h0) * (w1 - w0);
    acc *= count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
  }
  return acc;
}

// Input-gradient element i of average pooling: a gather over the windows
// containing it (each has count >= 1), in the CPU's output order.
KERAS_CONV_HD inline float avg_pool_backward_at(const PoolGeom& g, const float* dy,
                                                std::int64_t i) {
  std::int64_t n, ih, iw, ch, oy0, oy1, ox0, ox1;
  split_nhwc(i, g.h, g.w, g.c, n, ih, iw, ch);
  covering_outputs(g, ih, iw, oy0, oy1, ox0, ox1);
  const float* dyn = dy + n * g.oh * g.ow * g.c + ch;
  float acc = 0.0f;
  for (std::int64_t oy = oy0; oy < oy1; ++oy)
    for (std::int64_t ox = ox0; ox < ox1; ++ox) {
      std::int64_t h0, h1, w0, w1;
      clipped_window(g, oy, ox, h0, h1, w0, w1);
      const float scale = 1.0f / static_cast<float>((h1 - h0) * (w1 - w0));
      acc += dyn[(oy * g.ow + ox) * g.c] * scale;
    }
  return acc;
}

// For output i, the spatial index (ih * W + iw) of the first element of
// its window (row-major) equal to y[i], or -1 (y NaN).
KERAS_CONV_HD inline int max_pool_argmax_at(const PoolGeom& g, const float* x, const float* y,
                                            std::int64_t i) {
  std::int64_t n, oy, ox, ch, h0, h1, w0, w1;
  split_nhwc(i, g.oh, g.ow, g.c, n, oy, ox, ch);
  clipped_window(g, oy, ox, h0, h1, w0, w1);
  const float* xn = x + n * g.h * g.w * g.c + ch;
  const float target = y[i];
  for (std::int64_t ih = h0; ih < h1; ++ih)
    for (std::int64_t iw = w0; iw < w1; ++iw)
      if (xn[(ih * g.w + iw) * g.c] == target) return static_cast<int>(ih * g.w + iw);
  return -1;
}

// Input-gradient element i of max pooling: the dy of every window whose
// argmax it is.
KERAS_CONV_HD inline float max_pool_backward_at(const PoolGeom& g, const int* arg,
                                                const float* dy, std::int64_t i) {
  std::int64_t n, ih, iw, ch, oy0, oy1, ox0, ox1;
  split_nhwc(i, g.h, g.w, g.c, n, ih, iw, ch);
  covering_outputs(g, ih, iw, oy0, oy1, ox0, ox1);
  const std::int64_t base = n * g.oh * g.ow * g.c + ch;
  const int me = static_cast<int>(ih * g.w + iw);
  float acc = 0.0f;
  for (std::int64_t oy = oy0; oy < oy1; ++oy)
    for (std::int64_t ox = ox0; ox < ox1; ++ox) {
      const std::int64_t o = base + (oy * g.ow + ox) * g.c;
      if (arg[o] == me) acc += dy[o];
    }
  return acc;
}

// Element i of dst (N, Hd, Wd, C) = src (N, Hs, Ws, C)[n, h + dh, w + dw, c],
// or 0 outside src: pads with dh, dw <= 0 and crops with dh, dw >= 0.
KERAS_CONV_HD inline float shift_copy_at(const float* src, std::int64_t hs, std::int64_t ws,
                                         std::int64_t hd, std::int64_t wd, std::int64_t c,
                                         std::int64_t dh, std::int64_t dw, std::int64_t i) {
  std::int64_t n, y, x, ch;
  split_nhwc(i, hd, wd, c, n, y, x, ch);
  const std::int64_t sy = y + dh, sx = x + dw;
  return (sy >= 0 && sy < hs && sx >= 0 && sx < ws) ? src[((n * hs + sy) * ws + sx) * c + ch]
                                                    : 0.0f;
}

}  // namespace keras::backend::cuda
