// Fused batch and layer normalization (see backend.hpp's NormDims): a
// normalized tensor is (outer, C, inner) in memory order.
//
// Vectorised over the contiguous axis: the channels when inner == 1 (every
// channels-last layer), the inner positions otherwise. Statistics take two
// passes (the mean, then the squared deviations from it), so a large mean
// does not cancel the variance away. Sums run in float SIMD lanes over
// fixed blocks (kRowBlock rows, or kFlush elements of a segment) and the
// block results are added in double in a fixed order: the results do not
// depend on the thread count, and long reductions keep float precision.
// Scratch memory comes from the backend allocator (no per-call heap use).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 + AVX-512 intrinsics
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"
#include "tensor_impl.hpp"

namespace keras::backend::cpu {
namespace {

using B = xsimd::batch<float>;
constexpr int64_t W = static_cast<int64_t>(B::size);
constexpr int64_t kRowBlock = 256;   // rows per partial sum (channels-last reductions)
constexpr int64_t kChanChunk = 512;  // channels per work item (a multiple of W)
constexpr int64_t kFlush = 1024;     // elements summed in float before a double add
constexpr int64_t kLnRowBlock = 32;  // rows per parameter-gradient partial (layer norm)

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Zero-padded load and partial store of the n < W values at p.
inline B load_tail(const float* p, int64_t n) {
  alignas(64) float b[W] = {};
  std::memcpy(b, p, static_cast<std::size_t>(n) * sizeof(float));
  return B::load_aligned(b);
}
inline void store_tail(B v, float* p, int64_t n) {
  alignas(64) float b[W];
  v.store_aligned(b);
  std::memcpy(p, b, static_cast<std::size_t>(n) * sizeof(float));
}
inline B load_n(const float* p, int64_t n) { return n >= W ? B::load_unaligned(p) : load_tail(p, n); }
inline B load_or_zero(const float* p, int64_t n) { return p ? load_n(p, n) : B(0.0f); }
inline void store_n(B v, float* p, int64_t n) {
  if (n >= W) v.store_unaligned(p);
  else store_tail(v, p, n);
}
// v in the first n lanes, 0 in the others (padded lanes of a tail then add
// nothing: their x and dy are 0 too).
inline B head_lanes(B v, int64_t n) {
  alignas(64) float b[W];
  v.store_aligned(b);
  std::fill(b + n, b + W, 0.0f);
  return B::load_aligned(b);
}
inline double lane_sum(B v) {  // horizontal sum in double (lane order fixed)
  alignas(64) float b[W];
  v.store_aligned(b);
  double s = 0;
  for (int64_t k = 0; k < W; ++k) s += b[k];
  return s;
}

// Scratch memory from the allocator (float32 storage reused for doubles:
// blocks are 64-byte aligned).
Tensor scratch_bytes(std::size_t nbytes) {
  return make_tensor({static_cast<int64_t>(std::max<std::size_t>(nbytes, 4) + 3) / 4}, float32, Device::cpu());
}

// Per channel c: s1[c], s2[c] = sums over (o, i) of what f(x, d, m, acc1,
// acc2) adds to its accumulators, with x = x[o, c, i], d = dy[o, c, i] (0
// when dy is null), m = center[c] (0 when null).
template <class F>
void channel_sums(const NormDims& n, const float* x, const float* dy, const float* center, double* s1, double* s2,
                  F f) {
  const int64_t O = n.outer, C = n.channels, I = n.inner;
  std::fill(s1, s1 + C, 0.0);
  std::fill(s2, s2 + C, 0.0);
  if (O * C * I == 0) return;
  if (I == 1) {
    // Rows of C channels: work items are (row block, channel chunk) tiles,
    // each writing float partial sums that are then added in double.
    const int64_t nrb = (O + kRowBlock - 1) / kRowBlock, ncc = (C + kChanChunk - 1) / kChanChunk;
    const int64_t cpad = round_up(C, W);
    Tensor buf = scratch_bytes(2 * nrb * cpad * sizeof(float));
    float* p1 = ptr<float>(buf);
    float* p2 = p1 + nrb * cpad;
    parallel_for(nrb * ncc, std::max<int64_t>(1, kParallelThreshold / (kRowBlock * std::min(C, kChanChunk))),
                 [&](int64_t t0, int64_t t1) {
                   alignas(64) float a1[kChanChunk], a2[kChanChunk];
                   for (int64_t t = t0; t < t1; ++t) {
                     const int64_t rb = t / ncc, c0 = (t % ncc) * kChanChunk;
                     const int64_t c1 = std::min(C, c0 + kChanChunk), r1 = std::min(O, (rb + 1) * kRowBlock);
                     std::fill(a1, a1 + kChanChunk, 0.0f);
                     std::fill(a2, a2 + kChanChunk, 0.0f);
                     for (int64_t r = rb * kRowBlock; r < r1; ++r) {
                       const float* xr = x + r * C;
                       const float* dr = dy ? dy + r * C : nullptr;
                       for (int64_t j = c0; j < c1; j += W) {
                         const int64_t len = c1 - j;
                         B u = B::load_aligned(a1 + (j - c0)), v = B::load_aligned(a2 + (j - c0));
                         f(load_n(xr + j, len), dr ? load_n(dr + j, len) : B(0.0f),
                           center ? load_n(center + j, len) : B(0.0f), u, v);
                         u.store_aligned(a1 + (j - c0));
                         v.store_aligned(a2 + (j - c0));
                       }
                     }
                     std::copy(a1, a1 + (c1 - c0), p1 + rb * cpad + c0);
                     std::copy(a2, a2 + (c1 - c0), p2 + rb * cpad + c0);
                   }
                 });
    for (int64_t rb = 0; rb < nrb; ++rb)
      for (int64_t c = 0; c < C; ++c) {
        s1[c] += p1[rb * cpad + c];
        s2[c] += p2[rb * cpad + c];
      }
    return;
  }
  // Contiguous segments of I values, one per (o, c): each is summed in
  // float lanes flushed to double every kFlush values, then the segments of
  // a channel are added in o order.
  Tensor buf = scratch_bytes(2 * O * C * sizeof(double));
  double* q1 = reinterpret_cast<double*>(buf.data_ptr());
  double* q2 = q1 + O * C;
  parallel_for(O * C, std::max<int64_t>(1, kParallelThreshold / I), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t c = t % C;
      const float* xs = x + t * I;
      const float* ds = dy ? dy + t * I : nullptr;
      const B m(center ? center[c] : 0.0f);
      double d1 = 0, d2 = 0;
      for (int64_t k0 = 0; k0 < I; k0 += kFlush) {
        const int64_t k1 = std::min(I, k0 + kFlush);
        B u(0.0f), v(0.0f);
        for (int64_t k = k0; k < k1; k += W) {
          const int64_t len = k1 - k;
          f(load_n(xs + k, len), ds ? load_n(ds + k, len) : B(0.0f), len >= W ? m : head_lanes(m, len), u, v);
        }
        d1 += lane_sum(u);
        d2 += lane_sum(v);
      }
      q1[t] = d1;
      q2[t] = d2;
    }
  });
  for (int64_t o = 0; o < O; ++o)
    for (int64_t c = 0; c < C; ++c) {
      s1[c] += q1[o * C + c];
      s2[c] += q2[o * C + c];
    }
}


