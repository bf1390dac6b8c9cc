// ops::image::resize and UpSampling2D's interpolations: Keras's outputs
// (tests/fixtures/keras/resize_io.h5 and upsampling.*, written by
// scripts/make_resize_fixtures.py), plain-loop references from the
// definitions, and finite-difference gradients.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "keras/saving.hpp"
#include "saving/h5.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace L = keras::layers;
using namespace testing;

namespace {

std::string fixture(const std::string& name) { return std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/keras/" + name; }

// Bilinear resize of (N, H, W, C) from the textbook definition: output pixel
// o samples the input at (o + 0.5) * in / out - 0.5, clamped to the image,
// and mixes its two neighbours linearly (no antialiasing).
std::vector<float> bilinear_ref(const std::vector<float>& x, long n, long h, long w, long c, long oh, long ow) {
  auto axis = [](long o, long in, long out, long& i0, long& i1, double& f) {
    double s = (o + 0.5) * static_cast<double>(in) / static_cast<double>(out) - 0.5;
    s = std::clamp(s, 0.0, static_cast<double>(in - 1));
    i0 = static_cast<long>(std::floor(s));
    i1 = std::min(i0 + 1, in - 1);
    f = s - static_cast<double>(i0);
  };
  std::vector<float> y(n * oh * ow * c);
  for (long b = 0; b < n; ++b)
    for (long i = 0; i < oh; ++i)
      for (long j = 0; j < ow; ++j) {
        long r0, r1, c0, c1;
        double fr, fc;
        axis(i, h, oh, r0, r1, fr);
        axis(j, w, ow, c0, c1, fc);
        for (long k = 0; k < c; ++k) {
          auto at = [&](long r, long q) { return static_cast<double>(x[((b * h + r) * w + q) * c + k]); };
          double top = at(r0, c0) * (1 - fc) + at(r0, c1) * fc;
          double bottom = at(r1, c0) * (1 - fc) + at(r1, c1) * fc;
          y[((b * oh + i) * ow + j) * c + k] = static_cast<float>(top * (1 - fr) + bottom * fr);
        }
      }
  return y;
}

// Nearest neighbour: output o reads input floor((o + 0.5) * in / out).
std::vector<float> nearest_ref(const std::vector<float>& x, long n, long h, long w, long c, long oh, long ow) {
  std::vector<float> y(n * oh * ow * c);
  for (long b = 0; b < n; ++b)
    for (long i = 0; i < oh; ++i)
      for (long j = 0; j < ow; ++j) {
        long r = static_cast<long>(std::floor((i + 0.5) * h / oh));
        long q = static_cast<long>(std::floor((j + 0.5) * w / ow));
        for (long k = 0; k < c; ++k) y[((b * oh + i) * ow + j) * c + k] = x[((b * h + r) * w + q) * c + k];
      }
  return y;
}

}  // namespace

TEST_CASE("image.resize: Keras's outputs for every method, up and down, rank 3 and 4") {
  auto f = keras::saving::h5::open_file(fixture("resize_io.h5"));
  int cases = 0;
  for (auto d : devices()) {
    DeviceScope scope(d);
    for (int i = 0; f.has_group("case" + std::to_string(i)); ++i) {
      auto g = f.group("case" + std::to_string(i));
      const std::string method = g.string_attr("interpolation");
      const bool antialias = g.string_attr("antialias") == "1";
      Tensor x = g.dataset("x").to(d), want = g.dataset("y");
      const auto& ys = want.shape();
      INFO("case" << i << " " << method << (antialias ? " antialias " : " ") << keras::shape_str(x.shape()) << " -> "
                  << keras::shape_str(ys));
      Tensor y = ops::image::resize(x, {ys[ys.size() - 3], ys[ys.size() - 2]}, method, antialias);
      REQUIRE(y.shape() == ys);
      check_close(y, want.to_vector<float>(), 1e-5, 1e-5, "resize " + method);
      ++cases;
    }
  }
  CHECK(cases >= 14);
}

TEST_CASE("image.resize: bilinear and nearest match plain loops") {
  struct Case {
    long n, h, w, c, oh, ow;
  };
  for (auto d : devices()) {
    DeviceScope scope(d);
    for (auto [n, h, w, c, oh, ow] : std::vector<Case>{{2, 3, 4, 2, 6, 8},
                                                         {1, 4, 3, 3, 12, 9},
                                                         {2, 5, 7, 1, 9, 4},
                                                         {1, 8, 6, 2, 4, 2},
                                                         {3, 6, 9, 4, 6, 5},
                                                         {1, 1, 5, 2, 3, 1},
                                                         {1, 13, 11, 3, 7, 17}}) {
      INFO(n << "x" << h << "x" << w << "x" << c << " -> " << oh << "x" << ow);
      Tensor x = random_tensor({n, h, w, c}, -1, 1, 3, d);
      auto xv = x.cpu().to_vector<float>();
      Tensor yb = ops::image::resize(x, {oh, ow});  // bilinear is the default
      REQUIRE(yb.shape() == Shape{n, oh, ow, c});
      check_close(yb, bilinear_ref(xv, n, h, w, c, oh, ow), 1e-5, 1e-5, "bilinear");
      Tensor yn = ops::image::resize(x, {oh, ow}, "nearest");
      check_close(yn, nearest_ref(xv, n, h, w, c, oh, ow), 0, 0, "nearest");
      // Rank 3 is one image of the batch.
      Tensor x0 = ops::slice_axis(x, 0, 0, 1);
      Tensor y3 = ops::image::resize(ops::reshape(x0, {h, w, c}), {oh, ow});
      REQUIRE(y3.shape() == Shape{oh, ow, c});
      check_close(y3, ops::slice_axis(yb, 0, 0, 1).cpu().to_vector<float>(), 0, 0, "rank 3");
    }
    // The same size returns the input.
    Tensor x = random_tensor({1, 3, 4, 2}, -1, 1, 4, d);
    check_close(ops::image::resize(x, {3, 4}), x.cpu().to_vector<float>(), 0, 0, "identity");
  }
}

TEST_CASE("image.resize: gradients by central finite differences") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = random_tensor({2, 3, 4, 2}, -1, 1, 7, d);
    gradcheck("bilinear up", [](auto& in) { return ops::image::resize(in[0], {6, 9}); }, {x});
    gradcheck("bilinear down", [](auto& in) { return ops::image::resize(in[0], {2, 3}); }, {x});
    gradcheck("bilinear antialias", [](auto& in) { return ops::image::resize(in[0], {2, 2}, "bilinear", true); }, {x});
    gradcheck("bicubic", [](auto& in) { return ops::image::resize(in[0], {5, 7}, "bicubic"); }, {x});
    gradcheck("lanczos3", [](auto& in) { return ops::image::resize(in[0], {4, 3}, "lanczos3"); }, {x});
    gradcheck("nearest", [](auto& in) { return ops::image::resize(in[0], {5, 3}, "nearest"); }, {x});
    Tensor x1 = random_tensor({4, 5, 1}, -1, 1, 8, d);
    gradcheck("rank 3, one channel", [](auto& in) { return ops::image::resize(in[0], {7, 10}); }, {x1});
  }
}

