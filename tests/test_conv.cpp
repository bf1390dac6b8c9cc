// Convolution ops and layers on every available backend: values against
// plain-loop references and PyTorch fixtures, gradients against central
// finite differences, and the errors for bad input.
#include <string>

#include <nlohmann/json.hpp>

#include "conv_reference.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace L = keras::layers;
using namespace testing;
using testing::conv::Conv2dCase;

namespace {

std::vector<Conv2dCase> awkward_cases() {
  //        n  h  w cin kh kw cout g sh sw dh dw padding
  return {
      {2, 5, 7, 3, 3, 3, 4, 1, 1, 1, 1, 1, "valid"},
      {1, 6, 5, 2, 2, 2, 3, 1, 1, 1, 1, 1, "same"},   // even kernel: extra pad at bottom/right
      {2, 7, 6, 4, 3, 2, 6, 2, 2, 2, 1, 1, "same"},   // groups, stride 2, non-square kernel
      {1, 7, 8, 2, 3, 3, 3, 1, 1, 1, 2, 2, "valid"},  // dilation
      {2, 7, 8, 2, 3, 3, 3, 1, 1, 2, 2, 1, "same"},   // dilation with same, mixed stride
      {3, 4, 5, 5, 1, 1, 3, 1, 1, 1, 1, 1, "valid"},  // 1x1: no im2col
      {2, 5, 5, 4, 1, 1, 4, 2, 2, 2, 1, 1, "valid"},  // 1x1 stride 2, groups
      {2, 6, 7, 3, 3, 3, 6, 3, 2, 1, 1, 1, "same"},   // depthwise, multiplier 2
      {1, 5, 4, 4, 3, 3, 4, 4, 1, 1, 1, 1, "same"},   // depthwise, multiplier 1
      {2, 8, 6, 2, 4, 4, 3, 1, 2, 2, 1, 1, "same"},   // even kernel with stride 2
      {12, 9, 9, 3, 3, 3, 5, 1, 1, 1, 1, 1, "valid"}, // big enough to split the batch over threads
  };
}

std::string describe(const Conv2dCase& c) {
  return "conv n=" + std::to_string(c.n) + " hw=" + std::to_string(c.h) + "x" + std::to_string(c.w) +
         " cin=" + std::to_string(c.cin) + " k=" + std::to_string(c.kh) + "x" + std::to_string(c.kw) +
         " cout=" + std::to_string(c.cout) + " groups=" + std::to_string(c.groups) + " strides=" +
         std::to_string(c.sh) + "," + std::to_string(c.sw) + " dil=" + std::to_string(c.dh) + "," +
         std::to_string(c.dw) + " " + c.padding;
}

template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST_CASE("conv: ops::conv matches a plain-loop reference and finite differences") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    int seed = 1;
    for (const auto& c : awkward_cases()) {
      Shape xs{c.n, c.h, c.w, c.cin}, ws{c.kh, c.kw, c.cin / c.groups, c.cout};
      auto xv = random_vector(keras::shape_size(xs), -1, 1, seed++);
      auto wv = random_vector(keras::shape_size(ws), -1, 1, seed++);
      long oh, ow;
      auto want = conv::conv2d_ref(c, xv, wv, oh, ow);
      Tensor x = Tensor(xs, xv).to(d), w = Tensor(ws, wv).to(d);
      Tensor y = ops::conv(x, w, {int(c.sh), int(c.sw)}, c.padding, {int(c.dh), int(c.dw)});
      CHECK(y.shape() == Shape{c.n, oh, ow, c.cout});
      check_close(y, want, 1e-4, 1e-4, describe(c) + " on " + d.str());
      if (c.n * c.h * c.w * c.cin <= 200)
        gradcheck("grad " + describe(c), [&](auto& in) {
          return ops::conv(in[0], in[1], {int(c.sh), int(c.sw)}, c.padding, {int(c.dh), int(c.dw)});
        }, {x, w}, 1e-2, 2e-2);
    }
  }
}