// out[o, c, i] = f(x, d, m[c], a[c], b[c], e[c]) for every element, with d =
// dy[o, c, i] (0 when dy is null): the per-channel affine passes.
struct ChannelParams {
  const float *m, *a, *b, *e;
};
template <class F>
void channel_apply(const NormDims& n, const float* x, const float* dy, float* out, const ChannelParams& p, F f) {
  const int64_t O = n.outer, C = n.channels, I = n.inner;
  if (O * C * I == 0) return;
  if (I == 1) {
    parallel_for(O, std::max<int64_t>(1, kParallelThreshold / C), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t j = 0; j < C; j += W) {
          const int64_t len = C - j;
          const B d = dy ? load_n(dy + r * C + j, len) : B(0.0f);
          store_n(f(load_n(x + r * C + j, len), d, load_n(p.m + j, len), load_n(p.a + j, len),
                    load_n(p.b + j, len), load_n(p.e + j, len)),
                  out + r * C + j, len);
        }
    });
    return;
  }
  parallel_for(O * C, std::max<int64_t>(1, kParallelThreshold / I), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t c = t % C;
      const B m(p.m[c]), a(p.a[c]), b(p.b[c]), e(p.e[c]);
      for (int64_t k = 0; k < I; k += W) {
        const int64_t len = I - k;
        const B d = dy ? load_n(dy + t * I + k, len) : B(0.0f);
        store_n(f(load_n(x + t * I + k, len), d, m, a, b, e), out + t * I + k, len);
      }
    }
  });
}

