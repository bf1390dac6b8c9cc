// BatchNormalization, LayerNormalization and the spatial reshaping layers:
// PyTorch fixtures, plain-loop references and finite differences.
#include <cmath>
#include <nlohmann/json.hpp>

#include "conv_reference.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace L = keras::layers;
using namespace testing;

TEST_CASE("normalization: BatchNormalization matches PyTorch in training and inference") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    auto f = conv::read_fixture("batchnorm.txt");
    L::BatchNormalization bn({.momentum = f.d("momentum"), .epsilon = f.d("epsilon")});
    Tensor x = f.t("x").to(d);
    bn(x);
    auto names = std::vector<std::string>{"gamma", "beta", "moving_mean", "moving_variance"};
    REQUIRE(bn.weights().size() == 4);
    for (std::size_t i = 0; i < 4; ++i) CHECK(bn.weights()[i].name() == names[i]);
    CHECK(bn.trainable_weights().size() == 2);
    CHECK(bn.non_trainable_weights().size() == 2);
    std::vector<Tensor> ws;
    for (auto& n : names) ws.push_back(f.t(n).to(d));
    bn.set_weights(ws);

    Tensor y_inf = bn(x, false);
    check_close(y_inf, f.t("y_inference").to_vector<float>(), 1e-5, 1e-4, "inference");
    check_close(bn.moving_mean().value(), f.t("moving_mean").to_vector<float>(), 0, 0, "inference leaves stats");

    x.requires_grad_(true);
    Tensor y = bn(x, true);
    check_close(y, f.t("y_train").to_vector<float>(), 1e-4, 1e-4, "training");
    check_close(bn.moving_mean().value(), f.t("new_moving_mean").to_vector<float>(), 1e-6, 1e-5, "moving_mean");
    check_close(bn.moving_variance().value(), f.t("new_moving_variance").to_vector<float>(), 1e-6, 1e-5,
                "moving_variance");
    auto g = keras::autograd::grad(ops::sum(ops::multiply(y, f.t("g").to(d))),
                                   {x, bn.weights()[0].value(), bn.weights()[1].value()});
    check_close(g[0], f.t("dx").to_vector<float>(), 1e-4, 1e-3, "dx");
    check_close(g[1], f.t("dgamma").to_vector<float>(), 1e-4, 1e-4, "dgamma");
    check_close(g[2], f.t("dbeta").to_vector<float>(), 1e-4, 1e-4, "dbeta");

    // Frozen layers run in inference mode even when training.
    bn.set_trainable(false);
    check_close(bn(x, true), bn(x, false).cpu().to_vector<float>(), 0, 0, "frozen");
  }
}

TEST_CASE("normalization: BatchNormalization on another axis, gradients, config, summary counts") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    L::BatchNormalization bn({.axis = 1, .center = false});
    Tensor x = random_tensor({4, 3, 2}, -1, 2, 7, d);
    Tensor y = bn(x, true);
    // Plain loop: per feature j of axis 1, over (n, k).
    auto v = x.cpu().to_vector<float>();
    std::vector<float> want(v.size());
    for (int j = 0; j < 3; ++j) {
      double m = 0, s = 0;
      for (int n = 0; n < 4; ++n)
        for (int k = 0; k < 2; ++k) m += v[(n * 3 + j) * 2 + k];
      m /= 8;
      for (int n = 0; n < 4; ++n)
        for (int k = 0; k < 2; ++k) s += std::pow(v[(n * 3 + j) * 2 + k] - m, 2);
      s /= 8;
      for (int n = 0; n < 4; ++n)
        for (int k = 0; k < 2; ++k) want[(n * 3 + j) * 2 + k] = float((v[(n * 3 + j) * 2 + k] - m) / std::sqrt(s + 1e-3));
    }
    check_close(y, want, 1e-5, 1e-4, "axis 1");
    CHECK(bn.weights().size() == 3);  // gamma, moving_mean, moving_variance
    gradcheck("BatchNormalization training", [&](auto& in) { return bn(in[0], true); }, {x}, 1e-2, 3e-2);
    auto cfg = bn.get_config();
    CHECK(cfg["axis"] == 1);
    CHECK(cfg["momentum"] == 0.99);
    CHECK(cfg["epsilon"] == 1e-3);
    CHECK(cfg["center"] == false);
    CHECK(L::from_config("BatchNormalization", cfg)->get_config() == cfg);

    keras::Sequential m({keras::Input({4, 4, 3}), L::Conv2D(2, 3), L::BatchNormalization()});
    CHECK(m.count_params() == (3 * 3 * 3 * 2 + 2) + 4 * 2);
    std::int64_t non_trainable = 0;
    for (auto& w : m.non_trainable_weights()) non_trainable += w.value().size();
    CHECK(non_trainable == 4);
    CHECK(m.summary_string().find("Non-trainable params: 4") != std::string::npos);
  }
}

