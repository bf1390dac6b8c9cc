// CUDA convolution and pooling. Without a GPU: the padding plan and filter
// layout against plain-loop simulations, the pooling kernels' per-element
// code run on the host against the CPU backend, and the convolution's
// glue (border copy, filter transpose, crop) around an emulated cuDNN call
// against the CPU backend. With a GPU: every kernel against the CPU backend.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "backends/cuda/conv_plan.hpp"
#include "backends/cuda/window_ops.hpp"
#include "keras/backend.hpp"
#include "keras/tensor.hpp"

using keras::Device;
using keras::Shape;
using keras::Tensor;
namespace kb = keras::backend;
namespace kc = keras::backend::cuda;

namespace {

// 1-D convolution with asymmetric zero padding, straight from the definition.
std::vector<double> conv1d_ref(const std::vector<double>& x, const std::vector<double>& w, int lo,
                               int hi, int stride, int dil) {
  const std::int64_t in = static_cast<std::int64_t>(x.size()), k = static_cast<std::int64_t>(w.size());
  const std::int64_t out = kc::conv_out_size(in, lo, hi, dil * (k - 1) + 1, stride);
  std::vector<double> y(static_cast<std::size_t>(out), 0.0);
  for (std::int64_t o = 0; o < out; ++o)
    for (std::int64_t t = 0; t < k; ++t) {
      const std::int64_t i = o * stride - lo + t * dil;
      if (i >= 0 && i < in) y[o] += x[i] * w[t];
    }
  return y;
}

// What the planned cuDNN call computes: the input copied with the explicit
// borders, then a symmetric-padding convolution of that copy.
std::vector<double> conv1d_planned(const std::vector<double>& x, const std::vector<double>& w,
                                   const kc::AxisPlan& p, int stride, int dil) {
  std::vector<double> padded(static_cast<std::size_t>(p.padded), 0.0);
  for (std::size_t i = 0; i < x.size(); ++i) padded[i + p.extra_lo] = x[i];
  return conv1d_ref(padded, w, p.pad, p.pad, stride, dil);
}

// Padding of Keras's 'same': (lo, hi) with lo = floor(total / 2).
std::pair<int, int> same_pads(int in, int window, int stride) {
  const int out = (in + stride - 1) / stride;
  const int total = std::max((out - 1) * stride + window - in, 0);
  return {total / 2, total - total / 2};
}

}  // namespace

TEST_CASE("cuda conv plan: output size") {
  CHECK(kc::conv_out_size(5, 0, 0, 3, 1) == 3);
  CHECK(kc::conv_out_size(5, 1, 1, 3, 1) == 5);
  CHECK(kc::conv_out_size(6, 0, 1, 3, 2) == 3);
  CHECK(kc::conv_out_size(2, 0, 0, 3, 1) == 0);  // no window fits
  CHECK(kc::conv_out_size(7, 0, 0, 5, 3) == 1);
}

