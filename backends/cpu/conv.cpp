// 2-D convolution on the CPU (NHWC, kernel (KH, KW, Cin/G, Cout)).
//
// Each pass is im2col + one OpenBLAS sgemm per group: the patch matrix has a
// row per output pixel (n, oh, ow) and a column per (kh, kw, c), which is
// exactly the row order of Keras's kernel seen as a (KH*KW*Cin/G, Cout)
// matrix, and the product is the NHWC output as (N*OH*OW, Cout). A 1x1
// stride-1 unpadded convolution skips im2col: the input already is that
// matrix. Depthwise convolutions (one input channel per group) use a direct
// loop vectorised over channels instead, since their per-group GEMMs would be
// a few columns wide.
//
// Threads: the batch is split into one slice per core, each slice doing its
// own im2col and single-threaded sgemm. That parallelises the memory-bound
// im2col/col2im too, and keeps OpenBLAS's own threads (which spin and
// contend with ours) out of the way.
#include <algorithm>
#include <cstring>

#include "backends/cpu/blas.hpp"
#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"
#include "tensor_impl.hpp"

namespace keras::backend::cpu {
namespace {

struct Geom {
  int64_t n, h, w, cin, oh, ow, cout, kh, kw, groups, cin_g, cout_g, kg;
  int64_t sh, sw, pt, pl, dh, dw;
  bool direct;     // x is its own patch matrix
  bool depthwise;  // one input channel per group
  int64_t pixels() const { return oh * ow; }
};

Geom make_geom(const Shape& xs, const Shape& ws, const Shape& ys, const Conv2dDesc& d) {
  Geom g{};
  g.n = xs[0], g.h = xs[1], g.w = xs[2], g.cin = xs[3];
  g.kh = ws[0], g.kw = ws[1], g.cin_g = ws[2], g.cout = ws[3];
  g.oh = ys[1], g.ow = ys[2];
  g.groups = d.groups;
  g.cout_g = g.cout / g.groups;
  g.kg = g.kh * g.kw * g.cin_g;
  g.sh = d.stride_h, g.sw = d.stride_w, g.pt = d.pad_top, g.pl = d.pad_left;
  g.dh = d.dilation_h, g.dw = d.dilation_w;
  g.direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && d.pad_top == 0 && d.pad_left == 0 &&
             g.oh == g.h && g.ow == g.w;
  g.depthwise = g.groups > 1 && g.cin_g == 1;
  return g;
}

// How many batch slices run in parallel: one per core when the work is
// worth a thread wake-up (about 1e6 multiply-adds).
int64_t num_slices(const Geom& g) {
  const double macs = static_cast<double>(g.n) * g.pixels() * g.kg * g.cout;
  return macs < 1e6 ? 1 : std::min<int64_t>(g.n, hw_threads());
}

// Samples per im2col chunk: the patch matrix of a chunk (about 1 MiB) stays
// in cache between im2col and the GEMM, and the scratch buffer stays small
// enough for the caching allocator to recycle it.
int64_t chunk_samples(const Geom& g) {
  constexpr int64_t kChunkBytes = int64_t{1} << 20;
  const int64_t per_sample = std::max<int64_t>(1, g.pixels() * g.kg * int64_t(sizeof(float)));
  return std::clamp<int64_t>(kChunkBytes / per_sample, 1, std::max<int64_t>(g.n, 1));
}

// Runs fn(n0, n1, slice) over `slices` parts of the batch.
template <class F>
void over_batch(const Geom& g, int64_t slices, F&& fn) {
  if (slices <= 1) {
    // One sample (or tiny work): let OpenBLAS thread the GEMM if it is big.
    const double macs = static_cast<double>(g.n) * g.pixels() * g.kg * g.cout;
    BlasThreads bt(macs < 5e7 ? 1 : hw_threads());
    fn(int64_t{0}, g.n, int64_t{0});
    return;
  }
  BlasThreads bt(1);
  parallel_for(slices, 1, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; ++s) fn(g.n * s / slices, g.n * (s + 1) / slices, s);
  });
}

