// The Loss base class (weighting and reductions, as Keras 3's
// keras/src/losses/loss.py).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "keras/autograd.hpp"
#include "keras/losses.hpp"
#include "keras/ops.hpp"
#include "losses/loss_utils.hpp"

namespace keras::losses {

namespace detail {

Tensor drop_last_dim(const Tensor& x) {
  Shape s = x.shape();
  s.pop_back();
  return x.reshape(s);
}

Tensor add_last_dim(const Tensor& x) {
  Shape s = x.shape();
  s.push_back(1);
  return x.reshape(s);
}

Tensor as_float(const Tensor& x) { return x.dtype() == float32 ? x : ops::cast(x, float32); }

std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& x1, const Tensor& x2,
                                                         bool expand_rank_1) {
  const int r1 = x1.ndim(), r2 = x2.ndim();
  if (r1 == r2) return {x1, x2};
  if (r1 == r2 + 1 && x1.shape(-1) == 1) {
    if (r2 == 1 && expand_rank_1) return {x1, add_last_dim(x2)};
    return {drop_last_dim(x1), x2};
  }
  if (r2 == r1 + 1 && x2.shape(-1) == 1) {
    if (r1 == 1 && expand_rank_1) return {add_last_dim(x1), x2};
    return {x1, drop_last_dim(x2)};
  }
  return {x1, x2};
}

}  // namespace detail

const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::sum_over_batch_size:
      return "sum_over_batch_size";
    case Reduction::sum:
      return "sum";
    case Reduction::none:
      return "none";
    case Reduction::mean:
      return "mean";
    case Reduction::mean_with_sample_weight:
      return "mean_with_sample_weight";
  }
  return "none";
}

Reduction parse_reduction(const std::string& s, const std::string& loss) {
  for (Reduction r : {Reduction::sum_over_batch_size, Reduction::sum, Reduction::none, Reduction::mean,
                      Reduction::mean_with_sample_weight})
    if (s == reduction_name(r)) return r;
  // tf.keras 2's "auto" (its files say so) is the batch mean.
  if (s == "auto") return Reduction::sum_over_batch_size;
  throw ValueError(keras::detail::cat(loss, ": invalid value for argument `reduction`; expected one of "
                                      "sum_over_batch_size, sum, none, mean, mean_with_sample_weight. Received: "
                                      "reduction=", s));
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred,
                        const Tensor& sample_weight) const {
  return (*this)(y_true, y_pred, sample_weight, Tensor());
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight,
                        const Tensor& logits) const {
  KERAS_CHECK(y_true.defined() && y_pred.defined(), ValueError, name_,
              ": y_true and y_pred must be defined tensors");
  Tensor weight_sum;
  Tensor values = logits.defined() ? call_with_logits(y_true, y_pred, logits) : call(y_true, y_pred);
  if (sample_weight.defined() && values.ndim() == 0) {
    // One loss for the whole batch (Dice, Tversky with axis=None): Keras
    // broadcasts it against the weights.
    Tensor w = detail::as_float(sample_weight);
    values = values * w;
    weight_sum = ops::sum(w);
  } else if (sample_weight.defined()) {
    auto [v, w] = detail::squeeze_or_expand_to_same_rank(values, detail::as_float(sample_weight));
    // A weight per sample scales every loss of that sample: align the
    // weight's axes with the leading axes of the losses.
    bool ok = w.ndim() <= v.ndim();
    if (ok && w.ndim() < v.ndim()) {
      Shape s = w.shape();
      s.resize(v.ndim(), 1);
      w = w.reshape(s);
    }
    for (int i = 0; ok && i < w.ndim(); ++i) ok = w.shape(i) == 1 || w.shape(i) == v.shape(i);
    KERAS_CHECK(
        ok, ValueError, name_, ": sample_weight of shape ", shape_str(sample_weight.shape()),
        " cannot be broadcast to the per-sample losses of shape ", shape_str(values.shape()),
        " (y_true ", shape_str(y_true.shape()), ", y_pred ", shape_str(y_pred.shape()), ")");
    values = v * w;
    weight_sum = ops::sum(w);
  }
  // Keras's reduce_values: a scalar (or an empty batch under "none") is
  // returned as is; "sum_over_batch_size" divides the weighted sum by the
  // number of loss values, not by the sum of the weights.
  if (reduction_ == Reduction::none || values.ndim() == 0) return values;
  if (reduction_ == Reduction::sum || values.size() == 0) return ops::sum(values);
  if (reduction_ == Reduction::mean_with_sample_weight && weight_sum.defined()) {
    // divide_no_nan: a zero weight sum gives 0.
    Tensor total = ops::sum(values);
    Tensor safe = ops::where(ops::equal(weight_sum, ops::zeros_like(weight_sum)), ops::ones_like(weight_sum), weight_sum);
    return ops::where(ops::equal(weight_sum, ops::zeros_like(weight_sum)), ops::zeros_like(total), total / safe);
  }
  return ops::mean(values);
}

nlohmann::json Loss::get_config() const {
  return {{"name", name_}, {"reduction", reduction_name(reduction_)}};
}

}  // namespace keras::losses
