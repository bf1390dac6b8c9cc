// Customizing fit (Keras's guide "Customizing what happens in fit()"): a
// Model subclass overriding train_step / test_step / predict_step /
// compute_loss. Where the custom step computes what the default one does,
// History and the weights must match a plain fit of a twin model.
#include <cmath>

#include "test_helpers.hpp"

using keras::Logs;
using keras::Tensor;
namespace layers = keras::layers;
namespace ops = keras::ops;
using Tensors = std::vector<Tensor>;

namespace {

// Input(3) -> Dense(4, tanh) -> Dense(1), weights fixed by a seed.
struct Net {
  keras::KerasTensor in, out;
  Net() {
    in = keras::Input({3});
    auto h = layers::Dense(4, "tanh")(in);
    out = layers::Dense(1)(h);
  }
};

Tensor xdata() { return testing::random_tensor({16, 3}, -1.0f, 1.0f, 11); }
Tensor ydata(const Tensor& x) { return ops::sum(x, {1}, true) * 0.5f + 0.1f; }

// The guide's first example: compute_loss, apply_gradients, then every
// metric of model.metrics() ("loss" gets the loss value).
class GuideModel : public keras::Model {
 public:
  using keras::Model::Model;
  Logs train_step(const Tensors& x, const Tensors& y, const Tensor& sw) override {
    keras::GradientTape tape;
    Tensor y_pred = (*this)(x[0], /*training=*/true);
    Tensor loss = compute_loss(x, y, {y_pred}, sw);
    auto vars = trainable_weights();
    optimizer().apply_gradients(tape.gradient(loss, vars), vars);
    keras::autograd::NoGradGuard ng;
    for (auto& m : metrics()) {
      if (m->name() == "loss")
        static_cast<keras::metrics::Mean&>(*m).update(loss.detach(), Tensor::scalar(double(x[0].shape(0))));
      else
        m->update_state(y[0], y_pred.detach());
    }
    return get_metrics_result();
  }
};

void check_history(const keras::History& a, const keras::History& b, double tol) {
  REQUIRE(a.history.size() == b.history.size());
  for (auto& [k, v] : a.history) {
    INFO(k);
    REQUIRE(b.history.count(k) == 1);
    REQUIRE(v.size() == b.history.at(k).size());
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(v[i] == doctest::Approx(b.history.at(k)[i]).epsilon(tol));
  }
}

void check_same_weights(const keras::Model& a, const keras::Model& b, double tol) {
  auto wa = a.get_weights(), wb = b.get_weights();
  REQUIRE(wa.size() == wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) testing::check_close(wa[i], wb[i].to_vector<float>(), tol, tol, "weight");
}

}  // namespace

TEST_CASE("custom fit: a train_step override computing the default step matches plain fit") {
  keras::utils::set_random_seed(3);
  Net n1;
  keras::Model plain(n1.in, n1.out);
  Net n2;
  GuideModel custom(n2.in, n2.out);
  custom.set_weights(plain.get_weights());
  Tensor x = xdata(), y = ydata(x);
  plain.compile(keras::optimizers::SGD({.learning_rate = 0.1}), "mse", {"mae"});
  custom.compile(keras::optimizers::SGD({.learning_rate = 0.1}), "mse", {"mae"});
  keras::FitOptions fo{.batch_size = 4, .epochs = 3, .verbose = 0, .shuffle = false};
  auto h1 = plain.fit(x, y, fo);
  auto h2 = custom.fit(x, y, fo);
  CHECK(h2.history.count("loss") == 1);
  CHECK(h2.history.count("mae") == 1);
  check_history(h1, h2, 1e-5);
  check_same_weights(plain, custom, 1e-6);
  // evaluate keeps the default test_step; predict the default predict_step.
  auto e1 = plain.evaluate(x, y, {.verbose = 0});
  auto e2 = custom.evaluate(x, y, {.verbose = 0});
  CHECK(e1.at("loss") == doctest::Approx(e2.at("loss")).epsilon(1e-6));
  testing::check_close(custom.predict(x), plain.predict(x).to_vector<float>(), 1e-6, 1e-6, "predict");
}

