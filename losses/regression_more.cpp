// MAPE, MSLE, Huber, LogCosh, the hinge losses, KL divergence, Poisson and
// cosine similarity, with Keras 3's formulas (keras/src/losses/losses.py):
// the epsilon is Keras's backend.epsilon(), 1e-7.
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/losses.hpp"
#include "keras/ops.hpp"
#include "losses/loss_utils.hpp"

namespace keras::losses {

namespace {

constexpr double kEpsilon = 1e-7;

// y_true cast to y_pred's dtype and both brought to one shape as Keras's
// LossFunctionWrapper does; any other mismatch is a ValueError.
std::pair<Tensor, Tensor> aligned(const char* loss, const Tensor& y_true, const Tensor& y_pred) {
  KERAS_CHECK(y_true.defined() && y_pred.defined(), ValueError, loss,
              ": y_true and y_pred must be defined tensors");
  KERAS_CHECK(y_pred.ndim() >= 1, ValueError, loss,
              ": y_pred must have at least one dimension, received a scalar");
  Tensor t = y_true.dtype() == y_pred.dtype() ? y_true : ops::cast(y_true, y_pred.dtype());
  auto [a, b] = detail::squeeze_or_expand_to_same_rank(t, y_pred);
  KERAS_CHECK(a.shape() == b.shape(), ValueError, loss,
              ": y_true and y_pred must have the same shape; received y_true of shape ",
              shape_str(y_true.shape()), " and y_pred of shape ", shape_str(y_pred.shape()));
  return {a, b};
}

Tensor scalar_like(const Tensor& x, double v) { return Tensor::scalar(v, x.dtype(), x.device()); }

// Keras's convert_binary_labels_to_hinge: labels that are all 0 or 1
// become -1 / 1; any other labels stay as they are.
Tensor hinge_labels(const Tensor& t) {
  Tensor is01 = ops::logical_or(ops::equal(t, ops::zeros_like(t)), ops::equal(t, ops::ones_like(t)));
  Tensor all = ops::min(ops::cast(is01, t.dtype()));  // 1 when every label is 0 or 1
  return t + all * (t - 1.0);
}

}  // namespace

Tensor mean_absolute_percentage_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("mean_absolute_percentage_error", y_true, y_pred);
  Tensor diff = ops::abs((t - p) / ops::maximum(ops::abs(t), scalar_like(t, kEpsilon)));
  return 100.0 * ops::mean(diff, {-1});
}

Tensor mean_squared_logarithmic_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("mean_squared_logarithmic_error", y_true, y_pred);
  Tensor a = ops::log(ops::maximum(p, scalar_like(p, kEpsilon)) + 1.0);
  Tensor b = ops::log(ops::maximum(t, scalar_like(t, kEpsilon)) + 1.0);
  return ops::mean(ops::square(a - b), {-1});
}

Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta) {
  auto [t, p] = aligned("huber", y_true, y_pred);
  Tensor err = p - t;
  Tensor abs_err = ops::abs(err);
  Tensor quad = 0.5 * ops::square(err);
  Tensor lin = delta * abs_err - 0.5 * delta * delta;
  return ops::mean(ops::where(ops::less_equal(abs_err, scalar_like(abs_err, delta)), quad, lin), {-1});
}

Tensor log_cosh(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("log_cosh", y_true, y_pred);
  Tensor d = p - t;
  // log(cosh(d)) = d + softplus(-2d) - log(2), stable for large |d|.
  return ops::mean(d + ops::softplus(d * -2.0) - std::log(2.0), {-1});
}

Tensor hinge(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("hinge", y_true, y_pred);
  Tensor m = 1.0 - hinge_labels(t) * p;
  return ops::mean(ops::maximum(m, ops::zeros_like(m)), {-1});
}

Tensor squared_hinge(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("squared_hinge", y_true, y_pred);
  Tensor m = 1.0 - hinge_labels(t) * p;
  return ops::mean(ops::square(ops::maximum(m, ops::zeros_like(m))), {-1});
}