TEST_CASE("image.resize: bad arguments throw ValueError naming the op") {
  Tensor x = random_tensor({1, 3, 4, 2}, -1, 1, 9);
  auto message = [&](auto f) {
    try {
      f();
    } catch (const keras::ValueError& e) {
      return std::string(e.what());
    }
    return std::string("no ValueError");
  };
  std::string m = message([&] { ops::image::resize(x, {6, 8}, "area"); });
  CHECK(m.find("image.resize") != std::string::npos);
  CHECK(m.find("\"area\"") != std::string::npos);
  CHECK(m.find("\"bilinear\"") != std::string::npos);
  CHECK(m.find("\"nearest\"") != std::string::npos);
  CHECK(message([&] { ops::image::resize(random_tensor({3, 4}, 0, 1, 1), {6, 8}); }).find("rank 3") !=
        std::string::npos);
  CHECK(message([&] { ops::image::resize(x, {0, 8}); }).find("positive") != std::string::npos);
  CHECK(message([&] { ops::image::resize(x, {2, 3, 4}); }).find("2 integers") != std::string::npos);
  CHECK_THROWS_AS(L::UpSampling2D(2, "area"), keras::ValueError);
  CHECK_THROWS_AS(L::UpSampling2D(0), keras::ValueError);
}

TEST_CASE("UpSampling2D: bilinear is resize to the scaled size; config round trip") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = random_tensor({2, 3, 4, 2}, -1, 1, 10, d);
    L::UpSampling2D up({2, 3}, "Bilinear");  // Keras lower-cases the name
    Tensor y = up(x);
    REQUIRE(y.shape() == Shape{2, 6, 12, 2});
    CHECK(up.compute_output_shape({-1, 3, 4, 2}) == Shape{-1, 6, 12, 2});
    check_close(y, bilinear_ref(x.cpu().to_vector<float>(), 2, 3, 4, 2, 6, 12), 1e-5, 1e-5, "UpSampling2D bilinear");
    auto config = up.get_config();
    CHECK(config["interpolation"] == "bilinear");
    CHECK(config["size"] == nlohmann::json({2, 3}));
    auto copy = L::from_config("UpSampling2D", config);
    CHECK(copy->get_config() == config);
    check_close((*copy)(x), y.cpu().to_vector<float>(), 0, 0, "from_config");
    gradcheck("UpSampling2D bilinear", [&](auto& in) { return up(in[0]); }, {x});
    // nearest keeps repeating rows and columns.
    L::UpSampling2D nn(2);
    CHECK(nn.get_config()["interpolation"] == "nearest");
    check_close(nn(x), ops::image::resize(x, {6, 8}, "nearest").cpu().to_vector<float>(), 0, 0, "nearest");
  }
}

TEST_CASE("UpSampling2D: a model Keras saved with bilinear, bicubic and nearest layers predicts as Keras did") {
  auto io = keras::saving::h5::open_file(fixture("upsampling_io.h5"));
  Tensor x = io.dataset("x0"), want = io.dataset("y0");
  for (std::string ext : {".keras", ".h5"}) {
    INFO(ext);
    keras::Model m = keras::models::load_model(fixture("upsampling" + ext));
    Tensor y = m.predict(x);
    REQUIRE(y.shape() == want.shape());
    check_close(y, want.to_vector<float>(), 1e-5, 1e-5, "upsampling" + ext);
    // Saved again here, it loads with the same predictions.
    auto name = "keras_upsampling_" + std::to_string(getpid()) + ext;
    auto path = (std::filesystem::temp_directory_path() / name).string();
    m.save(path);
    check_close(keras::models::load_model(path).predict(x), y.to_vector<float>(), 0, 0, "resaved" + ext);
    std::filesystem::remove(path);
  }
}
