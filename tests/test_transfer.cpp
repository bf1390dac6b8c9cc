// Transfer learning: layer.input()/output(), model.inputs()/outputs(),
// feature extractors that share weights with their base, base(x,
// training=false) inside a new model, freezing and fine-tuning,
// clone_model, Sequential::pop, and saving such models for Keras 3
// (scripts/check_transfer_in_keras.py).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "saving/h5.hpp"
#include "test_helpers.hpp"

using keras::Tensor;
namespace layers = keras::layers;
namespace ops = keras::ops;
namespace fs = std::filesystem;

namespace {

keras::Model make_base() {
  auto in = keras::Input({4}, "pixels");
  auto h = layers::Dense(8, "relu", {.name = "block1"})(in);
  h = layers::Dense(6, "relu", {.name = "block2"})(h);
  h = layers::Dense(3, {}, {.name = "block3"})(h);
  return keras::Model(in, h, "base");
}

Tensor xs() { return testing::random_tensor({10, 4}, -1.0f, 1.0f, 21); }

double max_diff(const Tensor& a, const Tensor& b) { return ops::max(ops::abs(a - b)).item(); }

}  // namespace

TEST_CASE("transfer: a feature extractor from layer.output() shares the base's weights") {
  keras::utils::set_random_seed(1);
  keras::Model base = make_base();
  keras::Model extractor(base.inputs(), base.get_layer("block2")->output());
  CHECK(extractor.get_layer("block1") == base.get_layer("block1"));
  Tensor x = xs();
  // The extractor computes the base's block2 activations.
  auto b1 = base.get_layer("block1"), b2 = base.get_layer("block2");
  Tensor want = (*b2)((*b1)(x));
  testing::check_close(extractor.predict(x), want.to_vector<float>(), 1e-6, 1e-6, "extractor");
  // A weight changed in the base shows in the extractor, and back.
  auto w = b1->get_weights();
  w[0] = w[0] * 2.0f;
  b1->set_weights(w);
  Tensor after = extractor.predict(x);
  CHECK(max_diff(after, want) > 1e-3);
  testing::check_close(after, (*b2)((*b1)(x)).to_vector<float>(), 1e-6, 1e-6, "after change");
  extractor.get_layer("block2")->set_weights({ops::zeros({8, 6}), ops::ones({6})});
  CHECK(base.get_layer("block2")->get_weights()[1].to_vector<float>() == std::vector<float>(6, 1.0f));
  // layer.input() / output(), model.input() / output()
  CHECK(base.get_layer("block2")->input().node() == base.get_layer("block1")->output().node());
  CHECK(base.output().node() == base.get_layer("block3")->output().node());
  CHECK(base.input().shape() == keras::Shape{-1, 4});
}

TEST_CASE("transfer: Sequential built with an Input has inputs(), outputs() and layer outputs") {
  keras::Sequential seq({keras::Input({5}), layers::Dense(4, "relu", {.name = "a"}), layers::Dense(2, {}, {.name = "b"})});
  REQUIRE(seq.inputs().size() == 1);
  REQUIRE(seq.outputs().size() == 1);
  keras::Model head(seq.inputs(), seq.get_layer("a")->output());
  Tensor x = testing::random_tensor({3, 5}, -1.0f, 1.0f, 2);
  testing::check_close(head.predict(x), (*seq.get_layer("a"))(x).to_vector<float>(), 1e-6, 1e-6, "seq extractor");
  seq.pop();
  CHECK(seq.layers().size() == 1);
  CHECK(seq.outputs()[0].shape() == keras::Shape{-1, 4});
  CHECK(seq.predict(x).shape() == keras::Shape{3, 4});
  seq.pop();
  CHECK_THROWS_AS(seq.pop(), keras::ValueError);
}

