// fit / evaluate / predict on a keras::data::Dataset and a utils::PyDataset.
#include <atomic>
#include <cmath>

#include "test_helpers.hpp"

using keras::Tensor;
using keras::data::Dataset;
using keras::data::Element;
namespace layers = keras::layers;
namespace ops = keras::ops;

namespace {

// Three Gaussian blobs in 2-D: learnable by a small MLP.
void blobs(std::int64_t n, Tensor& x, Tensor& y, unsigned seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> nd(0, 0.6f);
  std::vector<float> xv;
  std::vector<std::int64_t> yv;
  const float cx[3] = {-2, 2, 0}, cy[3] = {0, 0, 2.5f};
  for (std::int64_t i = 0; i < n; ++i) {
    int c = static_cast<int>((i * 7) % 3);
    xv.push_back(cx[c] + nd(g));
    xv.push_back(cy[c] + nd(g));
    yv.push_back(c);
  }
  x = Tensor({n, 2}, xv);
  y = Tensor({n}, yv);
}

keras::Sequential mlp() {
  keras::Sequential m({keras::Input({2}), layers::Dense(16, "relu"), layers::Dense(3, "softmax")});
  m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  return m;
}

double accuracy(keras::Model& m, const Tensor& x, const Tensor& y) {
  auto p = ops::argmax(m.predict(x), -1).to_vector<std::int64_t>();
  auto t = y.to_vector<std::int64_t>();
  int ok = 0;
  for (std::size_t i = 0; i < t.size(); ++i) ok += p[i] == t[i];
  return double(ok) / double(t.size());
}

struct Batches : keras::utils::PyDataset {
  Tensor x, y;
  std::int64_t bs;
  mutable std::atomic<int> gets{0};
  int epochs_ended = 0;
  Batches(Tensor x_, Tensor y_, std::int64_t b, int workers) : PyDataset(workers), x(x_), y(y_), bs(b) {}
  std::int64_t size() const override { return (x.shape()[0] + bs - 1) / bs; }
  Element get(std::int64_t i) const override {
    ++gets;
    std::int64_t e = std::min(x.shape()[0], (i + 1) * bs);
    return {x.slice(i * bs, e), y.slice(i * bs, e)};
  }
  void on_epoch_end() override { ++epochs_ended; }
};

}  // namespace

TEST_CASE("data fit: map + shuffle + batch + prefetch trains as well as tensors") {
  Tensor x, y, xt, yt;
  blobs(900, x, y, 1);
  blobs(300, xt, yt, 2);
  keras::utils::set_random_seed(5);
  auto a = mlp();
  a.fit(x, y, {.batch_size = 32, .epochs = 8, .verbose = 0});
  keras::utils::set_random_seed(5);
  auto b = mlp();
  auto ds = Dataset::from_tensor_slices({x, y})
                .map([](const Element& e) { return Element{e[0] * 1.0, e[1]}; }, 2)
                .shuffle(900)
                .batch(32)
                .prefetch(2);
  auto h = b.fit(ds, {.epochs = 8, .verbose = 0});
  CHECK(h.history["loss"].size() == 8);
  double acc_a = accuracy(a, xt, yt), acc_b = accuracy(b, xt, yt);
  CHECK(acc_a > 0.9);
  CHECK(acc_b > 0.9);
  CHECK(std::fabs(acc_a - acc_b) < 0.03);
}