TEST_CASE("cuda conv plan: which padding needs an explicit border") {
  // Symmetric: cuDNN pads alone.
  auto p = kc::plan_axis(8, 1, 1, 3, 1, 8);
  CHECK_FALSE(p.explicit_pad());
  CHECK(p.pad == 1);
  CHECK(p.padded == 8);
  // Stride-2 'same' on an even size pads (0, 1), and the last window reads
  // the extra row ('same' pads no more than some window reads).
  p = kc::plan_axis(8, 0, 1, 3, 2, 4);
  CHECK(p.explicit_pad());
  CHECK(p.extra_hi == 1);
  // An extra cell past the last window changes nothing: no border.
  p = kc::plan_axis(7, 0, 1, 3, 2, 3);
  CHECK_FALSE(p.explicit_pad());
  CHECK(p.pad == 0);
  // More before than after, the excess unread: cuDNN pads lo on both sides.
  p = kc::plan_axis(6, 2, 1, 3, 2, 4);
  CHECK_FALSE(p.explicit_pad());
  CHECK(p.pad == 2);
  // An even kernel at stride 1 ('same' pads (0, 1)): the last window reads
  // the extra row, so it is written out.
  p = kc::plan_axis(8, 0, 1, 2, 1, 8);
  CHECK(p.explicit_pad());
  CHECK(p.pad == 0);
  CHECK(p.extra_lo == 0);
  CHECK(p.extra_hi == 1);
  CHECK(p.padded == 9);
  // More before than after (a transposed convolution's padding can be).
  p = kc::plan_axis(6, 2, 0, 3, 1, 6);
  CHECK(p.explicit_pad());
  CHECK(p.pad == 0);
  CHECK(p.extra_lo == 2);
  CHECK(p.extra_hi == 0);
  // 4x4 'same' at stride 1 pads (1, 2): one row symmetric, one explicit.
  p = kc::plan_axis(5, 1, 2, 4, 1, 5);
  CHECK(p.pad == 1);
  CHECK(p.extra_lo == 0);
  CHECK(p.extra_hi == 1);
}

TEST_CASE("cuda conv plan: planned padding computes the asymmetric convolution") {
  // Every small geometry: the plan's padded copy + symmetric convolution
  // must equal the definition, and have the expected number of outputs.
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> u(-1, 1);
  int checked = 0, explicit_count = 0;
  for (int in = 1; in <= 9; ++in)
    for (int k = 1; k <= 4; ++k)
      for (int dil = 1; dil <= 2; ++dil)
        for (int stride = 1; stride <= 3; ++stride)
          for (int lo = 0; lo <= 3; ++lo)
            for (int hi = 0; hi <= 3; ++hi) {
              const int window = dil * (k - 1) + 1;
              const std::int64_t out = kc::conv_out_size(in, lo, hi, window, stride);
              if (out <= 0) continue;
              std::vector<double> x(in), w(k);
              for (auto& v : x) v = u(gen);
              for (auto& v : w) v = u(gen);
              const auto p = kc::plan_axis(in, lo, hi, window, stride, out);
              CAPTURE(in);
              CAPTURE(k);
              CAPTURE(dil);
              CAPTURE(stride);
              CAPTURE(lo);
              CAPTURE(hi);
              REQUIRE(p.pad >= 0);
              REQUIRE(p.extra_lo >= 0);
              REQUIRE(p.extra_hi >= 0);
              CHECK(p.pad + p.extra_lo == lo);  // windows start where Keras's do
              CHECK(kc::conv_out_size(p.padded, p.pad, p.pad, window, stride) == out);
              const auto want = conv1d_ref(x, w, lo, hi, stride, dil);
              const auto got = conv1d_planned(x, w, p, stride, dil);
              REQUIRE(got.size() == want.size());
              for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]));
              ++checked;
              explicit_count += p.explicit_pad();
            }
  CHECK(checked > 1000);
  CHECK(explicit_count > 100);  // both paths exercised
}

TEST_CASE("cuda conv plan: Keras kernel to cuDNN filter index") {
  const std::int64_t KH = 2, KW = 3, CG = 4, K = 5, rows = KH * KW * CG;
  std::vector<std::int64_t> cudnn(static_cast<std::size_t>(rows * K), -1);
  for (std::int64_t i = 0; i < rows * K; ++i) cudnn[kc::keras_to_cudnn_filter_index(i, rows, K)] = i;
  // cuDNN's NHWC filter is (K, KH, KW, Cg); Keras's kernel (KH, KW, Cg, K).
  for (std::int64_t r = 0; r < KH; ++r)
    for (std::int64_t s = 0; s < KW; ++s)
      for (std::int64_t c = 0; c < CG; ++c)
        for (std::int64_t k = 0; k < K; ++k)
          CHECK(cudnn[((k * KH + r) * KW + s) * CG + c] == ((r * KW + s) * CG + c) * K + k);
}