TEST_CASE("transfer: bad uses raise ValueError") {
  layers::Dense never(3);
  try {
    (void)never.output();
    FAIL("output() of a layer never called must throw");
  } catch (const keras::ValueError& e) {
    CHECK(std::string(e.what()).find("never been called") != std::string::npos);
  }
  CHECK_THROWS_AS((void)never.input(), keras::ValueError);
  keras::Sequential empty;
  CHECK_THROWS_AS(empty.pop(), keras::ValueError);
  CHECK_THROWS_AS((void)empty.output(), keras::ValueError);
  auto a = keras::Input({2}), b = keras::Input({2});
  keras::Model two({a, b}, {layers::Add()({a, b})});
  CHECK_THROWS_AS((void)two.input(), keras::ValueError);
  auto add = two.layers().back();
  CHECK_THROWS_AS((void)add->input(), keras::ValueError);  // two inputs: inputs_at()
  CHECK(add->inputs_at().size() == 2);
}

namespace {
// A base with BatchNormalization, and a new model calling it with
// training=false, as Keras's transfer-learning guide builds it.
struct Transfer {
  std::shared_ptr<keras::Model> base;
  keras::Model model;
  static Transfer make() {
    auto in = keras::Input({4});
    auto h = layers::Dense(6, {}, {.name = "features"})(in);
    h = layers::BatchNormalization({.name = "bn"})(h);
    auto base = std::make_shared<keras::Model>(in, h, "base_model");
    auto x = keras::Input({4});
    auto y = (*base)(x, /*training=*/false);
    y = layers::Dense(1, {}, {.name = "head"})(y);
    return {base, keras::Model(x, y, "transfer")};
  }
};
std::vector<float> values(const keras::Variable& v) { return v.value().to_vector<float>(); }
}  // namespace

// Keras 3.15's semantics, checked with it: a frozen base (trainable=false)
// keeps BatchNormalization in inference mode; the training=false recorded
// when the base was called is overridden by fit's training=true, so an
// unfrozen base's statistics move (Keras 3's functional replay passes the
// outer call's training to every layer).
TEST_CASE("transfer: a frozen base keeps BatchNormalization in inference mode; freeze and fine-tune") {
  keras::utils::set_random_seed(2);
  Transfer t = Transfer::make();
  auto& bn = static_cast<layers::BatchNormalization&>(*t.base->get_layer("bn"));
  Tensor x = xs(), y = ops::sum(x, {1}, true);
  auto mean0 = values(bn.moving_mean()), var0 = values(bn.moving_variance());
  // Freeze the base, train the head.
  t.base->set_trainable(false);
  CHECK(t.model.trainable_weights().size() == 2);
  auto base_w0 = t.base->get_weights();
  t.model.compile(keras::optimizers::SGD({.learning_rate = 0.05}), "mse");
  auto head_w0 = t.model.get_layer("head")->get_weights();
  t.model.fit(x, y, {.batch_size = 5, .epochs = 2, .verbose = 0});
  CHECK(max_diff(t.model.get_layer("head")->get_weights()[0], head_w0[0]) > 0);
  auto base_w1 = t.base->get_weights();
  for (std::size_t i = 0; i < base_w0.size(); ++i) CHECK(max_diff(base_w1[i], base_w0[i]) == 0);
  CHECK(values(bn.moving_mean()) == mean0);
  CHECK(values(bn.moving_variance()) == var0);
  // Unfreeze, recompile, fine-tune: the base trains, and (as in Keras 3)
  // BN's statistics move although the call recorded training=false.
  t.base->set_trainable(true);
  CHECK(t.model.trainable_weights().size() == 6);  // features (2), bn gamma/beta (2), head (2)
  t.model.compile(keras::optimizers::SGD({.learning_rate = 1e-3}), "mse");
  t.model.fit(x, y, {.batch_size = 5, .epochs = 2, .verbose = 0});
  CHECK(max_diff(t.base->get_layer("features")->get_weights()[0], base_w0[0]) > 0);
  CHECK(values(bn.moving_mean()) != mean0);
}