// Calls fn(c0, c1) for consecutive chunks of at most `chunk` samples of [n0, n1).
template <class F>
inline void chunks(int64_t n0, int64_t n1, int64_t chunk, F&& fn) {
  for (int64_t c0 = n0; c0 < n1; c0 += chunk) fn(c0, std::min(c0 + chunk, n1));
}

// Patch rows for samples [n0, n1) and group grp into col (rows, kg).
void im2col(const Geom& g, const float* x, int64_t n0, int64_t n1, int64_t grp, float* col) {
  const int64_t cg = g.cin_g, c0 = grp * cg;
  const int64_t run = g.kw * cg;  // one kernel row of a patch
  const bool contiguous_rows = g.groups == 1 && g.dw == 1;
  for (int64_t n = n0; n < n1; ++n) {
    const float* xn = x + n * g.h * g.w * g.cin;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        float* row = col + (((n - n0) * g.oh + oh) * g.ow + ow) * g.kg;
        const int64_t iw0 = ow * g.sw - g.pl;
        for (int64_t kh = 0; kh < g.kh; ++kh) {
          float* dst = row + kh * run;
          const int64_t ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.h) {
            std::memset(dst, 0, sizeof(float) * run);
            continue;
          }
          const float* xr = xn + ih * g.w * g.cin;
          if (contiguous_rows && iw0 >= 0 && iw0 + g.kw <= g.w) {
            std::memcpy(dst, xr + iw0 * g.cin, sizeof(float) * run);
            continue;
          }
          for (int64_t kw = 0; kw < g.kw; ++kw) {
            const int64_t iw = iw0 + kw * g.dw;
            float* d = dst + kw * cg;
            if (iw < 0 || iw >= g.w) {
              for (int64_t c = 0; c < cg; ++c) d[c] = 0.0f;
            } else {
              const float* s = xr + iw * g.cin + c0;
              for (int64_t c = 0; c < cg; ++c) d[c] = s[c];
            }
          }
        }
      }
    }
  }
}

// The patch matrix of samples [c0, c1) and group grp, with its leading
// dimension: x itself for a direct (1x1) convolution, else im2col into col.
const float* patches(const Geom& g, const float* x, int64_t c0, int64_t c1, int64_t grp, float* col, int64_t& lda) {
  if (g.direct) {
    lda = g.cin;
    return x + c0 * g.pixels() * g.cin + grp * g.cin_g;
  }
  im2col(g, x, c0, c1, grp, col);
  lda = g.kg;
  return col;
}

// The adjoint of im2col: dx[samples n0..n1, group grp] += scatter of col.
void col2im(const Geom& g, const float* col, int64_t n0, int64_t n1, int64_t grp, float* dx) {
  const int64_t cg = g.cin_g, c0 = grp * cg;
  const int64_t run = g.kw * cg;
  const bool contiguous_rows = g.groups == 1 && g.dw == 1;
  for (int64_t n = n0; n < n1; ++n) {
    float* xn = dx + n * g.h * g.w * g.cin;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const float* row = col + (((n - n0) * g.oh + oh) * g.ow + ow) * g.kg;
        const int64_t iw0 = ow * g.sw - g.pl;
        for (int64_t kh = 0; kh < g.kh; ++kh) {
          const float* src = row + kh * run;
          const int64_t ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          float* xr = xn + ih * g.w * g.cin;
          if (contiguous_rows && iw0 >= 0 && iw0 + g.kw <= g.w) {
            float* d = xr + iw0 * g.cin;
            for (int64_t i = 0; i < run; ++i) d[i] += src[i];
            continue;
          }
          for (int64_t kw = 0; kw < g.kw; ++kw) {
            const int64_t iw = iw0 + kw * g.dw;
            if (iw < 0 || iw >= g.w) continue;
            float* d = xr + iw * g.cin + c0;
            const float* s = src + kw * cg;
            for (int64_t c = 0; c < cg; ++c) d[c] += s[c];
          }
        }
      }
    }
  }
}