TEST_CASE("cuda conv plan: algorithm cache key") {
  kc::ConvKey a;
  a.n = 2, a.h = 8, a.w = 8, a.c = 3, a.k = 16, a.r = 3, a.s = 3, a.groups = 1;
  kc::ConvKey b = a;
  CHECK(a == b);
  CHECK(kc::ConvKeyHash{}(a) == kc::ConvKeyHash{}(b));
  b.pass = 1;
  CHECK_FALSE(a == b);
  CHECK(kc::ConvKeyHash{}(a) != kc::ConvKeyHash{}(b));
  b = a;
  b.groups = 3;
  CHECK_FALSE(a == b);
}

// --- shared cases --------------------------------------------------------------

namespace {

kb::Backend& cpu() { return kb::get(Device::cpu()); }

Tensor random_tensor(const Shape& s, float lo, float hi, unsigned seed, bool integers = false) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(keras::shape_size(s)));
  for (auto& x : v) x = integers ? std::floor(u(gen)) : u(gen);
  return Tensor(s, v);
}

// |a - b| <= atol + rtol |a| elementwise; a is the CPU backend's result.
void expect_close(const Tensor& a_t, const Tensor& b_t, double rtol, double atol,
                  const std::string& what) {
  REQUIRE(a_t.shape() == b_t.shape());
  const Tensor a_h = a_t.cpu(), b_h = b_t.cpu();
  const float* a = a_h.data<float>();
  const float* b = b_h.data<float>();
  std::int64_t bad = 0, first = 0;
  for (std::int64_t i = 0; i < a_h.size(); ++i)
    if (!(std::fabs(a[i] - b[i]) <= atol + rtol * std::fabs(a[i])) && bad++ == 0) first = i;
  INFO(what << ": " << bad << " of " << a_h.size() << " differ; first at " << first << ": cpu "
            << (bad ? a[first] : 0.f) << " vs other " << (bad ? b[first] : 0.f));
  CHECK(bad == 0);
}

struct ConvCase {
  std::string name;
  std::int64_t n, h, w, cin, kh, kw, cout;
  int sh, sw, dh, dw, groups;
  bool same;  // else 'valid' (or the explicit pads below when set)
  int pt = -1, pb = -1, pl = -1, pr = -1;
};

std::vector<ConvCase> conv_cases() {
  return {
      {"3x3 same", 2, 8, 8, 3, 3, 3, 4, 1, 1, 1, 1, 1, true},
      {"3x3 stride 2 same (even input, explicit border)", 2, 8, 8, 3, 3, 3, 5, 2, 2, 1, 1, 1, true},
      {"3x3 stride 2 same (odd input)", 2, 7, 9, 3, 3, 3, 5, 2, 2, 1, 1, 1, true},
      {"2x2 same (even kernel, explicit border)", 2, 7, 6, 3, 2, 2, 4, 1, 1, 1, 1, 1, true},
      {"4x4 stride 2 same, odd input", 1, 9, 7, 2, 4, 4, 3, 2, 2, 1, 1, 1, true},
      {"dilation 2 same", 2, 9, 9, 3, 3, 3, 4, 1, 1, 2, 2, 1, true},
      {"dilation (2,1) valid, stride (1,2)", 1, 10, 9, 2, 3, 2, 3, 1, 2, 2, 1, 1, false},
      {"groups 2", 2, 6, 6, 4, 3, 3, 6, 1, 1, 1, 1, 2, true},
      {"depthwise x2", 2, 6, 7, 3, 3, 3, 6, 1, 1, 1, 1, 3, true},
      {"depthwise stride 2", 1, 8, 8, 4, 3, 3, 4, 2, 2, 1, 1, 4, true},
      {"1x1", 3, 5, 4, 6, 1, 1, 7, 1, 1, 1, 1, 1, false},
      {"1x1 stride 2", 2, 5, 6, 3, 1, 1, 4, 2, 2, 1, 1, 1, false},
      {"batch 1 non-square 3x2 valid", 1, 7, 10, 3, 3, 2, 5, 1, 1, 1, 1, 1, false},
      {"more padding before than after", 2, 6, 6, 2, 3, 3, 3, 1, 1, 1, 1, 1, false, 2, 0, 0, 2},
      {"excess padding after, unread", 1, 7, 7, 2, 3, 3, 2, 2, 2, 1, 1, 1, false, 0, 1, 2, 1},
      {"wide channels", 2, 5, 5, 64, 3, 3, 32, 1, 1, 1, 1, 1, true},
  };
}