TEST_CASE("conv: 1-D convolution is the 2-D one with height 1; causal pads on the left") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = random_tensor({2, 9, 3}, -1, 1, 11, d), w = random_tensor({3, 3, 4}, -1, 1, 12, d);
    for (std::string pad : {"valid", "same"}) {
      Tensor y = ops::conv(x, w, {2}, pad, {1});
      Tensor y2 = ops::conv(ops::reshape(x, {2, 1, 9, 3}), ops::reshape(w, {1, 3, 3, 4}), {1, 2}, pad);
      check_close(y, ops::reshape(y2, y.shape()).cpu().to_vector<float>(), 1e-5, 1e-5, "conv1d " + pad);
    }
    // causal with dilation 2: pad 4 zeros on the left, then 'valid'.
    Tensor y = ops::conv(x, w, {1}, "causal", {2});
    CHECK(y.shape() == Shape{2, 9, 4});
    auto xv = x.cpu().to_vector<float>();
    std::vector<float> padded(2 * 13 * 3, 0.0f);
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 9 * 3; ++i) padded[n * 39 + 12 + i] = xv[n * 27 + i];
    Tensor ref = ops::conv(Tensor({2, 13, 3}, padded).to(d), w, {1}, "valid", {2});
    check_close(y, ref.cpu().to_vector<float>(), 1e-5, 1e-5, "causal");
    gradcheck("grad conv1d causal", [&](auto& in) { return ops::conv(in[0], in[1], {1}, "causal", {2}); }, {x, w});
  }
}

TEST_CASE("conv: conv_transpose is the adjoint of conv, with Keras's output sizes") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    struct T {
      long h, w, k, s;
      std::string pad;
      long oh, ow;  // Keras: same -> in*s; valid -> in*s + max(k - s, 0)
    };
    for (auto t : std::vector<T>{{3, 4, 3, 2, "same", 6, 8}, {3, 4, 3, 2, "valid", 7, 9}, {2, 3, 2, 1, "valid", 3, 4},
                                 {3, 2, 4, 2, "same", 6, 4}, {3, 3, 1, 3, "valid", 9, 9}}) {
      Tensor x = random_tensor({2, t.h, t.w, 3}, -1, 1, 21, d);
      Tensor k = random_tensor({t.k, t.k, 2, 3}, -1, 1, 22, d);  // (kh, kw, filters, in)
      Tensor y = ops::conv_transpose(x, k, {int(t.s)}, t.pad);
      INFO("conv_transpose k=" << t.k << " s=" << t.s << " " << t.pad);
      REQUIRE(y.shape() == Shape{2, t.oh, t.ow, 2});
      // <conv_transpose(x), z> == <x, conv(z)> for any z: the defining property.
      Tensor z = random_tensor(y.shape(), -1, 1, 23, d);
      double lhs = ops::sum(ops::multiply(y, z)).item();
      double rhs = ops::sum(ops::multiply(x, ops::conv(z, k, {int(t.s)}, t.pad))).item();
      CHECK(lhs == doctest::Approx(rhs).epsilon(1e-4));
      gradcheck("grad conv_transpose", [&](auto& in) { return ops::conv_transpose(in[0], in[1], {int(t.s)}, t.pad); },
                {random_tensor({1, t.h, t.w, 3}, -1, 1, 24, d), k});
    }
  }
}

TEST_CASE("conv: depthwise_conv equals a grouped conv with the reshaped kernel") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = random_tensor({2, 6, 5, 3}, -1, 1, 31, d), k = random_tensor({3, 3, 3, 2}, -1, 1, 32, d);
    Tensor y = ops::depthwise_conv(x, k, {2}, "same");
    CHECK(y.shape() == Shape{2, 3, 3, 6});
    // Plain loop: output channel c*2 + j reads input channel c only.
    auto xv = x.cpu().to_vector<float>(), kv = k.cpu().to_vector<float>();
    std::vector<float> want;
    for (long n = 0; n < 2; ++n)
      for (long i = 0; i < 3; ++i)
        for (long j = 0; j < 3; ++j)
          for (long c = 0; c < 3; ++c)
            for (long m = 0; m < 2; ++m) {
              double s = 0;
              for (long a = 0; a < 3; ++a)
                for (long b = 0; b < 3; ++b) {
                  long ih = i * 2 + a, iw = j * 2 - 1 + b;  // same: pads rows (0, 1), columns (1, 1)
                  if (ih < 0 || ih >= 6 || iw < 0 || iw >= 5) continue;
                  s += xv[((n * 6 + ih) * 5 + iw) * 3 + c] * kv[((a * 3 + b) * 3 + c) * 2 + m];
                }
              want.push_back(static_cast<float>(s));
            }
    check_close(y, want, 1e-5, 1e-5, "depthwise");
    gradcheck("grad depthwise", [&](auto& in) { return ops::depthwise_conv(in[0], in[1], {2}, "same"); },
              {random_tensor({1, 5, 4, 3}, -1, 1, 33, d), k});
  }
}

