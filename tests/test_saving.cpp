// Saving and loading: configs and JSON, legacy .h5, .keras, weights files,
// optimizer state and resumed training, atomic saves.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/saving.hpp"
#include "test_helpers.hpp"

using keras::KerasTensor;
using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;
namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace testing;

namespace {

// A fresh directory per test, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() / ("keras_saving_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void check_same(const Tensor& a, const Tensor& b, double atol, const std::string& what) {
  check_close(a, b.astype(keras::float32).to_vector<float>(), atol, 0.0, what);
}

// Every core and merge layer in one functional model (two inputs, two
// outputs, a nested Sequential).
keras::Model every_layer_model() {
  auto a = keras::Input({8}, "image");
  auto b = keras::Input({4}, "numbers");
  auto h = layers::Dense(6, "relu")(a);
  auto g = layers::Dense(6, "tanh", {.use_bias = false})(b);
  auto add = layers::Add()({h, g});
  auto sub = layers::Subtract()({h, g});
  auto mul = layers::Multiply()({add, sub});
  auto avg = layers::Average()({h, g, mul});
  auto mx = layers::Maximum()({avg, h});
  auto mn = layers::Minimum()({mx, g});
  auto cat = layers::Concatenate(-1)({mn, add});                 // (12)
  auto r = layers::Reshape({3, 4})(cat);                         // (3, 4)
  auto f = layers::Flatten()(r);                                 // (12)
  auto d = layers::Dropout(0.25)(f);
  auto act = layers::Activation("sigmoid")(d);
  auto dot = layers::Dot(1, true)({h, g});                       // (1)
  auto inner = std::make_shared<keras::Sequential>(
      std::initializer_list<keras::LayerArg>{keras::Input({12}), layers::Dense(5, "relu"), layers::Dense(3)}, "inner");
  auto out1 = (*inner)(act);
  auto out2 = layers::Dense(1, {}, {.name = "reg"})(layers::Concatenate()({act, dot}));
  return keras::Model({a, b}, {out1, out2}, "everything");
}

std::vector<Tensor> inputs_for(const keras::Model& m, unsigned seed) {
  std::vector<Tensor> xs;
  std::vector<Shape> shapes;
  for (auto& in : m.inputs()) shapes.push_back(in.shape());
  if (m.inputs().empty()) shapes.push_back(m.input_shape());  // a Sequential not built yet
  for (Shape s : shapes) {
    s[0] = 5;
    xs.push_back(random_tensor(s, -1, 1, seed++));
  }
  return xs;
}

void check_same_predictions(keras::Model& a, keras::Model& b, const std::string& what) {
  auto xs = inputs_for(a, 7);
  auto pa = a.predict(xs), pb = b.predict(xs);
  REQUIRE(pa.size() == pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) check_same(pb[i], pa[i], 0.0, what + " output " + std::to_string(i));
}

}  // namespace

TEST_CASE("saving: functional get_config has Keras 3's shape") {
  auto m = every_layer_model();
  json c = json::parse(m.to_json());
  CHECK(c["class_name"] == "Functional");
  CHECK(c["module"] == "keras.src.models.functional");
  auto& cfg = c["config"];
  CHECK(cfg["input_layers"] == json::parse(R"([["image", 0, 0], ["numbers", 0, 0]])"));
  CHECK(cfg["output_layers"] == json::parse(R"([["inner", 0, 0], ["reg", 0, 0]])"));
  // Keras's order: by depth from the outputs, so both inputs first.
  CHECK(cfg["layers"][0]["name"] == "image");
  CHECK(cfg["layers"][1]["name"] == "numbers");
  CHECK(cfg["layers"][0]["inbound_nodes"] == json::array());
  for (auto& l : cfg["layers"]) {
    if (l["name"] == "dense") {
      CHECK(l["class_name"] == "Dense");
      CHECK(l["module"] == "keras.layers");
      CHECK(l["config"]["units"] == 6);
      CHECK(l["config"]["activation"] == "relu");
      auto& arg = l["inbound_nodes"][0]["args"][0];
      CHECK(arg["class_name"] == "__keras_tensor__");
      CHECK(arg["config"]["shape"] == json::parse("[null, 8]"));
      CHECK(arg["config"]["keras_history"] == json::parse(R"(["image", 0, 0])"));
      CHECK(l["build_config"]["input_shape"] == json::parse("[null, 8]"));
    }
    if (l["class_name"] == "Add") CHECK(l["inbound_nodes"][0]["args"][0].size() == 2);  // a list argument
    if (l["name"] == "inner") CHECK(l["config"]["build_input_shape"] == json::parse("[null, 12]"));
  }
}