Tensor categorical_hinge(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("categorical_hinge", y_true, y_pred);
  Tensor pos = ops::sum(t * p, {-1});
  Tensor neg = ops::max((1.0 - t) * p, {-1});
  Tensor m = neg - pos + 1.0;
  return ops::maximum(m, ops::zeros_like(m));
}

Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("kl_divergence", y_true, y_pred);
  Tensor tc = ops::clip(t, kEpsilon, 1.0);
  Tensor pc = ops::clip(p, kEpsilon, 1.0);
  return ops::sum(tc * ops::log(tc / pc), {-1});
}

Tensor poisson(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("poisson", y_true, y_pred);
  return ops::mean(p - t * ops::log(p + kEpsilon), {-1});
}

namespace {
// x * min(rsqrt(sum(x^2, axis)), 1/eps): Keras's ops.normalize (order 2).
Tensor l2_normalize(const Tensor& x, int axis) {
  Tensor inv = ops::rsqrt(ops::sum(ops::square(x), {axis}, /*keepdims=*/true));
  return x * ops::minimum(inv, scalar_like(inv, 1.0 / kEpsilon));
}
}  // namespace

Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, int axis) {
  auto [t, p] = aligned("cosine_similarity", y_true, y_pred);
  KERAS_CHECK(axis >= -p.ndim() && axis < p.ndim(), ValueError, "cosine_similarity: axis ", axis,
              " is out of range for y_pred of shape ", shape_str(y_pred.shape()));
  return -ops::sum(l2_normalize(t, axis) * l2_normalize(p, axis), {axis});
}

// ---- classes ----

PlainLoss::PlainLoss(const char* class_name, const char* default_name, Fn fn, const LossOptions& o)
    : Loss(o.name.empty() ? default_name : o.name, o.reduction), class_name_(class_name), fn_(fn) {}

Tensor PlainLoss::call(const Tensor& y_true, const Tensor& y_pred) const { return fn_(y_true, y_pred); }

MeanAbsolutePercentageError::MeanAbsolutePercentageError(LossOptions o)
    : PlainLoss("MeanAbsolutePercentageError", "mean_absolute_percentage_error", &mean_absolute_percentage_error, o) {}
MeanSquaredLogarithmicError::MeanSquaredLogarithmicError(LossOptions o)
    : PlainLoss("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", &mean_squared_logarithmic_error, o) {}
LogCosh::LogCosh(LossOptions o) : PlainLoss("LogCosh", "log_cosh", &log_cosh, o) {}
Hinge::Hinge(LossOptions o) : PlainLoss("Hinge", "hinge", &hinge, o) {}
SquaredHinge::SquaredHinge(LossOptions o) : PlainLoss("SquaredHinge", "squared_hinge", &squared_hinge, o) {}
CategoricalHinge::CategoricalHinge(LossOptions o)
    : PlainLoss("CategoricalHinge", "categorical_hinge", &categorical_hinge, o) {}
KLDivergence::KLDivergence(LossOptions o) : PlainLoss("KLDivergence", "kl_divergence", &kl_divergence, o) {}
Poisson::Poisson(LossOptions o) : PlainLoss("Poisson", "poisson", &poisson, o) {}

Huber::Huber(HuberOptions o) : Loss(o.name.empty() ? "huber_loss" : o.name, o.reduction), o_(std::move(o)) {
  KERAS_CHECK(std::isfinite(o_.delta) && o_.delta >= 0.0, ValueError,
              "Huber: `delta` must be a finite number >= 0. Received: delta=", o_.delta);
}
Tensor Huber::call(const Tensor& y_true, const Tensor& y_pred) const { return huber(y_true, y_pred, o_.delta); }
nlohmann::json Huber::get_config() const {
  nlohmann::json c = Loss::get_config();
  if (o_.delta != 1.0) c["delta"] = o_.delta;  // Keras's own config leaves delta out
  return c;
}

CosineSimilarity::CosineSimilarity(CosineSimilarityOptions o)
    : Loss(o.name.empty() ? "cosine_similarity" : o.name, o.reduction), o_(std::move(o)) {}
Tensor CosineSimilarity::call(const Tensor& y_true, const Tensor& y_pred) const {
  return cosine_similarity(y_true, y_pred, o_.axis);
}
nlohmann::json CosineSimilarity::get_config() const {
  nlohmann::json c = Loss::get_config();
  if (o_.axis != -1) c["axis"] = o_.axis;  // Keras's own config leaves axis out
  return c;
}

}  // namespace keras::losses
