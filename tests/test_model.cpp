// Sequential models: structure, summary, errors, training end to end.
#include <cmath>
#include <sstream>

#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;
namespace ops = keras::ops;

namespace {

// Two Gaussian blobs per class in 2-D, 3 classes: learnable by a small MLP.
void blobs(std::int64_t n, Tensor& x, Tensor& y, unsigned seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> nd(0, 0.5f);
  std::vector<float> xv;
  std::vector<std::int64_t> yv;
  const float cx[3] = {-2, 2, 0}, cy[3] = {0, 0, 2.5f};
  for (std::int64_t i = 0; i < n; ++i) {
    int c = static_cast<int>(i % 3);
    xv.push_back(cx[c] + nd(g));
    xv.push_back(cy[c] + nd(g));
    yv.push_back(c);
  }
  x = Tensor({n, 2}, xv);
  y = Tensor({n}, yv);
}

keras::Sequential small_mlp() {
  return keras::Sequential({keras::Input({2}), layers::Dense(16, "relu"), layers::Dense(3, "softmax")});
}

}  // namespace

TEST_CASE("model: Sequential auto-names, builds from Input and prints Keras's summary") {
  layers::Layer::reset_names();
  keras::Sequential model({
      keras::Input({28, 28}),
      layers::Flatten(),
      layers::Dense(128, "relu"),
      layers::Dropout(0.2),
      layers::Dense(10, "softmax"),
  });
  CHECK(model.name() == "sequential");
  REQUIRE(model.layers().size() == 4);
  CHECK(model.layers()[1]->name() == "dense");
  CHECK(model.layers()[3]->name() == "dense_1");
  CHECK(model.get_layer("dense_1")->count_params() == 1290);
  CHECK_THROWS_WITH_AS(model.get_layer("nope"), doctest::Contains("dense_1"), keras::ValueError);
  std::string s = model.summary_string();
  CHECK(s.find("Model: \"sequential\"") != std::string::npos);
  CHECK(s.find("Layer (type)") != std::string::npos);
  CHECK(s.find("dense (Dense)") != std::string::npos);
  CHECK(s.find("(None, 784)") != std::string::npos);
  CHECK(s.find("100,480") != std::string::npos);
  CHECK(s.find("Total params: 101,770 (397.54 KB)") != std::string::npos);
  CHECK(s.find("Non-trainable params: 0 (0.00 B)") != std::string::npos);
  auto w = model.get_weights();
  REQUIRE(w.size() == 4);
  CHECK(w[0].shape() == Shape{784, 128});
  CHECK(w[1].shape() == Shape{128});
  CHECK(ops::max(ops::abs(w[1])).item() == 0);  // zeros bias
  double limit = std::sqrt(6.0 / (784 + 128));  // glorot_uniform
  CHECK(ops::max(ops::abs(w[0])).item() <= limit + 1e-6);
}

TEST_CASE("model: Sequential without Input builds on first call, add and pop") {
  keras::Sequential m;
  m.add(layers::Dense(4, "tanh"));
  m.add(layers::Dense(2));
  CHECK_FALSE(m.built());
  Tensor y = m(Tensor::ones({3, 5}));
  CHECK(y.shape() == Shape{3, 2});
  CHECK(m.layers()[0]->build_input_shape() == Shape{-1, 5});
  m.pop();
  CHECK(m.layers().size() == 1);
}

TEST_CASE("model: get_weights / set_weights round trip and shape errors") {
  auto m = small_mlp();
  auto w = m.get_weights();
  for (auto& t : w) t = t + 1.0;
  m.set_weights(w);
  auto w2 = m.get_weights();
  for (std::size_t i = 0; i < w.size(); ++i) CHECK(w2[i].to_vector<float>() == w[i].to_vector<float>());
  auto bad = w;
  bad[0] = Tensor::zeros({3, 16});
  CHECK_THROWS_WITH_AS(m.set_weights(bad), doctest::Contains("(2, 16)"), keras::ValueError);
  bad.pop_back();
  CHECK_THROWS_AS(m.set_weights(bad), keras::ValueError);
}

