// Binary, categorical and sparse categorical crossentropy with Keras 3's
// semantics. The numerics live in the fused ops (stable log-sigmoid /
// log-softmax for logits; for probabilities the output is clipped to
// [1e-7, 1 - 1e-7], and categorical outputs are first normalised to sum 1).
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "keras/losses.hpp"
#include "keras/ops.hpp"
#include "losses/loss_utils.hpp"

namespace keras::losses {

namespace {

std::string or_default(const std::string& name, const char* fallback) {
  return name.empty() ? fallback : name;
}

void check_options(const char* cls, const CrossentropyOptions& o) {
  KERAS_CHECK(
      std::isfinite(o.label_smoothing) && o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0,
      ValueError, cls,
      ": `label_smoothing` must be in [0, 1]. Received: label_smoothing=", o.label_smoothing);
}

// The class axis as a non-negative index into a rank-`ndim` tensor.
int class_axis(const std::string& loss, int axis, int ndim) {
  KERAS_CHECK(ndim >= 1, ValueError, loss,
              ": y_pred must have at least one dimension, received a scalar");
  const int a = axis < 0 ? axis + ndim : axis;
  KERAS_CHECK(a >= 0 && a < ndim, ValueError, loss, ": axis ", axis,
              " is out of range for y_pred of rank ", ndim);
  return a;
}

// x with axis `a` moved to the end (the fused ops reduce over the last axis).
Tensor move_to_last(const Tensor& x, int a) {
  if (a == x.ndim() - 1) return x;
  std::vector<int> perm;
  for (int i = 0; i < x.ndim(); ++i)
    if (i != a) perm.push_back(i);
  perm.push_back(a);
  return ops::transpose(x, perm);
}

template <class T>
void check_label_range(const std::string& loss, const Tensor& labels, std::int64_t classes,
                       const Tensor& y_pred) {
  const T* p = labels.data<T>();
  for (std::int64_t i = 0; i < labels.size(); ++i) {
    const double v = static_cast<double>(p[i]);
    KERAS_CHECK(v >= 0.0 && v < static_cast<double>(classes), ValueError, loss, ": label ", v,
                " (at flat index ", i, ") is out of range: expected labels in [0, ", classes,
                ") for y_pred of shape ", shape_str(y_pred.shape()));
  }
}

// Labels live on the host for CPU tensors, so naming the first bad one costs
// a pass over N numbers; device labels are left to the op.
void check_labels(const std::string& loss, const Tensor& labels, std::int64_t classes,
                  const Tensor& y_pred) {
  if (!labels.device().is_cpu()) return;
  switch (labels.dtype()) {
    case DType::float32:
      return check_label_range<float>(loss, labels, classes, y_pred);
    case DType::int32:
      return check_label_range<std::int32_t>(loss, labels, classes, y_pred);
    case DType::int64:
      return check_label_range<std::int64_t>(loss, labels, classes, y_pred);
    case DType::uint8:
      return check_label_range<std::uint8_t>(loss, labels, classes, y_pred);
    case DType::bool_:
      return;
  }
}

nlohmann::json crossentropy_config(const Loss& l, const CrossentropyOptions& o) {
  nlohmann::json c = l.Loss::get_config();
  c["from_logits"] = o.from_logits;
  c["label_smoothing"] = o.label_smoothing;
  c["axis"] = o.axis;
  return c;
}

}  // namespace

// ---- BinaryCrossentropy ----

BinaryCrossentropy::BinaryCrossentropy(CrossentropyOptions o)
    : Loss(or_default(o.name, "binary_crossentropy"), o.reduction), o_(std::move(o)) {
  check_options("BinaryCrossentropy", o_);
}

Tensor BinaryCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  const int a = class_axis(name_, o_.axis, y_pred.ndim());
  auto [t, p] = detail::squeeze_or_expand_to_same_rank(detail::as_float(y_true), y_pred);
  KERAS_CHECK(t.shape() == p.shape(), ValueError, name_,
              ": y_true and y_pred must have the same shape; received y_true of shape ",
              shape_str(y_true.shape()), " and y_pred of shape ", shape_str(y_pred.shape()));
  // Keras smooths binary targets towards 0.5.
  if (o_.label_smoothing > 0.0) t = t * (1.0 - o_.label_smoothing) + 0.5 * o_.label_smoothing;
  // The rank may have changed by one (e.g. (N,) against (N, 1)).
  const int axis = a - (y_pred.ndim() - p.ndim());
  return ops::mean(ops::binary_crossentropy(t, p, o_.from_logits), {axis < 0 ? -1 : axis});
}

nlohmann::json BinaryCrossentropy::get_config() const { return crossentropy_config(*this, o_); }