// Four per-channel float arrays (m, a, b, e) of C values in one scratch tensor.
struct ParamBuf {
  Tensor t;
  float *m, *a, *b, *e;
  explicit ParamBuf(int64_t c) : t(scratch_bytes(4 * std::max<int64_t>(c, 1) * sizeof(float))) {
    m = ptr<float>(t);
    a = m + c;
    b = a + c;
    e = b + c;
  }
  ChannelParams params() const { return {m, a, b, e}; }
};

const float* opt(const Tensor* t) { return t ? ptr<float>(*t) : nullptr; }

// y = (x - m) * a + b.
B affine(B x, B, B m, B a, B b, B) { return (x - m) * a + b; }

}  // namespace

void CpuBackend::batch_norm_training(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                                     const NormDims& n, Tensor& y, Tensor& mean, Tensor& var, Tensor& inv_std) {
  const int64_t C = n.channels;
  const double cnt = static_cast<double>(n.outer) * static_cast<double>(n.inner);
  Tensor sums = scratch_bytes(2 * std::max<int64_t>(C, 1) * sizeof(double));
  double* s1 = reinterpret_cast<double*>(sums.data_ptr());
  double* s2 = s1 + C;
  const float* px = ptr<float>(x);
  float *pm = ptr<float>(mean), *pv = ptr<float>(var), *pi = ptr<float>(inv_std);
  channel_sums(n, px, nullptr, nullptr, s1, s2, [](B v, B, B, B& u, B&) { u += v; });
  for (int64_t c = 0; c < C; ++c) pm[c] = static_cast<float>(s1[c] / cnt);
  channel_sums(n, px, nullptr, pm, s1, s2, [](B v, B, B m, B& u, B&) {
    const B t = v - m;
    u = xsimd::fma(t, t, u);
  });
  const float *g = opt(gamma), *bt = opt(beta);
  ParamBuf pb(C);
  for (int64_t c = 0; c < C; ++c) {
    const double v = s1[c] / cnt, inv = 1.0 / std::sqrt(v + epsilon);
    pv[c] = static_cast<float>(v);
    pi[c] = static_cast<float>(inv);
    pb.m[c] = pm[c];
    pb.a[c] = static_cast<float>(g ? inv * g[c] : inv);
    pb.b[c] = bt ? bt[c] : 0.0f;
    pb.e[c] = 0.0f;
  }
  channel_apply(n, px, nullptr, ptr<float>(y), pb.params(), affine);
}

void CpuBackend::batch_norm_inference(const Tensor& x, const Tensor* gamma, const Tensor* beta, const Tensor& mean,
                                      const Tensor& var, float epsilon, const NormDims& n, Tensor& y) {
  const int64_t C = n.channels;
  const float *g = opt(gamma), *bt = opt(beta), *pm = ptr<float>(mean), *pv = ptr<float>(var);
  ParamBuf pb(C);
  for (int64_t c = 0; c < C; ++c) {
    const double inv = 1.0 / std::sqrt(static_cast<double>(pv[c]) + epsilon);
    pb.m[c] = pm[c];
    pb.a[c] = static_cast<float>(g ? inv * g[c] : inv);
    pb.b[c] = bt ? bt[c] : 0.0f;
    pb.e[c] = 0.0f;
  }
  channel_apply(n, ptr<float>(x), nullptr, ptr<float>(y), pb.params(), affine);
}

