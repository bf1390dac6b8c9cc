// Means of per-sample functions with arguments (top-k accuracies, the
// hinge, probabilistic and regression metrics of Keras 3), RMSE and Sum.
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/autograd.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "losses/loss_utils.hpp"

namespace keras::metrics {

namespace ld = losses::detail;

nlohmann::json Metric::get_config() const { return {{"name", name_}, {"dtype", "float32"}}; }

namespace {

// in_top_k: the target's score has fewer than k scores strictly above it.
Tensor in_top_k(const Tensor& target_score, const Tensor& y_pred, int k) {
  Tensor above = ops::sum(ops::cast(ops::greater(y_pred, target_score), float32), {-1});
  return ops::cast(ops::less(above, Tensor::scalar(k, float32, above.device())), float32);
}

void check_k(const char* metric, int k) {
  KERAS_CHECK(k >= 1, ValueError, metric, ": `k` must be >= 1. Received: k=", k);
}

// The metric form of cosine similarity: +sum(normalized products).
Tensor cosine_fn(const Tensor& y_true, const Tensor& y_pred, int axis) {
  return -losses::cosine_similarity(y_true, y_pred, axis);
}

}  // namespace

Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int k) {
  KERAS_CHECK(y_pred.ndim() >= 1 && y_true.shape() == y_pred.shape(), ValueError,
              "top_k_categorical_accuracy: y_true (one-hot) and y_pred must have the same shape; received y_true "
              "of shape ",
              shape_str(y_true.shape()), " and y_pred of shape ", shape_str(y_pred.shape()));
  Tensor p = ld::as_float(y_pred);
  // Keras takes argmax(y_true) as the target class.
  Tensor onehot = ops::one_hot(ops::argmax(y_true, -1), p.shape(-1));
  Tensor score = ops::sum(onehot * p, {-1}, /*keepdims=*/true);
  return in_top_k(score, p, k);
}

Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int k) {
  KERAS_CHECK(y_pred.ndim() >= 1, ValueError,
              "sparse_top_k_categorical_accuracy: y_pred must have a class axis, received a scalar");
  Tensor labels = y_true;
  if (labels.ndim() == y_pred.ndim() && labels.shape(-1) == 1) labels = ld::drop_last_dim(labels);
  const Shape expect(y_pred.shape().begin(), y_pred.shape().end() - 1);
  KERAS_CHECK(labels.shape() == expect, ValueError, "sparse_top_k_categorical_accuracy: expected labels of shape ",
              shape_str(expect), " for y_pred of shape ", shape_str(y_pred.shape()), "; received y_true of shape ",
              shape_str(y_true.shape()));
  Tensor p = ld::as_float(y_pred);
  Tensor onehot = ops::one_hot(labels.dtype() == int64 ? labels : ops::cast(labels, int64), p.shape(-1));
  Tensor score = ops::sum(onehot * p, {-1}, /*keepdims=*/true);
  return in_top_k(score, p, k);
}

FnMeanMetric::FnMeanMetric(std::string class_name, std::string name, Fn fn, nlohmann::json extra)
    : Metric(std::move(name)),
      class_name_(std::move(class_name)),
      fn_(std::move(fn)),
      mean_(name_),
      extra_(std::make_shared<nlohmann::json>(std::move(extra))) {}

void FnMeanMetric::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  KERAS_CHECK(y_true.defined() && y_pred.defined(), ValueError, class_name_, " metric '", name_,
              "': y_true and y_pred must be defined tensors");
  autograd::NoGradGuard no_grad;
  mean_.update(fn_(ld::as_float(y_true), ld::as_float(y_pred)), sample_weight);
}

nlohmann::json FnMeanMetric::get_config() const {
  nlohmann::json c = Metric::get_config();
  if (extra_->is_object()) c.update(*extra_);
  return c;
}

TopKCategoricalAccuracy::TopKCategoricalAccuracy(int k, std::string name)
    : FnMeanMetric("TopKCategoricalAccuracy", std::move(name),
                   [k](const Tensor& t, const Tensor& p) { return top_k_categorical_accuracy(t, p, k); },
                   {{"k", k}}) {
  check_k("TopKCategoricalAccuracy", k);
}
SparseTopKCategoricalAccuracy::SparseTopKCategoricalAccuracy(int k, std::string name)
    : FnMeanMetric("SparseTopKCategoricalAccuracy", std::move(name),
                   [k](const Tensor& t, const Tensor& p) { return sparse_top_k_categorical_accuracy(t, p, k); },
                   {{"k", k}}) {
  check_k("SparseTopKCategoricalAccuracy", k);
}
MeanAbsolutePercentageError::MeanAbsolutePercentageError(std::string name)
    : FnMeanMetric("MeanAbsolutePercentageError", std::move(name), &losses::mean_absolute_percentage_error, {}) {}
