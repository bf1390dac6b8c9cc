// Precision, Recall and AUC: confusion-matrix counts per threshold kept on
// the device (Keras 3's metrics_utils.update_confusion_matrix_variables);
// result() reads them back and finishes on the host in double.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/autograd.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "losses/loss_utils.hpp"

namespace keras::metrics {

namespace ld = losses::detail;

namespace {

constexpr double kNegInf = -1e10;  // Keras's NEG_INF for entries outside the top k
constexpr double kEpsilon = 1e-7;

struct Counts {
  Tensor tp, fp, tn, fn;
};

Tensor thresholds_tensor(const std::vector<double>& th) {
  std::vector<float> f(th.begin(), th.end());
  return Tensor({static_cast<std::int64_t>(f.size())}, f);
}

// Entries outside the top k of the last axis become NEG_INF.
Tensor filter_top_k(const Tensor& x, int k) {
  Tensor above = ops::sum(ops::cast(ops::greater(ops::expand_dims(x, -2), ops::expand_dims(x, -1)), float32), {-1});
  Tensor keep = ops::cast(ops::less(above, Tensor::scalar(k, float32, x.device())), float32);
  return x * keep + (1.0 - keep) * kNegInf;
}

// y_true, y_pred and per-entry weights of one shape; counts per threshold,
// shape (T,) — or (T, labels) for multi-label rank-2 inputs.
Counts count(const Tensor& t, const Tensor& p, const Tensor& w, const Tensor& thr, bool multi_label) {
  const std::int64_t T = thr.shape(0);
  Tensor pp, lab, ww, th;
  if (multi_label) {
    pp = ops::expand_dims(p, 0);
    lab = ops::expand_dims(t, 0);
    ww = ops::expand_dims(w, 0);
    th = thr.reshape({T, 1, 1});
  } else {
    pp = p.reshape({1, p.size()});
    lab = t.reshape({1, t.size()});
    ww = w.reshape({1, w.size()});
    th = thr.reshape({T, 1});
  }
  Tensor pos = ops::cast(ops::greater(pp, th), float32);
  Tensor labp = ops::cast(ops::not_equal(lab, ops::zeros_like(lab)), float32) * ww;
  Tensor labn = (1.0 - ops::cast(ops::not_equal(lab, ops::zeros_like(lab)), float32)) * ww;
  Tensor neg = 1.0 - pos;
  return {ops::sum(pos * labp, {1}), ops::sum(pos * labn, {1}), ops::sum(neg * labn, {1}), ops::sum(neg * labp, {1})};
}

// Aligned float y_true / y_pred and the sample weights broadcast to them.
std::tuple<Tensor, Tensor, Tensor> prepare(const std::string& metric, const Tensor& y_true, const Tensor& y_pred,
                                           const Tensor& sample_weight) {
  KERAS_CHECK(y_true.defined() && y_pred.defined(), ValueError, metric, ": y_true and y_pred must be defined tensors");
  auto [p, t] = ld::squeeze_or_expand_to_same_rank(ld::as_float(y_pred), ld::as_float(y_true));
  KERAS_CHECK(t.shape() == p.shape(), ValueError, metric,
              ": y_true and y_pred must have the same shape; received y_true of shape ", shape_str(y_true.shape()),
              " and y_pred of shape ", shape_str(y_pred.shape()));
  if (!sample_weight.defined()) return {t, p, ops::ones_like(p)};
  Tensor w = ld::as_float(sample_weight);
  if (w.ndim() == t.ndim() + 1 && w.shape(-1) == 1) w = ld::drop_last_dim(w);
  bool ok = w.ndim() <= t.ndim();
  if (ok && w.ndim() < t.ndim()) {
    Shape s = w.shape();
    s.resize(t.ndim(), 1);
    w = w.reshape(s);
  }
  for (int i = 0; ok && i < w.ndim(); ++i) ok = w.shape(i) == 1 || w.shape(i) == t.shape(i);
  KERAS_CHECK(ok, ValueError, metric, ": sample_weight of shape ", shape_str(sample_weight.shape()),
              " cannot be broadcast to y_pred of shape ", shape_str(y_pred.shape()));
  return {t, p, ops::broadcast_to(w, t.shape())};
}

void add_to(Tensor& acc, const Tensor& x) { acc = acc.device() == x.device() ? acc + x : acc.to(x.device()) + x; }

std::vector<double> host(const Tensor& t) {
  auto f = t.cpu().to_vector<float>();
  return {f.begin(), f.end()};
}

double no_nan(double a, double b) { return b == 0.0 ? 0.0 : a / b; }

}  // namespace

// ---- Precision / Recall ----

Precision::Precision(ConfusionOptions o, std::string name) : Precision(std::move(o), std::move(name), false) {}

Precision::Precision(ConfusionOptions o, std::string name, bool recall)
    : Metric(std::move(name)), o_(std::move(o)), recall_(recall) {
  const char* cls = recall_ ? "Recall" : "Precision";
  for (double t : o_.thresholds)
    KERAS_CHECK(t >= 0.0 && t <= 1.0, ValueError, cls, ": thresholds must be in [0, 1]. Received: ", t);
  KERAS_CHECK(!o_.top_k || *o_.top_k >= 1, ValueError, cls, ": `top_k` must be >= 1. Received: top_k=",
              o_.top_k.value_or(0));
  KERAS_CHECK(!o_.class_id || *o_.class_id >= 0, ValueError, cls, ": `class_id` must be >= 0. Received: class_id=",
              o_.class_id.value_or(0));
  reset_state();
}

void Precision::reset_state() {
  const std::int64_t n = o_.thresholds.empty() ? 1 : static_cast<std::int64_t>(o_.thresholds.size());
  const Device dev = tp_.defined() ? tp_.device() : Device::cpu();
  tp_ = ops::zeros({n}).to(dev);
  fp_ = ops::zeros({n}).to(dev);
  fn_ = ops::zeros({n}).to(dev);
}

void Precision::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  autograd::NoGradGuard no_grad;
  const std::string what = class_name() + " metric '" + name_ + "'";
  auto [t, p, w] = prepare(what, y_true, y_pred, sample_weight);
  if (o_.top_k) p = filter_top_k(p, *o_.top_k);
  if (o_.class_id) {
    const int c = *o_.class_id;
    KERAS_CHECK(p.ndim() >= 2 && c < p.shape(-1), ValueError, what, ": class_id ", c,
                " needs y_pred of shape (num_samples, num_classes) with more than ", c,
                " classes; received y_pred of shape ", shape_str(y_pred.shape()));
    const int last = p.ndim() - 1;
    t = ops::slice_axis(t, last, c, c + 1);
    p = ops::slice_axis(p, last, c, c + 1);
    w = ops::slice_axis(w, last, c, c + 1);
  }
  std::vector<double> th = o_.thresholds;
  if (th.empty()) th = {o_.top_k ? kNegInf : 0.5};
  Counts c = count(t, p, w, thresholds_tensor(th).to(p.device()), false);
  add_to(tp_, c.tp);
  add_to(fp_, c.fp);
  add_to(fn_, c.fn);
}

