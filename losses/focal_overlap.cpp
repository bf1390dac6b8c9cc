// Binary and categorical focal crossentropy, Dice and Tversky, with
// Keras 3's formulas (keras/src/losses/losses.py; epsilon 1e-7).
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/losses.hpp"
#include "keras/ops.hpp"
#include "losses/loss_utils.hpp"

namespace keras::losses {

namespace {

constexpr double kEpsilon = 1e-7;

Tensor scalar_like(const Tensor& x, double v) { return Tensor::scalar(v, x.dtype(), x.device()); }

Tensor same_shape(const char* loss, const Tensor& y_true, const Tensor& y_pred) {
  KERAS_CHECK(y_true.defined() && y_pred.defined(), ValueError, loss,
              ": y_true and y_pred must be defined tensors");
  KERAS_CHECK(y_true.shape() == y_pred.shape(), ValueError, loss,
              ": y_true and y_pred must have the same shape; received y_true of shape ",
              shape_str(y_true.shape()), " and y_pred of shape ", shape_str(y_pred.shape()));
  return y_true.dtype() == y_pred.dtype() ? y_true : ops::cast(y_true, y_pred.dtype());
}

void check_axis(const char* loss, int axis, const Tensor& y_pred) {
  KERAS_CHECK(y_pred.ndim() >= 1 && axis >= -y_pred.ndim() && axis < y_pred.ndim(), ValueError, loss, ": axis ",
              axis, " is out of range for y_pred of shape ", shape_str(y_pred.shape()));
}

void check_focal(const char* loss, const FocalOptions& o) {
  KERAS_CHECK(std::isfinite(o.label_smoothing) && o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0,
              ValueError, loss, ": `label_smoothing` must be in [0, 1]. Received: label_smoothing=",
              o.label_smoothing);
  KERAS_CHECK(std::isfinite(o.gamma) && o.gamma >= 0.0, ValueError, loss,
              ": `gamma` must be a finite number >= 0. Received: gamma=", o.gamma);
  KERAS_CHECK(std::isfinite(o.alpha), ValueError, loss, ": `alpha` must be finite. Received: alpha=", o.alpha);
}

// Sum over `axis` (all axes when unset), as ops.sum(x, axis=None|tuple).
Tensor sum_over(const Tensor& x, const std::optional<std::vector<int>>& axis) {
  return axis ? ops::sum(x, *axis) : ops::sum(x);
}

void check_axes(const char* loss, const std::optional<std::vector<int>>& axis, const Tensor& y_pred) {
  if (!axis) return;
  for (int a : *axis) check_axis(loss, a, y_pred);
}

nlohmann::json axis_json(const std::optional<std::vector<int>>& axis) {
  if (!axis) return nullptr;
  return *axis;
}

}  // namespace

Tensor binary_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool apply_class_balancing, double alpha,
                                 double gamma, bool from_logits, double label_smoothing, int axis) {
  auto [t0, p0] = detail::squeeze_or_expand_to_same_rank(y_true, y_pred);
  Tensor t = same_shape("binary_focal_crossentropy", t0, p0);
  Tensor p = p0;
  check_axis("binary_focal_crossentropy", axis, p);
  if (label_smoothing > 0.0) t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing;
  if (from_logits) p = ops::sigmoid(p);
  Tensor bce = ops::binary_crossentropy(t, p, /*from_logits=*/false);
  Tensor p_t = t * p + (1.0 - t) * (1.0 - p);
  Tensor focal = ops::power(1.0 - p_t, scalar_like(p, gamma)) * bce;
  if (apply_class_balancing) focal = (t * alpha + (1.0 - t) * (1.0 - alpha)) * focal;
  return ops::mean(focal, {axis});
}

Tensor categorical_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, double alpha, double gamma,
                                      bool from_logits, double label_smoothing, int axis) {
  Tensor t = same_shape("categorical_focal_crossentropy", y_true, y_pred);
  check_axis("categorical_focal_crossentropy", axis, y_pred);
  if (label_smoothing > 0.0) {
    const double classes = static_cast<double>(t.shape(-1));  // Keras uses the last axis here
    t = t * (1.0 - label_smoothing) + label_smoothing / classes;
  }
  Tensor p = from_logits ? ops::softmax(y_pred, axis) : y_pred;
  Tensor out = p / ops::sum(p, {axis}, /*keepdims=*/true);
  out = ops::clip(out, kEpsilon, 1.0 - kEpsilon);
  Tensor cce = -t * ops::log(out);
  Tensor weight = ops::power(1.0 - out, scalar_like(out, gamma)) * alpha;
  return ops::sum(weight * cce, {axis});
}

