// Streaming metrics with Keras's names.
//
// update_state() accumulates on the device without synchronizing; result()
// reads the value back (call it only when the number is needed).
#pragma once
#include <functional>
#include <memory>
#include <vector>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "keras/tensor.hpp"

namespace keras::losses {
class Loss;
}

namespace keras::metrics {

class Metric {
 public:
  virtual ~Metric() = default;
  virtual std::string class_name() const = 0;
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred,
                            const Tensor& sample_weight = Tensor()) = 0;
  virtual double result() const = 0;
  virtual void reset_state() = 0;
  // Every value of a metric with several (one per threshold or class);
  // one-valued metrics return {result()}.
  virtual std::vector<double> result_values() const { return {result()}; }
  // Keras's config: {"name": ..., "dtype": "float32", and the metric's own
  // arguments}.
  virtual nlohmann::json get_config() const;
  // Log key: "accuracy", "sparse_categorical_accuracy", "mae", ...
  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }

 protected:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// Weighted mean of values (e.g. the loss of each batch).
class Mean : public Metric {
 public:
  explicit Mean(std::string name = "mean");
  std::string class_name() const override { return "Mean"; }
  // Adds `values` (any shape) with optional weights.
  void update(const Tensor& values, const Tensor& sample_weight = Tensor());
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = Tensor()) override;
  double result() const override;
  void reset_state() override;

 private:
  Tensor total_, count_;  // 0-d float32 accumulators on the device
};

class Accuracy;  // exact match; declared for completeness below

// Mean of a per-sample function of (y_true, y_pred).
class MeanMetricWrapper : public Metric {
 public:
  std::string class_name() const override { return class_name_; }
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = Tensor()) override;
  double result() const override { return mean_.result(); }
  void reset_state() override { mean_.reset_state(); }

 protected:
  using Fn = Tensor (*)(const Tensor& y_true, const Tensor& y_pred);
  MeanMetricWrapper(std::string class_name, std::string name, Fn fn);
  std::string class_name_;
  Fn fn_;
  Mean mean_;
};

class Accuracy : public MeanMetricWrapper {
 public:
  explicit Accuracy(std::string name = "accuracy");
};
class BinaryAccuracy : public MeanMetricWrapper {
 public:
  explicit BinaryAccuracy(std::string name = "binary_accuracy");  // threshold 0.5
};
class CategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy");
};
class SparseCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy");
};
class MeanSquaredError : public MeanMetricWrapper {
 public:
  explicit MeanSquaredError(std::string name = "mean_squared_error");
};
class MeanAbsoluteError : public MeanMetricWrapper {
 public:
  explicit MeanAbsoluteError(std::string name = "mean_absolute_error");
};

// Per-sample functions (shape y_pred.shape[:-1]), float32 0/1 or errors.
Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor accuracy(const Tensor& y_true, const Tensor& y_pred);

// Resolves a metric name as compile() does. "accuracy"/"acc" become
// binary, categorical or sparse categorical accuracy from the loss and the
// output shape, as Keras does, but keep the log key "accuracy". Also
// "mse", "mae", "mean_squared_error", ... Throws ValueError on unknown names.
std::shared_ptr<Metric> get(const std::string& name, const losses::Loss* loss,
                            const Shape& y_true_shape, const Shape& y_pred_shape);

// Makes a fresh metric (its state starts empty).
using MetricFactory = std::function<std::shared_ptr<Metric>()>;
// Registers a user metric: compile(metrics={name}) and saved compile
// configs naming it then build it. Built-in names raise ValueError; a user
// name already registered raises unless `replace` is set.
void register_metric(const std::string& name, MetricFactory factory, bool replace = false);
std::vector<std::string> registered_metrics();

}  // namespace keras::metrics

#include "keras/metrics_more.hpp"
