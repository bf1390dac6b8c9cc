// Keras 3's intersection-over-union metrics: IoU, MeanIoU, BinaryIoU,
// OneHotIoU and OneHotMeanIoU. Predictions and labels accumulate in a
// num_classes x num_classes confusion matrix (rows: true class, columns:
// predicted class); result() is the mean IoU over target_class_ids of the
// classes seen at all. As in Keras, the matrix has the metric's dtype
// ("int" by default): labels and sample weights are cast to it (a float
// weight is truncated; give dtype "float32" to keep fractional weights).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "keras/metrics.hpp"

namespace keras::metrics {

struct IoUOptions {
  int num_classes = 2;
  std::vector<int> target_class_ids = {};  // IoU and OneHotIoU: required
  std::string name = "";                   // "" : Keras's default name
  std::string dtype = "int32";
  std::optional<int> ignore_class = std::nullopt;
  bool sparse_y_true = true;
  std::optional<bool> sparse_y_pred = std::nullopt;  // default: true, false for OneHotIoU / OneHotMeanIoU
  int axis = -1;
  double threshold = 0.5;  // BinaryIoU only
};

class IoU : public Metric {
 public:
  // Throws ValueError for num_classes < 1, no target class ids, or an id
  // outside [0, num_classes).
  explicit IoU(IoUOptions o);
  std::string class_name() const override { return class_name_; }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override;
  void reset_state() override;
  nlohmann::json get_config() const override;
  // The accumulated confusion matrix (num_classes x num_classes, row-major).
  std::vector<double> confusion_matrix() const;
  const IoUOptions& options() const { return o_; }

 protected:
  IoU(IoUOptions o, std::string class_name, std::string default_name);
  // Adds class ids (int64, flattened, same size) with optional weights.
  void accumulate(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight);
  IoUOptions o_;
  std::string class_name_;
  Tensor total_;  // (num_classes, num_classes) float32 on the device
};

class MeanIoU : public IoU {
 public:
  explicit MeanIoU(IoUOptions o);  // target_class_ids: every class
};
class OneHotIoU : public IoU {
 public:
  explicit OneHotIoU(IoUOptions o);  // sparse_y_true = false; sparse_y_pred false by default
};
class OneHotMeanIoU : public IoU {
 public:
  explicit OneHotMeanIoU(IoUOptions o);
};
// Two classes; predictions >= threshold are class 1. target_class_ids
// defaults to {0, 1}.
class BinaryIoU : public IoU {
 public:
  explicit BinaryIoU(IoUOptions o = {});
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
};

}  // namespace keras::metrics
