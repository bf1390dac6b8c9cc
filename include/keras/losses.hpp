// Losses with Keras's names, defaults and reductions.
//
// A Loss computes per-sample values with call(y_true, y_pred) and reduces
// them ("sum_over_batch_size" by default) in operator().
#pragma once
#include <functional>
#include <memory>
#include <vector>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "keras/tensor.hpp"

namespace keras::losses {

// Keras's reduction strings; "mean" is "sum_over_batch_size", and
// "mean_with_sample_weight" divides the weighted sum by the sum of the weights.
enum class Reduction { sum_over_batch_size, sum, none, mean, mean_with_sample_weight };
// "sum_over_batch_size", ...; parse_reduction raises ValueError naming `loss`.
const char* reduction_name(Reduction r);
Reduction parse_reduction(const std::string& s, const std::string& loss);

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string class_name() const = 0;
  // Per-sample losses, shape y_pred.shape[:-1] (or y_pred.shape for
  // elementwise losses reduced over the last axis). Differentiable in y_pred.
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;
  // Weighted (sample_weight broadcast over the per-sample losses) and
  // reduced loss. Checks that y_true and y_pred are compatible and throws
  // ValueError naming the loss and both shapes otherwise.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = Tensor()) const;
  // The same, given also the logits behind a softmax y_pred (a model keeps
  // them for its softmax outputs, with or without gradients): crossentropy
  // then uses the stable log-softmax formula. An undefined `logits` is the
  // three-argument form.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight,
                    const Tensor& logits) const;
  // Per-sample losses from the logits behind y_pred; the default ignores them.
  virtual Tensor call_with_logits(const Tensor& y_true, const Tensor& y_pred, const Tensor& logits) const {
    return call(y_true, y_pred);
  }
  // The Keras function name: "sparse_categorical_crossentropy", ...
  const std::string& name() const { return name_; }
  Reduction reduction() const { return reduction_; }
  virtual nlohmann::json get_config() const;

 protected:
  Loss(std::string name, Reduction r) : name_(std::move(name)), reduction_(r) {}
  std::string name_;
  Reduction reduction_;
};

struct LossOptions {
  Reduction reduction = Reduction::sum_over_batch_size;
  std::string name;
};

class MeanSquaredError : public Loss {
 public:
  explicit MeanSquaredError(LossOptions o = {});
  std::string class_name() const override { return "MeanSquaredError"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

class MeanAbsoluteError : public Loss {
 public:
  explicit MeanAbsoluteError(LossOptions o = {});
  std::string class_name() const override { return "MeanAbsoluteError"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

struct CrossentropyOptions {
  bool from_logits = false;
  double label_smoothing = 0.0;
  int axis = -1;
  Reduction reduction = Reduction::sum_over_batch_size;
  std::string name;
};

class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(CrossentropyOptions o = {});
  std::string class_name() const override { return "BinaryCrossentropy"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  nlohmann::json get_config() const override;
  bool from_logits() const { return o_.from_logits; }

 private:
  CrossentropyOptions o_;
};

class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(CrossentropyOptions o = {});
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor call_with_logits(const Tensor& y_true, const Tensor& y_pred, const Tensor& logits) const override;
  nlohmann::json get_config() const override;
  bool from_logits() const { return o_.from_logits; }

 private:
  Tensor compute(const Tensor& y_true, const Tensor& y_pred, bool from_logits) const;
  CrossentropyOptions o_;
};

class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(CrossentropyOptions o = {});
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor call_with_logits(const Tensor& y_true, const Tensor& y_pred, const Tensor& logits) const override;
  nlohmann::json get_config() const override;
  bool from_logits() const { return o_.from_logits; }

 private:
  Tensor compute(const Tensor& y_true, const Tensor& y_pred, bool from_logits) const;
  CrossentropyOptions o_;
};

// By Keras name or alias: "mse", "mean_squared_error", "mae",
// "mean_absolute_error", "binary_crossentropy", "categorical_crossentropy",
// "sparse_categorical_crossentropy", a class name ("MeanSquaredError") or a
// registered user loss. Throws ValueError listing the closest known names.
std::shared_ptr<Loss> get(const std::string& name);
// A name or {"class_name": ..., "config": {...}} as Keras saves a loss
// (also Keras 3's {"class_name": "function", "config": "mse"}).
std::shared_ptr<Loss> deserialize(const nlohmann::json& j);
// {"module", "class_name", "config", "registered_name"}.
nlohmann::json serialize(const Loss& loss);

// Builds a loss from the "config" object of its serialized form.
using LossFactory = std::function<std::shared_ptr<Loss>(const nlohmann::json& config)>;
// Registers a user loss class (loaded by get(class_name) and by
// deserialize). Built-in names raise ValueError; a user name already
// registered raises unless `replace` is set.
void register_loss(const std::string& class_name, LossFactory factory, bool replace = false);
std::vector<std::string> registered_losses();

}  // namespace keras::losses

#include "keras/losses_more.hpp"