// The descriptor and the (x, w, y) shapes of a case.
struct ConvSetup {
  kb::Conv2dDesc d;
  Shape xs, ws, ys;
  std::int64_t eh, ew;  // dilated kernel extents
};

ConvSetup conv_setup(const ConvCase& cs) {
  ConvSetup s;
  kb::Conv2dDesc& d = s.d;
  d.stride_h = cs.sh, d.stride_w = cs.sw, d.dilation_h = cs.dh, d.dilation_w = cs.dw;
  d.groups = cs.groups;
  s.eh = cs.dh * (cs.kh - 1) + 1, s.ew = cs.dw * (cs.kw - 1) + 1;
  if (cs.pt >= 0) {
    d.pad_top = cs.pt, d.pad_bottom = cs.pb, d.pad_left = cs.pl, d.pad_right = cs.pr;
  } else if (cs.same) {
    std::tie(d.pad_top, d.pad_bottom) = same_pads(int(cs.h), int(s.eh), cs.sh);
    std::tie(d.pad_left, d.pad_right) = same_pads(int(cs.w), int(s.ew), cs.sw);
  }
  const std::int64_t oh = kc::conv_out_size(cs.h, d.pad_top, d.pad_bottom, s.eh, cs.sh);
  const std::int64_t ow = kc::conv_out_size(cs.w, d.pad_left, d.pad_right, s.ew, cs.sw);
  s.xs = {cs.n, cs.h, cs.w, cs.cin};
  s.ws = {cs.kh, cs.kw, cs.cin / cs.groups, cs.cout};
  s.ys = {cs.n, oh, ow, cs.cout};
  return s;
}

struct PoolCase {
  std::string name;
  std::int64_t n, h, w, c;
  int wh, ww, sh, sw;
  bool same;
};

std::vector<PoolCase> pool_cases() {
  return {
      {"2x2 valid", 2, 8, 8, 3, 2, 2, 2, 2, false},
      {"3x3 stride 2 same, even input (plain kernels)", 2, 8, 8, 4, 3, 3, 2, 2, true},
      {"3x3 stride 2 same, odd input (cuDNN)", 2, 7, 9, 4, 3, 3, 2, 2, true},
      {"3x3 stride 1 same (cuDNN)", 1, 6, 7, 3, 3, 3, 1, 1, true},
      {"2x2 stride 1 same (plain kernels)", 2, 5, 6, 3, 2, 2, 1, 1, true},
      {"3x2 stride (2,1) same", 1, 7, 6, 5, 3, 2, 2, 1, true},
      {"4x4 stride 3 same, odd input", 1, 10, 11, 2, 4, 4, 3, 3, true},
      {"overlapping 3x3 stride 1 valid", 2, 6, 6, 2, 3, 3, 1, 1, false},
      {"window larger than stride, 5x5 stride 2 same", 1, 9, 8, 2, 5, 5, 2, 2, true},
  };
}