std::vector<double> Precision::result_values() const {
  auto tp = host(tp_), other = host(recall_ ? fn_ : fp_);
  std::vector<double> r(tp.size());
  for (std::size_t i = 0; i < tp.size(); ++i) r[i] = no_nan(tp[i], tp[i] + other[i]);
  return r;
}

nlohmann::json Precision::get_config() const {
  nlohmann::json c = Metric::get_config();
  c["thresholds"] = o_.thresholds.empty() ? nlohmann::json(nullptr)
                    : o_.thresholds.size() == 1 ? nlohmann::json(o_.thresholds[0])
                                                : nlohmann::json(o_.thresholds);
  c["top_k"] = o_.top_k ? nlohmann::json(*o_.top_k) : nlohmann::json(nullptr);
  c["class_id"] = o_.class_id ? nlohmann::json(*o_.class_id) : nlohmann::json(nullptr);
  return c;
}

Recall::Recall(ConfusionOptions o, std::string name) : Precision(std::move(o), std::move(name), true) {}

// ---- AUC ----

AUC::AUC(AUCOptions o, std::string name) : Metric(std::move(name)), o_(std::move(o)) {
  KERAS_CHECK(o_.curve == "ROC" || o_.curve == "PR", ValueError, "AUC: invalid `curve` \"", o_.curve,
              "\"; expected \"ROC\" or \"PR\"");
  KERAS_CHECK(o_.summation_method == "interpolation" || o_.summation_method == "minoring" ||
                  o_.summation_method == "majoring",
              ValueError, "AUC: invalid `summation_method` \"", o_.summation_method,
              "\"; expected \"interpolation\", \"minoring\" or \"majoring\"");
  std::vector<double> inner = o_.thresholds;
  if (!inner.empty()) {
    std::sort(inner.begin(), inner.end());
    o_.num_thresholds = static_cast<int>(inner.size()) + 2;
  } else {
    KERAS_CHECK(o_.num_thresholds > 1, ValueError, "AUC: `num_thresholds` must be > 1. Received: num_thresholds=",
                o_.num_thresholds);
    for (int i = 0; i < o_.num_thresholds - 2; ++i) inner.push_back((i + 1) * 1.0 / (o_.num_thresholds - 1));
  }
  thresholds_ = {0.0 - kEpsilon};
  thresholds_.insert(thresholds_.end(), inner.begin(), inner.end());
  thresholds_.push_back(1.0 + kEpsilon);
  reset_state();
}

void AUC::reset_state() {
  tp_ = fp_ = tn_ = fn_ = Tensor();  // shaped on the first update (labels known then)
}