// ---- CategoricalCrossentropy ----

CategoricalCrossentropy::CategoricalCrossentropy(CrossentropyOptions o)
    : Loss(or_default(o.name, "categorical_crossentropy"), o.reduction), o_(std::move(o)) {
  check_options("CategoricalCrossentropy", o_);
}

Tensor CategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return compute(y_true, y_pred, o_.from_logits);
}

Tensor CategoricalCrossentropy::compute(const Tensor& y_true, const Tensor& y_pred, bool from_logits) const {
  const int a = class_axis(name_, o_.axis, y_pred.ndim());
  if (y_true.shape() != y_pred.shape()) {
    const bool looks_sparse =
        y_true.ndim() == y_pred.ndim() - 1 ||
        (y_true.ndim() == y_pred.ndim() && y_true.shape(-1) == 1 && y_pred.shape(-1) > 1);
    throw ValueError(keras::detail::cat(
        name_,
        ": y_true and y_pred must have the same shape (one-hot or soft labels); received "
        "y_true of shape ",
        shape_str(y_true.shape()), " and y_pred of shape ", shape_str(y_pred.shape()),
        looks_sparse ? ". For integer class labels use sparse_categorical_crossentropy" : ""));
  }
  return ops::categorical_crossentropy(move_to_last(detail::as_float(y_true), a),
                                       move_to_last(y_pred, a), from_logits, o_.label_smoothing);
}

// Softmax outputs whose logits the model kept: the log-softmax formula.
Tensor CategoricalCrossentropy::call_with_logits(const Tensor& y_true, const Tensor& y_pred,
                                                 const Tensor& logits) const {
  const int a = class_axis(name_, o_.axis, y_pred.ndim());
  if (o_.from_logits || a != y_pred.ndim() - 1 || logits.shape() != y_pred.shape()) return call(y_true, y_pred);
  return compute(y_true, logits, true);
}

nlohmann::json CategoricalCrossentropy::get_config() const {
  return crossentropy_config(*this, o_);
}

// ---- SparseCategoricalCrossentropy ----

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(CrossentropyOptions o)
    : Loss(or_default(o.name, "sparse_categorical_crossentropy"), o.reduction), o_(std::move(o)) {
  check_options("SparseCategoricalCrossentropy", o_);
}

Tensor SparseCategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return compute(y_true, y_pred, o_.from_logits);
}

Tensor SparseCategoricalCrossentropy::compute(const Tensor& y_true, const Tensor& y_pred, bool from_logits) const {
  const int a = class_axis(name_, o_.axis, y_pred.ndim());
  Tensor pred = move_to_last(y_pred, a);
  Tensor labels = y_true;
  // Keras accepts labels shaped like y_pred with a unit class axis: (N, 1).
  if (labels.ndim() == pred.ndim() && labels.ndim() >= 1 && labels.shape(-1) == 1)
    labels = detail::drop_last_dim(labels);
  const Shape expect(pred.shape().begin(), pred.shape().end() - 1);
  if (labels.shape() != expect) {
    Shape expect1 = expect;
    expect1.push_back(1);
    throw ValueError(keras::detail::cat(
        name_, ": expected integer labels of shape ", shape_str(expect), " or ", shape_str(expect1),
        " for y_pred of shape ", shape_str(y_pred.shape()), "; received y_true of shape ",
        shape_str(y_true.shape()),
        y_true.shape() == y_pred.shape() ? ". For one-hot labels use categorical_crossentropy"
                                         : ""));
  }
  KERAS_CHECK(labels.dtype() != DType::bool_, TypeError, name_,
              ": labels must be integers (int32, int64, uint8 or float32), received bool");
  check_labels(name_, labels, pred.shape(-1), y_pred);
  return ops::sparse_categorical_crossentropy(labels, pred, from_logits, o_.label_smoothing);
}

Tensor SparseCategoricalCrossentropy::call_with_logits(const Tensor& y_true, const Tensor& y_pred,
                                                       const Tensor& logits) const {
  const int a = class_axis(name_, o_.axis, y_pred.ndim());
  if (o_.from_logits || a != y_pred.ndim() - 1 || logits.shape() != y_pred.shape()) return call(y_true, y_pred);
  return compute(y_true, logits, true);
}

nlohmann::json SparseCategoricalCrossentropy::get_config() const {
  nlohmann::json c = Loss::get_config();
  c["from_logits"] = o_.from_logits;
  c["ignore_class"] = nullptr;
  if (o_.label_smoothing > 0.0) c["label_smoothing"] = o_.label_smoothing;
  if (o_.axis != -1) c["axis"] = o_.axis;
  return c;
}

}  // namespace keras::losses
