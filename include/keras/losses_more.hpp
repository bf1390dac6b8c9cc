// The rest of Keras 3's losses: each as a class (reduced, with
// sample_weight, like every Loss) and as a function returning the
// per-sample values (keras::losses::huber(y_true, y_pred, delta), ...).
// Included by keras/losses.hpp.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "keras/losses.hpp"

namespace keras::losses {

// ---- functions: per-sample values, as Keras's keras.losses.<name> ----
Tensor mean_absolute_percentage_error(const Tensor& y_true, const Tensor& y_pred);
Tensor mean_squared_logarithmic_error(const Tensor& y_true, const Tensor& y_pred);
Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta = 1.0);
Tensor log_cosh(const Tensor& y_true, const Tensor& y_pred);
Tensor hinge(const Tensor& y_true, const Tensor& y_pred);
Tensor squared_hinge(const Tensor& y_true, const Tensor& y_pred);
Tensor categorical_hinge(const Tensor& y_true, const Tensor& y_pred);
Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred);
Tensor poisson(const Tensor& y_true, const Tensor& y_pred);
Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, int axis = -1);
Tensor binary_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool apply_class_balancing = false,
                                 double alpha = 0.25, double gamma = 2.0, bool from_logits = false,
                                 double label_smoothing = 0.0, int axis = -1);
Tensor categorical_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, double alpha = 0.25,
                                      double gamma = 2.0, bool from_logits = false, double label_smoothing = 0.0,
                                      int axis = -1);
// axis: the axes summed over; std::nullopt (Keras's None) sums everything.
Tensor dice(const Tensor& y_true, const Tensor& y_pred, const std::optional<std::vector<int>>& axis = std::nullopt);
Tensor tversky(const Tensor& y_true, const Tensor& y_pred, double alpha = 0.5, double beta = 0.5,
               const std::optional<std::vector<int>>& axis = std::nullopt);

// ---- classes ----

// A loss computing fn(y_true, y_pred) with no arguments of its own.
class PlainLoss : public Loss {
 public:
  using Fn = Tensor (*)(const Tensor&, const Tensor&);
  std::string class_name() const override { return class_name_; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;

 protected:
  PlainLoss(const char* class_name, const char* default_name, Fn fn, const LossOptions& o);
  std::string class_name_;
  Fn fn_;
};

class MeanAbsolutePercentageError : public PlainLoss {
 public:
  explicit MeanAbsolutePercentageError(LossOptions o = {});
};
class MeanSquaredLogarithmicError : public PlainLoss {
 public:
  explicit MeanSquaredLogarithmicError(LossOptions o = {});
};
class LogCosh : public PlainLoss {
 public:
  explicit LogCosh(LossOptions o = {});
};
class Hinge : public PlainLoss {
 public:
  explicit Hinge(LossOptions o = {});
};
class SquaredHinge : public PlainLoss {
 public:
  explicit SquaredHinge(LossOptions o = {});
};
class CategoricalHinge : public PlainLoss {
 public:
  explicit CategoricalHinge(LossOptions o = {});
};
class KLDivergence : public PlainLoss {
 public:
  explicit KLDivergence(LossOptions o = {});
};
class Poisson : public PlainLoss {
 public:
  explicit Poisson(LossOptions o = {});
};

struct HuberOptions {
  double delta = 1.0;
  Reduction reduction = Reduction::sum_over_batch_size;
  std::string name;  // default "huber_loss"
};
class Huber : public Loss {
 public:
  explicit Huber(HuberOptions o = {});
  std::string class_name() const override { return "Huber"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  nlohmann::json get_config() const override;

 private:
  HuberOptions o_;
};

struct CosineSimilarityOptions {
  int axis = -1;
  Reduction reduction = Reduction::sum_over_batch_size;
  std::string name;
};
class CosineSimilarity : public Loss {
 public:
  explicit CosineSimilarity(CosineSimilarityOptions o = {});
  std::string class_name() const override { return "CosineSimilarity"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  nlohmann::json get_config() const override;

 private:
  CosineSimilarityOptions o_;
};

struct FocalOptions {
  bool apply_class_balancing = false;  // binary only
  double alpha = 0.25;
  double gamma = 2.0;
  bool from_logits = false;
  double label_smoothing = 0.0;
  int axis = -1;
  Reduction reduction = Reduction::sum_over_batch_size;
  std::string name;
};
class BinaryFocalCrossentropy : public Loss {
 public:
  explicit BinaryFocalCrossentropy(FocalOptions o = {});
  std::string class_name() const override { return "BinaryFocalCrossentropy"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  nlohmann::json get_config() const override;

 private:
  FocalOptions o_;
};
class CategoricalFocalCrossentropy : public Loss {
 public:
  explicit CategoricalFocalCrossentropy(FocalOptions o = {});
  std::string class_name() const override { return "CategoricalFocalCrossentropy"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  nlohmann::json get_config() const override;

 private:
  FocalOptions o_;
};

struct OverlapOptions {
  double alpha = 0.5;  // Tversky only
  double beta = 0.5;   // Tversky only
  std::optional<std::vector<int>> axis;
  Reduction reduction = Reduction::sum_over_batch_size;
  std::string name;
};
class Dice : public Loss {
 public:
  explicit Dice(OverlapOptions o = {});
  std::string class_name() const override { return "Dice"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  nlohmann::json get_config() const override;

 private:
  OverlapOptions o_;
};
class Tversky : public Loss {
 public:
  explicit Tversky(OverlapOptions o = {});
  std::string class_name() const override { return "Tversky"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  nlohmann::json get_config() const override;

 private:
  OverlapOptions o_;
};

}  // namespace keras::losses
