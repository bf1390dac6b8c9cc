// Direct convolution + bias + activation with max pooling fused in (a
// Conv2D followed by MaxPooling2D with stride = window): see conv_fused.cpp.
#include "backends/cpu/conv_direct.hpp"

namespace keras::backend::cpu {
namespace {

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

}  // namespace

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
