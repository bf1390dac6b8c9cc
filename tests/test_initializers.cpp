// Initializers: fans, bounds and moments of each distribution on large
// shapes, configs, lookup by name, determinism under the global seed.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/variable.hpp"

namespace init = keras::initializers;
using keras::Shape;
using nlohmann::json;

namespace {

struct Moments {
  double mean = 0, var = 0, min = 1e300, max = -1e300;
};

Moments moments(const keras::Tensor& t) {
  const std::vector<float> v = t.to_vector<float>();
  Moments m;
  for (float x : v) {
    m.mean += x;
    m.min = std::min<double>(m.min, x);
    m.max = std::max<double>(m.max, x);
  }
  m.mean /= double(v.size());
  for (float x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= double(v.size());
  return m;
}

// Uniform(-limit, limit): inside the bounds, variance limit^2 / 3.
void check_uniform(const init::Initializer& i, const Shape& shape, double limit) {
  keras::Tensor t = i(shape);
  CHECK(t.shape() == shape);
  CHECK(t.dtype() == keras::float32);
  const Moments m = moments(t);
  CHECK(m.min >= -limit);
  CHECK(m.max <= limit);
  CHECK(m.min < -0.98 * limit);  // the range is actually used
  CHECK(m.max > 0.98 * limit);
  CHECK(std::abs(m.mean) < 0.02 * limit);
  CHECK(m.var == doctest::Approx(limit * limit / 3).epsilon(0.05));
}

// Truncated normal with target variance `variance`: within 2 raw stddevs.
void check_truncated(const init::Initializer& i, const Shape& shape, double variance) {
  keras::Tensor t = i(shape);
  CHECK(t.shape() == shape);
  const Moments m = moments(t);
  const double raw_std = std::sqrt(variance) / 0.87962566103423978;
  CHECK(m.min >= -2 * raw_std * 1.0001);
  CHECK(m.max <= 2 * raw_std * 1.0001);
  CHECK(std::abs(m.mean) < 0.02 * std::sqrt(variance));
  CHECK(m.var == doctest::Approx(variance).epsilon(0.05));
}

}  // namespace

TEST_CASE("initializers: compute_fans follows Keras's rules") {
  using P = std::pair<double, double>;
  CHECK(init::compute_fans({}) == P{1, 1});
  CHECK(init::compute_fans({7}) == P{7, 7});
  CHECK(init::compute_fans({784, 128}) == P{784, 128});
  // Conv2D kernel (kh, kw, in, out): receptive field 3*3.
  CHECK(init::compute_fans({3, 3, 16, 32}) == P{3 * 3 * 16, 3 * 3 * 32});
  // Conv1D (k, in, out) and Conv3D (d, h, w, in, out).
  CHECK(init::compute_fans({5, 4, 8}) == P{20, 40});
  CHECK(init::compute_fans({2, 3, 3, 4, 6}) == P{18 * 4, 18 * 6});
}

TEST_CASE("initializers: glorot / he / lecun uniform bounds and variance") {
  keras::random::set_seed(1);
  check_uniform(*init::GlorotUniform(), {784, 128}, std::sqrt(6.0 / (784 + 128)));
  check_uniform(*init::HeUniform(), {512, 256}, std::sqrt(6.0 / 512));
  check_uniform(*init::LecunUniform(), {300, 400}, std::sqrt(3.0 / 300));
  // Conv kernel: fans include the receptive field.
  check_uniform(*init::GlorotUniform(), {3, 3, 64, 64},
                std::sqrt(6.0 / (9 * 64 + 9 * 64)));
}

TEST_CASE("initializers: glorot / he / lecun normal are truncated with the right variance") {
  keras::random::set_seed(2);
  check_truncated(*init::GlorotNormal(), {784, 128}, 2.0 / (784 + 128));
  check_truncated(*init::HeNormal(), {512, 256}, 2.0 / 512);
  check_truncated(*init::LecunNormal(), {300, 400}, 1.0 / 300);
}

TEST_CASE("initializers: VarianceScaling modes and distributions") {
  keras::random::set_seed(3);
  check_uniform(init::VarianceScaling(3.0, "fan_out", "uniform"), {200, 500},
                std::sqrt(3 * 3.0 / 500));
  check_truncated(init::VarianceScaling(0.5, "fan_avg", "normal"), {400, 600}, 0.5 / 500);
  // Untruncated: plain normal, so some values lie beyond 2 stddevs.
  keras::Tensor t = init::VarianceScaling(2.0, "fan_in", "untruncated_normal")({1000, 300});
  const Moments m = moments(t);
  const double sd = std::sqrt(2.0 / 1000);
  CHECK(m.var == doctest::Approx(sd * sd).epsilon(0.05));
  CHECK(m.max > 3 * sd);
  CHECK(m.min < -3 * sd);

  CHECK_THROWS_AS(init::VarianceScaling(-1, "fan_in", "uniform"), keras::ValueError);
  CHECK_THROWS_AS(init::VarianceScaling(1, "fan_sum", "uniform"), keras::ValueError);
  CHECK_THROWS_AS(init::VarianceScaling(1, "fan_in", "cauchy"), keras::ValueError);
  CHECK_THROWS_AS(init::GlorotUniform()->operator()({4, 4}, keras::int32), keras::TypeError);
}

TEST_CASE("initializers: constants and plain random distributions") {
  keras::random::set_seed(4);
  for (float v : init::Zeros()->operator()({3, 5}).to_vector<float>()) CHECK(v == 0.0f);
  for (float v : init::Ones()->operator()({4}).to_vector<float>()) CHECK(v == 1.0f);
  for (float v : init::Constant(2.5)({2, 2}).to_vector<float>()) CHECK(v == 2.5f);
  auto zi = init::Zeros()->operator()({2, 3}, keras::int64);
  CHECK(zi.dtype() == keras::int64);

  check_uniform(init::RandomUniform(), {500, 400}, 0.05);
  const Moments u = moments(init::RandomUniform(1.0, 3.0)({400, 500}));
  CHECK(u.min >= 1.0);
  CHECK(u.max <= 3.0);
  CHECK(u.mean == doctest::Approx(2.0).epsilon(0.01));

  const Moments n = moments(init::RandomNormal()({500, 400}));
  CHECK(std::abs(n.mean) < 0.001);
  CHECK(std::sqrt(n.var) == doctest::Approx(0.05).epsilon(0.03));
  const Moments n2 = moments(init::RandomNormal(1.0, 2.0)({500, 400}));
  CHECK(n2.mean == doctest::Approx(1.0).epsilon(0.02));
  CHECK(std::sqrt(n2.var) == doctest::Approx(2.0).epsilon(0.03));

  // TruncatedNormal(0, 0.05): within 2 stddevs, stddev shrunk by 0.8796.
  const Moments t = moments(init::TruncatedNormal()({500, 400}));
  CHECK(t.min >= -0.1 * 1.0001);
  CHECK(t.max <= 0.1 * 1.0001);
  CHECK(std::sqrt(t.var) == doctest::Approx(0.05 * 0.87962566103423978).epsilon(0.03));
}

TEST_CASE("initializers: orthogonal and identity") {
  keras::random::set_seed(5);
  for (Shape shape : {Shape{64, 32}, Shape{32, 64}, Shape{4, 8, 24}}) {
    keras::Tensor q = init::Orthogonal(2.0)(shape);
    CHECK(q.shape() == shape);
    const std::int64_t cols = shape.back(), rows = keras::shape_size(shape) / cols;
    const std::vector<float> v = q.to_vector<float>();
    // Q^T Q = gain^2 I for tall matrices, Q Q^T for wide ones.
    const bool tall = rows >= cols;
    const std::int64_t n = tall ? cols : rows, len = tall ? rows : cols;
    auto at = [&](std::int64_t vec, std::int64_t i) {
      return tall ? v[i * cols + vec] : v[vec * cols + i];
    };
    double worst = 0;
    for (std::int64_t a = 0; a < n; ++a)
      for (std::int64_t b = 0; b < n; ++b) {
        double dot = 0;
        for (std::int64_t i = 0; i < len; ++i) dot += double(at(a, i)) * at(b, i);
        worst = std::max(worst, std::abs(dot - (a == b ? 4.0 : 0.0)));
      }
    CHECK(worst < 1e-4);
  }
  CHECK_THROWS_AS(init::Orthogonal()({5}), keras::ValueError);

  const std::vector<float> e = init::Identity(3.0)({2, 3}).to_vector<float>();
  CHECK(e == std::vector<float>{3, 0, 0, 0, 3, 0});
  CHECK_THROWS_AS(init::Identity()({2, 2, 2}), keras::ValueError);
}

TEST_CASE("initializers: the global seed makes draws repeatable") {
  keras::random::set_seed(42);
  const auto a1 = init::GlorotUniform()->operator()({50, 40}).to_vector<float>();
  const auto a2 = init::HeNormal()->operator()({50, 40}).to_vector<float>();
  keras::random::set_seed(42);
  const auto b1 = init::GlorotUniform()->operator()({50, 40}).to_vector<float>();
  const auto b2 = init::HeNormal()->operator()({50, 40}).to_vector<float>();
  CHECK(a1 == b1);
  CHECK(a2 == b2);
  CHECK(a1 != init::GlorotUniform()->operator()({50, 40}).to_vector<float>());
  keras::random::set_seed(43);
  CHECK(a1 != init::GlorotUniform()->operator()({50, 40}).to_vector<float>());
}

TEST_CASE("initializers: get by snake, Camel and alias names") {
  CHECK(init::get("glorot_uniform")->class_name() == "GlorotUniform");
  CHECK(init::get("GlorotUniform")->class_name() == "GlorotUniform");
  CHECK(init::get("he_normal")->class_name() == "HeNormal");
  CHECK(init::get("LecunUniform")->class_name() == "LecunUniform");
  CHECK(init::get("zeros")->class_name() == "Zeros");
  CHECK(init::get("Ones")->class_name() == "Ones");
  CHECK(init::get("zero")->class_name() == "Zeros");
  CHECK(init::get("random_normal")->class_name() == "RandomNormal");
  CHECK(init::get("uniform")->class_name() == "RandomUniform");
  CHECK(init::get("TruncatedNormal")->class_name() == "TruncatedNormal");
  CHECK(init::get("orthogonal")->class_name() == "OrthogonalInitializer");
  CHECK(init::get("Orthogonal")->class_name() == "OrthogonalInitializer");
  CHECK(init::get("variance_scaling")->class_name() == "VarianceScaling");
  try {
    init::get("glorot_unifrom");
    FAIL("expected ValueError");
  } catch (const keras::ValueError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("'glorot_unifrom'") != std::string::npos);
    CHECK(msg.find("glorot_uniform") != std::string::npos);
    CHECK(msg.find("he_normal") != std::string::npos);
  }
  // InitializerArg: strings and objects where Keras accepts both.
  init::InitializerArg s = "he_uniform";
  CHECK(s.ptr->class_name() == "HeUniform");
  init::InitializerArg o = init::RandomNormal(0.0, 0.1);
  CHECK(o.ptr->class_name() == "RandomNormal");
}