void CpuBackend::batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                                     const Tensor& inv_std, const NormDims& n, bool batch_stats, Tensor* dx,
                                     Tensor* dgamma, Tensor* dbeta) {
  const int64_t C = n.channels;
  const double cnt = static_cast<double>(n.outer) * static_cast<double>(n.inner);
  const float *px = ptr<float>(x), *pd = ptr<float>(dy), *pm = ptr<float>(mean), *pi = ptr<float>(inv_std);
  const float* g = opt(gamma);
  Tensor sums = scratch_bytes(2 * std::max<int64_t>(C, 1) * sizeof(double));
  double* s1 = reinterpret_cast<double*>(sums.data_ptr());
  double* s2 = s1 + C;
  const bool need_sums = dgamma || dbeta || (dx && batch_stats);
  if (need_sums) {
    // s1 = sum(dy), s2 = sum(dy * (x - mean)); sum(dy * xhat) = inv_std * s2.
    channel_sums(n, px, pd, pm, s1, s2, [](B v, B d, B m, B& u, B& w) {
      u += d;
      w = xsimd::fma(d, v - m, w);
    });
    if (dbeta)
      for (int64_t c = 0; c < C; ++c) ptr<float>(*dbeta)[c] = static_cast<float>(s1[c]);
    if (dgamma)
      for (int64_t c = 0; c < C; ++c) ptr<float>(*dgamma)[c] = static_cast<float>(pi[c] * s2[c]);
  }
  if (!dx) return;
  // dx = a dy + b (x - mean) + e with a = gamma inv_std and, for batch
  // statistics, b = -a inv_std^2 s2 / M, e = -a s1 / M.
  ParamBuf pb(C);
  for (int64_t c = 0; c < C; ++c) {
    const double inv = pi[c], a = g ? inv * g[c] : inv;
    pb.m[c] = pm[c];
    pb.a[c] = static_cast<float>(a);
    pb.b[c] = batch_stats ? static_cast<float>(-a * inv * inv * s2[c] / cnt) : 0.0f;
    pb.e[c] = batch_stats ? static_cast<float>(-a * s1[c] / cnt) : 0.0f;
  }
  channel_apply(n, px, pd, ptr<float>(*dx), pb.params(),
                [](B v, B d, B m, B a, B b, B e) { return xsimd::fma(a, d, xsimd::fma(b, v - m, e)); });
}

namespace {

// Adds the lanes of v to acc[0..W).
inline void add_lanes(double* acc, B v) {
  alignas(64) float b[W];
  v.store_aligned(b);
  for (int64_t k = 0; k < W; ++k) acc[k] += b[k];
}

// Sum of f(x, d, lane mask) over a row of C values (d = dy or 0), in float
// lanes flushed to double every kFlush values. Tails are zero-padded, and
// head_lanes keeps broadcast terms out of the padded lanes.
template <class F>
double row_sum(const float* x, const float* dy, int64_t C, F f) {
  double s = 0;
  for (int64_t k0 = 0; k0 < C; k0 += kFlush) {
    const int64_t k1 = std::min(C, k0 + kFlush);
    B u(0.0f);
    for (int64_t k = k0; k < k1; k += W) {
      const int64_t len = k1 - k;
      u += f(load_n(x + k, len), dy ? load_n(dy + k, len) : B(0.0f), k, len);
    }
    s += lane_sum(u);
  }
  return s;
}

}  // namespace

