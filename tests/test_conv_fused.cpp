// ops::conv_bias_activation (convolution + bias + activation in one op, as
// Conv1D / Conv2D use it) on every available backend: against the unfused
// composition conv + bias_activation, against central finite differences,
// and the CPU's direct kernels for short patches against plain loops.
#include <cmath>
#include <string>

#include "conv_reference.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace L = keras::layers;
using namespace testing;
using testing::conv::Conv2dCase;

namespace {

const char* const kActivations[] = {"relu", "relu6", "sigmoid", "tanh", "elu", "linear"};

std::vector<Conv2dCase> fused_cases() {
  //        n  h  w cin kh kw cout g sh sw dh dw padding
  return {
      {2, 7, 6, 1, 3, 3, 5, 1, 1, 1, 1, 1, "valid"},    // Cin = 1, ragged Cout
      {2, 9, 8, 3, 3, 3, 16, 1, 2, 2, 1, 1, "same"},    // Cin = 3, stride 2
      {1, 6, 9, 2, 2, 4, 20, 1, 1, 1, 1, 1, "same"},    // batch 1, even kernel, non-square
      {2, 9, 7, 1, 3, 2, 32, 1, 1, 1, 2, 2, "valid"},   // dilation
      {2, 8, 7, 1, 3, 3, 70, 1, 2, 1, 2, 1, "same"},    // dilation + stride + same, 5 channel vectors
      {2, 7, 6, 4, 3, 3, 6, 2, 2, 2, 1, 1, "same"},     // groups (the im2col path)
      {1, 5, 6, 8, 3, 3, 7, 1, 1, 1, 1, 1, "same"},     // patch of 72 (the im2col path)
      {2, 5, 4, 4, 3, 3, 4, 4, 1, 1, 1, 1, "valid"},    // depthwise
      {16, 14, 14, 1, 3, 3, 32, 1, 1, 1, 1, 1, "valid"}, // batch split over threads
      {3, 13, 13, 32, 3, 3, 64, 1, 1, 1, 1, 1, "valid"}, // 3x3, many channels (Winograd on the CPU)
      {2, 9, 7, 16, 3, 3, 20, 1, 1, 1, 1, 1, "same"},    // the same with ragged tiles and channels
  };
}

std::string describe(const Conv2dCase& c) {
  return "n=" + std::to_string(c.n) + " hw=" + std::to_string(c.h) + "x" + std::to_string(c.w) +
         " cin=" + std::to_string(c.cin) + " k=" + std::to_string(c.kh) + "x" + std::to_string(c.kw) +
         " cout=" + std::to_string(c.cout) + " groups=" + std::to_string(c.groups) + " strides=" +
         std::to_string(c.sh) + "," + std::to_string(c.sw) + " dil=" + std::to_string(c.dh) + "," +
         std::to_string(c.dw) + " " + c.padding;
}

Shape kernel_shape(const Conv2dCase& c) { return {c.kh, c.kw, c.cin / c.groups, c.cout}; }

std::vector<float> values(const Tensor& t) { return t.cpu().to_vector<float>(); }

// Relative-and-absolute closeness for comparisons of two float32 computations.
void check_same(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  REQUIRE(got.shape() == want.shape());
  check_close(got, values(want), tol, tol, what);
}

// dw[kh, kw, ci, co] = sum over n, oh, ow of x[tap] * dy[n, oh, ow, co] (one group), in double.
std::vector<float> backward_filter_ref(const Conv2dCase& c, const std::vector<float>& x, const std::vector<float>& dy,
                                       long oh, long ow) {
  auto [oh2, pt] = testing::conv::tf_pad(c.padding, c.h, (c.kh - 1) * c.dh + 1, c.sh);
  auto [ow2, pl] = testing::conv::tf_pad(c.padding, c.w, (c.kw - 1) * c.dw + 1, c.sw);
  REQUIRE(oh2 == oh);
  REQUIRE(ow2 == ow);
  std::vector<float> dw(c.kh * c.kw * c.cin * c.cout);
  for (long a = 0; a < c.kh; ++a)
    for (long b = 0; b < c.kw; ++b)
      for (long ci = 0; ci < c.cin; ++ci)
        for (long co = 0; co < c.cout; ++co) {
          double s = 0;
          for (long n = 0; n < c.n; ++n)
            for (long i = 0; i < oh; ++i)
              for (long j = 0; j < ow; ++j) {
                const long ih = i * c.sh - pt + a * c.dh, iw = j * c.sw - pl + b * c.dw;
                if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
                s += double(x[((n * c.h + ih) * c.w + iw) * c.cin + ci]) * dy[((n * oh + i) * ow + j) * c.cout + co];
              }
          dw[((a * c.kw + b) * c.cin + ci) * c.cout + co] = static_cast<float>(s);
        }
  return dw;
}

}  // namespace

