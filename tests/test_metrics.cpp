// Metrics: streaming means over several batches (with and without sample
// weights), the accuracy functions, Keras's docstring examples, and how
// get() resolves "accuracy" from the loss and the shapes.
#include "keras/backend.hpp"  // test_helpers.hpp uses keras::backend
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace metrics = keras::metrics;
namespace losses = keras::losses;

namespace {
Tensor labels64(std::vector<std::int64_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return Tensor({n}, v);
}
}  // namespace

TEST_CASE("metrics: Mean accumulates over batches, weighted or not") {
  metrics::Mean m("loss");
  CHECK(m.name() == "loss");
  CHECK(m.result() == 0.0);  // no data yet: 0, not NaN (Keras's divide_no_nan)
  m.update(Tensor({3}, std::vector<float>{1, 2, 3}));
  m.update(Tensor({2}, std::vector<float>{4, 5}));
  CHECK(m.result() == doctest::Approx(3.0));
  m.update(Tensor::scalar(12.0));  // a scalar counts once
  CHECK(m.result() == doctest::Approx(27.0 / 6));
  m.reset_state();
  CHECK(m.result() == 0.0);
  // Weighted: sum(w * v) / sum(w) across batches.
  m.update(Tensor({3}, std::vector<float>{1, 2, 3}), Tensor({3}, std::vector<float>{1, 0, 2}));
  m.update(Tensor({2}, std::vector<float>{10, 20}), Tensor({2}, std::vector<float>{0.5f, 0.5f}));
  CHECK(m.result() == doctest::Approx((1 + 6 + 5 + 10) / 4.0));
  // Several values per sample: averaged to one per sample first.
  metrics::Mean r;
  r.update(Tensor({{1, 3}, {5, 7}}));  // per sample 2, 6
  r.update(Tensor({{0, 2}}));          // 1
  CHECK(r.result() == doctest::Approx(3.0));
  // update_state forwards y_pred.
  metrics::Mean s;
  s.update_state(Tensor(), Tensor({2}, std::vector<float>{2, 4}));
  CHECK(s.result() == doctest::Approx(3.0));
  CHECK_THROWS_AS(s.update(Tensor({2}, std::vector<float>{1, 2}), Tensor::ones({3})),
                  keras::ValueError);
}

TEST_CASE("metrics: Mean of tensors that require gradients records nothing") {
  Tensor x({3}, std::vector<float>{1, 2, 3});
  x.requires_grad_(true);
  metrics::Mean m;
  for (int i = 0; i < 5; ++i) m.update(ops::mean(ops::square(x)));
  CHECK(m.result() == doctest::Approx(14.0 / 3));
}

TEST_CASE("metrics: accuracy functions per sample") {
  Tensor probs({{0.1f, 0.6f, 0.3f}, {0.05f, 0.95f, 0.0f}, {0.5f, 0.2f, 0.3f}});
  testing::check_close(metrics::sparse_categorical_accuracy(labels64({2, 1, 0}), probs), {0, 1, 1},
                       0, 0, "sparse (N,) int64");
  testing::check_close(
      metrics::sparse_categorical_accuracy(Tensor({3, 1}, std::vector<float>{1, 1, 2}), probs),
      {1, 1, 0}, 0, 0, "sparse (N, 1) float");
  testing::check_close(
      metrics::sparse_categorical_accuracy(Tensor({3}, std::vector<std::int32_t>{1, 0, 0}), probs),
      {1, 0, 1}, 0, 0, "sparse int32");
  CHECK(metrics::sparse_categorical_accuracy(labels64({2, 1, 0}), probs).shape() == Shape{3});
  Tensor onehot({{0, 0, 1}, {0, 1, 0}, {1, 0, 0}});
  testing::check_close(metrics::categorical_accuracy(onehot, probs), {0, 1, 1}, 0, 0,
                       "categorical");
  // Binary: strictly above 0.5 counts as 1; the mean runs over the last axis.
  Tensor bt({{1, 0}, {1, 1}});
  Tensor bp({{0.7f, 0.5f}, {0.5f, 0.51f}});
  testing::check_close(metrics::binary_accuracy(bt, bp), {1.0f, 0.5f}, 1e-7, 0, "binary");
  testing::check_close(metrics::accuracy(Tensor({{1, 2}, {3, 4}}), Tensor({{1, 0}, {3, 4}})),
                       {0.5f, 1.0f}, 1e-7, 0, "exact match");
  CHECK_THROWS_AS(metrics::sparse_categorical_accuracy(labels64({1, 2}), probs), keras::ValueError);
  CHECK_THROWS_AS(metrics::categorical_accuracy(Tensor::zeros({3, 2}), probs), keras::ValueError);
}

