// Direct convolution for short patches, and convolution fused with bias +
// activation.
//
// A convolution whose patch (KH * KW * Cin, one group) holds at most 32
// values -- a first layer on grey or RGB images -- makes im2col + sgemm a poor
// fit: the GEMM has K <= 32, and the patch matrix is KH*KW times the size of
// the input. The direct kernels here keep the short weight rows in L1 and
// vectorise over output channels instead:
//   forward: y[p, :] = sum over taps t of x_t(p) * w[t, :], a block of output
//     pixels times a block of channel vectors held in registers, with bias +
//     activation applied before the row is stored (one pass over y);
//   filter gradient: dw[t, :] += x_t(p) * dz[p, :], a row of pixels at a time.
// The input rows under an output row are gathered first (zero-padded copies
// when the convolution pads), so the inner loops have no bounds checks.
//
// The fused backward pass computes dz = dy * act'(y) one output row at a time
// into a buffer that stays in L1, sums the bias gradient and the filter
// gradient from it, and writes the whole dz only when the data gradient
// needs it. Sums run in float over about a thousand pixels, then in double
// per batch slice; slices are added in a fixed order, so results do not
// depend on timing.
//
// With max pooling fused in (a Conv2D layer followed by MaxPooling2D with
// stride = window), the forward pass computes the convolution rows under a
// pooled row into a per-slice buffer and writes only the pooled maxima and
// their window positions; the backward pass rebuilds each dz row from those
// (dp * act'(p) at the argmax, zero elsewhere). The full-size activation
// between the layers is never written or read.
//
// Threads: output rows (n, oh) are split into one slice per core; each slice
// has its own scratch (gathered rows, dz row, partial sums) from the caching
// allocator.
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