TEST_CASE("normalization: LayerNormalization matches a plain loop and finite differences") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    L::LayerNormalization ln;
    Tensor x = random_tensor({3, 2, 5}, -2, 2, 9, d);
    Tensor y = ln(x);
    ln.set_weights({random_tensor({5}, 0.5f, 1.5f, 10, d), random_tensor({5}, -1, 1, 11, d)});
    y = ln(x);
    auto v = x.cpu().to_vector<float>(), g = ln.get_weights()[0].cpu().to_vector<float>(),
         b = ln.get_weights()[1].cpu().to_vector<float>();
    std::vector<float> want;
    for (int r = 0; r < 6; ++r) {
      double m = 0, s = 0;
      for (int c = 0; c < 5; ++c) m += v[r * 5 + c];
      m /= 5;
      for (int c = 0; c < 5; ++c) s += std::pow(v[r * 5 + c] - m, 2);
      s /= 5;
      for (int c = 0; c < 5; ++c) want.push_back(float((v[r * 5 + c] - m) / std::sqrt(s + 1e-3) * g[c] + b[c]));
    }
    check_close(y, want, 1e-5, 1e-4, "LayerNormalization");
    gradcheck("LayerNormalization", [&](auto& in) { return ln(in[0]); }, {x}, 1e-2, 3e-2);
    CHECK(L::from_config("LayerNormalization", ln.get_config())->get_config() == ln.get_config());
  }
}

TEST_CASE("reshaping: ZeroPadding2D, Cropping2D, UpSampling2D, SpatialDropout2D") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = random_tensor({2, 3, 4, 2}, -1, 1, 12, d);
    auto v = x.cpu().to_vector<float>();
    auto at = [&](int n, int i, int j, int c) { return v[((n * 3 + i) * 4 + j) * 2 + c]; };

    L::ZeroPadding2D zp({1, 0, 2, 1});
    Tensor yp = zp(x);
    REQUIRE(yp.shape() == Shape{2, 4, 7, 2});
    std::vector<float> want;
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 7; ++j)
          for (int c = 0; c < 2; ++c)
            want.push_back(i >= 1 && j >= 2 && j < 6 ? at(n, i - 1, j - 2, c) : 0.0f);
    check_close(yp, want, 0, 0, "ZeroPadding2D");
    CHECK(zp.get_config()["padding"] == nlohmann::json({{1, 0}, {2, 1}}));
    CHECK(L::from_config("ZeroPadding2D", zp.get_config())->get_config() == zp.get_config());
    gradcheck("ZeroPadding2D", [&](auto& in) { return zp(in[0]); }, {x});

    L::Cropping2D cr({1, 1});
    Tensor yc = cr(x);
    REQUIRE(yc.shape() == Shape{2, 1, 2, 2});
    want.clear();
    for (int n = 0; n < 2; ++n)
      for (int j = 1; j < 3; ++j)
        for (int c = 0; c < 2; ++c) want.push_back(at(n, 1, j, c));
    check_close(yc, want, 0, 0, "Cropping2D");
    CHECK(L::from_config("Cropping2D", cr.get_config())->get_config() == cr.get_config());
    CHECK_THROWS_AS(L::Cropping2D(2)(x), keras::ValueError);

    L::UpSampling2D up({2, 3});
    Tensor yu = up(x);
    REQUIRE(yu.shape() == Shape{2, 6, 12, 2});
    want.clear();
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 12; ++j)
          for (int c = 0; c < 2; ++c) want.push_back(at(n, i / 2, j / 3, c));
    check_close(yu, want, 0, 0, "UpSampling2D");
    CHECK(L::from_config("UpSampling2D", up.get_config())->get_config() == up.get_config());
    gradcheck("UpSampling2D", [&](auto& in) { return up(in[0]); }, {x});

    L::SpatialDropout2D sd(0.5);
    check_close(sd(x, false), v, 0, 0, "SpatialDropout2D inference");
    Tensor big = Tensor::ones({4, 5, 5, 8}, keras::float32, d);
    auto yd = L::SpatialDropout2D(0.5)(big, true).cpu().to_vector<float>();
    // Whole channels are dropped: each (n, c) is all 0 or all 2.
    for (int n = 0; n < 4; ++n)
      for (int c = 0; c < 8; ++c) {
        float first = yd[(n * 25) * 8 + c];
        CHECK((first == 0.0f || first == 2.0f));
        for (int p = 1; p < 25; ++p) CHECK(yd[(n * 25 + p) * 8 + c] == first);
      }
  }
}