TEST_CASE("conv: bad shapes throw ValueError naming the op and the shapes") {
  Tensor x3 = Tensor::zeros({2, 5, 3}), x4 = Tensor::zeros({2, 5, 5, 3});
  auto msg = error_of<keras::ValueError>([&] { ops::conv(x4, Tensor::zeros({3, 3, 4})); });
  CHECK(msg.find("conv") != std::string::npos);
  CHECK(msg.find("(3, 3, 4)") != std::string::npos);
  msg = error_of<keras::ValueError>([&] { ops::conv(x4, Tensor::zeros({7, 7, 3, 2})); });
  CHECK(msg.find("larger than the padded input") != std::string::npos);
  msg = error_of<keras::ValueError>([&] { ops::conv(x4, Tensor::zeros({3, 3, 2, 2})); });
  CHECK(msg.find("not a multiple") != std::string::npos);
  CHECK(error_of<keras::ValueError>([&] { ops::conv(x4, Tensor::zeros({3, 3, 3, 2}), {1}, "full"); })
            .find("padding") != std::string::npos);
  CHECK(error_of<keras::ValueError>([&] { ops::max_pool(x3, {7}); }).find("larger") != std::string::npos);
  CHECK(error_of<keras::ValueError>([&] { ops::conv(x4, Tensor::zeros({3, 3, 3, 2}), {1, 2, 3}); })
            .find("strides") != std::string::npos);
}

namespace {

std::vector<int> csv_ints(const std::string& s) {
  std::vector<int> v;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    v.push_back(std::stoi(s.substr(i, j - i)));
    i = j + 1;
  }
  return v;
}

// Forward and gradients of sum(y * g) of a built layer against a fixture.
void check_layer_fixture(L::Layer& layer, const conv::Fixture& f, const std::vector<std::string>& weight_names,
                         keras::Device d, const std::string& what) {
  std::vector<Tensor> ws;
  for (auto& n : weight_names) ws.push_back(f.t(n).to(d));
  Tensor x = f.t("x").to(d);
  layer(x);  // builds
  layer.set_weights(ws);
  x.requires_grad_(true);
  Tensor y = layer(x, true);
  check_close(y, f.t("y").to_vector<float>(), 1e-4, 1e-4, what + " forward on " + d.str());
  Tensor loss = ops::sum(ops::multiply(y, f.t("g").to(d)));
  std::vector<Tensor> wrt{x};
  for (auto& w : layer.weights()) wrt.push_back(w.value());
  auto grads = keras::autograd::grad(loss, wrt);
  check_close(grads[0], f.t("dx").to_vector<float>(), 1e-4, 1e-4, what + " dx");
  for (std::size_t i = 0; i < weight_names.size(); ++i)
    check_close(grads[i + 1], f.t("d" + weight_names[i]).to_vector<float>(), 1e-3, 1e-4, what + " d" + weight_names[i]);
}

}  // namespace

TEST_CASE("conv: Conv2D, Conv2DTranspose, DepthwiseConv2D match PyTorch fixtures") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    for (std::string file : {"conv2d_same_even.txt", "conv2d_stride2_same.txt", "conv2d_dilation_valid.txt",
                             "conv2d_groups.txt"}) {
      auto f = conv::read_fixture(file);
      const auto& ks = f.t("kernel").shape();
      int groups = static_cast<int>(f.t("x").shape()[3] / ks[2]);
      L::Conv2D layer(static_cast<int>(ks[3]), {int(ks[0]), int(ks[1])}, {},
                      {.strides = csv_ints(f.p("strides")), .padding = f.p("padding"),
                       .dilation_rate = csv_ints(f.p("dilation")), .groups = groups});
      check_layer_fixture(layer, f, {"kernel", "bias"}, d, file);
    }
    for (std::string file : {"conv2d_transpose_same.txt", "conv2d_transpose_valid.txt"}) {
      auto f = conv::read_fixture(file);
      const auto& ks = f.t("kernel").shape();
      L::Conv2DTranspose layer(static_cast<int>(ks[2]), int(ks[0]), {}, {.strides = f.i("strides"), .padding = f.p("padding")});
      check_layer_fixture(layer, f, {"kernel", "bias"}, d, file);
    }
    auto f = conv::read_fixture("depthwise_same.txt");
    L::DepthwiseConv2D layer(int(f.t("kernel").shape()[0]), {},
                             {.strides = f.i("strides"), .padding = f.p("padding"),
                              .depth_multiplier = f.i("depth_multiplier")});
    check_layer_fixture(layer, f, {"kernel", "bias"}, d, "depthwise_same.txt");
  }
}

