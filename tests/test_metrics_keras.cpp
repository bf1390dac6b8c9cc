// The metrics of metrics_more.hpp against real Keras 3: results after two
// update_state calls (the second with sample_weight) and after
// reset_state, from scripts/make_loss_metric_goldens.py; configs, names,
// compile() names and bad input.
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/backend.hpp"  // test_helpers.hpp uses keras::backend
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
using json = nlohmann::json;
namespace metrics = keras::metrics;

namespace {

const json& goldens() {
  static const json j = [] {
    std::ifstream in(std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/losses/loss_metric_goldens.json");
    REQUIRE(in.good());
    return json::parse(in);
  }();
  return j;
}

std::shared_ptr<metrics::Metric> build(const std::string& cls, const json& config) {
  if (auto m = metrics::deserialize({{"class_name", cls}, {"config", config}})) return m;
  return metrics::get(cls, nullptr, {}, {});
}

void check_result(const std::vector<double>& got, const json& want, double rtol, const std::string& what) {
  REQUIRE_MESSAGE(got.size() == want.size(), what << ": " << got.size() << " values, Keras " << want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (want[i].is_null()) {  // Keras's NaN
      CHECK_MESSAGE(std::isnan(got[i]), what << " value " << i << ": got " << got[i] << ", Keras NaN");
      continue;
    }
    const double w = want[i].get<double>();
    CHECK_MESSAGE(std::fabs(got[i] - w) <= rtol * std::fabs(w) + 1e-6,
                  what << " value " << i << ": got " << got[i] << ", Keras " << w);
  }
}

}  // namespace

TEST_CASE("metrics: every new metric matches Keras 3 after two updates and after reset") {
  int n = 0;
  for (const json& c : goldens()["metrics"]) {
    const std::string cls = c["class_name"].get<std::string>();
    const std::string what = cls + " " + c["config"].dump();
    INFO(what);
    auto m = build(cls, c["config"]);
    REQUIRE(m);
    CHECK(m->class_name() == cls);
    for (const json& b : c["batches"]) {
      Tensor yt(b["shape_true"].get<Shape>(), b["y_true"].get<std::vector<float>>());
      Tensor yp(b["shape_pred"].get<Shape>(), b["y_pred"].get<std::vector<float>>());
      Tensor sw;
      if (!b["sample_weight"].is_null())
        sw = Tensor({yp.shape(0)}, b["sample_weight"].get<std::vector<float>>());
      m->update_state(yt, yp, sw);
    }
    // float32 accumulation on both sides; the host finishes in double
    // where Keras stays in float32: 1e-6 relative (1e-6 absolute floor).
    check_result(m->result_values(), c["result"], 1e-6, what);
    m->reset_state();
    check_result(m->result_values(), c["after_reset"], 1e-6, what + " after reset");
    // Keras's config keys and values (its names get _1, _2 suffixes).
    json mine = m->get_config();
    for (auto& [k, v] : c["keras_config"].items()) {
      if (k == "name") continue;
      REQUIRE_MESSAGE(mine.contains(k), what << " config lacks " << k);
      if (v.is_array() && mine[k].is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) CHECK(std::fabs(mine[k][i].get<double>() - v[i].get<double>()) < 1e-6);
      } else {
        CHECK_MESSAGE(mine[k] == v, what << " config " << k << ": " << mine[k] << " vs Keras " << v);
      }
    }
    ++n;
  }
  CHECK(n >= 35);
}