kb::Pool2dDesc pool_desc(const PoolCase& pc, Shape& ys) {
  kb::Pool2dDesc d;
  d.window_h = pc.wh, d.window_w = pc.ww, d.stride_h = pc.sh, d.stride_w = pc.sw;
  if (pc.same) {
    std::tie(d.pad_top, d.pad_bottom) = same_pads(int(pc.h), pc.wh, pc.sh);
    std::tie(d.pad_left, d.pad_right) = same_pads(int(pc.w), pc.ww, pc.sw);
  }
  ys = {pc.n, kc::conv_out_size(pc.h, d.pad_top, d.pad_bottom, pc.wh, pc.sh),
        kc::conv_out_size(pc.w, d.pad_left, d.pad_right, pc.ww, pc.sw), pc.c};
  return d;
}

// --- host emulation of the cuDNN calls ---------------------------------------

// Calls fn(x index, y index, filter index) for every tap of a symmetric-
// padding NHWC convolution with a cuDNN (K, R, S, Cg) filter: what
// cudnnConvolution{Forward,BackwardData,BackwardFilter} sum over.
template <class F>
void cudnn_taps(std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t cin, std::int64_t oh,
                std::int64_t ow, std::int64_t cout, std::int64_t kh, std::int64_t kw,
                const kb::Conv2dDesc& d, int pad_h, int pad_w, F&& fn) {
  const std::int64_t cg = cin / d.groups, kg = cout / d.groups;
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t o = 0; o < oh; ++o)
      for (std::int64_t q = 0; q < ow; ++q)
        for (std::int64_t k = 0; k < cout; ++k)
          for (std::int64_t r = 0; r < kh; ++r)
            for (std::int64_t s = 0; s < kw; ++s) {
              const std::int64_t ih = o * d.stride_h - pad_h + r * d.dilation_h;
              const std::int64_t iw = q * d.stride_w - pad_w + s * d.dilation_w;
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
              for (std::int64_t c = 0; c < cg; ++c)
                fn(((b * h + ih) * w + iw) * cin + (k / kg) * cg + c, ((b * oh + o) * ow + q) * cout + k,
                   ((k * kh + r) * kw + s) * cg + c);
            }
}

}  // namespace