TEST_CASE("conv: layers have Keras shapes, weights, configs and gradients") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    L::Conv2D c(8, 3, "relu", {.strides = 2, .padding = "same"});
    Tensor x = random_tensor({2, 9, 7, 3}, -1, 1, 41, d);
    Tensor y = c(x);
    CHECK(y.shape() == Shape{2, 5, 4, 8});
    CHECK(c.compute_output_shape({-1, 9, 7, 3}) == Shape{-1, 5, 4, 8});
    CHECK(c.kernel().shape() == Shape{3, 3, 3, 8});
    CHECK(c.count_params() == 3 * 3 * 3 * 8 + 8);
    auto cfg = c.get_config();
    CHECK(cfg["filters"] == 8);
    CHECK(cfg["kernel_size"] == nlohmann::json({3, 3}));
    CHECK(cfg["strides"] == nlohmann::json({2, 2}));
    CHECK(cfg["padding"] == "same");
    CHECK(cfg["activation"] == "relu");
    CHECK(cfg["kernel_initializer"]["class_name"] == "GlorotUniform");
    auto c2 = L::from_config("Conv2D", cfg);
    CHECK(c2->get_config() == cfg);

    L::Conv1D c1(4, 3, {}, {.padding = "causal", .dilation_rate = 2});
    CHECK(c1(random_tensor({2, 10, 3}, -1, 1, 42, d)).shape() == Shape{2, 10, 4});
    CHECK(L::from_config("Conv1D", c1.get_config())->get_config() == c1.get_config());

    L::SeparableConv2D s(5, 3, {}, {.padding = "same", .depth_multiplier = 2});
    Tensor ys = s(x);
    CHECK(ys.shape() == Shape{2, 9, 7, 5});
    auto ws = s.get_weights();
    REQUIRE(ws.size() == 3);
    CHECK(ws[0].shape() == Shape{3, 3, 3, 2});
    CHECK(ws[1].shape() == Shape{1, 1, 6, 5});
    // Separable = depthwise then 1x1.
    Tensor ref = ops::add(ops::conv(ops::depthwise_conv(x, ws[0], {1}, "same"), ws[1]), ws[2]);
    check_close(ys, ref.cpu().to_vector<float>(), 1e-5, 1e-5, "separable");
    CHECK(L::from_config("SeparableConv2D", s.get_config())->get_config() == s.get_config());

    L::DepthwiseConv2D dw(3, {}, {.depth_multiplier = 2});
    CHECK(dw(x).shape() == Shape{2, 7, 5, 6});
    CHECK(L::from_config("DepthwiseConv2D", dw.get_config())->get_config() == dw.get_config());
    L::Conv2DTranspose ct(4, 3, {}, {.strides = 2, .padding = "same"});
    CHECK(ct(x).shape() == Shape{2, 18, 14, 4});
    CHECK(L::from_config("Conv2DTranspose", ct.get_config())->get_config() == ct.get_config());

    // Input gradients through each layer (weights fixed).
    Tensor small = random_tensor({1, 5, 4, 3}, -1, 1, 43, d);
    L::Conv2D g1(2, {2, 3}, "tanh", {.strides = {2, 1}, .padding = "same"});
    gradcheck("Conv2D layer", [&](auto& in) { return g1(in[0]); }, {small});
    gradcheck("SeparableConv2D layer", [&](auto& in) { return s(in[0]); }, {small});
    L::Conv2DTranspose g2(2, 2, {}, {.strides = 2});
    gradcheck("Conv2DTranspose layer", [&](auto& in) { return g2(in[0]); }, {small});
  }
}

TEST_CASE("conv: layers reject bad input with the layer name and shapes") {
  L::Conv2D c(4, 3, {}, {.name = "my_conv"});
  auto msg = error_of<keras::ValueError>([&] { c(Tensor::zeros({2, 8, 3})); });
  CHECK(msg.find("my_conv") != std::string::npos);
  CHECK(msg.find(", 8, 3)") != std::string::npos);  // batch shown as None at build
  msg = error_of<keras::ValueError>([&] { L::Conv2D(4, 5, {}, {.name = "big"})(Tensor::zeros({1, 3, 8, 2})); });
  CHECK(msg.find("big") != std::string::npos);
  CHECK(msg.find("larger than the padded input") != std::string::npos);
  CHECK(msg.find(", 3, 8, 2)") != std::string::npos);
  c(Tensor::zeros({1, 5, 5, 3}));
  msg = error_of<keras::ValueError>([&] { c.set_weights({Tensor::zeros({3, 3, 2, 4}), Tensor::zeros({4})}); });
  CHECK(msg.find("my_conv") != std::string::npos);
  CHECK(msg.find("(3, 3, 2, 4)") != std::string::npos);
  CHECK(msg.find("(3, 3, 3, 4)") != std::string::npos);
  msg = error_of<keras::ValueError>([&] { c(Tensor::zeros({1, 5, 5, 2})); });
  CHECK(msg.find("my_conv") != std::string::npos);
  CHECK_THROWS_AS(L::Conv2D(4, 3, {}, {.padding = "full"}), keras::ValueError);
  CHECK_THROWS_AS(L::Conv2D(6, 3, {}, {.groups = 4}), keras::ValueError);
}
