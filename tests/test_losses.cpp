// Losses: values against plain formulas (written with std::log here),
// reductions and sample weights, logits against probabilities, label
// smoothing, shape errors, get() and gradients by finite differences.
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/backend.hpp"  // test_helpers.hpp uses keras::backend
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace losses = keras::losses;

namespace {

constexpr double kEps = 1e-7;  // keras.config.epsilon()

// Keras clips in float32, where 1 - 1e-7 rounds to 1 - 1.19e-7: that is
// what log(1 - p) sees for p = 1.
double clip_p(double p) {
  return std::min(std::max(p, double(float(kEps))), double(float(1.0 - kEps)));
}
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// -(t log p + (1 - t) log(1 - p)) with Keras's clipping of p.
double bce(double t, double p) {
  p = clip_p(p);
  return -(t * std::log(p) + (1 - t) * std::log(1 - p));
}

// Categorical crossentropy of one row of probabilities: normalised, clipped.
double cce_probs(const std::vector<double>& t, std::vector<double> p) {
  double s = 0;
  for (double x : p) s += x;
  double l = 0;
  for (std::size_t i = 0; i < p.size(); ++i) l -= t[i] * std::log(clip_p(p[i] / s));
  return l;
}

// ... and of one row of logits: -sum t * log_softmax(x).
double cce_logits(const std::vector<double>& t, const std::vector<double>& x) {
  double mx = *std::max_element(x.begin(), x.end()), s = 0;
  for (double v : x) s += std::exp(v - mx);
  double l = 0;
  for (std::size_t i = 0; i < x.size(); ++i) l -= t[i] * (x[i] - mx - std::log(s));
  return l;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const keras::ValueError& e) {
    return e.what();
  }
  return "(no ValueError)";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("losses: MSE and MAE average over the last axis, then reduce") {
  Tensor yt({{1, 2, 3}, {0, -1, 4}});
  Tensor yp({{1.5f, 1, 3}, {2, -1, 3.5f}});
  // Per sample: MSE (0.25 + 1 + 0) / 3, (4 + 0 + 0.25) / 3; MAE (0.5 + 1) / 3, (2 + 0.5) / 3.
  const float mse0 = 1.25f / 3, mse1 = 4.25f / 3, mae0 = 1.5f / 3, mae1 = 2.5f / 3;
  losses::MeanSquaredError mse;
  losses::MeanAbsoluteError mae;
  testing::check_close(mse.call(yt, yp), {mse0, mse1}, 1e-6, 1e-6, "mse per sample");
  testing::check_close(mae.call(yt, yp), {mae0, mae1}, 1e-6, 1e-6, "mae per sample");
  CHECK(mse(yt, yp).item() == doctest::Approx((mse0 + mse1) / 2));
  CHECK(mae(yt, yp).item() == doctest::Approx((mae0 + mae1) / 2));
  CHECK(mse(yt, yp).ndim() == 0);
  losses::MeanSquaredError sum({.reduction = losses::Reduction::sum});
  CHECK(sum(yt, yp).item() == doctest::Approx(mse0 + mse1));
  losses::MeanSquaredError none({.reduction = losses::Reduction::none});
  testing::check_close(none(yt, yp), {mse0, mse1}, 1e-6, 1e-6, "none");
  // Integer targets are cast to the prediction's dtype.
  Tensor yi({2, 3}, std::vector<std::int64_t>{1, 2, 3, 0, -1, 4});
  CHECK(mse(yi, yp).item() == doctest::Approx((mse0 + mse1) / 2));
}

TEST_CASE("losses: (N,) targets against (N, 1) predictions line up as in Keras") {
  Tensor yt({3}, std::vector<float>{1, 2, 3});
  Tensor yp({3, 1}, std::vector<float>{2, 2, 5});
  losses::MeanSquaredError mse({.reduction = losses::Reduction::none});
  testing::check_close(mse(yt, yp), {1, 0, 4}, 1e-6, 0, "(N,) vs (N,1)");
  testing::check_close(mse(yp, yt), {1, 0, 4}, 1e-6, 0, "(N,1) vs (N,)");
  std::string m = error_of([&] {
    losses::MeanSquaredError()(Tensor::zeros({4, 3}), Tensor::zeros({4, 2}));
  });
  CHECK(contains(m, "mean_squared_error"));
  CHECK(contains(m, "(4, 3)"));
  CHECK(contains(m, "(4, 2)"));
}

TEST_CASE("losses: sample weights scale per-sample losses; the mean divides by the batch size") {
  Tensor yt({{0, 0}, {0, 0}, {0, 0}});
  Tensor yp({{1, 1}, {2, 2}, {3, 3}});  // per-sample MSE 1, 4, 9
  Tensor w({3}, std::vector<float>{0.5f, 0, 2});
  losses::MeanSquaredError mse;
  // Keras's sum_over_batch_size: sum(w * l) / N, not / sum(w).
  CHECK(mse(yt, yp, w).item() == doctest::Approx((0.5 + 0 + 18) / 3));
  CHECK(mse(yt, yp, w.reshape({3, 1})).item() == doctest::Approx((0.5 + 0 + 18) / 3));
  losses::MeanSquaredError sum({.reduction = losses::Reduction::sum});
  CHECK(sum(yt, yp, w).item() == doctest::Approx(18.5));
  losses::MeanSquaredError none({.reduction = losses::Reduction::none});
  testing::check_close(none(yt, yp, w), {0.5f, 0, 18}, 1e-6, 0, "weighted none");
  // Sequence losses (N, T) take a weight per sample (N,) or per step (N, T).
  Tensor st = Tensor::zeros({2, 3, 1});
  Tensor sp({2, 3, 1}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor ws({2}, std::vector<float>{1, 0});
  CHECK(mse(st, sp, ws).item() == doctest::Approx((1 + 4 + 9) / 6.0));
  Tensor wt({2, 3}, std::vector<float>{1, 0, 0, 0, 0, 1});
  CHECK(mse(st, sp, wt).item() == doctest::Approx((1 + 36) / 6.0));
  // Integer weights are fine; mismatched ones are an error naming the loss.
  Tensor wi({3}, std::vector<std::int32_t>{1, 0, 1});
  CHECK(mse(yt, yp, wi).item() == doctest::Approx(10.0 / 3));
  std::string m = error_of([&] { mse(yt, yp, Tensor::ones({4})); });
  CHECK(contains(m, "mean_squared_error"));
  CHECK(contains(m, "(4,)"));
}

TEST_CASE("losses: binary crossentropy on probabilities, logits and with label smoothing") {
  const std::vector<float> t = {1, 0, 1, 0, 1, 0};
  const std::vector<float> p = {0.9f, 0.2f, 0.3f, 0.6f, 1.0f, 0.0f};  // the last two are clipped
  Tensor yt({2, 3}, t), yp({2, 3}, p);
  auto want = [&](double ls) {
    std::vector<float> w;
    for (int r = 0; r < 2; ++r) {
      double s = 0;
      for (int c = 0; c < 3; ++c) s += bce(t[r * 3 + c] * (1 - ls) + 0.5 * ls, p[r * 3 + c]);
      w.push_back(static_cast<float>(s / 3));
    }
    return w;
  };
  losses::BinaryCrossentropy b;
  testing::check_close(b.call(yt, yp), want(0), 1e-5, 1e-5, "bce probabilities");
  auto w0 = want(0);
  CHECK(b(yt, yp).item() == doctest::Approx((w0[0] + w0[1]) / 2).epsilon(1e-5));
  losses::BinaryCrossentropy smooth({.label_smoothing = 0.2});
  testing::check_close(smooth.call(yt, yp), want(0.2), 1e-5, 1e-5, "bce label smoothing");

  // Logits: the same values as sigmoid probabilities, without clipping.
  const std::vector<float> x = {2.0f, -1.5f, 0.3f, 4.0f, -20.0f, 30.0f};
  Tensor xl({2, 3}, x);
  std::vector<float> wl;
  for (int r = 0; r < 2; ++r) {
    double s = 0;
    for (int c = 0; c < 3; ++c) {
      const double z = x[r * 3 + c], tt = t[r * 3 + c];
      // Stable form: max(z, 0) - z t + log(1 + exp(-|z|)).
      s += std::max(z, 0.0) - z * tt + std::log1p(std::exp(-std::fabs(z)));
    }
    wl.push_back(static_cast<float>(s / 3));
  }
  losses::BinaryCrossentropy bl({.from_logits = true});
  testing::check_close(bl.call(yt, xl), wl, 1e-5, 1e-5, "bce logits (large |z| included)");
  // Moderate logits: from_logits agrees with probabilities.
  Tensor xm({2, 3}, std::vector<float>{2.0f, -1.5f, 0.3f, 1.0f, -0.5f, 0.7f});
  testing::check_close(bl.call(yt, xm), b.call(yt, ops::sigmoid(xm)).to_vector<float>(), 1e-5, 1e-4,
                       "bce logits vs probabilities");
  // (N,) labels against (N, 1) outputs.
  Tensor y1({3}, std::vector<float>{1, 0, 1});
  Tensor p1({3, 1}, std::vector<float>{0.8f, 0.4f, 0.5f});
  testing::check_close(losses::BinaryCrossentropy({.reduction = losses::Reduction::none})(y1, p1),
                       {float(bce(1, 0.8)), float(bce(0, 0.4)), float(bce(1, 0.5))}, 1e-6, 1e-5,
                       "bce (N,) vs (N,1)");
}

TEST_CASE("losses: categorical crossentropy normalises and clips probabilities") {
  const std::vector<std::vector<double>> t = {{0, 1, 0}, {0.2, 0.3, 0.5}};
  const std::vector<std::vector<double>> p = {{0.2, 0.6, 0.6},
                                              {0.0, 0.5, 0.5}};  // row 0 sums to 1.4
  Tensor yt({{0, 1, 0}, {0.2f, 0.3f, 0.5f}});
  Tensor yp({{0.2f, 0.6f, 0.6f}, {0.0f, 0.5f, 0.5f}});
  losses::CategoricalCrossentropy c;
  testing::check_close(c.call(yt, yp), {float(cce_probs(t[0], p[0])), float(cce_probs(t[1], p[1]))},
                       1e-5, 1e-5, "cce probabilities");

  const std::vector<std::vector<double>> x = {{1.0, 2.0, -1.0}, {0.5, -0.5, 3.0}};
  Tensor xl({{1.0f, 2.0f, -1.0f}, {0.5f, -0.5f, 3.0f}});
  losses::CategoricalCrossentropy cl({.from_logits = true});
  testing::check_close(cl.call(yt, xl),
                       {float(cce_logits(t[0], x[0])), float(cce_logits(t[1], x[1]))}, 1e-5, 1e-5,
                       "cce logits");
  // Probabilities from a softmax agree with the logits.
  testing::check_close(c.call(yt, ops::softmax(xl)), cl.call(yt, xl).to_vector<float>(), 1e-5, 1e-4,
                       "cce softmax probabilities vs logits");
  // Label smoothing: t * (1 - ls) + ls / C.
  const double ls = 0.3;
  losses::CategoricalCrossentropy cs({.from_logits = true, .label_smoothing = ls});
  std::vector<float> want;
  for (int r = 0; r < 2; ++r) {
    std::vector<double> ts = t[r];
    for (double& v : ts) v = v * (1 - ls) + ls / 3;
    want.push_back(float(cce_logits(ts, x[r])));
  }
  testing::check_close(cs.call(yt, xl), want, 1e-5, 1e-5, "cce label smoothing");
  // Wrong shapes: the message names the loss, both shapes and the fix.
  std::string m = error_of([&] { c(Tensor::zeros({4}), Tensor::zeros({4, 3})); });
  CHECK(contains(m, "categorical_crossentropy"));
  CHECK(contains(m, "(4,)"));
  CHECK(contains(m, "(4, 3)"));
  CHECK(contains(m, "sparse_categorical_crossentropy"));
}

TEST_CASE("losses: categorical crossentropy over another class axis") {
  // Classes on axis 0: the same as transposing to put them last.
  Tensor yt({{0, 1}, {1, 0}, {0, 0}});  // (C=3, N=2)
  Tensor xl({{1, 2}, {2, 0.5f}, {-1, 3}});
  losses::CategoricalCrossentropy c0({.from_logits = true, .axis = 0});
  losses::CategoricalCrossentropy cl({.from_logits = true});
  testing::check_close(c0.call(yt, xl),
                       cl.call(ops::transpose(yt), ops::transpose(xl)).to_vector<float>(), 1e-6,
                       1e-6, "axis 0");
}

TEST_CASE("losses: sparse categorical crossentropy equals categorical on one-hot labels") {
  Tensor xl({{1.0f, 2.0f, -1.0f}, {0.5f, -0.5f, 3.0f}, {0, 0, 0}, {4, -2, 1}});
  Tensor onehot({{0, 1, 0}, {1, 0, 0}, {0, 0, 1}, {0, 0, 1}});
  Tensor probs = ops::softmax(xl).detach();
  losses::SparseCategoricalCrossentropy sl({.from_logits = true});
  losses::SparseCategoricalCrossentropy sp;
  const auto want_l =
      losses::CategoricalCrossentropy({.from_logits = true}).call(onehot, xl).to_vector<float>();
  const auto want_p = losses::CategoricalCrossentropy().call(onehot, probs).to_vector<float>();
  // Labels as int64 (N,), int32 (N, 1) and float32 (N,).
  Tensor l64({4}, std::vector<std::int64_t>{1, 0, 2, 2});
  Tensor l32({4, 1}, std::vector<std::int32_t>{1, 0, 2, 2});
  Tensor lf({4}, std::vector<float>{1, 0, 2, 2});
  for (const Tensor& labels : {l64, l32, lf}) {
    testing::check_close(sl.call(labels, xl), want_l, 1e-5, 1e-5, "sparse logits");
    testing::check_close(sp.call(labels, probs), want_p, 1e-5, 1e-5, "sparse probabilities");
  }
  CHECK(sl(l64, xl).item() ==
        doctest::Approx((want_l[0] + want_l[1] + want_l[2] + want_l[3]) / 4).epsilon(1e-5));
  // Label smoothing matches the categorical loss on smoothed one-hot labels.
  losses::SparseCategoricalCrossentropy ss({.from_logits = true, .label_smoothing = 0.1});
  testing::check_close(
      ss.call(l64, xl),
      losses::CategoricalCrossentropy({.from_logits = true, .label_smoothing = 0.1})
          .call(onehot, xl)
          .to_vector<float>(),
      1e-5, 1e-5, "sparse label smoothing");
  // Probabilities that are not normalised: normalised, then clipped.
  Tensor raw({{0.2f, 0.6f, 0.6f}, {0.0f, 0.5f, 0.5f}});
  Tensor lab({2}, std::vector<std::int64_t>{1, 0});
  testing::check_close(
      sp.call(lab, raw),
      {float(cce_probs({0, 1, 0}, {0.2, 0.6, 0.6})), float(cce_probs({1, 0, 0}, {0, 0.5, 0.5}))},
      1e-5, 1e-5, "sparse raw probabilities");
}

TEST_CASE("losses: sparse categorical crossentropy rejects bad labels and shapes") {
  losses::SparseCategoricalCrossentropy s({.from_logits = true});
  Tensor x = Tensor::zeros({4, 3});
  std::string m = error_of([&] { s(Tensor({4}, std::vector<std::int64_t>{0, 2, 3, 7}), x); });
  CHECK(contains(m, "sparse_categorical_crossentropy"));
  CHECK(contains(m, "label 3"));  // the first bad one
  CHECK(contains(m, "[0, 3)"));
  m = error_of([&] { s(Tensor({4}, std::vector<float>{0, -1, 1, 1}), x); });
  CHECK(contains(m, "label -1"));
  m = error_of([&] { s(Tensor::zeros({5}), x); });
  CHECK(contains(m, "(5,)"));
  CHECK(contains(m, "(4, 3)"));
  CHECK(contains(m, "(4,)"));
  m = error_of([&] { s(Tensor::zeros({4, 3}), x); });  // one-hot labels by mistake
  CHECK(contains(m, "categorical_crossentropy"));
  CHECK(contains(m, "(4, 3)"));
}

TEST_CASE("losses: gradients match central finite differences") {
  Tensor yt({{1, 0, 0}, {0, 0.5f, 0.5f}});
  Tensor reg_t({{0.3f, -1, 2}, {1, 1, -0.5f}});
  Tensor labels({2}, std::vector<std::int64_t>{2, 0});
  Tensor bin_t({{1, 0, 1}, {0, 1, 0}});
  Tensor w({2}, std::vector<float>{0.7f, 1.3f});
  using V = std::vector<Tensor>;
  // Predictions away from the kinks (|y_pred - y_true| > 0.1) and clip bounds.
  Tensor reg_p({{0.8f, -0.4f, 1.2f}, {1.5f, 0.2f, 0.1f}});
  Tensor probs({{0.2f, 0.3f, 0.5f}, {0.6f, 0.3f, 0.1f}});
  Tensor logits({{0.5f, -1.0f, 2.0f}, {1.0f, 0.2f, -0.3f}});

  testing::gradcheck(
      "mse", [&](V& in) { return losses::MeanSquaredError()(reg_t, in[0], w); }, {reg_p.clone()},
      1e-3);
  testing::gradcheck(
      "mae", [&](V& in) { return losses::MeanAbsoluteError()(reg_t, in[0]); }, {reg_p.clone()},
      1e-3);
  testing::gradcheck(
      "bce probabilities",
      [&](V& in) { return losses::BinaryCrossentropy({.label_smoothing = 0.1})(bin_t, in[0]); },
      {probs.clone()}, 1e-3);
  testing::gradcheck(
      "bce logits",
      [&](V& in) { return losses::BinaryCrossentropy({.from_logits = true})(bin_t, in[0], w); },
      {logits.clone()}, 1e-3);
  testing::gradcheck(
      "cce probabilities", [&](V& in) { return losses::CategoricalCrossentropy()(yt, in[0]); },
      {probs.clone()}, 1e-3);
  testing::gradcheck(
      "cce logits",
      [&](V& in) {
        return losses::CategoricalCrossentropy({.from_logits = true, .label_smoothing = 0.2})(
            yt, in[0]);
      },
      {logits.clone()}, 1e-3);
  testing::gradcheck(
      "cce through softmax",
      [&](V& in) { return losses::CategoricalCrossentropy()(yt, ops::softmax(in[0])); },
      {logits.clone()}, 1e-3);
  testing::gradcheck(
      "sparse logits",
      [&](V& in) {
        return losses::SparseCategoricalCrossentropy({.from_logits = true})(labels, in[0], w);
      },
      {logits.clone()}, 1e-3);
  testing::gradcheck(
      "sparse probabilities",
      [&](V& in) { return losses::SparseCategoricalCrossentropy()(labels, in[0]); },
      {probs.clone()}, 1e-3);
  testing::gradcheck(
      "sparse through softmax",
      [&](V& in) { return losses::SparseCategoricalCrossentropy()(labels, ops::softmax(in[0])); },
      {logits.clone()}, 1e-3);
}

TEST_CASE("losses: get() resolves Keras names and aliases") {
  CHECK(losses::get("mse")->class_name() == "MeanSquaredError");
  CHECK(losses::get("mean_squared_error")->name() == "mean_squared_error");
  CHECK(losses::get("mae")->class_name() == "MeanAbsoluteError");
  CHECK(losses::get("mean_absolute_error")->class_name() == "MeanAbsoluteError");
  CHECK(losses::get("binary_crossentropy")->class_name() == "BinaryCrossentropy");
  CHECK(losses::get("categorical_crossentropy")->class_name() == "CategoricalCrossentropy");
  auto s = losses::get("sparse_categorical_crossentropy");
  CHECK(s->class_name() == "SparseCategoricalCrossentropy");
  CHECK(s->name() == "sparse_categorical_crossentropy");
  CHECK(s->reduction() == losses::Reduction::sum_over_batch_size);
  std::string m = error_of([] { losses::get("hinge_loss"); });
  CHECK(contains(m, "hinge_loss"));
  CHECK(contains(m, "sparse_categorical_crossentropy"));
}

TEST_CASE("losses: get_config has Keras's keys") {
  auto c = losses::SparseCategoricalCrossentropy({.from_logits = true}).get_config();
  CHECK(c["name"] == "sparse_categorical_crossentropy");
  CHECK(c["reduction"] == "sum_over_batch_size");
  CHECK(c["from_logits"] == true);
  CHECK(c["ignore_class"].is_null());
  auto b = losses::BinaryCrossentropy(
               {.label_smoothing = 0.1, .reduction = losses::Reduction::sum, .name = "bce"})
               .get_config();
  CHECK(b["name"] == "bce");
  CHECK(b["reduction"] == "sum");
  CHECK(b["label_smoothing"].get<double>() == doctest::Approx(0.1));
  CHECK(b["axis"] == -1);
  CHECK(losses::MeanAbsoluteError().get_config()["name"] == "mean_absolute_error");
  CHECK_THROWS_AS((losses::CategoricalCrossentropy({.label_smoothing = 1.5})), keras::ValueError);
}
