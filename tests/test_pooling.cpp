// Pooling ops and layers on every available backend: plain-loop references,
// PyTorch fixtures, finite differences.
#include <nlohmann/json.hpp>

#include "conv_reference.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace L = keras::layers;
using namespace testing;

TEST_CASE("pooling: max_pool and average_pool match a plain-loop reference") {
  struct C {
    long n, h, w, c, ph, pw, sh, sw;
    std::string padding;
  };
  for (auto d : devices()) {
    DeviceScope scope(d);
    unsigned seed = 1;
    for (auto c : std::vector<C>{{2, 5, 7, 3, 2, 2, 2, 2, "valid"}, {1, 5, 6, 2, 3, 3, 2, 2, "same"},
                                 {2, 6, 5, 4, 2, 3, 1, 2, "same"}, {1, 4, 4, 300, 2, 2, 1, 1, "valid"},
                                 {3, 7, 7, 2, 3, 2, 3, 1, "same"}}) {
      for (bool max : {true, false}) {
        Shape xs{c.n, c.h, c.w, c.c};
        auto xv = random_vector(keras::shape_size(xs), -1, 1, seed++);
        long oh, ow;
        auto want = conv::pool2d_ref(max, xv, c.n, c.h, c.w, c.c, c.ph, c.pw, c.sh, c.sw, c.padding, oh, ow);
        Tensor x = Tensor(xs, xv).to(d);
        std::vector<int> size{int(c.ph), int(c.pw)}, strides{int(c.sh), int(c.sw)};
        Tensor y = max ? ops::max_pool(x, size, strides, c.padding) : ops::average_pool(x, size, strides, c.padding);
        std::string what = std::string(max ? "max" : "avg") + " pool " + std::to_string(c.ph) + "x" +
                           std::to_string(c.pw) + " s" + std::to_string(c.sh) + "," + std::to_string(c.sw) + " " +
                           c.padding;
        CHECK(y.shape() == Shape{c.n, oh, ow, c.c});
        check_close(y, want, 1e-6, 1e-5, what);
        if (keras::shape_size(xs) <= 200)
          gradcheck("grad " + what, [&](auto& in) {
            return max ? ops::max_pool(in[0], size, strides, c.padding)
                       : ops::average_pool(in[0], size, strides, c.padding);
          }, {x}, 1e-3, 2e-2);
      }
    }
  }
}

TEST_CASE("pooling: max_pool routes the gradient of tied windows to one element") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = Tensor::zeros({1, 2, 2, 2}, keras::float32, d);  // all ties, as after relu
    x.requires_grad_(true);
    auto g = keras::autograd::grad(ops::sum(ops::max_pool(x, {2})), {x});
    check_close(g[0], {1, 1, 0, 0, 0, 0, 0, 0}, 0, 0, "ties");
  }
}

TEST_CASE("pooling: layers match PyTorch fixtures") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    for (std::string file : {"maxpool_valid.txt", "maxpool_same.txt", "avgpool_same.txt", "avgpool_valid.txt"}) {
      auto f = conv::read_fixture(file);
      L::PoolingOptions o{.strides = {f.i("strides")}, .padding = f.p("padding")};
      std::shared_ptr<L::Layer> layer;
      if (f.p("mode") == "max") layer = std::make_shared<L::MaxPooling2D>(f.i("pool"), o);
      else layer = std::make_shared<L::AveragePooling2D>(f.i("pool"), o);
      Tensor x = f.t("x").to(d);
      x.requires_grad_(true);
      Tensor y = (*layer)(x);
      check_close(y, f.t("y").to_vector<float>(), 1e-5, 1e-5, file + " forward");
      auto g = keras::autograd::grad(ops::sum(ops::multiply(y, f.t("g").to(d))), {x});
      check_close(g[0], f.t("dx").to_vector<float>(), 1e-5, 1e-5, file + " dx");
    }
  }
}

TEST_CASE("pooling: 1-D and global pooling layers, shapes and configs") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x1 = random_tensor({2, 7, 3}, -1, 1, 5, d);
    L::MaxPooling1D m1(2);
    Tensor y1 = m1(x1);
    CHECK(y1.shape() == Shape{2, 3, 3});
    auto xv = x1.cpu().to_vector<float>();
    std::vector<float> want;
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 3; ++i)
        for (int c = 0; c < 3; ++c) want.push_back(std::max(xv[(n * 7 + 2 * i) * 3 + c], xv[(n * 7 + 2 * i + 1) * 3 + c]));
    check_close(y1, want, 0, 0, "MaxPooling1D");
    L::AveragePooling1D a1(3, {.strides = {1}, .padding = "same"});
    CHECK(a1(x1).shape() == Shape{2, 7, 3});
    CHECK(a1.get_config()["strides"] == nlohmann::json({1}));
    CHECK(L::from_config("AveragePooling1D", a1.get_config())->get_config() == a1.get_config());

    Tensor x2 = random_tensor({2, 3, 4, 5}, -1, 1, 6, d);
    L::GlobalAveragePooling2D gap;
    L::GlobalMaxPooling2D gmp(true);
    Tensor ya = gap(x2), ym = gmp(x2);
    CHECK(ya.shape() == Shape{2, 5});
    CHECK(ym.shape() == Shape{2, 1, 1, 5});
    auto v = x2.cpu().to_vector<float>();
    std::vector<float> wa, wm;
    for (int n = 0; n < 2; ++n)
      for (int c = 0; c < 5; ++c) {
        double s = 0, m = -1e30;
        for (int i = 0; i < 12; ++i) {
          s += v[(n * 12 + i) * 5 + c];
          m = std::max<double>(m, v[(n * 12 + i) * 5 + c]);
        }
        wa.push_back(float(s / 12));
        wm.push_back(float(m));
      }
    check_close(ya, wa, 1e-6, 1e-5, "GlobalAveragePooling2D");
    check_close(ym, wm, 0, 0, "GlobalMaxPooling2D");
    CHECK(gmp.compute_output_shape({-1, 3, 4, 5}) == Shape{-1, 1, 1, 5});
    CHECK(L::GlobalAveragePooling1D()(x1).shape() == Shape{2, 3});
    CHECK(L::GlobalMaxPooling1D()(x1).shape() == Shape{2, 3});
    CHECK(L::from_config("GlobalMaxPooling2D", gmp.get_config())->get_config() == gmp.get_config());
    gradcheck("GlobalAveragePooling2D", [&](auto& in) { return gap(in[0]); }, {x2});

    L::MaxPooling2D mp(2, {.name = "pool"});
    CHECK(mp.compute_output_shape({-1, 5, 7, 3}) == Shape{-1, 2, 3, 3});
    CHECK_THROWS_AS(mp(Tensor::zeros({2, 5, 3})), keras::ValueError);
    CHECK_THROWS_AS(mp(Tensor::zeros({2, 1, 5, 3})), keras::ValueError);
  }
}
