// FBetaScore / F1Score and R2Score (Keras 3's f_score_metrics.py and
// regression_metrics.R2Score): sums per class kept on the device, the score
// finished on the host in result().
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "keras/autograd.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "losses/loss_utils.hpp"

namespace keras::metrics {

namespace ld = losses::detail;

namespace {

constexpr double kEpsilon = 1e-7;

std::vector<double> host(const Tensor& t) {
  auto f = t.cpu().to_vector<float>();
  return {f.begin(), f.end()};
}

void add_to(Tensor& acc, const Tensor& x) {
  acc = acc.defined() ? (acc.device() == x.device() ? acc + x : acc.to(x.device()) + x) : x;
}

// Rank-2 float y_true / y_pred of one shape and the (N, 1) sample weights.
std::tuple<Tensor, Tensor, Tensor> rank2(const std::string& what, const Tensor& y_true, const Tensor& y_pred,
                                         const Tensor& sample_weight) {
  KERAS_CHECK(y_true.defined() && y_pred.defined(), ValueError, what, ": y_true and y_pred must be defined tensors");
  KERAS_CHECK(y_true.ndim() == 2 && y_pred.ndim() == 2 && y_true.shape() == y_pred.shape(), ValueError, what,
              ": expects y_true and y_pred of one shape (batch_size, num_classes); received y_true of shape ",
              shape_str(y_true.shape()), " and y_pred of shape ", shape_str(y_pred.shape()));
  Tensor w;
  if (sample_weight.defined()) {
    w = ld::as_float(sample_weight);
    if (w.ndim() == 1) w = ld::add_last_dim(w);
    KERAS_CHECK(w.ndim() == 2 && w.shape(0) == y_pred.shape(0) && (w.shape(1) == 1 || w.shape(1) == y_pred.shape(1)),
                ValueError, what, ": sample_weight of shape ", shape_str(sample_weight.shape()),
                " does not match y_pred of shape ", shape_str(y_pred.shape()));
  }
  return {ld::as_float(y_true), ld::as_float(y_pred), w};
}

}  // namespace

// ---- FBetaScore ----

FBetaScore::FBetaScore(FBetaOptions o, std::string name) : Metric(std::move(name)), o_(std::move(o)) {
  KERAS_CHECK(o_.average.empty() || o_.average == "micro" || o_.average == "macro" || o_.average == "weighted",
              ValueError, class_name(), ": invalid `average` \"", o_.average,
              "\"; expected None (\"\"), \"micro\", \"macro\" or \"weighted\"");
  KERAS_CHECK(std::isfinite(o_.beta) && o_.beta > 0.0, ValueError, class_name(),
              ": `beta` must be > 0. Received: beta=", o_.beta);
  KERAS_CHECK(!o_.threshold || (*o_.threshold > 0.0 && *o_.threshold <= 1.0), ValueError, class_name(),
              ": `threshold` must be in (0, 1]. Received: threshold=", o_.threshold.value_or(0.0));
}

namespace {
// Zeros of the accumulator's shape (Keras keeps the built variables), or
// nothing before the first update.
void zero(Tensor& t) {
  if (t.defined()) t = ops::zeros_like(t);
}
}  // namespace

void FBetaScore::reset_state() {
  zero(tp_), zero(fp_), zero(fn_), zero(weights_);
}

void FBetaScore::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  autograd::NoGradGuard no_grad;
  auto [t, p, w] = rank2(class_name() + " metric '" + name_ + "'", y_true, y_pred, sample_weight);
  Tensor pos;
  if (o_.threshold) {
    pos = ops::greater(p, Tensor::scalar(*o_.threshold, float32, p.device()));
  } else {
    // The row's maximum counts as positive (when not ~0).
    pos = ops::logical_and(ops::greater_equal(p, ops::max(p, {-1}, true)),
                           ops::greater(ops::abs(p), Tensor::scalar(1e-9, float32, p.device())));
  }
  Tensor pf = ops::cast(pos, float32);
  auto wsum = [&](const Tensor& v) {
    Tensor x = w.defined() ? v * w : v;
    return o_.average == "micro" ? ops::sum(x) : ops::sum(x, {0});
  };
  add_to(tp_, wsum(pf * t));
  add_to(fp_, wsum(pf * (1.0 - t)));
  add_to(fn_, wsum((1.0 - pf) * t));
  add_to(weights_, wsum(t));
}

std::vector<double> FBetaScore::result_values() const {
  if (!tp_.defined()) return {0.0};
  auto tp = host(tp_), fp = host(fp_), fn = host(fn_), iw = host(weights_);
  const double b2 = o_.beta * o_.beta;
  std::vector<double> f(tp.size());
  for (std::size_t i = 0; i < tp.size(); ++i) {
    const double prec = tp[i] / (tp[i] + fp[i] + kEpsilon), rec = tp[i] / (tp[i] + fn[i] + kEpsilon);
    f[i] = prec * rec / (b2 * prec + rec + kEpsilon) * (1.0 + b2);
  }
  if (o_.average.empty()) return f;
  double s = 0;
  if (o_.average == "weighted") {
    double total = 0;
    for (double x : iw) total += x;
    for (std::size_t i = 0; i < f.size(); ++i) s += f[i] * iw[i] / (total + kEpsilon);
    return {s};
  }
  for (double x : f) s += x;
  return {s / static_cast<double>(f.size())};
}

