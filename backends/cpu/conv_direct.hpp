// The direct convolution kernels for short patches, shared by
// conv_fused.cpp (convolution + bias + activation) and conv_fused_pool.cpp
// (the same with max pooling fused in); see conv_fused.cpp for the method.
// Internal to the CPU backend: everything here has internal linkage.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include "backends/cpu/blas.hpp"
#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/fused_activation.hpp"
#include "tensor_impl.hpp"

namespace keras::backend::cpu {
namespace {

using B = SimdF;
constexpr int64_t W = static_cast<int64_t>(B::size);
constexpr int kRegs = W >= 16 ? 32 : 16;  // vector registers (32 with AVX-512)
constexpr int64_t kMaxPatch = 32;         // the longest patch the direct kernels take

struct Geo {
  int64_t n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl, dh, dw;
  int64_t k;     // patch length KH * KW * Cin
  int64_t cpad;  // Cout rounded up to whole vectors
  int64_t wp;    // pixels in a gathered input row: every tap of every output column lies inside
  bool in_place;  // no left padding and no right overhang: rows are read from x itself
  int64_t rows() const { return n * oh; }
  // Input floats between neighbouring output columns.
  int64_t step() const { return sw * cin; }
};

inline Geo make_geo(const Shape& xs, const Shape& ws, const Shape& ys, const Conv2dDesc& d) {
  Geo g{};
  g.n = xs[0], g.h = xs[1], g.w = xs[2], g.cin = xs[3];
  g.kh = ws[0], g.kw = ws[1], g.cout = ws[3];
  g.oh = ys[1], g.ow = ys[2];
  g.sh = d.stride_h, g.sw = d.stride_w, g.pt = d.pad_top, g.pl = d.pad_left;
  g.dh = d.dilation_h, g.dw = d.dilation_w;
  g.k = g.kh * g.kw * g.cin;
  g.cpad = (g.cout + W - 1) / W * W;
  const int64_t span = g.ow > 0 ? (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1 : 0;
  g.in_place = g.pl == 0 && span <= g.w;
  g.wp = g.in_place ? g.w : std::max(g.pl + g.w, span);
  return g;
}

// One slice per core when the work is worth waking the pool (about 1e6
// multiply-adds, or a few hundred kB of output to write).
inline int64_t num_slices(const Geo& g) {
  const double macs = static_cast<double>(g.rows()) * g.ow * g.k * g.cpad;
  const double out = static_cast<double>(g.rows()) * g.ow * g.cout;
  if (macs < 1e6 && out < kParallelThreshold) return 1;
  return std::clamp<int64_t>(g.rows(), 1, hw_threads());
}

template <class F>
void over_slices(const Geo& g, int64_t slices, F&& fn) {
  parallel_for(slices, 1, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; ++s) fn(g.rows() * s / slices, g.rows() * (s + 1) / slices, s);
  });
}

// Carves float regions, each starting on a cache line, out of one scratch tensor.
class Arena {
 public:
  int64_t add(int64_t floats) {
    const int64_t at = size_;
    size_ += (std::max<int64_t>(floats, 1) + 15) / 16 * 16;
    return at;
  }
  void allocate() { t_ = make_tensor({size_}, float32, Device::cpu()); }
  float* at(int64_t offset) const { return ptr<float>(t_) + offset; }

