// The model executor: fusion never replaces a user's subclass or callable,
// losses see the same logits in training and evaluation, layers with
// several outputs, layers that own layers, frozen nested models, masks.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "keras/layers/registry.hpp"
#include "saving/h5.hpp"
#include "saving/internal.hpp"
#include "custom_layers.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;
namespace ops = keras::ops;
using testing::random_tensor;

namespace {

Tensor times(const Tensor& x, double s) { return ops::multiply(x, Tensor::scalar(s, keras::float32, x.device())); }

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  Tensor ac = a.to(keras::Device::cpu()), bc = b.to(keras::Device::cpu());
  double m = 0;
  for (std::int64_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(ac.data<float>()[i]) - bc.data<float>()[i]));
  return m;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("keras_exec_" + std::to_string(::getpid()) + "_" + name)).string();
}

// A Conv2D whose call() doubles the convolution's output.
class DoubledConv2D : public layers::Conv2D {
 public:
  using layers::Conv2D::Conv2D;
  KERAS_LAYER_CLASS(DoubledConv2D)
  Tensor call(const Tensor& x, bool training) override { return times(layers::Conv2D::call(x, training), 2.0); }
};

}  // namespace

TEST_CASE("executor: a Conv2D subclass overriding call() before MaxPooling2D is honoured") {
  keras::utils::set_random_seed(3);
  auto sub = std::make_shared<DoubledConv2D>(4, keras::layers::Ints{3, 3}, "relu");
  auto plain = std::make_shared<layers::Conv2D>(4, keras::layers::Ints{3, 3}, "relu");
  keras::Sequential a({keras::Input({8, 8, 2}), sub, layers::MaxPooling2D(2)});
  keras::Sequential b({keras::Input({8, 8, 2}), plain, layers::MaxPooling2D(2)});
  plain->set_weights(sub->get_weights());
  Tensor x = random_tensor({3, 8, 8, 2}, -1, 1, 11);
  Tensor ya = a.predict(x), yb = b.predict(x);
  CHECK(max_abs_diff(yb, Tensor::zeros(yb.shape())) > 0.1);  // not a trivially zero output
  CHECK(max_abs_diff(ya, times(yb, 2.0)) < 1e-5);
  // The same in training mode (the fused kernel has a backward pass of its own).
  CHECK(max_abs_diff(a.call_all({x}, true)[0], times(b.call_all({x}, true)[0], 2.0)) < 1e-5);
}

TEST_CASE("executor: Activation(\"relu\", fn) runs fn, in Dense, Conv2D and Activation layers") {
  keras::activations::Activation negate("relu", [](const Tensor& x) { return ops::negative(x); });
  CHECK_FALSE(negate.builtin());
  CHECK(keras::activations::get("relu").builtin());
  auto dense = std::make_shared<layers::Dense>(3, negate);
  keras::Sequential m({keras::Input({5}), dense});
  Tensor x = random_tensor({4, 5}, -1, 1, 5);
  Tensor want = ops::negative(ops::add(ops::matmul(x, dense->kernel().value()), dense->bias().value()));
  CHECK(max_abs_diff(m.predict(x), want) < 1e-6);

  auto conv = std::make_shared<layers::Conv2D>(2, keras::layers::Ints{3, 3}, negate);
  keras::Sequential c({keras::Input({6, 6, 1}), conv, layers::MaxPooling2D(2)});
  Tensor xi = random_tensor({2, 6, 6, 1}, -1, 1, 6);
  Tensor z = ops::add(ops::conv(xi, conv->kernel().value()), conv->bias().value());
  Tensor want_c = layers::MaxPooling2D(2)(ops::negative(z));
  CHECK(max_abs_diff(c.predict(xi), want_c) < 1e-5);

  keras::Sequential act({keras::Input({5}), layers::Activation(negate)});
  CHECK(max_abs_diff(act.predict(x), ops::negative(x)) < 1e-7);
}