void CpuBackend::layer_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                                    const NormDims& n, Tensor& y, Tensor& mean, Tensor& inv_std) {
  const int64_t O = n.outer, C = n.channels, I = n.inner;
  if (O * C * I == 0) return;
  const float *px = ptr<float>(x), *g = opt(gamma), *bt = opt(beta);
  float *py = ptr<float>(y), *pm = ptr<float>(mean), *pi = ptr<float>(inv_std);
  if (I == 1) {
    parallel_for(O, std::max<int64_t>(1, kParallelThreshold / C), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* xr = px + r * C;
        const float m = static_cast<float>(row_sum(xr, nullptr, C, [](B v, B, int64_t, int64_t) { return v; }) / C);
        const B mv(m);
        const double var = row_sum(xr, nullptr, C, [&](B v, B, int64_t, int64_t len) {
                             const B t = v - (len >= W ? mv : head_lanes(mv, len));
                             return t * t;
                           }) / C;
        const float inv = static_cast<float>(1.0 / std::sqrt(var + epsilon));
        pm[r] = m;
        pi[r] = inv;
        const B iv(inv);
        float* yr = py + r * C;
        for (int64_t j = 0; j < C; j += W) {
          const int64_t len = C - j;
          B t = (load_n(xr + j, len) - mv) * iv;
          if (g) t *= load_n(g + j, len);
          if (bt) t += load_n(bt + j, len);
          store_n(t, yr + j, len);
        }
      }
    });
    return;
  }
  // Statistics over a strided axis: lanes run along the inner positions.
  parallel_for(O, std::max<int64_t>(1, kParallelThreshold / (C * I)), [&](int64_t o0, int64_t o1) {
    alignas(64) double d1[W], d2[W];
    alignas(64) float mb[W], ib[W];
    for (int64_t o = o0; o < o1; ++o) {
      const float* xs = px + o * C * I;
      float* ys = py + o * C * I;
      for (int64_t k = 0; k < I; k += W) {
        const int64_t len = I - k;
        std::fill(d1, d1 + W, 0.0);
        std::fill(d2, d2 + W, 0.0);
        for (int64_t c0 = 0; c0 < C; c0 += kFlush) {
          B u(0.0f);
          for (int64_t c = c0; c < std::min(C, c0 + kFlush); ++c) u += load_n(xs + c * I + k, len);
          add_lanes(d1, u);
        }
        for (int64_t l = 0; l < W; ++l) mb[l] = static_cast<float>(d1[l] / C);
        const B mv = B::load_aligned(mb);
        for (int64_t c0 = 0; c0 < C; c0 += kFlush) {
          B u(0.0f);
          for (int64_t c = c0; c < std::min(C, c0 + kFlush); ++c) {
            const B t = load_n(xs + c * I + k, len) - mv;
            u = xsimd::fma(t, t, u);
          }
          add_lanes(d2, u);
        }
        for (int64_t l = 0; l < W; ++l) ib[l] = static_cast<float>(1.0 / std::sqrt(d2[l] / C + epsilon));
        const B iv = B::load_aligned(ib);
        store_n(mv, pm + o * I + k, len);
        store_n(iv, pi + o * I + k, len);
        for (int64_t c = 0; c < C; ++c) {
          B t = (load_n(xs + c * I + k, len) - mv) * iv;
          if (g) t *= B(g[c]);
          if (bt) t += B(bt[c]);
          store_n(t, ys + c * I + k, len);
        }
      }
    }
  });
}