 private:
  int64_t size_ = 0;
  Tensor t_;
};

// The taps of a patch in the kernel's row order (kh, kw, ci): tap t reads
// gathered row row[t] at float offset off[t] plus the output column's start.
struct Taps {
  int64_t row[kMaxPatch], off[kMaxPatch];
  explicit Taps(const Geo& g) {
    for (int64_t t = 0; t < g.k; ++t) {
      const int64_t ci = t % g.cin, kw = (t / g.cin) % g.kw, kh = t / (g.cin * g.kw);
      row[t] = kh;
      off[t] = kw * g.dw * g.cin + ci;
    }
  }
};

// Points src[t] at tap t of output column 0 of output row r = (n, oh).
// Input rows outside the image read `zeros`; with padding, rows are copied
// into `buf` (KH rows of g.wp pixels) between zero borders.
inline void gather_row(const Geo& g, const Taps& taps, const float* x, int64_t r, float* buf, const float* zeros,
                const float** src) {
  const int64_t n = r / g.oh, oh = r % g.oh, len = g.wp * g.cin;
  const float* rows[kMaxPatch];
  for (int64_t i = 0; i < g.kh; ++i) {
    const int64_t ih = oh * g.sh - g.pt + i * g.dh;
    if (ih < 0 || ih >= g.h) {
      rows[i] = zeros;
      continue;
    }
    const float* in = x + (n * g.h + ih) * g.w * g.cin;
    if (g.in_place) {
      rows[i] = in;
      continue;
    }
    float* dst = buf + i * len;
    std::fill(dst, dst + g.pl * g.cin, 0.0f);
    std::memcpy(dst + g.pl * g.cin, in, sizeof(float) * g.w * g.cin);
    std::fill(dst + (g.pl + g.w) * g.cin, dst + len, 0.0f);
    rows[i] = dst;
  }
  for (int64_t t = 0; t < g.k; ++t) src[t] = rows[taps.row[t]] + taps.off[t];
}

// --- forward ---

// P output pixels (starting `xoff` floats into the gathered rows) times NV
// channel vectors (weights wk, rows cpad apart, at channel c0).
template <int NV, int P, class E>
inline void forward_pixels(int64_t k, const float* const* src, int64_t xoff, int64_t step, const float* wk,
                           int64_t cpad, float* out, int64_t ldo, int64_t c0, const E& epi) {
  B acc[P][NV];
  for (int p = 0; p < P; ++p)
    for (int v = 0; v < NV; ++v) acc[p][v] = B(0.0f);
  for (int64_t t = 0; t < k; ++t) {
    const float* xs = src[t] + xoff;
    const float* wt = wk + t * cpad;
    B wv[NV];
    for (int v = 0; v < NV; ++v) wv[v] = B::load_unaligned(wt + v * W);
    for (int p = 0; p < P; ++p) {
      const B xb(xs[p * step]);
      for (int v = 0; v < NV; ++v) acc[p][v] = xsimd::fma(xb, wv[v], acc[p][v]);
    }
  }
  for (int p = 0; p < P; ++p)
    for (int v = 0; v < NV; ++v) epi(acc[p][v], c0 + v * W).store_unaligned(out + p * ldo + v * W);
}

template <int NV, class E>
void forward_cols(const Geo& g, const float* const* src, const float* wk, float* out, int64_t ldo, int64_t c0,
                  const E& epi) {
  // Enough independent accumulators to hide the FMA latency, within the registers.
  constexpr int P = 5 * NV + 2 <= kRegs ? 4 : 2;
  const int64_t step = g.step();
  int64_t o = 0;
  for (; o + P <= g.ow; o += P)
    forward_pixels<NV, P>(g.k, src, o * step, step, wk, g.cpad, out + o * ldo, ldo, c0, epi);
  for (; o < g.ow; ++o) forward_pixels<NV, 1>(g.k, src, o * step, step, wk, g.cpad, out + o * ldo, ldo, c0, epi);
}

// One output row into out (g.ow pixels, ldo floats apart), channel blocks of up to 4 vectors.
template <class E>
void forward_row(const Geo& g, const float* const* src, const float* w, float* out, int64_t ldo, const E& epi) {
  const int64_t nvec = g.cpad / W;
  for (int64_t v0 = 0; v0 < nvec;) {
    const int64_t nv = std::min<int64_t>(4, nvec - v0), c0 = v0 * W;
    switch (nv) {
      case 4: forward_cols<4>(g, src, w + c0, out + c0, ldo, c0, epi); break;
      case 3: forward_cols<3>(g, src, w + c0, out + c0, ldo, c0, epi); break;
      case 2: forward_cols<2>(g, src, w + c0, out + c0, ldo, c0, epi); break;
      default: forward_cols<1>(g, src, w + c0, out + c0, ldo, c0, epi); break;
    }
    v0 += nv;
  }
}

// What the direct forward kernels share: a zero input row, the weights and
// bias padded to whole channel vectors (so every load is a full one), the
// taps, and `extra` floats of scratch per batch slice after the gathered
// rows.
class ForwardSetup {
 public:
  ForwardSetup(const Geo& g, const float* w, const float* bias, int64_t slices, int64_t extra)
      : taps(g), rows_len_(g.in_place ? 0 : g.kh * g.wp * g.cin) {
    const bool ragged = g.cpad != g.cout;
    const int64_t a_zero = arena_.add(g.wp * g.cin);
    const int64_t a_w = ragged ? arena_.add(g.k * g.cpad) : 0;
    const int64_t a_b = arena_.add(g.cpad);
    per_slice_ = (rows_len_ + 15) / 16 * 16 + (extra + 15) / 16 * 16;
    a_slices_ = arena_.add(slices * per_slice_);
    arena_.allocate();
    zeros = arena_.at(a_zero);
    std::fill(zeros, zeros + g.wp * g.cin, 0.0f);
    wk = w;
    if (ragged) {
      float* p = arena_.at(a_w);
      for (int64_t t = 0; t < g.k; ++t) {
        std::memcpy(p + t * g.cpad, w + t * g.cout, sizeof(float) * g.cout);
        std::fill(p + t * g.cpad + g.cout, p + (t + 1) * g.cpad, 0.0f);
      }
      wk = p;
    }
    bias_padded = arena_.at(a_b);
    std::fill(bias_padded, bias_padded + g.cpad, 0.0f);
    if (bias) std::memcpy(bias_padded, bias, sizeof(float) * g.cout);
  }
  float* rows(int64_t slice) const { return arena_.at(a_slices_) + slice * per_slice_; }
  float* extra(int64_t slice) const { return rows(slice) + (rows_len_ + 15) / 16 * 16; }