TEST_CASE("saving: Sequential get_config has the InputLayer and build_input_shape") {
  keras::Sequential m({keras::Input({28, 28}), layers::Flatten(), layers::Dense(10, "softmax")}, "seq");
  json c = json::parse(keras::models::to_json(m));
  CHECK(c["class_name"] == "Sequential");
  CHECK(c["config"]["layers"][0]["class_name"] == "InputLayer");
  CHECK(c["config"]["layers"][0]["config"]["batch_shape"] == json::parse("[null, 28, 28]"));
  CHECK(c["config"]["build_input_shape"] == json::parse("[null, 28, 28]"));
  CHECK(c["build_config"]["input_shape"] == json::parse("[null, 28, 28]"));
}

TEST_CASE("saving: to_json -> model_from_json -> set_weights gives identical predictions") {
  auto m = every_layer_model();
  keras::Model r = keras::models::model_from_json(m.to_json());
  CHECK(r.to_json() == m.to_json());  // the config survives unchanged
  REQUIRE(r.get_weights().size() == m.get_weights().size());
  r.set_weights(m.get_weights());
  check_same_predictions(m, r, "json round trip");

  keras::Sequential s({keras::Input({6}), layers::Dense(4, "relu"), layers::Dropout(0.5), layers::Dense(2)});
  keras::Model sr = keras::models::model_from_json(s.to_json());
  sr.set_weights(s.get_weights());
  CHECK(sr.class_name() == "Sequential");
  check_same_predictions(s, sr, "sequential json round trip");
}

TEST_CASE("saving: model_from_json reads tf.keras 2 JSON") {
  // tf.keras 2.x: batch_input_shape, list-form inbound_nodes, dtype strings,
  // a DTypePolicy object on one layer, "Model" as the functional class.
  const char* text = R"({"class_name": "Model", "config": {"name": "model", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "dtype": "float32", "sparse": false,
      "ragged": false, "name": "input_1"}, "name": "input_1", "inbound_nodes": []},
    {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 4,
      "activation": "relu", "use_bias": true,
      "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
      "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
      "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
      "name": "dense", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
    {"class_name": "Dense", "config": {"name": "dense_1", "trainable": false,
      "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
      "units": 4, "activation": "linear", "use_bias": true},
      "name": "dense_1", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
    {"class_name": "Add", "config": {"name": "add", "trainable": true, "dtype": "float32"}, "name": "add",
      "inbound_nodes": [[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]]}],
    "input_layers": [["input_1", 0, 0]], "output_layers": [["add", 0, 0]]}, "keras_version": "2.13.1",
    "backend": "tensorflow"})";
  keras::Model m = keras::models::model_from_json(text);
  CHECK(m.is_functional());
  CHECK(m.layers().size() == 4);
  CHECK(m.get_layer("dense_1")->trainable() == false);
  CHECK(m.predict(Tensor::ones({2, 3})).shape() == Shape{2, 4});

  const char* seq = R"({"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "Dense", "config": {"name": "d", "batch_input_shape": [null, 5], "dtype": "float32", "units": 2,
     "activation": "softmax"}}]}})";
  keras::Model s = keras::models::model_from_json(seq);
  CHECK(s.input_shape() == Shape{-1, 5});
  CHECK(s.predict(Tensor::ones({1, 5})).shape() == Shape{1, 2});
}