TEST_CASE("cuda conv glue: border copy, filter transpose and crop around cuDNN's math") {
  // The steps conv.cu takes, with cuDNN's symmetric convolution emulated
  // by plain loops, must reproduce the CPU backend's asymmetric results.
  unsigned seed = 1;
  for (const auto& cs : conv_cases()) {
    CAPTURE(cs.name);
    const ConvSetup st = conv_setup(cs);
    const auto& d = st.d;
    const std::int64_t oh = st.ys[1], ow = st.ys[2];
    const auto ph = kc::plan_axis(cs.h, d.pad_top, d.pad_bottom, st.eh, d.stride_h, oh);
    const auto pw = kc::plan_axis(cs.w, d.pad_left, d.pad_right, st.ew, d.stride_w, ow);
    REQUIRE(kc::conv_out_size(ph.padded, ph.pad, ph.pad, st.eh, d.stride_h) == oh);
    REQUIRE(kc::conv_out_size(pw.padded, pw.pad, pw.pad, st.ew, d.stride_w) == ow);
    Tensor x = random_tensor(st.xs, -1, 1, seed++), w = random_tensor(st.ws, -1, 1, seed++);
    Tensor dy = random_tensor(st.ys, -1, 1, seed++);
    // Keras kernel -> cuDNN filter; x -> bordered copy.
    const std::int64_t rows = cs.kh * cs.kw * (cs.cin / cs.groups);
    std::vector<float> filt(static_cast<std::size_t>(w.size()));
    for (std::int64_t i = 0; i < w.size(); ++i)
      filt[kc::keras_to_cudnn_filter_index(i, rows, cs.cout)] = w.data<float>()[i];
    const std::int64_t padded = cs.n * ph.padded * pw.padded * cs.cin;
    std::vector<float> xp(static_cast<std::size_t>(padded));
    for (std::int64_t i = 0; i < padded; ++i)
      xp[i] = kc::shift_copy_at(x.data<float>(), cs.h, cs.w, ph.padded, pw.padded, cs.cin,
                                -ph.extra_lo, -pw.extra_lo, i);
    auto taps = [&](auto&& fn) {
      cudnn_taps(cs.n, ph.padded, pw.padded, cs.cin, oh, ow, cs.cout, cs.kh, cs.kw, d, ph.pad,
                 pw.pad, fn);
    };
    // Forward.
    Tensor y = Tensor::zeros(st.ys), y_ref = Tensor::zeros(st.ys);
    float* yp = y.data<float>();
    taps([&](std::int64_t xi, std::int64_t yi, std::int64_t fi) { yp[yi] += xp[xi] * filt[fi]; });
    cpu().conv2d_forward(x, w, d, y_ref);
    // Tolerances allow for the CPU's Winograd transforms on the wide-channel
    // cases (a few ulps of the largest sums, which reach about 10).
    expect_close(y_ref, y, 1e-5, 1e-4, cs.name + " forward");
    // Backward data: the padded gradient, then its interior.
    std::vector<float> dxp(static_cast<std::size_t>(padded), 0.0f);
    const float* dyp = dy.data<float>();
    taps([&](std::int64_t xi, std::int64_t yi, std::int64_t fi) { dxp[xi] += dyp[yi] * filt[fi]; });
    Tensor dx = Tensor::zeros(st.xs), dx_ref = Tensor::zeros(st.xs);
    for (std::int64_t i = 0; i < dx.size(); ++i)
      dx.data<float>()[i] = kc::shift_copy_at(dxp.data(), ph.padded, pw.padded, cs.h, cs.w, cs.cin,
                                              ph.extra_lo, pw.extra_lo, i);
    cpu().conv2d_backward_data(dy, w, d, dx_ref);
    expect_close(dx_ref, dx, 1e-5, 1e-4, cs.name + " backward data");
    // Backward filter: cuDNN's layout, transposed back.
    std::vector<float> df(filt.size(), 0.0f);
    taps([&](std::int64_t xi, std::int64_t yi, std::int64_t fi) { df[fi] += xp[xi] * dyp[yi]; });
    Tensor dw = Tensor::zeros(st.ws), dw_ref = Tensor::zeros(st.ws);
    for (std::int64_t i = 0; i < dw.size(); ++i)
      dw.data<float>()[i] = df[kc::keras_to_cudnn_filter_index(i, rows, cs.cout)];
    cpu().conv2d_backward_filter(x, dy, d, dw_ref);
    expect_close(dw_ref, dw, 1e-5, 1e-4, cs.name + " backward filter");
  }
}

TEST_CASE("cuda pool kernels: per-element code run on the host matches the CPU backend") {
  unsigned seed = 1;
  for (const auto& pc : pool_cases())
    for (bool is_max : {true, false})
      for (bool ties : {false, true}) {
        const std::string what =
            pc.name + (is_max ? " max" : " avg") + (ties ? " with ties" : "");
        CAPTURE(what);
        Shape ys;
        const kb::Pool2dDesc d = pool_desc(pc, ys);
        const Shape xs{pc.n, pc.h, pc.w, pc.c};
        const kc::PoolGeom g{pc.n, pc.h, pc.w, pc.c, ys[1], ys[2],
                             d.window_h, d.window_w, d.stride_h, d.stride_w, d.pad_top, d.pad_left};
        Tensor x = random_tensor(xs, ties ? 0.f : -1.f, ties ? 3.f : 1.f, seed++, ties);
        Tensor dy = random_tensor(ys, -1, 1, seed++);
        const kb::PoolMode mode = is_max ? kb::PoolMode::max : kb::PoolMode::average;
        Tensor y_ref = Tensor::zeros(ys), dx_ref = Tensor::zeros(xs);
        cpu().pool2d_forward(mode, x, d, y_ref);
        cpu().pool2d_backward(mode, x, y_ref, dy, d, dx_ref);
        Tensor y = Tensor::zeros(ys), dx = Tensor::zeros(xs);
        for (std::int64_t i = 0; i < y.size(); ++i)
          y.data<float>()[i] = kc::pool_forward_at(g, is_max, x.data<float>(), i);
        expect_close(y_ref, y, 1e-6, 1e-6, what + " forward");
        if (is_max) {
          std::vector<int> arg(static_cast<std::size_t>(y.size()));
          for (std::int64_t i = 0; i < y.size(); ++i)
            arg[i] = kc::max_pool_argmax_at(g, x.data<float>(), y_ref.data<float>(), i);
          for (std::int64_t i = 0; i < dx.size(); ++i)
            dx.data<float>()[i] = kc::max_pool_backward_at(g, arg.data(), dy.data<float>(), i);
        } else {
          for (std::int64_t i = 0; i < dx.size(); ++i)
            dx.data<float>()[i] = kc::avg_pool_backward_at(g, dy.data<float>(), i);
        }
        expect_close(dx_ref, dx, 1e-6, 1e-6, what + " backward");
      }
}