namespace {
// The guide's second example: no loss in compile, trackers of its own
// listed in metrics() so that fit resets them at each epoch.
class OwnTrackers : public keras::Model {
 public:
  using keras::Model::Model;
  std::shared_ptr<keras::metrics::Mean> loss_tracker = std::make_shared<keras::metrics::Mean>("loss");
  std::shared_ptr<keras::metrics::MeanAbsoluteError> mae = std::make_shared<keras::metrics::MeanAbsoluteError>("mae");
  std::vector<std::shared_ptr<keras::metrics::Metric>> metrics() const override { return {loss_tracker, mae}; }
  Logs train_step(const Tensors& x, const Tensors& y, const Tensor&) override {
    keras::GradientTape tape;
    Tensor y_pred = (*this)(x[0], true);
    Tensor loss = ops::mean(ops::square(y[0] - y_pred));
    auto vars = trainable_weights();
    optimizer().apply_gradients(tape.gradient(loss, vars), vars);
    loss_tracker->update(loss.detach());
    mae->update_state(y[0], y_pred.detach());
    return {{"loss", loss_tracker->result()}, {"mae", mae->result()}};
  }
};
}  // namespace

TEST_CASE("custom fit: a step without compile's loss, own trackers reset each epoch") {
  keras::utils::set_random_seed(4);
  Net n1;
  keras::Model plain(n1.in, n1.out);
  Net n2;
  OwnTrackers custom(n2.in, n2.out);
  custom.set_weights(plain.get_weights());
  Tensor x = xdata(), y = ydata(x);
  plain.compile(keras::optimizers::SGD({.learning_rate = 0.05}), "mse", {"mae"});
  custom.compile({.optimizer = keras::optimizers::SGD({.learning_rate = 0.05})});  // no loss
  keras::FitOptions fo{.batch_size = 4, .epochs = 3, .verbose = 0, .shuffle = false};
  auto h1 = plain.fit(x, y, fo);
  auto h2 = custom.fit(x, y, fo);
  // Without the reset at each epoch, epoch 2's mean would include epoch 1.
  check_history(h1, h2, 1e-5);
  check_same_weights(plain, custom, 1e-6);
  // The step reaches train_on_batch too; compile's loss was not given, so
  // the default step says so.
  auto l = custom.train_on_batch(x, y);
  CHECK(l.count("mae") == 1);
  CHECK_THROWS_AS(custom.keras::Model::train_step({x}, {y}, Tensor()), keras::ValueError);
  try {
    keras::Model(n2.in, n2.out).compute_loss({x}, {y}, {y});
    FAIL("compute_loss on an uncompiled model must throw");
  } catch (const keras::ValueError& e) {
    CHECK(std::string(e.what()).find("not compiled") != std::string::npos);
  }
}

namespace {
// Callbacks and the progress bar see what the steps return.
class Counting : public keras::Model {
 public:
  using keras::Model::Model;
  int tests = 0;
  Logs train_step(const Tensors& x, const Tensors& y, const Tensor& sw) override {
    Logs l = keras::Model::train_step(x, y, sw);  // the default step (super().train_step)
    CHECK(l.empty());
    return {{"loss", get_metrics_result().at("loss")}, {"steps_seen", 1.0}};
  }
  Logs test_step(const Tensors&, const Tensors&, const Tensor&) override { return {{"probe", double(++tests)}}; }
  Tensors predict_step(const Tensors& x) override { return {(*this)(x[0], false) * 2.0f}; }
};
struct Recorder : keras::callbacks::Callback {
  std::vector<Logs> batches, epochs;
  void on_train_batch_end(std::int64_t, const Logs& l) override { batches.push_back(l); }
  void on_epoch_end(int, const Logs& l) override { epochs.push_back(l); }
};
}  // namespace

TEST_CASE("custom fit: callbacks, validation and evaluate get the logs the steps return") {
  keras::utils::set_random_seed(5);
  Net n;
  Counting m(n.in, n.out);
  m.compile("sgd", "mse");
  Tensor x = xdata(), y = ydata(x);
  auto rec = std::make_shared<Recorder>();
  auto h = m.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0, .callbacks = {rec},
                        .validation_data = keras::ValidationData(x, y)});
  REQUIRE(rec->batches.size() == 4);
  CHECK(rec->batches[0].at("steps_seen") == 1.0);
  REQUIRE(rec->epochs.size() == 2);
  CHECK(rec->epochs[1].count("val_probe") == 1);
  CHECK(rec->epochs[1].count("val_loss") == 0);
  CHECK(h.history.count("steps_seen") == 1);
  CHECK(h.history.at("val_probe").size() == 2);
  auto e = m.evaluate(x, y, {.batch_size = 16, .verbose = 0});
  CHECK(e.size() == 1);
  CHECK(e.at("probe") == doctest::Approx(double(m.tests)));
  Tensor p = m.predict(x), twice = m.predict_on_batch(x) * 2.0f;
  testing::check_close(p, twice.to_vector<float>(), 1e-6, 1e-6, "predict_step");
}