TEST_CASE("saving: an unknown layer class is a ValueError naming the class") {
  const char* text = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "in"}},
    {"class_name": "FancyLayer", "config": {"name": "fancy"}}]}})";
  CHECK_THROWS_WITH_AS(keras::models::model_from_json(text), doctest::Contains("FancyLayer"), keras::ValueError);
  CHECK_THROWS_AS(keras::models::model_from_json("{not json"), keras::ValueError);
}

TEST_CASE("saving: .h5 and .keras round trips keep predictions, compile state and optimizer state") {
  TempDir dir;
  for (std::string ext : {".h5", ".keras"}) {
    INFO(ext);
    keras::utils::set_random_seed(3);
    auto m = every_layer_model();
    m.compile(keras::optimizers::Adam({.learning_rate = 0.01}), std::vector<keras::LossArg>{"mse", "mae"},
              {{"mae"}, {}}, {1.0, 0.5});
    auto xs = inputs_for(m, 1);
    std::vector<Tensor> ys{random_tensor({5, 3}, -1, 1, 9), random_tensor({5, 1}, -1, 1, 10)};
    m.fit(xs, ys, {.batch_size = 5, .epochs = 2, .verbose = 0, .shuffle = false});
    std::string path = dir / ("model" + ext);
    m.save(path);
    keras::Model r = keras::models::load_model(path);
    check_same_predictions(m, r, "reloaded " + ext);
    REQUIRE(r.compiled());
    CHECK(r.optimizer().class_name() == "Adam");
    CHECK(r.optimizer().learning_rate() == doctest::Approx(0.01));
    CHECK(r.optimizer().iterations() == 2);
    auto sa = m.optimizer().variables(), sb = r.optimizer().variables();
    REQUIRE(sa.size() == sb.size());
    for (std::size_t i = 0; i < sa.size(); ++i) check_same(sb[i].value(), sa[i].value(), 0.0, sa[i].name());
    // The next epoch is the same in both (same seed for the dropout masks).
    keras::utils::set_random_seed(11);
    m.fit(xs, ys, {.batch_size = 5, .epochs = 1, .verbose = 0, .shuffle = false});
    keras::utils::set_random_seed(11);
    r.fit(xs, ys, {.batch_size = 5, .epochs = 1, .verbose = 0, .shuffle = false});
    auto wa = m.get_weights(), wb = r.get_weights();
    for (std::size_t i = 0; i < wa.size(); ++i) check_same(wb[i], wa[i], 1e-6, "weight after resumed step");
  }
}

TEST_CASE("saving: weights files, in order and by name") {
  TempDir dir;
  keras::Sequential a({keras::Input({4}), layers::Dense(3, "relu", {.name = "first"}), layers::Dense(2, {}, {.name = "second"})});
  for (std::string name : {"w.weights.h5", "w.h5"}) {
    INFO(name);
    a.save_weights(dir / name);
    keras::Sequential b({keras::Input({4}), layers::Dense(3, "relu"), layers::Dense(2)});
    b.load_weights(dir / name);
    check_same_predictions(a, b, name);
  }
  // By name: a model whose layers come in another order.
  auto in = keras::Input({4});
  auto other = layers::Dense(2, {}, {.name = "unrelated"})(in);
  auto h = layers::Dense(3, "relu", {.name = "first"})(in);
  auto out = layers::Add()({layers::Dense(2, {}, {.name = "second"})(h), other});
  keras::Model c(in, out);
  c.load_weights(dir / "w.h5", /*by_name=*/true);
  check_same(c.get_layer("first")->get_weights()[0], a.get_layer("first")->get_weights()[0], 0.0, "by name");
  check_same(c.get_layer("second")->get_weights()[1], a.get_layer("second")->get_weights()[1], 0.0, "by name");
  // In order, the layer counts differ: the error names the file and both lists.
  CHECK_THROWS_WITH_AS(c.load_weights(dir / "w.h5"), doctest::Contains("w.h5"), keras::ValueError);
  // A weight of the wrong shape names the layer and the file.
  keras::Sequential wrong({keras::Input({5}), layers::Dense(3, "relu"), layers::Dense(2)});
  CHECK_THROWS_WITH_AS(wrong.load_weights(dir / "w.weights.h5"), doctest::Contains("w.weights.h5"), keras::ValueError);
}

