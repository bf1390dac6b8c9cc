// Mean squared and mean absolute error: the mean over the last axis of the
// elementwise error (Keras's mean_squared_error / mean_absolute_error).
#include "keras/losses.hpp"
#include "keras/ops.hpp"
#include "losses/loss_utils.hpp"

namespace keras::losses {

namespace {

std::string or_default(const std::string& name, const char* fallback) {
  return name.empty() ? fallback : name;
}

// y_true cast to y_pred's dtype and both brought to one shape as Keras's
// LossFunctionWrapper does ((N,) against (N, 1) is accepted); any other
// mismatch is an error rather than a silent broadcast.
std::pair<Tensor, Tensor> aligned(const std::string& loss, const Tensor& y_true,
                                  const Tensor& y_pred) {
  KERAS_CHECK(y_pred.ndim() >= 1, ValueError, loss,
              ": y_pred must have at least one dimension, received a scalar");
  Tensor t = y_true.dtype() == y_pred.dtype() ? y_true : ops::cast(y_true, y_pred.dtype());
  auto [a, b] = detail::squeeze_or_expand_to_same_rank(t, y_pred);
  KERAS_CHECK(a.shape() == b.shape(), ValueError, loss,
              ": y_true and y_pred must have the same shape; received y_true of shape ",
              shape_str(y_true.shape()), " and y_pred of shape ", shape_str(y_pred.shape()));
  return {a, b};
}

}  // namespace

MeanSquaredError::MeanSquaredError(LossOptions o)
    : Loss(or_default(o.name, "mean_squared_error"), o.reduction) {}

Tensor MeanSquaredError::call(const Tensor& y_true, const Tensor& y_pred) const {
  auto [t, p] = aligned(name_, y_true, y_pred);
  return ops::mean(ops::square(p - t), {-1});
}

MeanAbsoluteError::MeanAbsoluteError(LossOptions o)
    : Loss(or_default(o.name, "mean_absolute_error"), o.reduction) {}

Tensor MeanAbsoluteError::call(const Tensor& y_true, const Tensor& y_pred) const {
  auto [t, p] = aligned(name_, y_true, y_pred);
  return ops::mean(ops::abs(p - t), {-1});
}

}  // namespace keras::losses