MeanSquaredLogarithmicError::MeanSquaredLogarithmicError(std::string name)
    : FnMeanMetric("MeanSquaredLogarithmicError", std::move(name), &losses::mean_squared_logarithmic_error, {}) {}
LogCoshError::LogCoshError(std::string name) : FnMeanMetric("LogCoshError", std::move(name), &losses::log_cosh, {}) {}
Hinge::Hinge(std::string name) : FnMeanMetric("Hinge", std::move(name), &losses::hinge, {}) {}
SquaredHinge::SquaredHinge(std::string name)
    : FnMeanMetric("SquaredHinge", std::move(name), &losses::squared_hinge, {}) {}
CategoricalHinge::CategoricalHinge(std::string name)
    : FnMeanMetric("CategoricalHinge", std::move(name), &losses::categorical_hinge, {}) {}
KLDivergence::KLDivergence(std::string name)
    : FnMeanMetric("KLDivergence", std::move(name), &losses::kl_divergence, {}) {}
Poisson::Poisson(std::string name) : FnMeanMetric("Poisson", std::move(name), &losses::poisson, {}) {}
CosineSimilarity::CosineSimilarity(std::string name, int axis)
    : FnMeanMetric("CosineSimilarity", std::move(name),
                   [axis](const Tensor& t, const Tensor& p) { return cosine_fn(t, p, axis); },
                   axis == -1 ? nlohmann::json::object() : nlohmann::json{{"axis", axis}}) {}

// ---- RootMeanSquaredError ----

RootMeanSquaredError::RootMeanSquaredError(std::string name) : Metric(std::move(name)), mean_(name_) {}

void RootMeanSquaredError::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  KERAS_CHECK(y_true.defined() && y_pred.defined(), ValueError, "RootMeanSquaredError metric '", name_,
              "': y_true and y_pred must be defined tensors");
  autograd::NoGradGuard no_grad;
  auto [t, p] = ld::squeeze_or_expand_to_same_rank(ld::as_float(y_true), ld::as_float(y_pred));
  KERAS_CHECK(t.shape() == p.shape(), ValueError, "RootMeanSquaredError metric '", name_,
              "': y_true and y_pred must have the same shape; received y_true of shape ", shape_str(y_true.shape()),
              " and y_pred of shape ", shape_str(y_pred.shape()));
  mean_.update(ops::square(p - t), sample_weight);
}

double RootMeanSquaredError::result() const { return std::sqrt(mean_.result()); }

// ---- Sum ----

Sum::Sum(std::string name) : Metric(std::move(name)) { reset_state(); }

void Sum::reset_state() {
  const Device dev = total_.defined() ? total_.device() : Device::cpu();
  total_ = Tensor::scalar(0.0, float32, dev);
}

void Sum::update(const Tensor& values, const Tensor& sample_weight) {
  KERAS_CHECK(values.defined(), ValueError, "Sum metric '", name_, "': update() received an undefined tensor");
  autograd::NoGradGuard no_grad;
  if (total_.device() != values.device()) total_ = total_.to(values.device());
  Tensor v = ld::as_float(values);
  if (sample_weight.defined()) {
    auto [vv, w] = ld::squeeze_or_expand_to_same_rank(v, ld::as_float(sample_weight));
    // A weight per sample scales every value of that sample.
    if (w.ndim() < vv.ndim()) {
      Shape s = w.shape();
      s.resize(vv.ndim(), 1);
      w = w.reshape(s);
    }
    bool ok = w.ndim() == vv.ndim();
    for (int i = 0; ok && i < w.ndim(); ++i) ok = w.shape(i) == 1 || w.shape(i) == vv.shape(i);
    KERAS_CHECK(ok, ValueError, "Sum metric '", name_, "': sample_weight of shape ", shape_str(sample_weight.shape()),
                " does not match values of shape ", shape_str(values.shape()));
    v = vv * w;
  }
  total_ = total_ + ops::sum(v);
}

void Sum::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  update(y_pred, sample_weight);
}

double Sum::result() const { return total_.item(); }

}  // namespace keras::metrics
