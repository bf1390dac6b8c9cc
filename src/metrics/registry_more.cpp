// The metrics of metrics_more.hpp by Keras name, and metric objects from
// Keras's saved form {"class_name": ..., "config": {...}}.
#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/metrics.hpp"
#include "keras/registry.hpp"

namespace keras::metrics {

std::shared_ptr<Metric> iou_from_config(const std::string& cls, const nlohmann::json& c);  // iou.cpp

namespace {
using json = nlohmann::json;

template <class M>
std::shared_ptr<Metric> make() {
  return std::make_shared<M>();
}

std::vector<double> doubles(const json& j, const char* what) {
  if (j.is_null()) return {};
  if (j.is_number()) return {j.get<double>()};
  KERAS_CHECK(j.is_array(), ValueError, what, " must be null, a number or a list of numbers; received ", j.dump());
  return j.get<std::vector<double>>();
}

std::optional<int> opt_int(const json& c, const char* key) {
  if (!c.contains(key) || c[key].is_null()) return std::nullopt;
  KERAS_CHECK(c[key].is_number_integer(), ValueError, "Metric config: `", key, "` must be an integer; received ",
              c[key].dump());
  return c[key].get<int>();
}

std::string opt_string(const json& c, const char* key, const char* fallback) {
  if (!c.contains(key)) return fallback;
  if (c[key].is_null()) return "";
  KERAS_CHECK(c[key].is_string(), ValueError, "Metric config: `", key, "` must be a string or null; received ",
              c[key].dump());
  return c[key].get<std::string>();
}

std::shared_ptr<Metric> from_config(const std::string& cls, const json& c) {
  const std::string name = c.value("name", std::string());
  auto named = [&](std::shared_ptr<Metric> m) {
    if (!name.empty()) m->set_name(name);
    return m;
  };
  if (cls == "Precision" || cls == "Recall") {
    ConfusionOptions o{doubles(c.value("thresholds", json(nullptr)), "thresholds"), opt_int(c, "top_k"),
                       opt_int(c, "class_id")};
    if (cls == "Recall") return named(std::make_shared<Recall>(o));
    return named(std::make_shared<Precision>(o));
  }
  if (cls == "AUC") {
    AUCOptions o;
    o.num_thresholds = c.value("num_thresholds", 200);
    o.curve = c.value("curve", std::string("ROC"));
    o.summation_method = c.value("summation_method", std::string("interpolation"));
    o.thresholds = doubles(c.value("thresholds", json(nullptr)), "thresholds");
    o.multi_label = c.value("multi_label", false);
    o.label_weights = doubles(c.value("label_weights", json(nullptr)), "label_weights");
    o.from_logits = c.value("from_logits", false);
    return named(std::make_shared<AUC>(o));
  }
  if (cls == "TopKCategoricalAccuracy") return named(std::make_shared<TopKCategoricalAccuracy>(c.value("k", 5)));
  if (cls == "SparseTopKCategoricalAccuracy")
    return named(std::make_shared<SparseTopKCategoricalAccuracy>(c.value("k", 5)));
  if (cls == "CosineSimilarity")
    return named(std::make_shared<CosineSimilarity>("cosine_similarity", c.value("axis", -1)));
  if (cls == "FBetaScore" || cls == "F1Score") {
    FBetaOptions o{opt_string(c, "average", ""), c.value("beta", 1.0), std::nullopt};
    if (c.contains("threshold") && !c["threshold"].is_null()) o.threshold = c["threshold"].get<double>();
    if (cls == "F1Score") return named(std::make_shared<F1Score>(o.average, o.threshold));
    return named(std::make_shared<FBetaScore>(o));
  }
  if (cls == "R2Score")
    return named(std::make_shared<R2Score>(opt_string(c, "class_aggregation", "uniform_average"),
                                           c.value("num_regressors", 0)));
  return nullptr;
}

}  // namespace

void add_more_metrics(registry::Registry<MetricFactory>& reg) {
  const std::pair<const char*, MetricFactory> more[] = {
      {"precision", make<Precision>},
      {"Precision", make<Precision>},
      {"recall", make<Recall>},
      {"Recall", make<Recall>},
      {"auc", make<AUC>},
      {"AUC", make<AUC>},
      {"top_k_categorical_accuracy", make<TopKCategoricalAccuracy>},
      {"TopKCategoricalAccuracy", make<TopKCategoricalAccuracy>},
      {"sparse_top_k_categorical_accuracy", make<SparseTopKCategoricalAccuracy>},
      {"SparseTopKCategoricalAccuracy", make<SparseTopKCategoricalAccuracy>},
      {"root_mean_squared_error", make<RootMeanSquaredError>},
      {"RootMeanSquaredError", make<RootMeanSquaredError>},
      {"mape", make<MeanAbsolutePercentageError>},
      {"MAPE", make<MeanAbsolutePercentageError>},
      {"mean_absolute_percentage_error", make<MeanAbsolutePercentageError>},
      {"MeanAbsolutePercentageError", make<MeanAbsolutePercentageError>},
      {"msle", make<MeanSquaredLogarithmicError>},
      {"MSLE", make<MeanSquaredLogarithmicError>},
      {"mean_squared_logarithmic_error", make<MeanSquaredLogarithmicError>},
      {"MeanSquaredLogarithmicError", make<MeanSquaredLogarithmicError>},
      {"LogCoshError", make<LogCoshError>},
      {"hinge", make<Hinge>},
      {"Hinge", make<Hinge>},
      {"squared_hinge", make<SquaredHinge>},
      {"SquaredHinge", make<SquaredHinge>},
      {"categorical_hinge", make<CategoricalHinge>},
      {"CategoricalHinge", make<CategoricalHinge>},
      {"kl_divergence", make<KLDivergence>},
      {"KLDivergence", make<KLDivergence>},
      {"poisson", make<Poisson>},
      {"Poisson", make<Poisson>},
      {"cosine_similarity", make<CosineSimilarity>},
      {"CosineSimilarity", make<CosineSimilarity>},
      {"f1_score", make<F1Score>},
      {"F1Score", make<F1Score>},
      {"fbeta_score", make<FBetaScore>},
      {"FBetaScore", make<FBetaScore>},
      {"r2_score", make<R2Score>},
      {"R2Score", make<R2Score>},
      {"sum", make<Sum>},
      {"Sum", make<Sum>},
  };
  for (const auto& [name, f] : more) reg.add(name, f, /*builtin=*/true);
}

std::shared_ptr<Metric> deserialize(const json& j) {
  KERAS_CHECK(j.is_object() && j.contains("class_name") && j["class_name"].is_string(), ValueError,
              "Cannot read metric ", j.dump().substr(0, 200), ": expected {\"class_name\": ..., \"config\": ...}");
  const json c = j.contains("config") && j["config"].is_object() ? j["config"] : json::object();
  std::string cls = j["class_name"].get<std::string>();
  const auto dot = cls.rfind('.');
  if (dot != std::string::npos) cls = cls.substr(dot + 1);
  if (auto m = from_config(cls, c)) return m;
  if (auto m = iou_from_config(cls, c)) return m;
  // Classes without arguments of their own: by class name, keeping the
  // saved name ("rmse" logged as Keras would).
  if (cls == "accuracy" || cls == "acc") return nullptr;
  try {
    auto m = get(cls, nullptr, {}, {});
    m->set_name(c.value("name", cls));
    return m;
  } catch (const ValueError&) {
    return nullptr;  // not a known class
  }
}

}  // namespace keras::metrics