TEST_CASE("conv_fused: conv_bias_activation matches conv + bias_activation, values and gradients") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    unsigned seed = 1;
    for (const auto& c : fused_cases()) {
      Tensor x = random_tensor({c.n, c.h, c.w, c.cin}, -1.0f, 1.0f, seed++, d);
      Tensor w = random_tensor(kernel_shape(c), -0.5f, 0.5f, seed++, d);
      Tensor b = random_tensor({c.cout}, -0.3f, 0.3f, seed++, d);
      const std::vector<int> s{int(c.sh), int(c.sw)}, dil{int(c.dh), int(c.dw)};
      for (const char* act : kActivations) {
        for (bool grad_x : {true, false}) {
          INFO(act << " on " << d.str() << " " << describe(c) << (grad_x ? "" : " (no dx)"));
          auto fused = value_and_grads([&](const Tensor& xi, const Tensor& wi,
                               const Tensor& bi) { return ops::conv_bias_activation(xi, wi, bi, act, s, c.padding, dil); },
                           x, w, b, grad_x);
          auto plain = value_and_grads([&](const Tensor& xi, const Tensor& wi, const Tensor& bi) {
            return ops::bias_activation(ops::conv(xi, wi, s, c.padding, dil), bi, act);
          }, x, w, b, grad_x);
          check_same(fused.y, plain.y, 1e-5, "y");
          REQUIRE(fused.grads.size() == plain.grads.size());
          const char* names[] = {"dx", "dkernel", "dbias"};
          for (std::size_t i = 0; i < fused.grads.size(); ++i)
            check_same(fused.grads[i], plain.grads[i], 1e-4, names[i + (grad_x ? 0 : 1)]);
        }
      }
    }
  }
}

TEST_CASE("conv_fused: 1-D conv_bias_activation goes through the 2-D path") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = random_tensor({2, 11, 3}, -1.0f, 1.0f, 3, d);
    Tensor w = random_tensor({3, 3, 8}, -0.5f, 0.5f, 4, d);
    Tensor b = random_tensor({8}, -0.3f, 0.3f, 5, d);
    for (const char* pad : {"valid", "same", "causal"}) {
      INFO(pad << " on " << d.str());
      auto fused = value_and_grads([&](const Tensor& xi, const Tensor& wi,
                           const Tensor& bi) { return ops::conv_bias_activation(xi, wi, bi, "tanh", {2}, pad, {1}); },
                       x, w, b, true);
      auto plain = value_and_grads([&](const Tensor& xi, const Tensor& wi, const Tensor& bi) {
        return ops::bias_activation(ops::conv(xi, wi, {2}, pad, {1}), bi, "tanh");
      }, x, w, b, true);
      CHECK(fused.y.shape() == plain.y.shape());
      check_same(fused.y, plain.y, 1e-5, "y");
      for (std::size_t i = 0; i < 3; ++i) check_same(fused.grads[i], plain.grads[i], 1e-4, "grad");
    }
  }
}

TEST_CASE("conv_fused: conv_bias_activation gradients match finite differences") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    // Smooth activations (no kinks for the differences to straddle), a short
    // patch (direct kernel) and a long one (im2col).
    struct Case {
      Shape xs, ks;
      std::vector<int> strides;
      const char* padding;
      const char* act;
    };
    const Case cases[] = {
        {{2, 5, 6, 1}, {3, 3, 1, 5}, {1}, "valid", "tanh"},
        {{1, 6, 5, 3}, {2, 3, 3, 4}, {2}, "same", "sigmoid"},
        {{1, 5, 5, 2}, {3, 3, 2, 3}, {1}, "same", "elu"},
        {{2, 4, 5, 4}, {3, 3, 4, 3}, {1}, "same", "tanh"},
    };
    for (const auto& c : cases) {
      INFO(c.act << " " << keras::shape_str(c.xs) << " kernel " << keras::shape_str(c.ks) << " " << c.padding);
      Tensor x = random_tensor(c.xs, -1.0f, 1.0f, 21, d);
      Tensor w = random_tensor(c.ks, -0.5f, 0.5f, 22, d);
      Tensor b = random_tensor({c.ks.back()}, -0.3f, 0.3f, 23, d);
      gradcheck(std::string("conv_bias_activation ") + c.act, [&](auto& in) {
        return ops::conv_bias_activation(in[0], in[1], in[2], c.act, c.strides, c.padding);
      }, {x, w, b}, 1e-2, 2e-2);
    }
  }
}