TEST_CASE("data fit: evaluate and predict on a Dataset equal the tensor forms") {
  Tensor x, y;
  blobs(100, x, y, 3);
  auto m = mlp();
  m.fit(x, y, {.epochs = 2, .verbose = 0});
  auto ds = Dataset::from_tensor_slices({x, y}).batch(16);
  auto want = m.evaluate(x, y, {.batch_size = 16, .verbose = 0});
  auto got = m.evaluate(ds, {.verbose = 0});
  CHECK(got["loss"] == doctest::Approx(want["loss"]).epsilon(1e-5));
  CHECK(got["accuracy"] == doctest::Approx(want["accuracy"]));
  // (x, y) batches: predict uses x; x alone works too.
  auto p = m.predict(x).to_vector<float>();
  CHECK(m.predict(ds).to_vector<float>() == p);
  CHECK(m.predict(Dataset::from_tensor_slices(x).batch(7)).to_vector<float>() == p);
  CHECK(m.predict(ds, {.steps = 2}).shape(0) == 32);
  // Sample weights as a third component, as the sample_weight option weighs them.
  std::vector<float> w(100);
  for (int i = 0; i < 100; ++i) w[i] = i < 50 ? 1.0f : 0.0f;
  Tensor sw({100}, w);
  auto weighted = m.evaluate(Dataset::from_tensor_slices({x, y, sw}).batch(100), {.verbose = 0});
  auto option = m.evaluate(x, y, {.batch_size = 100, .verbose = 0, .sample_weight = sw});
  CHECK(weighted["loss"] == doctest::Approx(option["loss"]).epsilon(1e-5));
  CHECK(weighted["loss"] != doctest::Approx(m.evaluate(x, y, {.batch_size = 100, .verbose = 0})["loss"]));
}

TEST_CASE("data fit: steps_per_epoch carries the iterator across epochs; infinite data needs it") {
  Tensor x, y;
  blobs(64, x, y, 4);
  auto m = mlp();
  auto seen = std::make_shared<std::vector<std::int64_t>>();
  auto numbered = Dataset::range(1000).map([x, y, seen](const Element& e) {
    auto i = static_cast<std::int64_t>(e[0].item());
    seen->push_back(i);
    return Element{x[i % 64], y[i % 64]};
  });
  auto inf = numbered.repeat().batch(8);
  CHECK_THROWS_WITH_AS(m.fit(inf, {.epochs = 1, .verbose = 0}), doctest::Contains("steps_per_epoch"), keras::ValueError);
  CHECK_THROWS_AS(m.evaluate(inf, {.verbose = 0}), keras::ValueError);
  auto h = m.fit(inf, {.epochs = 3, .verbose = 0, .steps_per_epoch = 2});
  CHECK(h.history["loss"].size() == 3);
  REQUIRE(seen->size() == 48);  // 3 epochs x 2 steps x 8: one pass, not restarted
  for (std::size_t i = 0; i < seen->size(); ++i) CHECK((*seen)[i] == static_cast<std::int64_t>(i));
  CHECK(m.evaluate(inf, {.verbose = 0, .steps = 3}).count("loss") == 1);
  // A finite dataset shorter than steps_per_epoch * epochs: epochs end early, restart.
  auto h2 = m.fit(Dataset::from_tensor_slices({x, y}).batch(16), {.epochs = 2, .verbose = 0, .steps_per_epoch = 10});
  CHECK(h2.history["loss"].size() == 2);
}

TEST_CASE("data fit: validation_data as a Dataset with validation_steps") {
  Tensor x, y, xv, yv;
  blobs(96, x, y, 5);
  blobs(48, xv, yv, 6);
  auto m = mlp();
  auto val = Dataset::from_tensor_slices({xv, yv}).batch(16).repeat();
  auto h = m.fit(Dataset::from_tensor_slices({x, y}).batch(16),
                 {.epochs = 2, .verbose = 0, .validation_data = val, .validation_steps = 3});
  REQUIRE(h.history.count("val_loss") == 1);
  CHECK(h.history["val_loss"].size() == 2);
  auto want = m.evaluate(xv, yv, {.batch_size = 16, .verbose = 0});
  CHECK(h.history["val_loss"][1] == doctest::Approx(want["loss"]).epsilon(1e-5));
  CHECK_THROWS_WITH_AS(m.fit(Dataset::from_tensor_slices({x, y}).batch(16), {.verbose = 0, .validation_data = val}),
                       doctest::Contains("validation_steps"), keras::ValueError);
  auto h2 = m.fit(Dataset::from_tensor_slices({x, y}).batch(16), {.epochs = 1, .verbose = 0, .validation_data = {xv, yv}});
  CHECK(h2.history["val_loss"][0] == doctest::Approx(m.evaluate(xv, yv, {.verbose = 0})["loss"]).epsilon(1e-5));
}