TEST_CASE("model: errors for bad input name the layer, the expectation and what was received") {
  keras::Sequential model({keras::Input({784}), layers::Dense(10, "softmax")});
  Tensor x = Tensor::zeros({32, 28}), y = Tensor::zeros({32}, keras::int64);
  CHECK_THROWS_WITH_AS(model.fit(Tensor::zeros({32, 784}), y), doctest::Contains("compile"), keras::ValueError);
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  CHECK_THROWS_WITH_AS(model.fit(x, y, {.verbose = 0}), doctest::Contains("(32, 28)"), keras::ValueError);
  CHECK_THROWS_WITH_AS(model.predict(x), doctest::Contains("\"dense"), keras::ValueError);
  CHECK_THROWS_WITH_AS(model.fit(Tensor::zeros({32, 784}), Tensor::zeros({31}, keras::int64), {.verbose = 0}),
                       doctest::Contains("same number of samples"), keras::ValueError);
  Tensor labels = Tensor({2}, std::vector<std::int64_t>{3, 10});
  CHECK_THROWS_WITH_AS(model.fit(Tensor::zeros({2, 784}), labels, {.verbose = 0}), doctest::Contains("[0, 10)"),
                       keras::ValueError);
  Tensor nanx = Tensor::zeros({2, 784}) / 0.0;
  CHECK_THROWS_WITH_AS(model.fit(nanx, Tensor::zeros({2}, keras::int64), {.verbose = 0}), doctest::Contains("NaN"),
                       keras::ValueError);
  CHECK_THROWS_WITH_AS(model.compile("adamm", "mse"), doctest::Contains("adamm"), keras::ValueError);
  CHECK_THROWS_WITH_AS(model.compile("adam", "msee"), doctest::Contains("msee"), keras::ValueError);
  CHECK_THROWS_WITH_AS(model.compile("adam", "mse", {"acuracy"}), doctest::Contains("acuracy"), keras::ValueError);
  CHECK_THROWS_WITH_AS(layers::Dense(8, "rellu"), doctest::Contains("rellu"), keras::ValueError);
  CHECK_THROWS_WITH_AS(layers::Dense(-3), doctest::Contains("units=-3"), keras::ValueError);
  // Dense built for 784 inputs called directly on 28 features.
  auto dense = model.layers()[0];
  CHECK_THROWS_WITH_AS((*dense)(x), doctest::Contains("expected last dimension 784, received shape (32, 28)"),
                       keras::ValueError);
}

TEST_CASE("model: fit trains an MLP to high accuracy; history, evaluate, predict") {
  keras::utils::set_random_seed(3);
  Tensor x, y, xt, yt;
  blobs(900, x, y, 1);
  blobs(300, xt, yt, 2);
  auto model = small_mlp();
  model.compile(keras::optimizers::Adam({.learning_rate = 0.01}), "sparse_categorical_crossentropy", {"accuracy"});
  keras::History h = model.fit(x, y, {.batch_size = 32, .epochs = 5, .verbose = 0, .validation_split = 0.2});
  REQUIRE(h.history["loss"].size() == 5);
  REQUIRE(h.history["val_accuracy"].size() == 5);
  CHECK(h.history["loss"].back() < h.history["loss"].front());
  auto scores = model.evaluate(xt, yt, {.verbose = 0});
  CHECK(scores.count("loss") == 1);
  CHECK(scores["accuracy"] > 0.95);
  Tensor probs = model.predict(xt);
  CHECK(probs.shape() == Shape{300, 3});
  Tensor pred = ops::argmax(probs, -1);
  double acc = ops::mean(ops::cast(ops::equal(pred, yt), keras::float32)).item();
  CHECK(acc == doctest::Approx(scores["accuracy"]).epsilon(1e-6));
  // Rows of a softmax output sum to one.
  CHECK(ops::max(ops::abs(ops::sum(probs, {-1}) - 1.0)).item() < 1e-5);
}