TEST_CASE("executor: evaluate and train_on_batch compute the same loss on saturated softmax outputs") {
  auto dense = std::make_shared<layers::Dense>(3, "softmax");
  keras::Sequential m({keras::Input({2}), dense});
  // Logits of about +-60: the softmax saturates to exactly 0 and 1 in float32.
  std::vector<float> k = {30, -30, 0, -30, 30, 0};
  dense->set_weights({Tensor::from_data({2, 3}, keras::float32, k.data()), Tensor::zeros({3})});
  m.compile(keras::optimizers::SGD({.learning_rate = 0.0}), "sparse_categorical_crossentropy");
  std::vector<float> xv = {2, 0, 0, 2, 1, -1};
  std::vector<float> yv = {1, 0, 2};  // each label on a class of probability ~0
  Tensor x = Tensor::from_data({3, 2}, keras::float32, xv.data());
  Tensor y = Tensor::from_data({3}, keras::float32, yv.data());
  double eval = m.test_on_batch(x, y)["loss"];
  double train = m.train_on_batch(x, y)["loss"];
  double evaluate = m.evaluate(x, y, {.verbose = 0})["loss"];
  // By hand: -log softmax(z)[label] = logsumexp(z) - z[label], z = x k.
  double want = 0;
  for (int i = 0; i < 3; ++i) {
    double z[3], mx = -1e300, s = 0;
    for (int j = 0; j < 3; ++j) mx = std::max(mx, z[j] = xv[2 * i] * k[j] + xv[2 * i + 1] * k[3 + j]);
    for (double v : z) s += std::exp(v - mx);
    want += (mx + std::log(s) - z[int(yv[i])]) / 3;
  }
  CHECK(want > 50);  // far beyond what clipped probabilities give (-log 1e-7 = 16.1)
  CHECK(std::abs(train - want) < 1e-4 * want);
  CHECK(std::abs(eval - train) < 1e-6 * std::max(1.0, std::abs(train)));
  CHECK(std::abs(evaluate - train) < 1e-6 * std::max(1.0, std::abs(train)));
}

namespace {

keras::Model two_output_model() {
  auto in = keras::Input({4}, "features");
  auto h = layers::Dense(6, "tanh", {.name = "hidden"})(in);
  auto outs = std::make_shared<testing::ScaleShift>("split")->call_all({h});
  REQUIRE(outs.size() == 2);
  CHECK(outs[1].tensor_index() == 1);
  auto a = layers::Dense(2, {}, {.name = "a"})(outs[0]);
  auto b = layers::Dense(1, {}, {.name = "b"})(outs[1]);
  return keras::Model(std::vector<keras::KerasTensor>{in}, std::vector<keras::KerasTensor>{a, b}, "two_outputs");
}

}  // namespace

TEST_CASE("executor: a layer with two outputs trains, saves and loads in both formats") {
  REQUIRE(testing::custom_layers_registered);
  keras::utils::set_random_seed(7);
  keras::Model m = two_output_model();
  CHECK_THROWS_WITH_AS(testing::ScaleShift()(keras::Input({3})), doctest::Contains("returns 2 outputs"), keras::ValueError);
  m.compile("adam", std::vector<keras::LossArg>{"mse", "mse"});
  Tensor x = random_tensor({64, 4}, -1, 1, 1), ya = random_tensor({64, 2}, -1, 1, 2), yb = random_tensor({64, 1}, -1, 1, 3);
  auto h = m.fit({x}, {ya, yb}, {.batch_size = 16, .epochs = 8, .verbose = 0});
  auto& loss = h.history.at("loss");
  CHECK(loss.back() < loss.front());
  auto json = nlohmann::json::parse(m.to_json());
  CHECK(json.dump().find("\"keras_history\":[\"split\",0,1]") != std::string::npos);
  auto want = m.predict(std::vector<Tensor>{x});
  for (std::string ext : {".keras", ".h5"}) {
    std::string path = temp_path("two" + ext);
    m.save(path);
    keras::Model r = keras::models::load_model(path);
    auto got = r.predict(std::vector<Tensor>{x});
    REQUIRE(got.size() == 2);
    CHECK_MESSAGE(max_abs_diff(got[0], want[0]) < 1e-6, ext);
    CHECK_MESSAGE(max_abs_diff(got[1], want[1]) < 1e-6, ext);
    std::filesystem::remove(path);
  }
}

TEST_CASE("executor: a layer owning two Dense layers: weights, trainable, Keras's nested .keras paths") {
  REQUIRE(testing::custom_layers_registered);
  auto block = std::make_shared<testing::Residual>(5, "block");
  keras::Sequential m({keras::Input({5}), block, layers::Dense(1, {}, {.name = "head"})}, "nested");
  CHECK(block->weights().size() == 4);
  CHECK(block->count_params() == 2 * (5 * 5 + 5));
  CHECK(m.trainable_weights().size() == 6);
  CHECK(block->weights()[0].path().rfind("block/", 0) == 0);  // "block/<dense>/kernel", as Keras names it
  block->set_trainable(false);
  CHECK(block->sublayers()[0].layer->trainable() == false);
  CHECK(m.trainable_weights().size() == 2);
  CHECK(m.non_trainable_weights().size() == 4);
  block->set_trainable(true);
  std::string path = temp_path("nested.keras");
  m.save(path);
  auto f = keras::saving::h5::open_image(keras::saving::read_zip_member(path, "model.weights.h5"), path);
  CHECK(f.has_group("layers/residual/inner/vars"));
  CHECK(f.has_group("layers/residual/outer/vars"));
  CHECK(f.group("layers/residual/inner/vars").children().size() == 2);
  CHECK(f.has_group("layers/dense/vars"));
  Tensor x = random_tensor({6, 5}, -1, 1, 4);
  keras::Model r = keras::models::load_model(path);
  CHECK(max_abs_diff(r.predict(x), m.predict(x)) < 1e-6);
  std::filesystem::remove(path);
}