TEST_CASE("metrics: Keras's documented examples, with and without sample weights") {
  const Tensor none;
  auto run = [](metrics::Metric& m, const Tensor& yt, const Tensor& yp, const Tensor& w) {
    m.reset_state();
    m.update_state(yt, yp, w);
    return m.result();
  };
  metrics::Accuracy acc;
  Tensor at({4, 1}, std::vector<float>{1, 2, 3, 4}), ap({4, 1}, std::vector<float>{0, 2, 3, 4});
  CHECK(run(acc, at, ap, none) == doctest::Approx(0.75));
  CHECK(run(acc, at, ap, Tensor({4}, std::vector<float>{1, 1, 0, 0})) == doctest::Approx(0.5));

  metrics::BinaryAccuracy bin;
  Tensor bt({4, 1}, std::vector<float>{1, 1, 0, 0}),
      bp({4, 1}, std::vector<float>{0.98f, 1, 0, 0.6f});
  CHECK(run(bin, bt, bp, none) == doctest::Approx(0.75));
  CHECK(run(bin, bt, bp, Tensor({4}, std::vector<float>{1, 0, 0, 1})) == doctest::Approx(0.5));

  metrics::CategoricalAccuracy cat;
  Tensor ct({{0, 0, 1}, {0, 1, 0}}), cp({{0.1f, 0.9f, 0.8f}, {0.05f, 0.95f, 0}});
  CHECK(run(cat, ct, cp, none) == doctest::Approx(0.5));
  CHECK(run(cat, ct, cp, Tensor({2}, std::vector<float>{0.7f, 0.3f})) == doctest::Approx(0.3));

  metrics::SparseCategoricalAccuracy sp;
  Tensor st({2, 1}, std::vector<float>{2, 1}), sq({{0.1f, 0.6f, 0.3f}, {0.05f, 0.95f, 0}});
  CHECK(run(sp, st, sq, none) == doctest::Approx(0.5));
  CHECK(run(sp, st, sq, Tensor({2}, std::vector<float>{0.7f, 0.3f})) == doctest::Approx(0.3));

  metrics::MeanSquaredError mse;
  CHECK(run(mse, Tensor({{0, 1}, {0, 0}}), Tensor({{1, 1}, {0, 0}}), none) ==
        doctest::Approx(0.25));
  CHECK(run(mse, Tensor({{0, 1}, {0, 0}}), Tensor({{1, 1}, {0, 0}}),
            Tensor({2}, std::vector<float>{1, 0})) == doctest::Approx(0.5));
  metrics::MeanAbsoluteError mae;
  CHECK(run(mae, Tensor({{0, 1}, {0, 0}}), Tensor({{1, 1}, {0, 0}}), none) ==
        doctest::Approx(0.25));
  CHECK(mse.name() == "mean_squared_error");
  CHECK(mae.class_name() == "MeanAbsoluteError");
}