namespace {
// Only compute_loss overridden: the default train_step uses it.
class Doubled : public keras::Model {
 public:
  using keras::Model::Model;
  Tensor compute_loss(const Tensors& x, const Tensors& y, const Tensors& y_pred, const Tensor& sw,
                      bool training) override {
    return keras::Model::compute_loss(x, y, y_pred, sw, training) * 2.0f;
  }
};
}  // namespace

TEST_CASE("custom fit: a compute_loss override is what the default steps train on") {
  keras::utils::set_random_seed(6);
  Net n1;
  keras::Model plain(n1.in, n1.out);
  Net n2;
  Doubled custom(n2.in, n2.out);
  custom.set_weights(plain.get_weights());
  Tensor x = xdata(), y = ydata(x);
  plain.compile(keras::optimizers::SGD({.learning_rate = 0.1}), std::vector<keras::LossArg>{"mse"}, {}, {2.0});
  custom.compile(keras::optimizers::SGD({.learning_rate = 0.1}), "mse");
  keras::FitOptions fo{.batch_size = 4, .epochs = 2, .verbose = 0, .shuffle = false};
  check_history(plain.fit(x, y, fo), custom.fit(x, y, fo), 1e-5);
  check_same_weights(plain, custom, 1e-6);
}

namespace {
// A GAN-style step: two models, two optimizers, alternating updates.
class TwoOptimizers : public keras::Model {
 public:
  using keras::Model::Model;
  std::shared_ptr<keras::Model> critic;
  std::shared_ptr<keras::optimizers::Optimizer> g_opt = std::make_shared<keras::optimizers::SGD>(keras::optimizers::SGDOptions{.learning_rate = 0.05});
  std::shared_ptr<keras::optimizers::Optimizer> c_opt = std::make_shared<keras::optimizers::SGD>(keras::optimizers::SGDOptions{.learning_rate = 0.05});
  Logs train_step(const Tensors& x, const Tensors&, const Tensor&) override {
    Tensor c_loss, g_loss;
    {
      keras::GradientTape tape;
      Tensor fake = (*this)(x[0], true).detach();
      c_loss = ops::mean(ops::square((*critic)(fake, true))) + ops::mean(ops::square((*critic)(x[0], true) - 1.0f));
      auto cv = critic->trainable_weights();
      c_opt->apply_gradients(tape.gradient(c_loss, cv), cv);
    }
    {
      keras::GradientTape tape;
      g_loss = ops::mean(ops::square((*critic)((*this)(x[0], true), false) - 1.0f));
      auto gv = trainable_weights();
      g_opt->apply_gradients(tape.gradient(g_loss, gv), gv);
    }
    return {{"c_loss", c_loss.item()}, {"g_loss", g_loss.item()}};
  }
};
}  // namespace

TEST_CASE("custom fit: a GAN-style step with two optimizers updates both models") {
  keras::utils::set_random_seed(7);
  auto in = keras::Input({3});
  TwoOptimizers gen(in, layers::Dense(3)(in));
  auto cin = keras::Input({3});
  gen.critic = std::make_shared<keras::Model>(cin, layers::Dense(1)(cin));
  gen.compile({.optimizer = "sgd"});
  auto g0 = gen.get_weights(), c0 = gen.critic->get_weights();
  Tensor x = xdata();
  auto h = gen.fit(x, x, {.batch_size = 8, .epochs = 2, .verbose = 0});
  CHECK(h.history.at("c_loss").size() == 2);
  CHECK(h.history.at("g_loss").size() == 2);
  CHECK(gen.g_opt->iterations() == 4);
  CHECK(gen.c_opt->iterations() == 4);
  auto g1 = gen.get_weights(), c1 = gen.critic->get_weights();
  CHECK(ops::max(ops::abs(g1[0] - g0[0])).item() > 0);
  CHECK(ops::max(ops::abs(c1[0] - c0[0])).item() > 0);
}

TEST_CASE("custom fit: model.metrics() lists the loss tracker and compile's metrics") {
  auto in = keras::Input({3});
  keras::Model m(in, layers::Dense(2, "softmax")(in));
  CHECK(m.metrics().empty());
  m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  Tensor x = xdata(), y = ops::cast(ops::greater(ops::sum(x, {1}), Tensor::scalar(0.0)), keras::int64);
  m.fit(x, y, {.epochs = 1, .verbose = 0});
  std::vector<std::string> names;
  for (auto& mt : m.metrics()) names.push_back(mt->name());
  CHECK(names == std::vector<std::string>{"loss", "accuracy"});
  auto r = m.get_metrics_result();
  CHECK(r.count("accuracy") == 1);
  CHECK_THROWS_AS(m.compute_metrics({x}, {y}, {}), keras::ValueError);
}