TEST_CASE("executor: freezing a nested model freezes its BatchNormalization statistics") {
  auto make = [] {
    auto inner = std::make_shared<keras::Sequential>(
        std::initializer_list<keras::LayerArg>{keras::Input({3}), layers::Dense(3), layers::BatchNormalization()},
        "base");
    auto in = keras::Input({3});
    auto out = layers::Dense(1)((*inner)(in));
    return std::make_pair(inner, keras::Model(in, out));
  };
  Tensor x = ops::add(random_tensor({64, 3}, -1, 1, 9), Tensor::scalar(5.0)), y = random_tensor({64, 1}, -1, 1, 10);
  for (bool frozen : {false, true}) {
    auto [inner, model] = make();
    if (frozen) inner->set_trainable(false);
    auto bn = inner->layers().back();
    auto before = bn->get_weights();
    auto dense_before = inner->layers().front()->get_weights();
    model.compile("sgd", "mse");
    model.fit(x, y, {.batch_size = 16, .epochs = 1, .verbose = 0});
    auto after = bn->get_weights();
    double moved = max_abs_diff(before[2], after[2]);  // moving_mean
    double dense_moved = max_abs_diff(dense_before[0], inner->layers().front()->get_weights()[0]);
    if (frozen) {
      CHECK(moved == 0.0);
      CHECK(dense_moved == 0.0);
      CHECK(model.trainable_weights().size() == 2);
    } else {
      CHECK(moved > 0.0);
      CHECK(dense_moved > 0.0);
    }
  }
}

namespace {

// Marks time steps whose first feature is non-zero (like Masking(0)).
class NonZeroMask : public layers::Layer {
 public:
  NonZeroMask() : Layer(unique_name("non_zero_mask")) { supports_masking_ = true; }
  KERAS_LAYER_CLASS(NonZeroMask)
  Tensor call(const Tensor& x, bool) override { return x; }
  bool creates_mask() const override { return true; }
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& xs, const std::vector<Tensor>&) const override {
    Tensor first = ops::slice_axis(xs[0], -1, 0, 1);
    return {ops::squeeze(ops::not_equal(first, ops::zeros_like(first)), -1)};
  }
};

// Sums the masked time steps: (batch, time, features) -> (batch, features).
class MaskedSum : public layers::Layer {
 public:
  MaskedSum() : Layer(unique_name("masked_sum")) {}
  KERAS_LAYER_CLASS(MaskedSum)
  Tensor call(const Tensor& x, bool) override { return ops::sum(x, {1}); }
  std::vector<Tensor> call_masked(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool) override {
    if (!masks[0].defined()) return {ops::sum(xs[0], {1})};
    Tensor m = ops::expand_dims(ops::cast(masks[0], keras::float32), -1);
    return {ops::sum(ops::multiply(xs[0], m), {1})};
  }
  Shape compute_output_shape(const Shape& s) const override { return {s[0], s[2]}; }
};

}  // namespace

TEST_CASE("executor: masks flow through layers that keep the time axis, to layers and the loss") {
  // Sample 0 has its last two steps masked, sample 1 none.
  std::vector<float> xv = {1, 2, 3, 4, 0, 9, 0, 9, 1, 1, 2, 2, 3, 3, 4, 4};
  Tensor x = Tensor::from_data({2, 4, 2}, keras::float32, xv.data());
  auto in = keras::Input({4, 2});
  auto masked = std::make_shared<NonZeroMask>()->operator()(in);
  keras::Model pooled(in, std::make_shared<MaskedSum>()->operator()(masked));
  Tensor got = pooled.predict(x);
  std::vector<float> want = {1 + 3, 2 + 4, 1 + 2 + 3 + 4, 1 + 2 + 3 + 4};
  testing::check_close(got, want, 1e-6, 0, "masked sum");

  // Dense keeps the mask (supports masking); the loss averages unmasked steps only.
  auto dense = std::make_shared<layers::Dense>(1, keras::activations::Activation(), layers::DenseOptions{.use_bias = false});
  keras::Model seq(in, (*dense)(masked));
  seq.compile("sgd", "mse");
  std::vector<float> k = {1, 0};
  dense->set_weights({Tensor::from_data({2, 1}, keras::float32, k.data())});
  std::vector<float> yv = {0, 0, 100, 100, 0, 0, 0, 0};
  Tensor y = Tensor::from_data({2, 4, 1}, keras::float32, yv.data());
  // Unmasked predictions are the first features: 1 3 | 1 2 3 4 against zeros.
  double want_loss = (1 + 9 + 1 + 4 + 9 + 16) / 6.0;
  CHECK(seq.test_on_batch(x, y)["loss"] == doctest::Approx(want_loss).epsilon(1e-6));
}
