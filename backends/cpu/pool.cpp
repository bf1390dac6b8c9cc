// 2-D max / average pooling on the CPU (NHWC). The inner loops run over the
// contiguous channel axis, so they vectorise; the batch and output rows are
// split across threads.
#include <algorithm>
#include <limits>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {
namespace {

struct PoolGeom {
  int64_t n, h, w, c, oh, ow;
  Pool2dDesc d;
  // The window of output (oh, ow), clipped to the image: [h0, h1) x [w0, w1).
  void window(int64_t y, int64_t x, int64_t& h0, int64_t& h1, int64_t& w0, int64_t& w1) const {
    const int64_t hs = y * d.stride_h - d.pad_top, ws = x * d.stride_w - d.pad_left;
    h0 = std::max<int64_t>(hs, 0);
    h1 = std::min<int64_t>(hs + d.window_h, h);
    w0 = std::max<int64_t>(ws, 0);
    w1 = std::min<int64_t>(ws + d.window_w, w);
  }
};

PoolGeom make_geom(const Shape& xs, const Shape& ys, const Pool2dDesc& d) {
  return PoolGeom{xs[0], xs[1], xs[2], xs[3], ys[1], ys[2], d};
}

// Grain (in output rows) so that a thread gets at least ~32k elements of work.
int64_t row_grain(const PoolGeom& g) {
  const int64_t per_row = std::max<int64_t>(1, g.ow * g.c * g.d.window_h * g.d.window_w);
  return std::max<int64_t>(1, (int64_t{1} << 15) / per_row);
}

// Channel block for the max-pool gradient still to route (kept on the stack).
constexpr int64_t kBlock = 256;

}  // namespace

void CpuBackend::pool2d_forward(PoolMode mode, const Tensor& x, const Pool2dDesc& d, Tensor& y) {
  const PoolGeom g = make_geom(x.shape(), y.shape(), d);
  const float* xp = ptr<float>(x);
  float* yp = ptr<float>(y);
  const int64_t C = g.c;
  parallel_for(g.n * g.oh, row_grain(g), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t n = r / g.oh, oy = r % g.oh;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        float* out = yp + (r * g.ow + ox) * C;
        int64_t h0, h1, w0, w1;
        g.window(oy, ox, h0, h1, w0, w1);
        if (mode == PoolMode::max) {
          std::fill(out, out + C, -std::numeric_limits<float>::infinity());
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) {
              const float* in = xp + ((n * g.h + ih) * g.w + iw) * C;
              for (int64_t c = 0; c < C; ++c) out[c] = in[c] > out[c] ? in[c] : out[c];
            }
        } else {
          std::fill(out, out + C, 0.0f);
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) {
              const float* in = xp + ((n * g.h + ih) * g.w + iw) * C;
              for (int64_t c = 0; c < C; ++c) out[c] += in[c];
            }
          const int64_t count = (h1 - h0) * (w1 - w0);
          const float scale = count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
          for (int64_t c = 0; c < C; ++c) out[c] *= scale;
        }
      }
    }
  });
}

void CpuBackend::pool2d_backward(PoolMode mode, const Tensor& x, const Tensor& y, const Tensor& dy, const Pool2dDesc& d,
                                 Tensor& dx) {
  const PoolGeom g = make_geom(x.shape(), y.shape(), d);
  const float* xp = ptr<float>(x);
  const float* yp = ptr<float>(y);
  const float* dyp = ptr<float>(dy);
  float* dxp = ptr<float>(dx);
  const int64_t C = g.c, img = g.h * g.w * C;
  // Overlapping windows of one image add into the same dx elements, so
  // threads split the batch, never the rows of an image.
  const int64_t grain = std::max<int64_t>(1, row_grain(g) / std::max<int64_t>(1, g.oh));
  // Windows that tile the image exactly (2x2 stride 2 on an even size, the
  // common case) write every dx element once: no zero-fill, no accumulate.
  const bool tiled = d.window_h == d.stride_h && d.window_w == d.stride_w && d.pad_top == 0 && d.pad_left == 0 &&
                     g.oh * d.stride_h == g.h && g.ow * d.stride_w == g.w;
  parallel_for(g.n, grain, [&](int64_t b, int64_t e) {
    if (!tiled) std::fill(dxp + b * img, dxp + e * img, 0.0f);
    alignas(64) float pending[kBlock];
    for (int64_t n = b; n < e; ++n)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const int64_t o = ((n * g.oh + oy) * g.ow + ox) * C;
          int64_t h0, h1, w0, w1;
          g.window(oy, ox, h0, h1, w0, w1);
          if (mode == PoolMode::average) {
            const int64_t count = (h1 - h0) * (w1 - w0);
            if (count == 0) continue;
            const float scale = 1.0f / static_cast<float>(count);
            for (int64_t ih = h0; ih < h1; ++ih)
              for (int64_t iw = w0; iw < w1; ++iw) {
                float* dst = dxp + ((n * g.h + ih) * g.w + iw) * C;
                if (tiled) {
                  for (int64_t c = 0; c < C; ++c) dst[c] = dyp[o + c] * scale;
                } else {
                  for (int64_t c = 0; c < C; ++c) dst[c] += dyp[o + c] * scale;
                }
              }
            continue;
          }
          // Max: the gradient goes to the first element (row-major in the
          // window) equal to the maximum; ties (e.g. zeros after relu) get
          // nothing more. `pending` holds what is still to route per
          // channel, so the loop is branch-free and vectorises.
          for (int64_t c0 = 0; c0 < C; c0 += kBlock) {
            const int64_t cn = std::min(kBlock, C - c0);
            const float* __restrict ym = yp + o + c0;
            std::copy(dyp + o + c0, dyp + o + c0 + cn, pending);
            for (int64_t ih = h0; ih < h1; ++ih)
              for (int64_t iw = w0; iw < w1; ++iw) {
                const int64_t i = ((n * g.h + ih) * g.w + iw) * C + c0;
                const float* __restrict xi = xp + i;
                float* __restrict di = dxp + i;
                if (tiled) {
                  for (int64_t c = 0; c < cn; ++c) {
                    const float give = xi[c] == ym[c] ? pending[c] : 0.0f;
                    di[c] = give;
                    pending[c] -= give;
                  }
                } else {
                  for (int64_t c = 0; c < cn; ++c) {
                    const float give = xi[c] == ym[c] ? pending[c] : 0.0f;
                    di[c] += give;
                    pending[c] -= give;
                  }
                }
              }
          }
        }
  });
}

}  // namespace keras::backend::cpu