TEST_CASE("metrics: sparse categorical accuracy accumulates over uneven batches") {
  metrics::SparseCategoricalAccuracy m;
  // Batch 1: 2 of 3 right; batch 2: 1 of 2; batch 3: 0 of 1 -> 3 / 6.
  m.update_state(labels64({0, 1, 2}), Tensor({{0.9f, 0.1f, 0}, {0, 1, 0}, {1, 0, 0}}));
  m.update_state(labels64({2, 2}), Tensor({{0, 0, 1}, {1, 0, 0}}));
  m.update_state(labels64({1}), Tensor({{0.2f, 0.3f, 0.5f}}));
  CHECK(m.result() == doctest::Approx(0.5));
  CHECK(m.name() == "sparse_categorical_accuracy");
  m.reset_state();
  CHECK(m.result() == 0.0);
  m.update_state(labels64({1}), Tensor({{0.2f, 0.5f, 0.3f}}));
  CHECK(m.result() == doctest::Approx(1.0));
}

TEST_CASE("metrics: get() resolves \"accuracy\" from the loss and the shapes, as compile() does") {
  losses::SparseCategoricalCrossentropy scce;
  losses::CategoricalCrossentropy cce;
  losses::BinaryCrossentropy bce;
  losses::MeanSquaredError mse;
  auto m = metrics::get("accuracy", &scce, {32}, {32, 10});
  CHECK(m->class_name() == "SparseCategoricalAccuracy");
  CHECK(m->name() == "accuracy");  // the log key stays what the user wrote
  CHECK(metrics::get("accuracy", &scce, {32, 1}, {32, 10})->class_name() ==
        "SparseCategoricalAccuracy");
  CHECK(metrics::get("accuracy", &cce, {32, 10}, {32, 10})->class_name() == "CategoricalAccuracy");
  CHECK(metrics::get("accuracy", &bce, {32, 1}, {32, 1})->class_name() == "BinaryAccuracy");
  CHECK(metrics::get("accuracy", &mse, {32}, {32, 1})->class_name() == "BinaryAccuracy");
  // Multi-label outputs with binary crossentropy: binary accuracy.
  CHECK(metrics::get("accuracy", &bce, {32, 5}, {32, 5})->class_name() == "BinaryAccuracy");
  CHECK(metrics::get("accuracy", nullptr, {-1, 3}, {-1, 3})->class_name() == "CategoricalAccuracy");
  auto acc = metrics::get("acc", &scce, {8}, {8, 4});
  CHECK(acc->class_name() == "SparseCategoricalAccuracy");
  CHECK(acc->name() == "acc");
  CHECK(metrics::get("Accuracy", &cce, {8, 4}, {8, 4})->class_name() == "CategoricalAccuracy");

  auto e = metrics::get("mse", &mse, {8, 1}, {8, 1});
  CHECK(e->class_name() == "MeanSquaredError");
  CHECK(e->name() == "mse");
  CHECK(metrics::get("mean_absolute_error", nullptr, {8}, {8})->class_name() ==
        "MeanAbsoluteError");
  CHECK(metrics::get("mae", nullptr, {8}, {8})->name() == "mae");
  CHECK(metrics::get("sparse_categorical_accuracy", nullptr, {8}, {8, 3})->class_name() ==
        "SparseCategoricalAccuracy");
  CHECK(metrics::get("binary_accuracy", nullptr, {8}, {8})->class_name() == "BinaryAccuracy");
  try {
    metrics::get("f1_scor", nullptr, {8}, {8});
    FAIL("expected ValueError");
  } catch (const keras::ValueError& err) {
    std::string msg = err.what();
    CHECK(msg.find("f1_scor") != std::string::npos);
    CHECK(msg.find("sparse_categorical_accuracy") != std::string::npos);
  }
}

TEST_CASE("metrics: a resolved accuracy metric accumulates like the class it resolves to") {
  auto m = metrics::get("accuracy", nullptr, {4}, {4, 3});
  m->update_state(labels64({0, 1, 2, 2}), Tensor({{1, 0, 0}, {0, 1, 0}, {0, 1, 0}, {0, 0, 1}}));
  m->update_state(labels64({0, 1, 2, 2}), Tensor({{0, 1, 0}, {0, 1, 0}, {0, 1, 0}, {0, 1, 0}}));
  CHECK(m->result() == doctest::Approx(4.0 / 8));
}