Tensor dice(const Tensor& y_true, const Tensor& y_pred, const std::optional<std::vector<int>>& axis) {
  Tensor t = same_shape("dice", y_true, y_pred);
  check_axes("dice", axis, y_pred);
  Tensor inter = sum_over(t * y_pred, axis);
  Tensor d = 2.0 * inter / (sum_over(t, axis) + sum_over(y_pred, axis) + kEpsilon);
  return 1.0 - d;
}

Tensor tversky(const Tensor& y_true, const Tensor& y_pred, double alpha, double beta,
               const std::optional<std::vector<int>>& axis) {
  Tensor t = same_shape("tversky", y_true, y_pred);
  check_axes("tversky", axis, y_pred);
  Tensor inter = sum_over(t * y_pred, axis);
  // Keras's naming: "fp" counts (1 - y_pred) * y_true, "fn" y_pred * (1 - y_true).
  Tensor fp = sum_over((1.0 - y_pred) * t, axis);
  Tensor fn = sum_over(y_pred * (1.0 - t), axis);
  return 1.0 - inter / (inter + fp * alpha + fn * beta + kEpsilon);
}

// ---- classes ----

BinaryFocalCrossentropy::BinaryFocalCrossentropy(FocalOptions o)
    : Loss(o.name.empty() ? "binary_focal_crossentropy" : o.name, o.reduction), o_(std::move(o)) {
  check_focal("BinaryFocalCrossentropy", o_);
}
Tensor BinaryFocalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return binary_focal_crossentropy(y_true, y_pred, o_.apply_class_balancing, o_.alpha, o_.gamma, o_.from_logits,
                                   o_.label_smoothing, o_.axis);
}
nlohmann::json BinaryFocalCrossentropy::get_config() const {
  nlohmann::json c = Loss::get_config();
  c["from_logits"] = o_.from_logits;
  c["label_smoothing"] = o_.label_smoothing;
  c["axis"] = o_.axis;
  c["apply_class_balancing"] = o_.apply_class_balancing;
  c["alpha"] = o_.alpha;
  c["gamma"] = o_.gamma;
  return c;
}

CategoricalFocalCrossentropy::CategoricalFocalCrossentropy(FocalOptions o)
    : Loss(o.name.empty() ? "categorical_focal_crossentropy" : o.name, o.reduction), o_(std::move(o)) {
  check_focal("CategoricalFocalCrossentropy", o_);
  KERAS_CHECK(!o_.apply_class_balancing, ValueError,
              "CategoricalFocalCrossentropy: apply_class_balancing is an argument of BinaryFocalCrossentropy only");
}
Tensor CategoricalFocalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return categorical_focal_crossentropy(y_true, y_pred, o_.alpha, o_.gamma, o_.from_logits, o_.label_smoothing,
                                        o_.axis);
}
nlohmann::json CategoricalFocalCrossentropy::get_config() const {
  nlohmann::json c = Loss::get_config();
  c["from_logits"] = o_.from_logits;
  c["label_smoothing"] = o_.label_smoothing;
  c["axis"] = o_.axis;
  c["alpha"] = o_.alpha;
  c["gamma"] = o_.gamma;
  return c;
}

Dice::Dice(OverlapOptions o) : Loss(o.name.empty() ? "dice" : o.name, o.reduction), o_(std::move(o)) {}
Tensor Dice::call(const Tensor& y_true, const Tensor& y_pred) const { return dice(y_true, y_pred, o_.axis); }
nlohmann::json Dice::get_config() const {
  nlohmann::json c = Loss::get_config();
  c["axis"] = axis_json(o_.axis);
  return c;
}

Tversky::Tversky(OverlapOptions o) : Loss(o.name.empty() ? "tversky" : o.name, o.reduction), o_(std::move(o)) {
  KERAS_CHECK(std::isfinite(o_.alpha) && std::isfinite(o_.beta), ValueError,
              "Tversky: `alpha` and `beta` must be finite. Received: alpha=", o_.alpha, ", beta=", o_.beta);
}
Tensor Tversky::call(const Tensor& y_true, const Tensor& y_pred) const {
  return tversky(y_true, y_pred, o_.alpha, o_.beta, o_.axis);
}
nlohmann::json Tversky::get_config() const {
  nlohmann::json c = Loss::get_config();
  c["alpha"] = o_.alpha;
  c["beta"] = o_.beta;
  c["axis"] = axis_json(o_.axis);
  return c;
}

}  // namespace keras::losses
