// CTC, the IoU metrics and weighted_metrics against real Keras 3
// (scripts/make_fitx_goldens.py -> tests/fixtures/fitx/fitx_goldens.json),
// a finite-difference check of CTC's gradient and its speed, and compile
// configs holding these objects.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "saving/h5.hpp"
#include "test_helpers.hpp"

using keras::Tensor;
using json = nlohmann::json;
namespace ops = keras::ops;
namespace metrics = keras::metrics;
namespace losses = keras::losses;

namespace {

const json& goldens() {
  static const json j = [] {
    std::ifstream in(std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/fitx/fitx_goldens.json");
    REQUIRE(in.good());
    return json::parse(in);
  }();
  return j;
}

std::vector<float> floats(const json& j) {
  std::vector<float> v;
  std::function<void(const json&)> walk = [&](const json& e) {
    if (e.is_array())
      for (auto& x : e) walk(x);
    else
      v.push_back(e.get<float>());
  };
  walk(j);
  return v;
}

keras::Shape shape_of(const json& j) {
  keras::Shape s;
  const json* e = &j;
  while (e->is_array()) {
    s.push_back(static_cast<std::int64_t>(e->size()));
    if (e->empty()) break;
    e = &(*e)[0];
  }
  return s;
}

Tensor tensor(const json& j) { return Tensor(shape_of(j), floats(j)); }

Tensor ctc_labels(const json& c) {
  std::vector<std::int64_t> v;
  for (auto& row : c["y_true"])
    for (auto& e : row) v.push_back(e.get<std::int64_t>());
  return Tensor(shape_of(c["y_true"]), v);
}

// Real Keras 3 loads the two compiled models (scripts/check_compile_in_keras.py)
// and evaluates them with their compile config: the same log keys and values.
void check_compiled_in_keras(keras::Model& weighted, keras::Model& iou, const Tensor& x, const Tensor& y,
                             const Tensor& sw, const Tensor& labels) {
  std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  const char* env = std::getenv("KERAS_PYTHON");
  std::string python = env && *env ? env : home + "/.cache/keras.cpp/venv/bin/python";
  if (!std::filesystem::exists(python)) {
    std::cerr << "SKIPPED: compile configs in Keras 3 (no Python at " << python << "; set KERAS_PYTHON)\n";
    return;
  }
  auto dir = std::filesystem::temp_directory_path() / ("keras_cc_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  weighted.save((dir / "weighted.keras").string());
  iou.save((dir / "iou.keras").string());
  auto f = keras::saving::h5::create_file((dir / "data.h5").string());
  f.write_dataset("x", x);
  f.write_dataset("y", y);
  f.write_dataset("sample_weight", sw);
  f.write_dataset("labels", labels);
  keras::saving::h5::close(f);
  std::string cmd = "KERAS_BACKEND=jax '" + python + "' '" + KERAS_SOURCE_DIR + "/scripts/check_compile_in_keras.py' '" +
                    dir.string() + "' > '" + (dir / "log.txt").string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream log(dir / "log.txt");
  INFO(std::string((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>()));
  REQUIRE(rc == 0);
  auto read = [&](const char* name) {
    std::ifstream in(dir / (std::string(name) + ".json"));
    return json::parse(in);
  };
  json wk = read("weighted"), ik = read("iou");
  CHECK(wk["metrics"] == json::array({"mae", "mse"}));
  CHECK(wk["weighted_metrics"] == json::array({"mae"}));
  auto ours = weighted.evaluate(x, y, {.verbose = 0, .sample_weight = sw});
  CHECK(ours.size() == wk["logs"].size());
  for (auto& [k, v] : wk["logs"].items()) {
    INFO(k);
    REQUIRE(ours.count(k) == 1);
    CHECK(ours.at(k) == doctest::Approx(v.get<double>()).epsilon(1e-5));
  }
  auto iou_ours = iou.evaluate(x, labels, {.verbose = 0});
  REQUIRE(ik["logs"].contains("mean_io_u"));
  CHECK(iou_ours.at("mean_io_u") == doctest::Approx(ik["logs"]["mean_io_u"].get<double>()).epsilon(1e-5));
  CHECK(iou_ours.at("loss") == doctest::Approx(ik["logs"]["loss"].get<double>()).epsilon(1e-5));
  std::filesystem::remove_all(dir);
}

}  // namespace

TEST_CASE("CTC: values and gradients match Keras 3") {
  for (auto& c : goldens()["ctc"]) {
    Tensor y_true = ctc_labels(c);
    Tensor y_pred(c["y_pred_shape"].get<keras::Shape>(), floats(c["y_pred"]));
    testing::check_close(losses::ctc(y_true, y_pred), floats(c["per_sample"]), 1e-4, 1e-5, "ctc per sample");
    testing::check_close(losses::CTC()(y_true, y_pred), {c["reduced"].get<float>()}, 1e-4, 1e-5, "CTC reduced");
    Tensor p = y_pred.detach();
    p.requires_grad_(true);
    auto g = keras::autograd::grad(ops::sum(losses::ctc(y_true, p)), {p});
    testing::check_close(g[0], floats(c["grad"]), 1e-4, 1e-4, "ctc gradient");
  }
}

TEST_CASE("CTC: gradient matches finite differences; lengths; errors; speed") {
  Tensor labels({2, 2}, std::vector<std::int64_t>{1, 2, 2, 2});
  Tensor logits = testing::random_tensor({2, 5, 3}, -1.0f, 1.0f, 8);
  testing::gradcheck("ctc", [&](std::vector<Tensor>& in) { return losses::ctc(labels, in[0]); }, {logits}, 1e-2, 2e-2);
  // ctc_loss with shorter lengths equals ctc on the truncated inputs.
  Tensor short_lab({2, 1}, std::vector<std::int64_t>{1, 2});
  Tensor full = losses::ctc_loss(labels, logits, Tensor({2}, std::vector<std::int64_t>{1, 1}),
                                 Tensor({2}, std::vector<std::int64_t>{4, 4}));
  Tensor cut = losses::ctc(short_lab, ops::slice_axis(logits, 1, 0, 4));
  testing::check_close(full, cut.to_vector<float>(), 1e-5, 1e-5, "lengths");
  CHECK(losses::get("ctc")->class_name() == "CTC");
  CHECK_THROWS_AS(losses::ctc(logits, logits), keras::ValueError);
  CHECK_THROWS_AS(losses::ctc(labels, ops::sum(logits, {2})), keras::ValueError);
  CHECK_THROWS_AS(losses::ctc(Tensor({2, 2}, std::vector<std::int64_t>{1, 7, 1, 1}), logits), keras::ValueError);
  // A speech-sized batch, forward and backward (timing only; the machine is shared).
  Tensor big_lab = ops::cast(ops::floor(testing::random_tensor({32, 20}, 1.0f, 29.99f, 9)), keras::int64);
  Tensor big = testing::random_tensor({32, 100, 30}, -1.0f, 1.0f, 10);
  big.requires_grad_(true);
  auto t0 = std::chrono::steady_clock::now();
  auto g = keras::autograd::grad(ops::sum(losses::ctc(big_lab, big)), {big});
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("CTC forward+backward, batch 32, T 100, 30 classes, 20 labels: " << ms << " ms");
  CHECK(std::isfinite(ops::sum(g[0]).item()));
}

TEST_CASE("IoU metrics: results match Keras 3; configs round-trip") {
  for (auto& c : goldens()["iou"]) {
    const std::string cls = c["class_name"];
    INFO(cls << " " << c["config"].dump());
    auto m = metrics::deserialize({{"class_name", cls}, {"config", c["config"]}});
    REQUIRE(m != nullptr);
    CHECK(m->class_name() == cls);
    for (auto& call : c["calls"]) {
      Tensor sw = call["sample_weight"].is_null() ? Tensor() : tensor(call["sample_weight"]);
      m->update_state(tensor(call["y_true"]), tensor(call["y_pred"]), sw);
    }
    CHECK(m->result() == doctest::Approx(c["result"].get<double>()).epsilon(1e-6));
    // get_config is Keras's (the same keys and values) and rebuilds the metric.
    json got = m->get_config(), want = c["config"];
    CHECK(got == want);
    m->reset_state();
    CHECK(m->result() == 0.0);
  }
}

TEST_CASE("IoU metrics: defaults, names and bad arguments") {
  metrics::MeanIoU m({.num_classes = 2});
  CHECK(m.name() == "mean_io_u");
  m.update_state(Tensor({4}, std::vector<float>{0, 0, 1, 1}), Tensor({4}, std::vector<float>{0, 1, 0, 1}));
  CHECK(m.result() == doctest::Approx(1.0 / 3.0).epsilon(1e-6));  // Keras's docstring example
  metrics::OneHotMeanIoU oh({.num_classes = 3});
  CHECK(oh.get_config()["sparse_y_pred"] == false);
  CHECK(metrics::BinaryIoU().name() == "binary_io_u");
  CHECK_THROWS_AS(metrics::IoU({.num_classes = 3, .target_class_ids = {3}}), keras::ValueError);
  CHECK_THROWS_AS(metrics::IoU({.num_classes = 3}), keras::ValueError);
  CHECK_THROWS_AS(metrics::MeanIoU({.num_classes = 0}), keras::ValueError);
  CHECK_THROWS_AS(m.update_state(Tensor({2}, std::vector<float>{0, 1}), Tensor({3}, std::vector<float>{0, 1, 1})),
                  keras::ValueError);
}

TEST_CASE("weighted_metrics: fit logs match Keras 3; saved in the compile config") {
  const json& g = goldens()["weighted"];
  Tensor x({8, 3}, floats(g["x"])), y({8, 1}, floats(g["y"])), sw({8}, floats(g["sample_weight"]));
  auto in = keras::Input({3});
  keras::Model m(in, keras::layers::Dense(1, {}, {.kernel_initializer = "ones", .bias_initializer = "zeros"})(in));
  m.compile({.optimizer = keras::optimizers::SGD({.learning_rate = 0.1}), .loss = {"mse"}, .metrics = {{"mae", "mse"}},
             .weighted_metrics = {{"mae"}}});
  auto h = m.fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .shuffle = false, .sample_weight = sw});
  REQUIRE(h.history.size() == g["history"].size());
  for (auto& [k, v] : g["history"].items()) {
    INFO(k);
    REQUIRE(h.history.count(k) == 1);
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(h.history.at(k)[i] == doctest::Approx(v[i].get<double>()).epsilon(1e-5));
  }
  // The compile config keeps both lists; a reloaded model logs the same keys.
  auto dir = std::filesystem::temp_directory_path() / ("keras_wm_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* ext : {".keras", ".h5"}) {
    INFO(ext);
    std::string path = (dir / (std::string("m") + ext)).string();
    m.save(path);
    keras::Model r = keras::models::load_model(path);
    auto e = r.evaluate(x, y, {.verbose = 0, .sample_weight = sw});
    CHECK(e.count("weighted_mae") == 1);
    CHECK(e.count("mse") == 1);
    CHECK(e.at("weighted_mae") == doctest::Approx(m.evaluate(x, y, {.verbose = 0, .sample_weight = sw}).at("weighted_mae")));
  }
  std::filesystem::remove_all(dir);
  // A compile config with an IoU metric object.
  auto in2 = keras::Input({3});
  keras::Model c(in2, keras::layers::Dense(3, "softmax")(in2));
  c.compile({.optimizer = "adam", .loss = {"sparse_categorical_crossentropy"},
             .metrics = {{std::shared_ptr<metrics::Metric>(std::make_shared<metrics::MeanIoU>(metrics::IoUOptions{.num_classes = 3, .sparse_y_pred = false}))}}});
  auto dir2 = std::filesystem::temp_directory_path() / ("keras_iou_" + std::to_string(::getpid()) + ".keras");
  c.save(dir2.string());
  keras::Model rc = keras::models::load_model(dir2.string());
  Tensor labels({8}, std::vector<float>{0, 1, 2, 0, 1, 2, 0, 1});
  auto e1 = c.evaluate(x, labels, {.verbose = 0}), e2 = rc.evaluate(x, labels, {.verbose = 0});
  REQUIRE(e2.count("mean_io_u") == 1);
  CHECK(e2.at("mean_io_u") == doctest::Approx(e1.at("mean_io_u")));
  check_compiled_in_keras(m, rc, x, y, sw, labels);
  std::filesystem::remove(dir2);
  CHECK_THROWS_AS(m.compile({.optimizer = "sgd", .loss = {"mse"}, .weighted_metrics = {{"no_such_metric"}}}),
                  keras::ValueError);
}