void CpuBackend::layer_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                                     const Tensor& inv_std, const NormDims& n, Tensor* dx, Tensor* dgamma,
                                     Tensor* dbeta) {
  const int64_t O = n.outer, C = n.channels, I = n.inner;
  if (dgamma) std::fill(ptr<float>(*dgamma), ptr<float>(*dgamma) + C, 0.0f);
  if (dbeta) std::fill(ptr<float>(*dbeta), ptr<float>(*dbeta) + C, 0.0f);
  if (O * C * I == 0) return;
  const float *px = ptr<float>(x), *pd = ptr<float>(dy), *g = opt(gamma), *pm = ptr<float>(mean),
              *pi = ptr<float>(inv_std);
  float* pdx = dx ? ptr<float>(*dx) : nullptr;
  const bool sums = dgamma || dbeta;
  // Per-channel partial sums of dy * xhat and dy: one row per row block
  // of kLnRowBlock rows (I == 1) or per outer index (I > 1), added in double
  // at the end.
  const int64_t items = I == 1 ? (O + kLnRowBlock - 1) / kLnRowBlock : O;
  const int64_t cpad = round_up(C, W);
  Tensor buf = scratch_bytes(sums ? 2 * items * cpad * sizeof(float) : 4);
  float* pg = ptr<float>(buf);
  float* pb = pg + items * cpad;
  if (sums) std::fill(pg, pg + 2 * items * cpad, 0.0f);
  const float inv_c = 1.0f / static_cast<float>(C);
  if (I == 1) {
    parallel_for(items, std::max<int64_t>(1, kParallelThreshold / (kLnRowBlock * C)), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b)
        for (int64_t r = b * kLnRowBlock; r < std::min(O, (b + 1) * kLnRowBlock); ++r) {
          const float *xr = px + r * C, *dr = pd + r * C;
          const B mv(pm[r]), iv(pi[r]);
          if (pdx) {
            auto gx = [&](B v, B d, int64_t k, int64_t len) { return g ? d * load_n(g + k, len) : d; };
            const float s1 = static_cast<float>(row_sum(xr, dr, C, gx)) * inv_c;
            const float s2 = static_cast<float>(row_sum(xr, dr, C, [&](B v, B d, int64_t k, int64_t len) {
                               return gx(v, d, k, len) * ((v - mv) * iv);
                             })) * inv_c;
            const B a(s1), c2(s2);
            for (int64_t j = 0; j < C; j += W) {
              const int64_t len = C - j;
              const B d = load_n(dr + j, len), xh = (load_n(xr + j, len) - mv) * iv;
              const B gg = g ? d * load_n(g + j, len) : d;
              store_n(iv * (gg - a - xh * c2), pdx + r * C + j, len);
            }
          }
          if (sums) {
            float *ag = pg + b * cpad, *ab = pb + b * cpad;
            for (int64_t j = 0; j < C; j += W) {
              const int64_t len = C - j;
              const B d = load_n(dr + j, len), xh = (load_n(xr + j, len) - mv) * iv;
              xsimd::fma(d, xh, B::load_unaligned(ag + j)).store_unaligned(ag + j);
              (B::load_unaligned(ab + j) + d).store_unaligned(ab + j);
            }
          }
        }
    });
  } else {
    parallel_for(O, std::max<int64_t>(1, kParallelThreshold / (C * I)), [&](int64_t o0, int64_t o1) {
      alignas(64) double d1[W], d2[W];
      alignas(64) float f1[W], f2[W];
      for (int64_t o = o0; o < o1; ++o) {
        const float *xs = px + o * C * I, *ds = pd + o * C * I;
        float *ag = pg + o * cpad, *ab = pb + o * cpad;
        for (int64_t k = 0; k < I; k += W) {
          const int64_t len = I - k;
          const B mv = load_n(pm + o * I + k, len), iv = load_n(pi + o * I + k, len);
          if (pdx) {
            std::fill(d1, d1 + W, 0.0);
            std::fill(d2, d2 + W, 0.0);
            for (int64_t c0 = 0; c0 < C; c0 += kFlush) {
              B u(0.0f), w(0.0f);
              for (int64_t c = c0; c < std::min(C, c0 + kFlush); ++c) {
                const B d = load_n(ds + c * I + k, len), xh = (load_n(xs + c * I + k, len) - mv) * iv;
                const B gg = g ? d * B(g[c]) : d;
                u += gg;
                w = xsimd::fma(gg, xh, w);
              }
              add_lanes(d1, u);
              add_lanes(d2, w);
            }
            for (int64_t l = 0; l < W; ++l) {
              f1[l] = static_cast<float>(d1[l] / C);
              f2[l] = static_cast<float>(d2[l] / C);
            }
            const B a = B::load_aligned(f1), c2 = B::load_aligned(f2);
            for (int64_t c = 0; c < C; ++c) {
              const B d = load_n(ds + c * I + k, len), xh = (load_n(xs + c * I + k, len) - mv) * iv;
              const B gg = g ? d * B(g[c]) : d;
              store_n(iv * (gg - a - xh * c2), pdx + o * C * I + c * I + k, len);
            }
          }
          if (sums)
            for (int64_t c = 0; c < C; ++c) {
              const B d = load_n(ds + c * I + k, len), xh = (load_n(xs + c * I + k, len) - mv) * iv;
              ag[c] += static_cast<float>(lane_sum(d * xh));
              ab[c] += static_cast<float>(lane_sum(d));
            }
        }
      }
    });
  }
  if (!sums) return;
  for (int64_t c = 0; c < C; ++c) {
    double sg = 0, sb = 0;
    for (int64_t t = 0; t < items; ++t) {
      sg += pg[t * cpad + c];
      sb += pb[t * cpad + c];
    }
    if (dgamma) ptr<float>(*dgamma)[c] = static_cast<float>(sg);
    if (dbeta) ptr<float>(*dbeta)[c] = static_cast<float>(sb);
  }
}

}  // namespace keras::backend::cpu