  Taps taps;
  float* zeros = nullptr;
  const float* wk = nullptr;
  float* bias_padded = nullptr;

 private:
  Arena arena_;
  int64_t rows_len_, per_slice_ = 0, a_slices_ = 0;
};

// y = epi(conv(x, w)); epi(acc, c) maps the vector of channels [c, c + W).
// `bias` (may be null) is copied into the padded bias the epilogue factory
// receives: make_epi(const float* bias_padded).
template <class MakeEpi>
void direct_forward(const Geo& g, const float* x, const float* w, const float* bias, float* y, MakeEpi make_epi) {
  const int64_t slices = num_slices(g);
  const bool ragged = g.cpad != g.cout;
  const ForwardSetup fs(g, w, bias, slices, ragged ? g.ow * g.cpad : 0);
  const auto epi = make_epi(static_cast<const float*>(fs.bias_padded));
  over_slices(g, slices, [&](int64_t r0, int64_t r1, int64_t s) {
    float* rowbuf = fs.extra(s);
    const float* src[kMaxPatch];
    for (int64_t r = r0; r < r1; ++r) {
      gather_row(g, fs.taps, x, r, fs.rows(s), fs.zeros, src);
      float* yr = y + r * g.ow * g.cout;
      if (!ragged) {
        forward_row(g, src, fs.wk, yr, g.cout, epi);
        continue;
      }
      forward_row(g, src, fs.wk, rowbuf, g.cpad, epi);
      for (int64_t o = 0; o < g.ow; ++o)
        std::memcpy(yr + o * g.cout, rowbuf + o * g.cpad, sizeof(float) * g.cout);
    }
  });
}

// --- backward ---

// dwf[t, c0 + ...] += sum over the row's pixels of x_t(p) * dz[p, c0 + ...]
// for NV channel vectors; dz rows are cpad floats apart.
template <int NV>
void filter_cols(const Geo& g, const float* const* src, const float* dz, float* dwf, int64_t c0) {
  const int64_t step = g.step(), cpad = g.cpad;
  for (int64_t t = 0; t < g.k; ++t) {
    const float* xs = src[t];
    B acc[4][NV];
    for (int p = 0; p < 4; ++p)
      for (int v = 0; v < NV; ++v) acc[p][v] = B(0.0f);
    int64_t o = 0;
    for (; o + 4 <= g.ow; o += 4)
      for (int p = 0; p < 4; ++p) {
        const B xb(xs[(o + p) * step]);
        const float* d = dz + (o + p) * cpad + c0;
        for (int v = 0; v < NV; ++v) acc[p][v] = xsimd::fma(xb, B::load_unaligned(d + v * W), acc[p][v]);
      }
    for (; o < g.ow; ++o) {
      const B xb(xs[o * step]);
      const float* d = dz + o * cpad + c0;
      for (int v = 0; v < NV; ++v) acc[0][v] = xsimd::fma(xb, B::load_unaligned(d + v * W), acc[0][v]);
    }
    float* out = dwf + t * cpad + c0;
    for (int v = 0; v < NV; ++v)
      (B::load_unaligned(out + v * W) + ((acc[0][v] + acc[1][v]) + (acc[2][v] + acc[3][v])))
          .store_unaligned(out + v * W);
  }
}

inline void filter_row(const Geo& g, const float* const* src, const float* dz, float* dwf) {
  const int64_t nvec = g.cpad / W;
  for (int64_t v0 = 0; v0 < nvec;) {
    const int64_t nv = std::min<int64_t>(4, nvec - v0);
    switch (nv) {
      case 4: filter_cols<4>(g, src, dz, dwf, v0 * W); break;
      case 3: filter_cols<3>(g, src, dz, dwf, v0 * W); break;
      case 2: filter_cols<2>(g, src, dz, dwf, v0 * W); break;
      default: filter_cols<1>(g, src, dz, dwf, v0 * W); break;
    }
    v0 += nv;
  }
}

// The backward pass over output rows. dz_row(r, buf, bsum) returns output
// row r's dz as g.ow rows of g.cpad floats (zero beyond Cout), using buf
// (that size) if it has to compute it, and adds the row's column sums to
// bsum when the bias gradient is wanted. Sums dw (if not null) and dbias
// (if not null) over all rows.
template <class DzRow>
void direct_backward(const Geo& g, const float* x, float* dw, float* dbias, DzRow dz_row) {
  const int64_t slices = num_slices(g);
  const int64_t wlen = g.k * g.cpad;
  const int64_t rows_len = g.in_place ? 0 : g.kh * g.wp * g.cin;
  // Per slice: gathered rows, a dz row, float sums (dw then dbias) and their
  // double totals.
  const int64_t f_rows = 0, f_dz = f_rows + (rows_len + 15) / 16 * 16, f_sum = f_dz + (g.ow * g.cpad + 15) / 16 * 16,
                f_tot = f_sum + (wlen + g.cpad + 15) / 16 * 16, per_slice = f_tot + 2 * (wlen + g.cpad) + 16;
  Arena arena;
  const int64_t a_zero = arena.add(g.wp * g.cin), a_slices = arena.add(slices * per_slice);
  arena.allocate();
  float* zeros = arena.at(a_zero);
  std::fill(zeros, zeros + g.wp * g.cin, 0.0f);
  const Taps taps(g);
  // Float sums cover about 1024 pixels before they go into the double totals.
  const int64_t flush_rows = std::max<int64_t>(1, 1024 / std::max<int64_t>(g.ow, 1));
  over_slices(g, slices, [&](int64_t r0, int64_t r1, int64_t s) {
    float* base = arena.at(a_slices) + s * per_slice;
    float* dzbuf = base + f_dz;
    float* fsum = base + f_sum;  // dw (wlen) then dbias (cpad)
    double* tot = reinterpret_cast<double*>(base + f_tot);
    std::fill(dzbuf, dzbuf + g.ow * g.cpad, 0.0f);
    std::fill(fsum, fsum + wlen + g.cpad, 0.0f);
    std::fill(tot, tot + wlen + g.cpad, 0.0);
    const float* src[kMaxPatch];
    auto flush = [&] {
      for (int64_t i = 0; i < wlen + g.cpad; ++i) tot[i] += fsum[i];
      std::fill(fsum, fsum + wlen + g.cpad, 0.0f);
    };
    int64_t pending = 0;
    for (int64_t r = r0; r < r1; ++r) {
      const float* dz = dz_row(r, dzbuf, fsum + wlen);
      if (dw) {
        gather_row(g, taps, x, r, base + f_rows, zeros, src);
        filter_row(g, src, dz, fsum);
      }
      if (++pending == flush_rows) {
        flush();
        pending = 0;
      }
    }
    flush();
  });
  // Slices in order, then to float.
  auto total = [&](int64_t i) {
    double v = 0;
    for (int64_t s = 0; s < slices; ++s)
      v += reinterpret_cast<const double*>(arena.at(a_slices) + s * per_slice + f_tot)[i];
    return static_cast<float>(v);
  };
  if (dw)
    for (int64_t t = 0; t < g.k; ++t)
      for (int64_t c = 0; c < g.cout; ++c) dw[t * g.cout + c] = total(t * g.cpad + c);
  if (dbias)
    for (int64_t c = 0; c < g.cout; ++c) dbias[c] = total(wlen + c);
}

}  // namespace
}  // namespace keras::backend::cpu