// --- depthwise: channel c feeds outputs c*m .. c*m+m-1 (m = Cout / Cin) ---

// Calls fn(kh, kw, ih, iw) for the taps of output pixel (oh, ow) inside the image.
template <class F>
inline void for_taps(const Geom& g, int64_t oh, int64_t ow, F&& fn) {
  for (int64_t kh = 0; kh < g.kh; ++kh) {
    const int64_t ih = oh * g.sh - g.pt + kh * g.dh;
    if (ih < 0 || ih >= g.h) continue;
    for (int64_t kw = 0; kw < g.kw; ++kw) {
      const int64_t iw = ow * g.sw - g.pl + kw * g.dw;
      if (iw < 0 || iw >= g.w) continue;
      fn(kh, kw, ih, iw);
    }
  }
}

void depthwise_forward(const Geom& g, const float* x, const float* w, float* y, int64_t n0, int64_t n1) {
  const int64_t m = g.cout / g.cin, C = g.cin, CO = g.cout;
  for (int64_t n = n0; n < n1; ++n)
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        float* yp = y + ((n * g.oh + oh) * g.ow + ow) * CO;
        std::fill(yp, yp + CO, 0.0f);
        for_taps(g, oh, ow, [&](int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
          const float* xp = x + ((n * g.h + ih) * g.w + iw) * C;
          const float* wp = w + (kh * g.kw + kw) * CO;
          if (m == 1) {
            for (int64_t c = 0; c < C; ++c) yp[c] += xp[c] * wp[c];
          } else {
            for (int64_t c = 0; c < C; ++c)
              for (int64_t j = 0; j < m; ++j) yp[c * m + j] += xp[c] * wp[c * m + j];
          }
        });
      }
}

void depthwise_backward_data(const Geom& g, const float* dy, const float* w, float* dx, int64_t n0, int64_t n1) {
  const int64_t m = g.cout / g.cin, C = g.cin, CO = g.cout;
  std::fill(dx + n0 * g.h * g.w * C, dx + n1 * g.h * g.w * C, 0.0f);
  for (int64_t n = n0; n < n1; ++n)
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const float* dyp = dy + ((n * g.oh + oh) * g.ow + ow) * CO;
        for_taps(g, oh, ow, [&](int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
          float* dxp = dx + ((n * g.h + ih) * g.w + iw) * C;
          const float* wp = w + (kh * g.kw + kw) * CO;
          if (m == 1) {
            for (int64_t c = 0; c < C; ++c) dxp[c] += dyp[c] * wp[c];
          } else {
            for (int64_t c = 0; c < C; ++c)
              for (int64_t j = 0; j < m; ++j) dxp[c] += dyp[c * m + j] * wp[c * m + j];
          }
        });
      }
}

// Accumulates into dw (zeroed by the caller).
void depthwise_backward_filter(const Geom& g, const float* x, const float* dy, float* dw, int64_t n0, int64_t n1) {
  const int64_t m = g.cout / g.cin, C = g.cin, CO = g.cout;
  for (int64_t n = n0; n < n1; ++n)
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const float* dyp = dy + ((n * g.oh + oh) * g.ow + ow) * CO;
        for_taps(g, oh, ow, [&](int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
          const float* xp = x + ((n * g.h + ih) * g.w + iw) * C;
          float* wp = dw + (kh * g.kw + kw) * CO;
          if (m == 1) {
            for (int64_t c = 0; c < C; ++c) wp[c] += xp[c] * dyp[c];
          } else {
            for (int64_t c = 0; c < C; ++c)
              for (int64_t j = 0; j < m; ++j) wp[c * m + j] += xp[c] * dyp[c * m + j];
          }
        });
      }
}

