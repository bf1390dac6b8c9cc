// More of Keras 3's metrics: confusion-matrix metrics (Precision, Recall,
// AUC), top-k accuracies, regression and probabilistic means, F-scores,
// R2Score and Sum. Included by keras/metrics.hpp. Logged under Keras's
// names ("precision", "auc", "top_k_categorical_accuracy", ...).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keras/metrics.hpp"

namespace keras::metrics {

// A weighted mean of fn(y_true, y_pred), like MeanMetricWrapper, for
// functions with arguments of their own (k, axis, ...).
class FnMeanMetric : public Metric {
 public:
  using Fn = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;
  std::string class_name() const override { return class_name_; }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override { return mean_.result(); }
  void reset_state() override { mean_.reset_state(); }
  nlohmann::json get_config() const override;

 protected:
  FnMeanMetric(std::string class_name, std::string name, Fn fn, nlohmann::json extra_config);
  std::string class_name_;
  Fn fn_;
  Mean mean_;
  std::shared_ptr<nlohmann::json> extra_;  // arguments saved in the config (k, axis)
};

class TopKCategoricalAccuracy : public FnMeanMetric {
 public:
  explicit TopKCategoricalAccuracy(int k = 5, std::string name = "top_k_categorical_accuracy");
};
class SparseTopKCategoricalAccuracy : public FnMeanMetric {
 public:
  explicit SparseTopKCategoricalAccuracy(int k = 5, std::string name = "sparse_top_k_categorical_accuracy");
};
class MeanAbsolutePercentageError : public FnMeanMetric {
 public:
  explicit MeanAbsolutePercentageError(std::string name = "mean_absolute_percentage_error");
};
class MeanSquaredLogarithmicError : public FnMeanMetric {
 public:
  explicit MeanSquaredLogarithmicError(std::string name = "mean_squared_logarithmic_error");
};
class LogCoshError : public FnMeanMetric {
 public:
  explicit LogCoshError(std::string name = "logcosh");
};
class Hinge : public FnMeanMetric {
 public:
  explicit Hinge(std::string name = "hinge");
};
class SquaredHinge : public FnMeanMetric {
 public:
  explicit SquaredHinge(std::string name = "squared_hinge");
};
class CategoricalHinge : public FnMeanMetric {
 public:
  explicit CategoricalHinge(std::string name = "categorical_hinge");
};
class KLDivergence : public FnMeanMetric {
 public:
  explicit KLDivergence(std::string name = "kl_divergence");
};
class Poisson : public FnMeanMetric {
 public:
  explicit Poisson(std::string name = "poisson");
};
// The cosine of the angle (positive: 1 is the same direction), unlike the loss.
class CosineSimilarity : public FnMeanMetric {
 public:
  explicit CosineSimilarity(std::string name = "cosine_similarity", int axis = -1);
};

// sqrt of the weighted mean of (y_pred - y_true)^2.
class RootMeanSquaredError : public Metric {
 public:
  explicit RootMeanSquaredError(std::string name = "root_mean_squared_error");
  std::string class_name() const override { return "RootMeanSquaredError"; }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override;
  void reset_state() override { mean_.reset_state(); }

 private:
  Mean mean_;
};

// The weighted sum of the values (y_pred; y_true is ignored).
class Sum : public Metric {
 public:
  explicit Sum(std::string name = "sum");
  std::string class_name() const override { return "Sum"; }
  void update(const Tensor& values, const Tensor& sample_weight = Tensor());
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override;
  void reset_state() override;

 private:
  Tensor total_;
};

// Per-sample functions of the metrics above (shape y_pred.shape[:-1]).
Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int k = 5);
Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int k = 5);

// ---- confusion-matrix metrics ----

struct ConfusionOptions {
  // Thresholds in [0, 1]: a prediction counts as positive when strictly
  // above. Unset: 0.5, or (with top_k) the top k entries of each row.
  std::vector<double> thresholds;
  std::optional<int> top_k;
  std::optional<int> class_id;
};

class Precision : public Metric {
 public:
  explicit Precision(ConfusionOptions o = {}, std::string name = "precision");
  std::string class_name() const override { return "Precision"; }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  // The value at the first threshold; result_values() has one per threshold.
  double result() const override { return result_values()[0]; }
  std::vector<double> result_values() const override;
  void reset_state() override;
  nlohmann::json get_config() const override;

 protected:
  Precision(ConfusionOptions o, std::string name, bool recall);
  ConfusionOptions o_;
  bool recall_;
  Tensor tp_, fp_, fn_;  // (thresholds,) float32 accumulators
};

class Recall : public Precision {
 public:
  explicit Recall(ConfusionOptions o = {}, std::string name = "recall");
  std::string class_name() const override { return "Recall"; }
};

struct AUCOptions {
  int num_thresholds = 200;
  std::string curve = "ROC";                      // "ROC" or "PR"
  std::string summation_method = "interpolation";  // or "minoring", "majoring"
  std::vector<double> thresholds;                 // overrides num_thresholds
  bool multi_label = false;
  std::vector<double> label_weights;  // empty: none
  bool from_logits = false;
};

class AUC : public Metric {
 public:
  explicit AUC(AUCOptions o = {}, std::string name = "auc");
  std::string class_name() const override { return "AUC"; }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override;
  void reset_state() override;
  nlohmann::json get_config() const override;

 private:
  AUCOptions o_;
  std::vector<double> thresholds_;  // with -eps and 1 + eps at the ends
  Tensor tp_, fp_, tn_, fn_;        // (T,) or (T, labels)
};

// ---- F-scores and R2 ----

struct FBetaOptions {
  std::string average;  // "" (Keras's None: one value per class), "micro", "macro", "weighted"
  double beta = 1.0;
  std::optional<double> threshold;  // unset: the row's maximum counts as positive
};

class FBetaScore : public Metric {
 public:
  explicit FBetaScore(FBetaOptions o = {}, std::string name = "fbeta_score");
  std::string class_name() const override { return "FBetaScore"; }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  // With average "" there is one score per class: result() raises
  // ValueError, result_values() has them.
  double result() const override;
  std::vector<double> result_values() const override;
  void reset_state() override;
  nlohmann::json get_config() const override;

 protected:
  FBetaOptions o_;
  Tensor tp_, fp_, fn_, weights_;  // (classes,) or () for micro
};

class F1Score : public FBetaScore {
 public:
  explicit F1Score(std::string average = "", std::optional<double> threshold = std::nullopt,
                   std::string name = "f1_score");
  std::string class_name() const override { return "F1Score"; }
  nlohmann::json get_config() const override;
};

class R2Score : public Metric {
 public:
  // class_aggregation: "uniform_average", "variance_weighted_average" or "" (None).
  explicit R2Score(std::string class_aggregation = "uniform_average", int num_regressors = 0,
                   std::string name = "r2_score");
  std::string class_name() const override { return "R2Score"; }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override;
  std::vector<double> result_values() const override;
  void reset_state() override;
  nlohmann::json get_config() const override;

 private:
  std::string aggregation_;
  int num_regressors_;
  Tensor sum_, squared_sum_, total_mse_, count_;
  double num_samples_ = 0;
};

// A metric from Keras's saved form {"class_name": "AUC", "config": {...}}
// (Precision, Recall, AUC, the top-k accuracies, CosineSimilarity, F1Score,
// FBetaScore and R2Score with their arguments; other registered classes by
// class name, keeping the saved name); nullptr for an unknown class.
std::shared_ptr<Metric> deserialize(const nlohmann::json& j);

}  // namespace keras::metrics