TEST_CASE("initializers: configs match Keras and round-trip") {
  CHECK(init::GlorotUniform()->get_config() == json{{"seed", nullptr}});
  CHECK(init::Zeros()->get_config() == json::object());
  CHECK(init::Constant(0.5).get_config() == json{{"value", 0.5}});
  CHECK(init::RandomNormal().get_config() ==
        json{{"mean", 0.0}, {"stddev", 0.05}, {"seed", nullptr}});
  CHECK(init::RandomUniform().get_config() ==
        json{{"minval", -0.05}, {"maxval", 0.05}, {"seed", nullptr}});
  CHECK(init::VarianceScaling(2.0, "fan_out", "uniform").get_config() ==
        json{{"scale", 2.0}, {"mode", "fan_out"}, {"distribution", "uniform"}, {"seed", nullptr}});
  CHECK(init::Orthogonal().get_config() == json{{"gain", 1.0}, {"seed", nullptr}});

  const json s = init::serialize(*init::HeNormal());
  CHECK(s["class_name"] == "HeNormal");
  CHECK(s["module"] == "keras.initializers");
  CHECK(s["config"] == json{{"seed", nullptr}});

  // Keras's own serialized form (as in a saved model's config.json).
  const json keras_vs = json::parse(
      R"({"module": "keras.initializers", "class_name": "VarianceScaling",
          "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": null},
          "registered_name": null})");
  auto vs = init::deserialize(keras_vs);
  CHECK(vs->class_name() == "VarianceScaling");
  CHECK(vs->get_config() == keras_vs["config"]);
  auto rn = init::deserialize(init::serialize(init::RandomNormal(1.0, 0.2)));
  CHECK(rn->get_config() == json{{"mean", 1.0}, {"stddev", 0.2}, {"seed", nullptr}});
  CHECK(init::deserialize(json("ones"))->class_name() == "Ones");
  CHECK(init::deserialize(init::serialize(init::Constant(3.0)))->get_config() ==
        json{{"value", 3.0}});
  CHECK_THROWS_AS(init::deserialize(json{{"config", json::object()}}), keras::ValueError);
  CHECK_THROWS_AS(init::deserialize(json{{"class_name", "Nope"}}), keras::ValueError);
}