Tensor scratch(int64_t floats) { return make_tensor({std::max<int64_t>(floats, 1)}, float32, Device::cpu()); }

}  // namespace

ConvAlgo conv_algorithm(const Shape& w, const Shape& y, const Conv2dDesc& d) {
  // The two tests never both hold (winograd needs 144-value patches).
  if (conv2d_small_patch(w, d)) return ConvAlgo::direct;
  if (winograd_suits(w, y, d)) return ConvAlgo::winograd;
  return ConvAlgo::im2col;
}

void CpuBackend::conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Tensor& y) {
  const ConvAlgo algo = conv_algorithm(w.shape(), y.shape(), d);
  if (algo == ConvAlgo::direct) return conv2d_direct_forward(x, w, d, y);  // conv_fused.cpp
  if (algo == ConvAlgo::winograd) return winograd_forward(x, w, d, y);
  const Geom g = make_geom(x.shape(), w.shape(), y.shape(), d);
  if (g.n == 0 || g.pixels() == 0 || g.cout == 0) return;
  const float* xp = ptr<float>(x);
  const float* wp = ptr<float>(w);
  float* yp = ptr<float>(y);
  const int64_t slices = num_slices(g);
  if (g.depthwise) {
    over_batch(g, slices, [&](int64_t n0, int64_t n1, int64_t) { depthwise_forward(g, xp, wp, yp, n0, n1); });
    return;
  }
  const int64_t chunk = chunk_samples(g), col_floats = chunk * g.pixels() * g.kg;
  Tensor col = g.direct ? Tensor() : scratch(slices * col_floats);
  float* cp = g.direct ? nullptr : ptr<float>(col);
  over_batch(g, slices, [&](int64_t n0, int64_t n1, int64_t s) {
    float* c = g.direct ? nullptr : cp + s * col_floats;
    chunks(n0, n1, chunk, [&](int64_t c0, int64_t c1) {
      const int64_t r0 = c0 * g.pixels(), rows = (c1 - c0) * g.pixels();
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        int64_t lda;
        const float* a = patches(g, xp, c0, c1, grp, c, lda);
        sgemm(false, false, rows, g.cout_g, g.kg, a, lda, wp + grp * g.cout_g, g.cout, 0.0f,
              yp + r0 * g.cout + grp * g.cout_g, g.cout);
      }
    });
  });
}

void CpuBackend::conv2d_backward_data(const Tensor& dy, const Tensor& w, const Conv2dDesc& d, Tensor& dx) {
  if (conv_algorithm(w.shape(), dy.shape(), d) == ConvAlgo::winograd)
    return winograd_backward(dx, w, d, dy, &dx, nullptr);
  const Geom g = make_geom(dx.shape(), w.shape(), dy.shape(), d);
  if (g.n == 0) return;
  const float* dyp = ptr<float>(dy);
  const float* wp = ptr<float>(w);
  float* dxp = ptr<float>(dx);
  if (g.pixels() == 0 || g.cout == 0) {
    std::fill(dxp, dxp + dx.size(), 0.0f);
    return;
  }
  const int64_t slices = num_slices(g);
  if (g.depthwise) {
    over_batch(g, slices,
               [&](int64_t n0, int64_t n1, int64_t) { depthwise_backward_data(g, dyp, wp, dxp, n0, n1); });
    return;
  }
  const int64_t chunk = chunk_samples(g), col_floats = chunk * g.pixels() * g.kg;
  Tensor col = g.direct ? Tensor() : scratch(slices * col_floats);
  float* cp = g.direct ? nullptr : ptr<float>(col);
  over_batch(g, slices, [&](int64_t n0, int64_t n1, int64_t s) {
    if (g.direct) {  // dx rows are the patch rows: the GEMM writes them
      const int64_t r0 = n0 * g.pixels(), rows = (n1 - n0) * g.pixels();
      for (int64_t grp = 0; grp < g.groups; ++grp)
        sgemm(false, true, rows, g.cin_g, g.cout_g, dyp + r0 * g.cout + grp * g.cout_g, g.cout,
              wp + grp * g.cout_g, g.cout, 0.0f, dxp + r0 * g.cin + grp * g.cin_g, g.cin);
      return;
    }
    const int64_t img = g.h * g.w * g.cin;
    std::fill(dxp + n0 * img, dxp + n1 * img, 0.0f);
    float* c = cp + s * col_floats;
    chunks(n0, n1, chunk, [&](int64_t c0, int64_t c1) {
      const int64_t r0 = c0 * g.pixels(), rows = (c1 - c0) * g.pixels();
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        sgemm(false, true, rows, g.kg, g.cout_g, dyp + r0 * g.cout + grp * g.cout_g, g.cout,
              wp + grp * g.cout_g, g.cout, 0.0f, c, g.kg);
        col2im(g, c, c0, c1, grp, dxp);
      }
    });
  });
}