TEST_CASE("transfer: a model with a frozen base called with training=false saves and loads (.keras, .h5, Keras 3)") {
  keras::utils::set_random_seed(3);
  Transfer t = Transfer::make();
  Tensor x = xs();
  t.model.compile("adam", "mse");
  t.model.fit(x, ops::sum(x, {1}, true), {.epochs = 1, .verbose = 0});
  fs::path dir = fs::temp_directory_path() / ("keras_transfer_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Tensor y = t.model.predict(x);
  for (const char* ext : {".keras", ".h5"}) {
    INFO(ext);
    std::string path = (dir / (std::string("transfer") + ext)).string();
    t.model.save(path);
    keras::Model r = keras::models::load_model(path);
    testing::check_close(r.predict(x), y.to_vector<float>(), 1e-6, 1e-6, "reloaded");
    // The call keeps its training=false argument in the saved config; the
    // reloaded base, frozen, keeps its statistics.
    CHECK(r.to_json().find("\"training\":false") != std::string::npos);
    auto base = std::dynamic_pointer_cast<keras::Model>(r.get_layer("base_model"));
    REQUIRE(base != nullptr);
    auto& bn = static_cast<layers::BatchNormalization&>(*base->get_layer("bn"));
    auto mean0 = values(bn.moving_mean());
    base->set_trainable(false);
    r.compile("adam", "mse");
    r.fit(x, ops::sum(x, {1}, true), {.epochs = 1, .verbose = 0});
    CHECK(values(bn.moving_mean()) == mean0);
  }
  auto io = keras::saving::h5::create_file((dir / "io.h5").string());
  io.write_dataset("x", x);
  io.write_dataset("y", y);
  keras::saving::h5::close(io);
  std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  const char* env = std::getenv("KERAS_PYTHON");
  std::string python = env && *env ? env : home + "/.cache/keras.cpp/venv/bin/python";
  if (!fs::exists(python)) {
    std::cerr << "SKIPPED: transfer models in Keras 3 (no Python at " << python << "; set KERAS_PYTHON)\n";
  } else {
    std::string log = (dir / "keras.log").string();
    std::string cmd = "KERAS_BACKEND=jax '" + python + "' '" + KERAS_SOURCE_DIR + "/scripts/check_transfer_in_keras.py' '" +
                      dir.string() + "' > '" + log + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(text);
    CHECK(rc == 0);
  }
  fs::remove_all(dir);
}

TEST_CASE("transfer: clone_model gives the same config with new weights; clone_function can share layers") {
  keras::utils::set_random_seed(4);
  keras::Model base = make_base();
  keras::Model c = keras::models::clone_model(base);
  CHECK(c.to_json() == base.to_json());
  CHECK(c.get_layer("block1") != base.get_layer("block1"));
  CHECK(max_diff(c.get_layer("block1")->get_weights()[0], base.get_layer("block1")->get_weights()[0]) > 0);
  Tensor x = xs();
  CHECK(c.predict(x).shape() == keras::Shape{10, 3});
  c.set_weights(base.get_weights());
  testing::check_close(c.predict(x), base.predict(x).to_vector<float>(), 1e-6, 1e-6, "same weights");
  // clone_function: share block1, rebuild the rest.
  keras::Model shared = keras::models::clone_model(base, [&](const layers::Layer& l) -> std::shared_ptr<layers::Layer> {
    if (l.name() == "block1") return base.get_layer("block1");
    return layers::from_config(l.class_name(), l.get_config());
  });
  CHECK(shared.get_layer("block1") == base.get_layer("block1"));
  CHECK(shared.get_layer("block2") != base.get_layer("block2"));
  // Sequential, and a nested model with training=false.
  keras::Sequential seq({keras::Input({3}), layers::Dense(2, "relu"), layers::Dense(1)});
  keras::Model sc = keras::models::clone_model(seq);
  CHECK(sc.class_name() == "Sequential");
  CHECK(sc.to_json() == seq.to_json());
  Transfer t = Transfer::make();
  keras::Model tc = keras::models::clone_model(t.model);
  CHECK(tc.to_json() == t.model.to_json());
  CHECK(tc.get_layer("base_model") != t.model.get_layer("base_model"));
  CHECK_THROWS_AS(keras::models::clone_model(base, [](const layers::Layer&) { return std::shared_ptr<layers::Layer>(); }),
                  keras::ValueError);
}