TEST_CASE("cuda pool kernels: covering outputs are exactly the windows containing a cell") {
  // Brute force over small geometries: the gather's inverse window math.
  int checked = 0;
  for (int h = 1; h <= 7; ++h)
    for (int k = 1; k <= 4; ++k)
      for (int s = 1; s <= 3; ++s)
        for (int lo = 0; lo < k; ++lo)
          for (int hi = 0; hi < k; ++hi) {
            const std::int64_t oh = kc::conv_out_size(h, lo, hi, k, s);
            if (oh <= 0) continue;
            const kc::PoolGeom g{1, h, 1, 1, oh, 1, k, 1, s, 1, lo, 0};
            for (std::int64_t ih = 0; ih < h; ++ih) {
              std::int64_t oy0, oy1, ox0, ox1;
              kc::covering_outputs(g, ih, 0, oy0, oy1, ox0, ox1);
              for (std::int64_t oy = 0; oy < oh; ++oy) {
                std::int64_t h0, h1, w0, w1;
                kc::clipped_window(g, oy, 0, h0, h1, w0, w1);
                const bool contains = h0 <= ih && ih < h1;
                CHECK(contains == (oy0 <= oy && oy < oy1));
              }
              ++checked;
            }
          }
  CHECK(checked > 500);
}

// --- GPU vs CPU --------------------------------------------------------------

namespace {

bool have_gpu() {
  static const bool ok = kb::is_available(Device::Type::cuda);
  static bool announced = false;
  if (!ok && !announced) {
    std::cout << "\n*** SKIPPED: CUDA convolution/pooling kernel tests — no GPU present (the "
                 "host-side planning, glue and pooling-kernel tests ran) ***\n\n";
    announced = true;
  }
  return ok;
}

kb::Backend& gpu() { return kb::get(Device::cuda(0)); }

Tensor on_gpu(const Tensor& t) { return t.to(Device::cuda(0)); }
Tensor gpu_zeros(const Shape& s) { return Tensor::zeros(s, keras::float32, Device::cuda(0)); }

}  // namespace

