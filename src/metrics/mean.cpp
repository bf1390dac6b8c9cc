// Mean and MeanMetricWrapper: streaming weighted means kept as two 0-d
// float32 tensors on the device of the values (Keras 3's reduction_metrics).
// update() only launches ops; the host reads the numbers in result().
#include <numeric>

#include "keras/autograd.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "losses/loss_utils.hpp"

namespace keras::metrics {

namespace {

// Axes first..ndim-1 (empty when there are none).
std::vector<int> axes_from(int first, int ndim) {
  std::vector<int> axes;
  for (int i = first; i < ndim; ++i) axes.push_back(i);
  return axes;
}

// Mean over every axis but the first: one value per sample.
Tensor per_sample(const Tensor& x) {
  return x.ndim() > 1 ? ops::mean(x, axes_from(1, x.ndim())) : x;
}

bool broadcastable_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  const std::size_t off = to.size() - from.size();
  for (std::size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[off + i]) return false;
  return true;
}

}  // namespace

Mean::Mean(std::string name) : Metric(std::move(name)) { reset_state(); }

void Mean::reset_state() {
  const Device dev = total_.defined() ? total_.device() : Device::cpu();
  total_ = Tensor::scalar(0.0, float32, dev);
  count_ = Tensor::scalar(0.0, float32, dev);
}

void Mean::update(const Tensor& values, const Tensor& sample_weight) {
  KERAS_CHECK(values.defined(), ValueError, "Mean metric '", name_,
              "': update() received an undefined tensor");
  // Metrics never take part in gradients: without this, accumulating a loss
  // tensor would chain every step's graph onto the accumulators.
  autograd::NoGradGuard no_grad;
  if (total_.device() != values.device()) {
    total_ = total_.to(values.device());
    count_ = count_.to(values.device());
  }
  Tensor v = losses::detail::as_float(values);
  if (!sample_weight.defined()) {
    v = per_sample(v);
    total_ = total_ + ops::sum(v);
    count_ = count_ + static_cast<double>(v.ndim() >= 1 ? v.shape(0) : 1);
    return;
  }
  // Keras's reduce_to_samplewise_values: align ranks, average the values
  // down to the weight's rank, weight them, then one number per sample.
  auto [vv, w] =
      losses::detail::squeeze_or_expand_to_same_rank(v, losses::detail::as_float(sample_weight));
  const int wn = w.ndim();
  if (vv.ndim() > wn) vv = ops::mean(vv, axes_from(wn, vv.ndim()));
  KERAS_CHECK(broadcastable_to(w.shape(), vv.shape()) || broadcastable_to(vv.shape(), w.shape()),
              ValueError, "Metric '", name_, "': sample_weight of shape ",
              shape_str(sample_weight.shape()), " does not match values of shape ",
              shape_str(values.shape()));
  if (broadcastable_to(w.shape(), vv.shape()))
    w = ops::broadcast_to(w, vv.shape());
  else
    vv = ops::broadcast_to(vv, w.shape());
  vv = vv * w;
  if (wn > 1) w = ops::mean(w, axes_from(1, wn));
  total_ = total_ + ops::sum(per_sample(vv));
  count_ = count_ + ops::sum(w);
}

void Mean::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  // A Mean has no target: it averages what it is given (y_pred).
  update(y_pred, sample_weight);
}

double Mean::result() const {
  const double count = count_.item();
  return count == 0.0 ? 0.0 : total_.item() / count;  // Keras: divide_no_nan
}

MeanMetricWrapper::MeanMetricWrapper(std::string class_name, std::string name, Fn fn)
    : Metric(std::move(name)), class_name_(std::move(class_name)), fn_(fn), mean_(name_) {}

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred,
                                     const Tensor& sample_weight) {
  KERAS_CHECK(y_true.defined() && y_pred.defined(), ValueError, "Metric '", name_,
              "': y_true and y_pred must be defined tensors");
  autograd::NoGradGuard no_grad;
  mean_.update(fn_(y_true, y_pred), sample_weight);
}

}  // namespace keras::metrics