TEST_CASE("metrics: Keras names in compile() and in the logs") {
  const std::pair<const char*, const char*> names[] = {
      {"precision", "Precision"}, {"recall", "Recall"}, {"auc", "AUC"},
      {"top_k_categorical_accuracy", "TopKCategoricalAccuracy"},
      {"sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"},
      {"root_mean_squared_error", "RootMeanSquaredError"}, {"mape", "MeanAbsolutePercentageError"},
      {"hinge", "Hinge"}, {"kl_divergence", "KLDivergence"}, {"poisson", "Poisson"},
      {"cosine_similarity", "CosineSimilarity"}, {"f1_score", "F1Score"}, {"r2_score", "R2Score"}, {"sum", "Sum"}};
  for (auto& [n, cls] : names) {
    auto m = metrics::get(n, nullptr, {4, 3}, {4, 3});
    CHECK_MESSAGE(m->class_name() == cls, n);
    CHECK(m->name() == n);
  }
  CHECK(metrics::Precision().name() == "precision");
  CHECK(metrics::AUC().name() == "auc");
  CHECK(metrics::LogCoshError().name() == "logcosh");
  CHECK(metrics::TopKCategoricalAccuracy().name() == "top_k_categorical_accuracy");
  CHECK(metrics::RootMeanSquaredError().name() == "root_mean_squared_error");
}

TEST_CASE("metrics: a user metric with update_state / result / reset_state works through get()") {
  struct CountPositive : metrics::Metric {
    CountPositive() : Metric("count_positive") {}
    std::string class_name() const override { return "CountPositive"; }
    void update_state(const Tensor&, const Tensor& y_pred, const Tensor&) override {
      for (float v : y_pred.to_vector<float>()) n += v > 0;
    }
    double result() const override { return n; }
    void reset_state() override { n = 0; }
    double n = 0;
  };
  metrics::register_metric("count_positive", [] { return std::make_shared<CountPositive>(); }, true);
  auto m = metrics::get("count_positive", nullptr, {2}, {2});
  m->update_state(Tensor({2}, std::vector<float>{1, -1}), Tensor({2}, std::vector<float>{1, 2}));
  CHECK(m->result() == 2);
  CHECK(m->result_values() == std::vector<double>{2});
  CHECK(m->get_config()["name"] == "count_positive");
  m->reset_state();
  CHECK(m->result() == 0);
}

TEST_CASE("metrics: bad arguments and mismatched shapes raise ValueError naming the metric") {
  Tensor a = testing::random_tensor({4, 3}, 0.f, 1.f, 1), b = testing::random_tensor({4, 2}, 0.f, 1.f, 2);
  for (const char* n : {"precision", "recall", "auc", "root_mean_squared_error", "hinge", "f1_score", "r2_score",
                        "top_k_categorical_accuracy", "kl_divergence"}) {
    auto m = metrics::get(n, nullptr, {4, 3}, {4, 2});
    try {
      m->update_state(a, b);
      FAIL_CHECK(n << " accepted mismatched shapes");
    } catch (const keras::ValueError& e) {
      const std::string msg = e.what();
      CHECK_MESSAGE(msg.find("(4, 3)") != std::string::npos, msg);
      CHECK_MESSAGE(msg.find("(4, 2)") != std::string::npos, msg);
    }
  }
  CHECK_THROWS_AS(metrics::Precision({.thresholds = {1.5}}), keras::ValueError);
  CHECK_THROWS_AS(metrics::Recall({.top_k = 0}), keras::ValueError);
  CHECK_THROWS_AS(metrics::AUC({.curve = "XY"}), keras::ValueError);
  CHECK_THROWS_AS(metrics::AUC({.num_thresholds = 1}), keras::ValueError);
  CHECK_THROWS_AS(metrics::FBetaScore({.average = "mean"}), keras::ValueError);
  CHECK_THROWS_AS(metrics::FBetaScore({.beta = 0.0}), keras::ValueError);
  CHECK_THROWS_AS(metrics::TopKCategoricalAccuracy(0), keras::ValueError);
  CHECK_THROWS_AS(metrics::R2Score("median"), keras::ValueError);
  metrics::Precision p({.class_id = 5});
  CHECK_THROWS_AS(p.update_state(a, a), keras::ValueError);
  metrics::F1Score f;  // average None: one value per class
  f.update_state(a, a);
  CHECK(f.result_values().size() == 3);
  CHECK_THROWS_AS(f.result(), keras::ValueError);
}