TEST_CASE("conv_fused: short-patch convolutions match plain loops (forward and filter gradient)") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    //        n  h  w cin kh kw cout g sh sw dh dw padding
    const Conv2dCase cases[] = {
        {3, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, 1, "valid"},  // the CNN's first layer
        {2, 9, 11, 3, 3, 3, 16, 1, 1, 1, 1, 1, "same"},    // RGB, padded
        {2, 10, 9, 3, 3, 3, 64, 1, 2, 2, 1, 1, "same"},    // stride 2, 4 channel vectors
        {1, 8, 13, 1, 5, 5, 80, 1, 1, 2, 1, 1, "same"},    // patch 25, 5 channel vectors
        {2, 9, 9, 2, 3, 2, 3, 1, 1, 1, 2, 3, "valid"},     // dilation, Cout < one vector
        {1, 6, 7, 2, 2, 2, 17, 1, 1, 1, 1, 1, "same"},     // even kernel, ragged Cout
        {2, 5, 6, 32, 1, 1, 24, 1, 1, 1, 1, 1, "valid"},   // 1x1 with patch 32
        {1, 1, 12, 4, 1, 3, 10, 1, 1, 1, 1, 1, "same"},    // 1-D shaped
        {24, 12, 12, 1, 3, 3, 32, 1, 1, 1, 1, 1, "same"},  // batch split over threads
    };
    unsigned seed = 50;
    for (const auto& c : cases) {
      INFO(d.str() << " " << describe(c));
      auto xv = random_vector(c.n * c.h * c.w * c.cin, -1.0f, 1.0f, seed++);
      auto wv = random_vector(c.kh * c.kw * c.cin * c.cout, -0.5f, 0.5f, seed++);
      long oh = 0, ow = 0;
      auto want = testing::conv::conv2d_ref(c, xv, wv, oh, ow);
      Tensor x = Tensor({c.n, c.h, c.w, c.cin}, xv).to(d);
      Tensor w = Tensor(kernel_shape(c), wv).to(d);
      w.requires_grad_(true);
      const std::vector<int> s{int(c.sh), int(c.sw)}, dil{int(c.dh), int(c.dw)};
      Tensor y = ops::conv(x, w, s, c.padding, dil);
      check_close(y, want, 1e-4, 1e-4, "forward");
      auto dyv = random_vector(want.size(), -1.0f, 1.0f, seed++);
      Tensor dy = Tensor(y.shape(), dyv).to(d);
      auto g = keras::autograd::grad(ops::sum(ops::multiply(y, dy)), {w});
      check_close(g[0], backward_filter_ref(c, xv, dyv, oh, ow), 1e-3, 1e-4, "filter gradient");
    }
  }
}

TEST_CASE("conv_fused: Conv2D and Conv1D layers compute conv + bias + activation") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    L::Conv2D conv2d(6, 3, "relu", {.padding = "same"});
    Tensor x = random_tensor({2, 7, 5, 3}, -1.0f, 1.0f, 31, d);
    Tensor y = conv2d(x);
    auto w = conv2d.get_weights();
    REQUIRE(w.size() == 2);
    check_same(y, ops::bias_activation(ops::conv(x, w[0], {1}, "same"), w[1], "relu"), 1e-5, "Conv2D");
    L::Conv1D conv1d(4, 3, "sigmoid", {.padding = "causal"});
    Tensor x1 = random_tensor({2, 9, 2}, -1.0f, 1.0f, 32, d);
    Tensor y1 = conv1d(x1);
    auto w1 = conv1d.get_weights();
    REQUIRE(w1.size() == 2);
    check_same(y1, ops::bias_activation(ops::conv(x1, w1[0], {1}, "causal"), w1[1], "sigmoid"), 1e-5, "Conv1D");
  }
}

TEST_CASE("conv_fused: bad bias or activation throws ValueError naming the op") {
  Tensor x = Tensor::zeros({1, 5, 5, 2}), w = Tensor::zeros({3, 3, 2, 4});
  auto message = [&](const Tensor& b, const char* act) {
    try {
      ops::conv_bias_activation(x, w, b, act);
    } catch (const keras::ValueError& e) {
      return std::string(e.what());
    }
    return std::string("(no exception)");
  };
  const std::string bad_bias = message(Tensor::zeros({3}), "relu");
  CHECK(bad_bias.find("conv_bias_activation") != std::string::npos);
  CHECK(bad_bias.find("bias (3") != std::string::npos);
  const std::string bad_act = message(Tensor::zeros({4}), "softmax");
  CHECK(bad_act.find("conv_bias_activation") != std::string::npos);
  CHECK(bad_act.find("softmax") != std::string::npos);
}