double FBetaScore::result() const {
  KERAS_CHECK(!o_.average.empty(), ValueError, class_name(), " metric '", name_,
              "': with average=None there is one score per class; read result_values(), or set average to "
              "\"micro\", \"macro\" or \"weighted\" for one number");
  return result_values()[0];
}

nlohmann::json FBetaScore::get_config() const {
  nlohmann::json c = Metric::get_config();
  c["average"] = o_.average.empty() ? nlohmann::json(nullptr) : nlohmann::json(o_.average);
  c["beta"] = o_.beta;
  c["threshold"] = o_.threshold ? nlohmann::json(*o_.threshold) : nlohmann::json(nullptr);
  return c;
}

F1Score::F1Score(std::string average, std::optional<double> threshold, std::string name)
    : FBetaScore(FBetaOptions{std::move(average), 1.0, threshold}, std::move(name)) {}

nlohmann::json F1Score::get_config() const {
  nlohmann::json c = FBetaScore::get_config();
  c.erase("beta");
  return c;
}

// ---- R2Score ----

R2Score::R2Score(std::string class_aggregation, int num_regressors, std::string name)
    : Metric(std::move(name)), aggregation_(std::move(class_aggregation)), num_regressors_(num_regressors) {
  KERAS_CHECK(aggregation_.empty() || aggregation_ == "uniform_average" || aggregation_ == "variance_weighted_average",
              ValueError, "R2Score: invalid `class_aggregation` \"", aggregation_,
              "\"; expected None (\"\"), \"uniform_average\" or \"variance_weighted_average\"");
  KERAS_CHECK(num_regressors_ >= 0, ValueError, "R2Score: `num_regressors` must be >= 0. Received: ",
              num_regressors_);
}

void R2Score::reset_state() {
  zero(sum_), zero(squared_sum_), zero(total_mse_), zero(count_);
  num_samples_ = 0;
}

void R2Score::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  autograd::NoGradGuard no_grad;
  auto [t0, p0] = ld::squeeze_or_expand_to_same_rank(y_true, y_pred);
  auto [t, p, w] = rank2("R2Score metric '" + name_ + "'", t0, p0, sample_weight);
  Tensor ww = w.defined() ? ops::broadcast_to(w, t.shape()) : ops::ones_like(t);
  Tensor wt = t * ww;
  add_to(sum_, ops::sum(wt, {0}));
  add_to(squared_sum_, ops::sum(t * wt, {0}));
  add_to(total_mse_, ops::sum(ops::square(t - p) * ww, {0}));
  add_to(count_, ops::sum(ww, {0}));
  num_samples_ += static_cast<double>(t.size());  // Keras counts every entry
}

std::vector<double> R2Score::result_values() const {
  // No data: 0 / 0, as Keras (NaN).
  if (!sum_.defined()) return {std::numeric_limits<double>::quiet_NaN()};
  auto s = host(sum_), sq = host(squared_sum_), mse = host(total_mse_), n = host(count_);
  std::vector<double> raw(s.size()), total(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    total[i] = sq[i] - s[i] * (s[i] / n[i]);
    raw[i] = 1.0 - mse[i] / total[i];
    if (std::isinf(raw[i])) raw[i] = 0.0;
  }
  if (aggregation_.empty()) return raw;
  double r2 = 0;
  if (aggregation_ == "uniform_average") {
    for (double x : raw) r2 += x;
    r2 /= static_cast<double>(raw.size());
  } else {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) num += total[i] * raw[i], den += total[i];
    r2 = num / den;
  }
  // Adjusted R2 when there are enough samples (Keras warns and keeps r2 otherwise).
  if (num_regressors_ != 0 && num_regressors_ < num_samples_ - 1)
    r2 = 1.0 - (1.0 - r2) * (num_samples_ - 1.0) / (num_samples_ - num_regressors_ - 1.0);
  return {r2};
}

double R2Score::result() const {
  KERAS_CHECK(!aggregation_.empty(), ValueError, "R2Score metric '", name_,
              "': with class_aggregation=None there is one score per output; read result_values()");
  return result_values()[0];
}

nlohmann::json R2Score::get_config() const {
  nlohmann::json c = Metric::get_config();
  c["class_aggregation"] = aggregation_.empty() ? nlohmann::json(nullptr) : nlohmann::json(aggregation_);
  c["num_regressors"] = num_regressors_;
  return c;
}

}  // namespace keras::metrics