Geo make_geo(const Shape& xs, const Shape& ws, const Shape& ys, const Conv2dDesc& d) {
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
int64_t num_slices(const Geo& g) {
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
void gather_row(const Geo& g, const Taps& taps, const float* x, int64_t r, float* buf, const float* zeros,
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

// --- max pooling fused in: windows of wh x ww output pixels, stride = window ---

struct PoolGeo {
  int64_t wh, ww, ph, pw;  // window, pooled rows and columns
};

// Loads `len` <= W floats / ints, padding with `fill`.
inline B load_part(const float* p, int64_t len) {
  if (len == W) return B::load_unaligned(p);
  alignas(64) float buf[W] = {};
  std::memcpy(buf, p, sizeof(float) * len);
  return B::load_aligned(buf);
}
using I = xsimd::batch<std::int32_t>;
inline I load_part(const std::int32_t* p, int64_t len) {
  if (len == W) return I::load_unaligned(p);
  alignas(64) std::int32_t buf[W];
  std::fill(buf, buf + W, -1);
  std::memcpy(buf, p, sizeof(std::int32_t) * len);
  return I::load_aligned(buf);
}
template <class T, class V>
inline void store_part(T* p, const V& v, int64_t len) {
  if (len == W) return v.store_unaligned(p);
  alignas(64) T buf[W];
  v.store_aligned(buf);
  std::memcpy(p, buf, sizeof(T) * len);
}

// p = max over each window of epi(conv(x, w)), argmax = the window position
// (row-major) of its first maximum; the conv rows under each pooled row are
// computed into a per-slice buffer and never written out.
template <class MakeEpi>
void direct_forward_max_pool(const Geo& g, const PoolGeo& pg, const float* x, const float* w, const float* bias,
                             float* p, std::int32_t* argmax, MakeEpi make_epi) {
  const int64_t slices = num_slices(g);
  const ForwardSetup fs(g, w, bias, slices, pg.wh * g.ow * g.cpad);
  const auto epi = make_epi(static_cast<const float*>(fs.bias_padded));
  const int64_t prows = g.n * pg.ph;
  parallel_for(slices, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      float* conv_rows = fs.extra(s);
      const float* src[kMaxPatch];
      for (int64_t pr = prows * s / slices; pr < prows * (s + 1) / slices; ++pr) {
        const int64_t n = pr / pg.ph, oh0 = (pr % pg.ph) * pg.wh;
        for (int64_t i = 0; i < pg.wh; ++i) {
          gather_row(g, fs.taps, x, n * g.oh + oh0 + i, fs.rows(s), fs.zeros, src);
          forward_row(g, src, fs.wk, conv_rows + i * g.ow * g.cpad, g.cpad, epi);
        }
        for (int64_t q = 0; q < pg.pw; ++q) {
          float* po = p + (pr * pg.pw + q) * g.cout;
          std::int32_t* ao = argmax + (pr * pg.pw + q) * g.cout;
          for (int64_t c = 0; c < g.cout; c += W) {
            B best(-std::numeric_limits<float>::infinity());
            B at(0.0f);  // window positions are small integers, exact in float
            for (int64_t i = 0; i < pg.wh; ++i)
              for (int64_t j = 0; j < pg.ww; ++j) {
                const B v = B::load_unaligned(conv_rows + (i * g.ow + q * pg.ww + j) * g.cpad + c);
                const auto more = v > best;
                best = xsimd::select(more, v, best);
                at = xsimd::select(more, B(float(i * pg.ww + j)), at);
              }
            const int64_t len = std::min(W, g.cout - c);
            store_part(po + c, best, len);
            store_part(ao + c, xsimd::batch_cast<std::int32_t>(at), len);
          }
        }
      }
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

void filter_row(const Geo& g, const float* const* src, const float* dz, float* dwf) {
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

bool conv2d_small_patch(const Shape& w, const Conv2dDesc& d) {
  const int64_t k = w[0] * w[1] * w[2];
  return d.groups == 1 && k >= 1 && k <= kMaxPatch;
}

void conv2d_direct_forward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Tensor& y) {
  const Geo g = make_geo(x.shape(), w.shape(), y.shape(), d);
  if (g.rows() == 0 || g.ow == 0 || g.cout == 0) return;
  direct_forward(g, ptr<float>(x), ptr<float>(w), nullptr, ptr<float>(y),
                 [](const float*) { return [](B acc, int64_t) { return acc; }; });
}

void conv2d_direct_backward_filter(const Tensor& x, const Tensor& dy, const Conv2dDesc& d, Tensor& dw) {
  const Geo g = make_geo(x.shape(), dw.shape(), dy.shape(), d);
  float* dwp = ptr<float>(dw);
  if (g.rows() == 0 || g.ow == 0 || g.cout == 0) {
    std::fill(dwp, dwp + dw.size(), 0.0f);
    return;
  }
  const float* dyp = ptr<float>(dy);
  direct_backward(g, ptr<float>(x), dwp, nullptr, [&](int64_t r, float* buf, float*) {
    const float* row = dyp + r * g.ow * g.cout;
    if (g.cpad == g.cout) return row;
    // Lanes past Cout stay zero from the buffer's first fill.
    for (int64_t o = 0; o < g.ow; ++o) std::memcpy(buf + o * g.cpad, row + o * g.cout, sizeof(float) * g.cout);
    return static_cast<const float*>(buf);
  });
}

void CpuBackend::conv2d_bias_activation(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dDesc& d,
                                        Unary act, float alpha, Tensor& y) {
  const ConvAlgo algo = conv_algorithm(w.shape(), y.shape(), d);
  if (algo == ConvAlgo::winograd) return winograd_bias_activation(x, w, bias, d, act, alpha, y);
  if (algo == ConvAlgo::im2col) {
    // The im2col + sgemm convolution, then bias + activation in place.
    conv2d_forward(x, w, d, y);
    bias_activation(y, bias, act, alpha, y);
    return;
  }
  const Geo g = make_geo(x.shape(), w.shape(), y.shape(), d);
  if (g.rows() == 0 || g.ow == 0 || g.cout == 0) return;
  with_fused_activation(act, alpha, "conv2d_bias_activation", [&](auto f, auto) {
    direct_forward(g, ptr<float>(x), ptr<float>(w), ptr<float>(bias), ptr<float>(y), [f](const float* b) {
      return [f, b](B acc, int64_t c) { return f(acc + B::load_unaligned(b + c)); };
    });
  });
}

void CpuBackend::conv2d_bias_activation_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Unary act,
                                                 float alpha, const Tensor& y, const Tensor& dy, Tensor* dx, Tensor* dw,
                                                 Tensor& dbias) {
  const ConvAlgo algo = conv_algorithm(w.shape(), y.shape(), d);
  if (algo == ConvAlgo::winograd)
    return winograd_bias_activation_backward(x, w, d, act, alpha, y, dy, dx, dw, dbias);
  const bool small = algo == ConvAlgo::direct;
  const Geo g = make_geo(x.shape(), w.shape(), y.shape(), d);
  float* dbp = ptr<float>(dbias);
  if (!small || g.rows() == 0 || g.ow == 0 || g.cout == 0) {
    // dz written once, then the im2col + sgemm backward passes.
    Tensor dz = make_tensor(y.shape(), float32, Device::cpu());
    bias_activation_backward(act, y, dy, alpha, dz, dbias);
    if (dw) conv2d_backward_filter(x, dz, d, *dw);
    if (dx) conv2d_backward_data(dz, w, d, *dx);
    return;
  }
  // dz of the whole batch only when the data gradient needs it.
  Tensor dz_all = dx ? make_tensor(y.shape(), float32, Device::cpu()) : Tensor();
  float* dza = dx ? ptr<float>(dz_all) : nullptr;
  const float* yp = ptr<float>(y);
  const float* dyp = ptr<float>(dy);
  const int64_t cout = g.cout, cpad = g.cpad, row = g.ow * g.cout;
  with_fused_activation(act, alpha, "conv2d_bias_activation_backward", [&](auto, auto grad) {
    direct_backward(g, ptr<float>(x), dw ? ptr<float>(*dw) : nullptr, dbp, [&](int64_t r, float* buf, float* bsum) {
      const float* yr = yp + r * row;
      const float* dr = dyp + r * row;
      alignas(64) float ty[W], td[W];
      for (int64_t o = 0; o < g.ow; ++o) {
        const float* yo = yr + o * cout;
        const float* dyo = dr + o * cout;
        float* zo = buf + o * cpad;
        int64_t c = 0;
        for (; c + W <= cout; c += W) {
          const B z = grad(B::load_unaligned(yo + c), B::load_unaligned(dyo + c));
          z.store_unaligned(zo + c);
          (B::load_unaligned(bsum + c) + z).store_unaligned(bsum + c);
        }
        if (c < cout) {  // ragged tail: padded lanes have dy = 0, so dz = 0 there
          std::fill(ty, ty + W, 0.0f);
          std::fill(td, td + W, 0.0f);
          std::memcpy(ty, yo + c, sizeof(float) * (cout - c));
          std::memcpy(td, dyo + c, sizeof(float) * (cout - c));
          const B z = grad(B::load_aligned(ty), B::load_aligned(td));
          z.store_unaligned(zo + c);
          (B::load_unaligned(bsum + c) + z).store_unaligned(bsum + c);
        }
      }
      if (dza) {
        float* out = dza + r * row;
        if (cpad == cout) std::memcpy(out, buf, sizeof(float) * row);
        else
          for (int64_t o = 0; o < g.ow; ++o) std::memcpy(out + o * cout, buf + o * cpad, sizeof(float) * cout);
      }
      return static_cast<const float*>(buf);
    });
  });
  if (dx) conv2d_backward_data(dz_all, w, d, *dx);
}

// --- convolution + bias + activation + max pooling ---

namespace {

// The convolution's output shape (N, OH, OW, Cout) for input xs and kernel ws.
Shape conv_output_shape(const Shape& xs, const Shape& ws, const Conv2dDesc& d) {
  const int64_t eh = (ws[0] - 1) * d.dilation_h + 1, ew = (ws[1] - 1) * d.dilation_w + 1;
  return {xs[0], (xs[1] + d.pad_top + d.pad_bottom - eh) / d.stride_h + 1,
          (xs[2] + d.pad_left + d.pad_right - ew) / d.stride_w + 1, ws[3]};
}

}  // namespace

bool conv2d_fuses_max_pool(const Shape& x, const Shape& w, const Conv2dDesc& d, const Pool2dDesc& pool) {
  if (winograd_fuses_max_pool(x, w, d, pool)) return true;
  return conv_algorithm(w, conv_output_shape(x, w, d), d) == ConvAlgo::direct && pool.window_h >= 1 && pool.window_w >= 1 && pool.window_h * pool.window_w <= 256 &&
         pool.stride_h == pool.window_h && pool.stride_w == pool.window_w && pool.pad_top == 0 &&
         pool.pad_bottom == 0 && pool.pad_left == 0 && pool.pad_right == 0;
}

void CpuBackend::conv2d_bias_activation_max_pool(const Tensor& x, const Tensor& w, const Tensor& bias,
                                                 const Conv2dDesc& d, Unary act, float alpha, const Pool2dDesc& pool,
                                                 Tensor& p, Tensor& argmax) {
  if (conv_algorithm(w.shape(), conv_output_shape(x.shape(), w.shape(), d), d) != ConvAlgo::direct)
    return winograd_bias_activation_max_pool(x, w, bias, d, act, alpha, pool, p, argmax);
  const Geo g = make_geo(x.shape(), w.shape(), conv_output_shape(x.shape(), w.shape(), d), d);
  const PoolGeo pg{pool.window_h, pool.window_w, p.shape()[1], p.shape()[2]};
  if (g.n == 0 || pg.ph == 0 || pg.pw == 0 || g.cout == 0) return;
  with_fused_activation(act, alpha, "conv2d_bias_activation_max_pool", [&](auto f, auto) {
    direct_forward_max_pool(g, pg, ptr<float>(x), ptr<float>(w), ptr<float>(bias), ptr<float>(p),
                            ptr<std::int32_t>(argmax), [f](const float* b) {
                              return [f, b](B acc, int64_t c) { return f(acc + B::load_unaligned(b + c)); };
                            });
  });
}

void CpuBackend::conv2d_bias_activation_max_pool_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d,
                                                          Unary act, float alpha, const Pool2dDesc& pool,
                                                          const Tensor& p, const Tensor& argmax, const Tensor& dp,
                                                          Tensor* dx, Tensor* dw, Tensor& dbias) {
  if (conv_algorithm(w.shape(), conv_output_shape(x.shape(), w.shape(), d), d) != ConvAlgo::direct)
    return winograd_bias_activation_max_pool_backward(x, w, d, act, alpha, pool, p, argmax, dp, dx, dw, dbias);
  const Shape ys = conv_output_shape(x.shape(), w.shape(), d);
  const Geo g = make_geo(x.shape(), w.shape(), ys, d);
  const PoolGeo pg{pool.window_h, pool.window_w, p.shape()[1], p.shape()[2]};
  float* dbp = ptr<float>(dbias);
  if (g.rows() == 0 || g.ow == 0 || g.cout == 0) {
    std::fill(dbp, dbp + dbias.size(), 0.0f);
    if (dw) std::fill(ptr<float>(*dw), ptr<float>(*dw) + dw->size(), 0.0f);
    if (dx) std::fill(ptr<float>(*dx), ptr<float>(*dx) + dx->size(), 0.0f);
    return;
  }
  // The convolution's output gradient as a whole only when the data gradient needs it.
  Tensor dz_all = dx ? make_tensor(ys, float32, Device::cpu()) : Tensor();
  float* dza = dx ? ptr<float>(dz_all) : nullptr;
  const float* pp = ptr<float>(p);
  const float* dpp = ptr<float>(dp);
  const std::int32_t* ap = ptr<std::int32_t>(argmax);
  const int64_t cout = g.cout, cpad = g.cpad;
  with_fused_activation(act, alpha, "conv2d_bias_activation_max_pool_backward", [&](auto, auto grad) {
    // Output row r's dz: each window's gradient dp * act'(p) at its argmax, 0 elsewhere
    // (and in the rows and columns that fill no window).
    direct_backward(g, ptr<float>(x), dw ? ptr<float>(*dw) : nullptr, dbp, [&](int64_t r, float* buf, float* bsum) {
      const int64_t n = r / g.oh, oh = r % g.oh, ph = oh / pg.wh, i = oh % pg.wh;
      if (ph >= pg.ph) {
        std::fill(buf, buf + g.ow * cpad, 0.0f);
      } else {
        for (int64_t o = 0; o < g.ow; ++o) {
          float* zo = buf + o * cpad;
          const int64_t pw = o / pg.ww;
          if (pw >= pg.pw) {
            std::fill(zo, zo + cpad, 0.0f);
            continue;
          }
          const B here(static_cast<float>(i * pg.ww + o % pg.ww));
          const int64_t at = ((n * pg.ph + ph) * pg.pw + pw) * cout;
          for (int64_t c = 0; c < cpad; c += W) {
            const int64_t len = std::min(W, cout - c);  // padded lanes: dp = 0 and argmax = -1, so dz = 0
            const B gz = grad(load_part(pp + at + c, len), load_part(dpp + at + c, len));
            const B z = xsimd::select(xsimd::batch_cast<float>(load_part(ap + at + c, len)) == here, gz, B(0.0f));
            z.store_unaligned(zo + c);
            (B::load_unaligned(bsum + c) + z).store_unaligned(bsum + c);
          }
        }
      }
      if (dza)
        for (int64_t o = 0; o < g.ow; ++o)
          std::memcpy(dza + (r * g.ow + o) * cout, buf + o * cpad, sizeof(float) * cout);
      return static_cast<const float*>(buf);
    });
  });
  if (dx) conv2d_backward_data(dz_all, w, d, *dx);
}

}  // namespace keras::backend::cpu