TEST_CASE("model: a seeded CPU run is reproducible") {
  auto run = [] {
    keras::utils::set_random_seed(42);
    Tensor x, y;
    blobs(300, x, y, 5);
    auto m = small_mlp();
    m.compile("adam", "sparse_categorical_crossentropy");
    m.fit(x, y, {.epochs = 2, .verbose = 0});
    return m.get_weights()[0].to_vector<float>();
  };
  CHECK(run() == run());
}

TEST_CASE("model: frozen layers are not updated") {
  Tensor x, y;
  blobs(96, x, y, 7);
  auto m = small_mlp();
  m.compile("sgd", "sparse_categorical_crossentropy");
  m.layers()[0]->set_trainable(false);
  auto before = m.get_weights();
  m.fit(x, y, {.epochs = 1, .verbose = 0});
  auto after = m.get_weights();
  CHECK(after[0].to_vector<float>() == before[0].to_vector<float>());
  CHECK(after[2].to_vector<float>() != before[2].to_vector<float>());
  CHECK(m.trainable_weights().size() == 2);
  CHECK(m.summary_string().find("Non-trainable params: 48") != std::string::npos);
}

TEST_CASE("model: linear regression learns y = 2x + 1 with SGD") {
  keras::utils::set_random_seed(1);
  Tensor x({6, 1}, std::vector<float>{-1, 0, 1, 2, 3, 4});
  Tensor y = x * 2.0 + 1.0;
  keras::Sequential m({keras::Input({1}), layers::Dense(1)});
  m.compile("sgd", "mean_squared_error");
  m.fit(x, y, {.epochs = 500, .verbose = 0});
  double p = m.predict(Tensor({1, 1}, std::vector<float>{6})).item();
  CHECK(p == doctest::Approx(13).epsilon(0.1 / 13));
  auto w = m.get_weights();
  CHECK(w[0].item() == doctest::Approx(2).epsilon(0.02));
  CHECK(w[1].item() == doctest::Approx(1).epsilon(0.05));
}

TEST_CASE("model: train_on_batch, test_on_batch, predict_on_batch, sample and class weights") {
  Tensor x, y;
  blobs(60, x, y, 9);
  auto m = small_mlp();
  m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  auto l1 = m.train_on_batch(x, y);
  CHECK(l1.count("loss") == 1);
  CHECK(l1.count("accuracy") == 1);
  auto t1 = m.test_on_batch(x, y);
  CHECK(std::isfinite(t1["loss"]));
  CHECK(m.predict_on_batch(x).shape() == Shape{60, 3});
  // Zero sample weights give a zero loss.
  auto l0 = m.test_on_batch(x, y, Tensor::zeros({60}));
  CHECK(l0["loss"] == doctest::Approx(0));
  m.fit(x, y, {.epochs = 1, .verbose = 0, .class_weight = {{0, 1.0}, {1, 2.0}, {2, 0.5}}});
  CHECK_THROWS_AS(m.fit(x, y, {.epochs = 1, .verbose = 0, .class_weight = {{0, 1.0}}}), keras::ValueError);
}

TEST_CASE("model: validation_data and initial_epoch") {
  Tensor x, y, xv, yv;
  blobs(90, x, y, 11);
  blobs(30, xv, yv, 12);
  auto m = small_mlp();
  m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  auto h = m.fit(x, y, {.epochs = 3, .verbose = 0, .validation_data = {xv, yv}, .initial_epoch = 1});
  CHECK(h.history["loss"].size() == 2);
  CHECK(h.history["val_loss"].size() == 2);
  CHECK(h.epoch == std::vector<int>{1, 2});
}
