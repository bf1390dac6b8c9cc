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
#include "backends/cpu/conv_direct.hpp"

namespace keras::backend::cpu {

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

}  // namespace keras::backend::cpu