TEST_CASE("data fit: a PyDataset sequence, with and without workers") {
  Tensor x, y;
  blobs(120, x, y, 7);
  for (int workers : {1, 3}) {
    auto m = mlp();
    Batches seq(x, y, 20, workers);
    auto h = m.fit(seq, {.epochs = 3, .verbose = 0});
    CHECK(h.history["loss"].size() == 3);
    CHECK(seq.epochs_ended == 3);
    CHECK(seq.gets == 18);
    auto want = m.evaluate(x, y, {.batch_size = 20, .verbose = 0});
    CHECK(m.evaluate(seq, {.verbose = 0})["loss"] == doctest::Approx(want["loss"]).epsilon(1e-5));
    CHECK(m.predict(seq).to_vector<float>() == m.predict(x).to_vector<float>());
  }
}

TEST_CASE("data fit: components by name, and clear errors for wrong batches") {
  Tensor x, y;
  blobs(40, x, y, 8);
  auto in = keras::Input({2}, "features");
  auto out = layers::Dense(3, "softmax", {.name = "label"})(in);
  keras::Model fm(in, out);
  fm.compile("adam", "sparse_categorical_crossentropy");
  auto named = Dataset::from_tensor_slices(std::map<std::string, Tensor>{{"features", x}, {"label", y}}).batch(8);
  CHECK(fm.fit(named, {.epochs = 1, .verbose = 0}).history["loss"].size() == 1);
  auto stray = Dataset::from_tensor_slices(std::map<std::string, Tensor>{{"features", x}, {"lbl", y}}).batch(8);
  CHECK_THROWS_WITH_AS(fm.fit(stray, {.verbose = 0}), doctest::Contains("\"lbl\""), keras::ValueError);

  auto m = mlp();
  CHECK_THROWS_WITH_AS(m.fit(Dataset::from_tensor_slices(x).batch(8), {.verbose = 0}),
                       doctest::Contains("(x, y) or (x, y, sample_weight)"), keras::ValueError);
  CHECK_THROWS_WITH_AS(m.fit(Dataset::from_tensor_slices({x, y}), {.verbose = 0}),
                       doctest::Contains("is the dataset batched?"), keras::ValueError);
  CHECK_THROWS_WITH_AS(m.fit(Dataset::from_tensor_slices({x, y}).batch(8), {.verbose = 0, .validation_split = 0.2}),
                       doctest::Contains("split_dataset"), keras::ValueError);
  auto none = Dataset::from_tensor_slices({x, y}).filter([](const Element&) { return false; }).batch(8);
  CHECK_THROWS_WITH_AS(m.fit(none, {.verbose = 0}), doctest::Contains("no batches"), keras::ValueError);
  auto failing = Dataset::from_tensor_slices({x, y}).batch(8).map([](const Element& e) -> Element {
    throw std::runtime_error("augmentation failed");
  });
  CHECK_THROWS_WITH_AS(m.fit(failing, {.verbose = 0}), doctest::Contains("augmentation failed"), keras::RuntimeError);
}

TEST_CASE("data fit: tensor fit with validation_data as a Dataset") {
  Tensor x, y, xv, yv;
  blobs(64, x, y, 9);
  blobs(32, xv, yv, 10);
  auto m = mlp();
  auto val = Dataset::from_tensor_slices({xv, yv}).batch(8);
  auto h = m.fit(x, y, {.epochs = 2, .verbose = 0, .validation_data = val});
  REQUIRE(h.history["val_loss"].size() == 2);
  CHECK(h.history["val_loss"][1] == doctest::Approx(m.evaluate(xv, yv, {.verbose = 0})["loss"]).epsilon(1e-5));
  auto h2 = m.fit(x, y, {.epochs = 1, .verbose = 0, .validation_data = val.repeat(), .validation_steps = 2});
  CHECK(h2.history["val_loss"][0] ==
        doctest::Approx(m.evaluate(xv.slice(0, 16), yv.slice(0, 16), {.verbose = 0})["loss"]).epsilon(1e-5));
  CHECK_THROWS_WITH_AS(m.fit(x, y, {.verbose = 0, .validation_data = val.repeat()}),
                       doctest::Contains("validation_steps"), keras::ValueError);
}
