// 3x3 stride-1 convolutions with many channels, the shapes the CPU backend
// computes by Winograd's F(4x4, 3x3) (backends/cpu/winograd.cpp): forward,
// backward-data and backward-filter against plain-loop references in double,
// on every available backend, with ragged tiles (output sizes not multiples
// of 4), ragged channel blocks, both paddings, batch 1 and batches split
// over threads in several chunks.
#include <cmath>
#include <string>

#include "conv_reference.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace kb = keras::backend;
using namespace testing;
using testing::conv::Conv2dCase;

namespace {

// dx[n, ih, iw, ci] = sum over (oh, ow, co) touching it of dy * w, and
// dw[a, b, ci, co] = sum over (n, oh, ow) of x * dy; groups 1, stride 1.
void conv2d_grads_ref(const Conv2dCase& c, const std::vector<float>& x, const std::vector<float>& w,
                      const std::vector<float>& dy, long oh, long ow, std::vector<float>& dx,
                      std::vector<float>& dw) {
  const long pt = conv::tf_pad(c.padding, c.h, c.kh, 1).second, pl = conv::tf_pad(c.padding, c.w, c.kw, 1).second;
  std::vector<double> gx(x.size(), 0.0), gw(w.size(), 0.0);
  for (long n = 0; n < c.n; ++n)
    for (long i = 0; i < oh; ++i)
      for (long j = 0; j < ow; ++j)
        for (long a = 0; a < c.kh; ++a)
          for (long b = 0; b < c.kw; ++b) {
            const long ih = i - pt + a, iw = j - pl + b;
            if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
            for (long ci = 0; ci < c.cin; ++ci) {
              const long xi = ((n * c.h + ih) * c.w + iw) * c.cin + ci;
              for (long co = 0; co < c.cout; ++co) {
                const double g = dy[((n * oh + i) * ow + j) * c.cout + co];
                const long wi = ((a * c.kw + b) * c.cin + ci) * c.cout + co;
                gx[xi] += g * w[wi];
                gw[wi] += g * x[xi];
              }
            }
          }
  dx.assign(gx.begin(), gx.end());
  dw.assign(gw.begin(), gw.end());
}

// Largest |got - want| relative to the largest |want|.
double rel_error(const Tensor& got, const std::vector<float>& want) {
  auto g = got.to(keras::Device::cpu()).to_vector<float>();
  double err = 0, scale = 1e-30;
  for (std::size_t i = 0; i < want.size(); ++i) {
    err = std::max(err, std::fabs(double(g[i]) - want[i]));
    scale = std::max(scale, std::fabs(double(want[i])));
  }
  return err / scale;
}

}  // namespace

TEST_CASE("conv: 3x3 stride-1 convolutions with many channels (Winograd on the CPU) match plain loops") {
  //        n   h   w cin kh kw cout g sh sw dh dw padding
  const std::vector<Conv2dCase> cases = {
      {6, 13, 13, 32, 3, 3, 64, 1, 1, 1, 1, 1, "valid"},  // the Fashion-MNIST CNN's second conv
      {2, 9, 7, 16, 3, 3, 20, 1, 1, 1, 1, 1, "same"},     // ragged tiles, ragged output channel block
      {1, 6, 11, 17, 3, 3, 16, 1, 1, 1, 1, 1, "same"},    // batch 1, one input channel past a block
      {5, 8, 10, 24, 3, 3, 33, 1, 1, 1, 1, 1, "valid"},   // odd batch over threads
      {40, 12, 12, 16, 3, 3, 16, 1, 1, 1, 1, 1, "same"},  // several chunks per thread
  };
  for (auto d : devices()) {
    DeviceScope scope(d);
    auto& be = kb::get(d);
    unsigned seed = 11;
    for (const auto& c : cases) {
      const std::string what = "n=" + std::to_string(c.n) + " " + std::to_string(c.h) + "x" + std::to_string(c.w) +
                               " cin=" + std::to_string(c.cin) + " cout=" + std::to_string(c.cout) + " " +
                               c.padding + " on " + d.str();
      INFO(what);
      const Shape xs{c.n, c.h, c.w, c.cin}, ws{3, 3, c.cin, c.cout};
      auto xv = random_vector(keras::shape_size(xs), -1, 1, seed++);
      auto wv = random_vector(keras::shape_size(ws), -1, 1, seed++);
      long oh, ow;
      auto want_y = conv::conv2d_ref(c, xv, wv, oh, ow);
      const Shape ys{c.n, oh, ow, c.cout};
      auto dyv = random_vector(keras::shape_size(ys), -1, 1, seed++);
      std::vector<float> want_dx, want_dw;
      conv2d_grads_ref(c, xv, wv, dyv, oh, ow, want_dx, want_dw);

      kb::Conv2dDesc desc;
      desc.pad_top = int(conv::tf_pad(c.padding, c.h, 3, 1).second);
      desc.pad_left = int(conv::tf_pad(c.padding, c.w, 3, 1).second);
      desc.pad_bottom = c.padding == "same" ? 2 - desc.pad_top : 0;
      desc.pad_right = c.padding == "same" ? 2 - desc.pad_left : 0;
      Tensor x = Tensor(xs, xv).to(d), w = Tensor(ws, wv).to(d), dy = Tensor(ys, dyv).to(d);
      // Outputs start as NaN: every element must be written.
      Tensor y = Tensor::full(ys, NAN).to(d), dx = Tensor::full(xs, NAN).to(d), dw = Tensor::full(ws, NAN).to(d);
      be.conv2d_forward(x, w, desc, y);
      be.conv2d_backward_data(dy, w, desc, dx);
      be.conv2d_backward_filter(x, dy, desc, dw);
      // F(4x4, 3x3) in float32 loses a few more bits than direct summation;
      // 2e-5 of the largest value is about 100 float32 ulps.
      const double ey = rel_error(y, want_y), edx = rel_error(dx, want_dx), edw = rel_error(dw, want_dw);
      MESSAGE(what << ": relative error y " << ey << ", dx " << edx << ", dw " << edw);
      CHECK(ey < 2e-5);
      CHECK(edx < 2e-5);
      CHECK(edw < 2e-5);
    }
  }
}