TEST_CASE("cuda backend: conv2d forward, backward data and filter match the CPU") {
  if (!have_gpu()) return;
  unsigned seed = 100;
  for (const auto& cs : conv_cases()) {
    CAPTURE(cs.name);
    const ConvSetup st = conv_setup(cs);
    const auto& d = st.d;
    Tensor x = random_tensor(st.xs, -1, 1, seed++), w = random_tensor(st.ws, -1, 1, seed++);
    Tensor dy = random_tensor(st.ys, -1, 1, seed++);
    Tensor xg = on_gpu(x), wg = on_gpu(w), dyg = on_gpu(dy);
    Tensor y = Tensor::zeros(st.ys), yg = gpu_zeros(st.ys);
    cpu().conv2d_forward(x, w, d, y);
    gpu().conv2d_forward(xg, wg, d, yg);
    expect_close(y, yg, 1e-4, 1e-4, cs.name + " forward");
    Tensor dx = Tensor::zeros(st.xs), dxg = gpu_zeros(st.xs);
    cpu().conv2d_backward_data(dy, w, d, dx);
    gpu().conv2d_backward_data(dyg, wg, d, dxg);
    expect_close(dx, dxg, 1e-4, 1e-4, cs.name + " backward data");
    Tensor dw = Tensor::zeros(st.ws), dwg = gpu_zeros(st.ws);
    cpu().conv2d_backward_filter(x, dy, d, dw);
    gpu().conv2d_backward_filter(xg, dyg, d, dwg);
    expect_close(dw, dwg, 1e-4, 2e-4, cs.name + " backward filter");
    // A second call reuses the cached algorithm and must agree.
    Tensor y2 = gpu_zeros(st.ys);
    gpu().conv2d_forward(xg, wg, d, y2);
    expect_close(y, y2, 1e-4, 1e-4, cs.name + " forward, cached algorithm");
  }
}

TEST_CASE("cuda backend: conv2d_backward_data zeroes rows no window touches") {
  if (!have_gpu()) return;
  // 3x3 valid at stride 2 on 8 rows reads rows 0..6: row 7 gets zeros.
  kb::Conv2dDesc d;
  d.stride_h = d.stride_w = 2;
  Tensor dy = random_tensor({1, 3, 3, 2}, -1, 1, 5), w = random_tensor({3, 3, 2, 2}, -1, 1, 6);
  Tensor dx = Tensor::full({1, 8, 8, 2}, 9.0);
  Tensor dxg = Tensor::full({1, 8, 8, 2}, 9.0, keras::float32, Device::cuda(0));
  cpu().conv2d_backward_data(dy, w, d, dx);
  gpu().conv2d_backward_data(on_gpu(dy), on_gpu(w), d, dxg);
  expect_close(dx, dxg, 1e-5, 1e-5, "untouched rows");
  CHECK(dxg.cpu().data<float>()[(7 * 8 + 7) * 2] == 0.0f);
}

TEST_CASE("cuda backend: pool2d forward and backward match the CPU") {
  if (!have_gpu()) return;
  unsigned seed = 300;
  for (const auto& pc : pool_cases())
    for (kb::PoolMode mode : {kb::PoolMode::max, kb::PoolMode::average})
      for (bool ties : {false, true}) {
        const bool is_max = mode == kb::PoolMode::max;
        if (ties && !is_max) continue;
        const std::string what = pc.name + (is_max ? " max" : " avg") + (ties ? " with ties" : "");
        CAPTURE(what);
        Shape ys;
        const kb::Pool2dDesc d = pool_desc(pc, ys);
        const Shape xs{pc.n, pc.h, pc.w, pc.c};
        // Ties: small integers (many equal maxima, as after relu).
        Tensor x = random_tensor(xs, ties ? 0.f : -1.f, ties ? 3.f : 1.f, seed++, ties);
        Tensor dy = random_tensor(ys, -1, 1, seed++);
        Tensor xg = on_gpu(x), dyg = on_gpu(dy);
        Tensor y = Tensor::zeros(ys), yg = gpu_zeros(ys);
        cpu().pool2d_forward(mode, x, d, y);
        gpu().pool2d_forward(mode, xg, d, yg);
        const double tol = is_max ? 0 : 1e-5;  // max is exact
        expect_close(y, yg, tol, tol, what + " forward");
        Tensor dx = Tensor::zeros(xs), dxg = gpu_zeros(xs);
        cpu().pool2d_backward(mode, x, y, dy, d, dx);
        gpu().pool2d_backward(mode, xg, yg, dyg, d, dxg);
        expect_close(dx, dxg, 1e-5, 1e-5, what + " backward");
      }
}