void AUC::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  autograd::NoGradGuard no_grad;
  const std::string what = "AUC metric '" + name_ + "'";
  auto [t, p, w] = prepare(what, y_true, y_pred, sample_weight);
  if (o_.from_logits) p = ops::sigmoid(p);
  if (o_.multi_label)
    KERAS_CHECK(p.ndim() == 2, ValueError, what, ": multi_label needs y_pred of shape (samples, labels); received ",
                shape_str(y_pred.shape()));
  if (!o_.label_weights.empty()) {
    KERAS_CHECK(p.ndim() >= 1 && p.shape(-1) == static_cast<std::int64_t>(o_.label_weights.size()), ValueError, what,
                ": ", o_.label_weights.size(), " label_weights for y_pred of shape ", shape_str(y_pred.shape()));
    if (!o_.multi_label) w = w * thresholds_tensor(o_.label_weights).to(p.device());
  }
  Counts c = count(t, p, w, thresholds_tensor(thresholds_).to(p.device()), o_.multi_label);
  if (tp_.defined()) {
    KERAS_CHECK(tp_.shape() == c.tp.shape(), ValueError, what, ": y_pred of shape ", shape_str(y_pred.shape()),
                " has a different number of labels than the earlier batches");
    add_to(tp_, c.tp);
    add_to(fp_, c.fp);
    add_to(tn_, c.tn);
    add_to(fn_, c.fn);
  } else {
    tp_ = c.tp, fp_ = c.fp, tn_ = c.tn, fn_ = c.fn;
  }
}

namespace {

// Area of one label's curve (the counts of label l in row-major (T, L)).
struct Curve {
  const std::vector<double>&tp, &fp, &tn, &fn;
  std::size_t T, L, l;
  double at(const std::vector<double>& v, std::size_t i) const { return v[i * L + l]; }
};

double interpolate_pr(const Curve& c) {
  double area = 0;
  for (std::size_t i = 0; i + 1 < c.T; ++i) {
    const double tpa = c.at(c.tp, i), tpb = c.at(c.tp, i + 1);
    const double pa = tpa + c.at(c.fp, i), pb = tpb + c.at(c.fp, i + 1);
    const double dtp = tpa - tpb;
    const double slope = no_nan(dtp, std::max(pa - pb, 0.0));
    const double intercept = tpb - slope * pb;
    const double ratio = pa > 0 && pb > 0 ? no_nan(pa, std::max(pb, 0.0)) : 1.0;
    area += no_nan(slope * (dtp + intercept * std::log(ratio)), std::max(tpb + c.at(c.fn, i + 1), 0.0));
  }
  return area;
}

double riemann(const Curve& c, bool roc, const std::string& method) {
  std::vector<double> x(c.T), y(c.T);
  for (std::size_t i = 0; i < c.T; ++i) {
    const double tp = c.at(c.tp, i), fp = c.at(c.fp, i);
    const double recall = no_nan(tp, tp + c.at(c.fn, i));
    if (roc) {
      x[i] = no_nan(fp, fp + c.at(c.tn, i));
      y[i] = recall;
    } else {
      x[i] = recall;
      y[i] = no_nan(tp, tp + fp);
    }
  }
  double area = 0;
  for (std::size_t i = 0; i + 1 < c.T; ++i) {
    const double h = method == "interpolation" ? (y[i] + y[i + 1]) / 2.0
                     : method == "minoring"    ? std::min(y[i], y[i + 1])
                                               : std::max(y[i], y[i + 1]);
    area += (x[i] - x[i + 1]) * h;
  }
  return area;
}

}  // namespace

double AUC::result() const {
  if (!tp_.defined()) return 0.0;
  auto tp = host(tp_), fp = host(fp_), tn = host(tn_), fn = host(fn_);
  const std::size_t T = thresholds_.size(), L = tp.size() / T;
  std::vector<double> by_label;
  for (std::size_t l = 0; l < L; ++l) {
    Curve c{tp, fp, tn, fn, T, L, l};
    by_label.push_back(o_.curve == "PR" && o_.summation_method == "interpolation"
                           ? interpolate_pr(c)
                           : riemann(c, o_.curve == "ROC", o_.summation_method));
  }
  if (!o_.multi_label) return by_label[0];
  if (o_.label_weights.empty()) {
    double s = 0;
    for (double a : by_label) s += a;
    return s / static_cast<double>(by_label.size());
  }
  double num = 0, den = 0;
  for (std::size_t l = 0; l < L; ++l) num += by_label[l] * o_.label_weights[l], den += o_.label_weights[l];
  return no_nan(num, den);
}

nlohmann::json AUC::get_config() const {
  nlohmann::json c = Metric::get_config();
  c["num_thresholds"] = o_.num_thresholds;
  c["curve"] = o_.curve;
  c["summation_method"] = o_.summation_method;
  c["multi_label"] = o_.multi_label;
  c["num_labels"] = nullptr;
  c["label_weights"] = o_.label_weights.empty() ? nlohmann::json(nullptr) : nlohmann::json(o_.label_weights);
  c["from_logits"] = o_.from_logits;
  if (!o_.thresholds.empty()) c["thresholds"] = o_.thresholds;
  return c;
}

}  // namespace keras::metrics