TEST_CASE("saving: fit 2 epochs, save, load, fit 1 more == fit 3 epochs") {
  TempDir dir;
  auto make = [] {
    keras::utils::set_random_seed(42);
    keras::Sequential m({keras::Input({6}), layers::Dense(8, "relu"), layers::Dense(3, "softmax")});
    m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
    return m;
  };
  Tensor x = random_tensor({64, 6}, -1, 1, 1);
  std::vector<std::int64_t> labels(64);
  for (int i = 0; i < 64; ++i) labels[i] = i % 3;
  Tensor y({64}, labels);
  keras::FitOptions o{.batch_size = 16, .epochs = 3, .verbose = 0, .shuffle = false};

  auto straight = make();
  straight.fit(x, y, o);

  for (std::string ext : {".h5", ".keras"}) {
    INFO(ext);
    auto first = make();
    first.fit(x, y, {.batch_size = 16, .epochs = 2, .verbose = 0, .shuffle = false});
    first.save(dir / ("ckpt" + ext));
    keras::Model resumed = keras::models::load_model(dir / ("ckpt" + ext));
    CHECK(resumed.optimizer().iterations() == 8);
    auto o2 = o;
    o2.initial_epoch = 2;
    resumed.fit(x, y, o2);
    auto ws = straight.get_weights(), wr = resumed.get_weights();
    REQUIRE(ws.size() == wr.size());
    for (std::size_t i = 0; i < ws.size(); ++i) check_same(wr[i], ws[i], 1e-6, "resumed weight " + std::to_string(i));
  }
}

namespace {
// A layer whose config cannot be written: saving fails midway.
class Unserializable : public layers::Layer {
 public:
  Unserializable() : Layer(unique_name("unserializable")) {}
  KERAS_LAYER_CLASS(Unserializable)
  void build(const Shape& s) override { w_ = add_weight("w", {s.back()}, "ones"); }
  Tensor call(const Tensor& x, bool) override { return keras::ops::multiply(x, w_.value()); }
  nlohmann::json get_config() const override { throw keras::ValueError("Unserializable cannot be serialized"); }

 private:
  keras::Variable w_;
};
}  // namespace

TEST_CASE("saving: a failing save leaves the previous file intact and no temporary behind") {
  TempDir dir;
  keras::Sequential good({keras::Input({3}), layers::Dense(2)});
  std::string path = dir / "m.h5";
  good.save(path);
  auto before = fs::file_size(path);
  keras::Sequential bad({keras::Input({3}), layers::Dense(2), Unserializable()});
  for (std::string p : {path, dir / "m.keras"}) {
    if (p != path) good.save(p);
    CHECK_THROWS_AS(bad.save(p), keras::ValueError);
    keras::Model still = keras::models::load_model(p);
    check_same_predictions(good, still, "previous file");
  }
  CHECK(fs::file_size(path) == before);
  // Weights files are written the same way; nothing temporary stays behind.
  good.save_weights(dir / "w.weights.h5");
  int files = 0;
  for (auto& e : fs::directory_iterator(dir.path)) {
    ++files;
    CHECK(e.path().string().find(".tmp-") == std::string::npos);
  }
  CHECK(files == 3);
  // An unwritable directory: IOError naming the file.
  CHECK_THROWS_WITH_AS(good.save(dir / "no/such/dir/m.h5"), doctest::Contains("m.h5"), keras::IOError);
}