void CpuBackend::conv2d_backward_filter(const Tensor& x, const Tensor& dy, const Conv2dDesc& d, Tensor& dw) {
  const ConvAlgo algo = conv_algorithm(dw.shape(), dy.shape(), d);
  if (algo == ConvAlgo::direct) return conv2d_direct_backward_filter(x, dy, d, dw);  // conv_fused.cpp
  if (algo == ConvAlgo::winograd) return winograd_backward(x, dw, d, dy, nullptr, &dw);
  const Geom g = make_geom(x.shape(), dw.shape(), dy.shape(), d);
  float* dwp = ptr<float>(dw);
  const int64_t wsize = g.kg * g.cout;
  std::fill(dwp, dwp + wsize, 0.0f);
  if (g.n == 0 || g.pixels() == 0 || g.cout == 0) return;
  const float* xp = ptr<float>(x);
  const float* dyp = ptr<float>(dy);
  // Each batch slice sums into its own copy of dw (slice 0 into dw itself);
  // the copies are added at the end.
  const int64_t slices = num_slices(g);
  Tensor partials = scratch((slices - 1) * wsize);
  float* pp = ptr<float>(partials);
  std::fill(pp, pp + (slices - 1) * wsize, 0.0f);
  auto slice_dw = [&](int64_t s) { return s == 0 ? dwp : pp + (s - 1) * wsize; };
  if (g.depthwise) {
    over_batch(g, slices, [&](int64_t n0, int64_t n1, int64_t s) {
      depthwise_backward_filter(g, xp, dyp, slice_dw(s), n0, n1);
    });
  } else {
    const int64_t chunk = chunk_samples(g), col_floats = chunk * g.pixels() * g.kg;
    Tensor col = g.direct ? Tensor() : scratch(slices * col_floats);
    float* cp = g.direct ? nullptr : ptr<float>(col);
    over_batch(g, slices, [&](int64_t n0, int64_t n1, int64_t s) {
      float* out = slice_dw(s);
      float* c = g.direct ? nullptr : cp + s * col_floats;
      chunks(n0, n1, chunk, [&](int64_t c0, int64_t c1) {
        const int64_t r0 = c0 * g.pixels(), rows = (c1 - c0) * g.pixels();
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          int64_t lda;
          const float* a = patches(g, xp, c0, c1, grp, c, lda);
          // dw starts at zero, so every chunk accumulates (beta = 1).
          sgemm(true, false, g.kg, g.cout_g, rows, a, lda, dyp + r0 * g.cout + grp * g.cout_g, g.cout, 1.0f,
                out + grp * g.cout_g, g.cout);
        }
      });
    });
  }
  for (int64_t s = 1; s < slices; ++s) {
    const float* p = pp + (s - 1) * wsize;
    for (int64_t i = 0; i < wsize; ++i) dwp[i] += p[i];
  }
}

}  // namespace keras::backend::cpu
