// Files written by real Keras (scripts/make_keras_fixtures.py) load here and
// predict what Keras predicted; our JSON has the shape Keras writes.
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "keras/saving.hpp"
#include "saving/h5.hpp"
#include "test_helpers.hpp"

using keras::Tensor;
namespace layers = keras::layers;
using json = nlohmann::json;
using namespace testing;

namespace {

std::string fixture(const std::string& name) { return std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/keras/" + name; }

struct Reference {
  std::vector<Tensor> x, y;
};

Reference reference(const std::string& name) {
  auto f = keras::saving::h5::open_file(fixture(name + "_io.h5"));
  Reference r;
  for (int i = 0; f.has("x" + std::to_string(i)); ++i) r.x.push_back(f.dataset("x" + std::to_string(i)));
  for (int i = 0; f.has("y" + std::to_string(i)); ++i) r.y.push_back(f.dataset("y" + std::to_string(i)));
  return r;
}

void check_predictions(keras::Model& m, const std::string& name, const std::string& file) {
  INFO(file);
  auto ref = reference(name);
  REQUIRE(!ref.x.empty());
  auto out = m.predict(ref.x);
  REQUIRE(out.size() == ref.y.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    REQUIRE(out[i].shape() == ref.y[i].shape());
    check_close(out[i], ref.y[i].to_vector<float>(), 1e-5, 0.0, file + " output " + std::to_string(i));
  }
}

bool registered(std::initializer_list<const char*> classes) {
  for (auto c : classes)
    if (!layers::is_registered(c)) {
      MESSAGE("SKIPPED: layer class ", c, " is not available in this build");
      return false;
    }
  return true;
}

}  // namespace

TEST_CASE("keras fixtures: every model Keras saved loads with Keras's predictions") {
  for (std::string name : {"mlp", "functional", "nested", "cnn"}) {
    if (name == "cnn" && !registered({"Conv2D", "BatchNormalization", "MaxPooling2D", "GlobalAveragePooling2D"})) continue;
    for (std::string ext : {".h5", ".keras"}) {
      keras::Model m = keras::models::load_model(fixture(name + ext));
      check_predictions(m, name, name + ext);
      CHECK(m.compiled());
    }
  }
}

TEST_CASE("keras fixtures: training config and optimizer state come back") {
  keras::Model mlp = keras::models::load_model(fixture("mlp.h5"));
  REQUIRE(mlp.compiled());
  CHECK(mlp.optimizer().class_name() == "Adam");
  CHECK(mlp.optimizer().learning_rate() == doctest::Approx(0.01));
  CHECK(mlp.optimizer().iterations() == 8);  // 2 epochs of 4 batches
  CHECK(mlp.loss().class_name() == "SparseCategoricalCrossentropy");
  keras::Model mlp3 = keras::models::load_model(fixture("mlp.keras"));
  CHECK(mlp3.optimizer().iterations() == 8);
  auto a = mlp.optimizer().variables(), b = mlp3.optimizer().variables();
  REQUIRE(a.size() == 10);  // m and v of 5 variables (the middle Dense has no bias)
  REQUIRE(b.size() == 10);
  for (std::size_t i = 0; i < a.size(); ++i)
    check_close(b[i].value(), a[i].value().cpu().to_vector<float>(), 0.0, 0.0, "slot " + a[i].name());
}

TEST_CASE("keras fixtures: a tf.keras 2 file (fixed-length strings, split layer_names, kernel:0)") {
  keras::Model m = keras::models::load_model(fixture("tf2_style.h5"));
  check_predictions(m, "tf2_style", "tf2_style.h5");
  REQUIRE(m.compiled());
  CHECK(m.optimizer().iterations() == 10);
  // tf.keras 2 orders Adam's slots [m..., v...]; each must land on its variable.
  auto slots = m.optimizer().variables();
  REQUIRE(slots.size() == 12);
  std::map<std::string, float> first;
  for (auto& s : slots) first[s.name()] = s.value().cpu().to_vector<float>()[0];
  CHECK(first["dense_kernel_momentum"] == doctest::Approx(0.01f));
  CHECK(first["dense_bias_momentum"] == doctest::Approx(0.02f));
  CHECK(first["dense_2_bias_momentum"] == doctest::Approx(0.06f));
  CHECK(first["dense_kernel_velocity"] == doctest::Approx(0.07f));
  CHECK(first["dense_2_bias_velocity"] == doctest::Approx(0.12f));
}

TEST_CASE("keras fixtures: load_weights from Keras's .weights.h5 and .keras") {
  keras::Model ref = keras::models::load_model(fixture("mlp.keras"));
  for (std::string file : {"mlp.weights.h5", "mlp.keras", "mlp.h5"}) {
    keras::Model fresh = keras::models::model_from_json(ref.to_json());
    fresh.load_weights(fixture(file));
    check_predictions(fresh, "mlp", file);
  }
}

TEST_CASE("keras fixtures: our functional JSON matches Keras's, layer by layer") {
  json keras_json;
  {
    std::ifstream in(fixture("functional.json"));
    REQUIRE(in);
    in >> keras_json;
  }
  // The model of make_keras_fixtures.py's functional(), built here.
  auto a = keras::Input({8}, "image");
  auto b = keras::Input({4}, "numbers");
  auto h = layers::Dense(6, "relu")(a);
  auto g = layers::Dense(6, "tanh")(b);
  auto add = layers::Add()({h, g});
  auto sub = layers::Subtract()({h, g});
  auto mul = layers::Multiply()({add, sub});
  auto avg = layers::Average()({h, g, mul});
  auto mx = layers::Maximum()({avg, h});
  auto mn = layers::Minimum()({mx, g});
  auto cat = layers::Concatenate()({mn, add});
  auto r = layers::Reshape({3, 4})(cat);
  auto f = layers::Flatten()(r);
  auto dot = layers::Dot(1, true)({h, g});
  auto inner = std::make_shared<keras::Sequential>(
      std::initializer_list<keras::LayerArg>{keras::Input({12}), layers::Dense(5, "relu"), layers::Dense(3)}, "inner");
  auto out1 = (*inner)(f);
  auto out2 = layers::Dense(1, {}, {.name = "reg"})(layers::Concatenate()({f, dot}));
  keras::Model model({a, b}, {out1, out2}, "two_heads");
  json ours = json::parse(model.to_json());

  CHECK(ours["class_name"] == keras_json["class_name"]);
  CHECK(ours["module"] == keras_json["module"]);
  auto& kl = keras_json["config"]["layers"];
  auto& ol = ours["config"]["layers"];
  REQUIRE(ol.size() == kl.size());
  // Names differ (Keras numbered its layers across several models), so
  // compare the graph through positions.
  auto positions = [](const json& ls) {
    std::map<std::string, int> p;
    for (std::size_t i = 0; i < ls.size(); ++i) p[ls[i]["name"]] = static_cast<int>(i);
    return p;
  };
  auto kp = positions(kl), op = positions(ol);
  auto history = [](const json& node, const std::map<std::string, int>& pos) {
    std::vector<std::vector<int>> r;
    const json& arg = node["args"][0];
    auto one = [&](const json& t) {
      auto& kh = t["config"]["keras_history"];
      r.push_back({pos.at(kh[0].get<std::string>()), kh[1].get<int>(), kh[2].get<int>()});
    };
    if (arg.is_array())
      for (auto& t : arg) one(t);
    else
      one(arg);
    return std::make_pair(arg.is_array(), r);
  };
  for (std::size_t i = 0; i < kl.size(); ++i) {
    INFO("layer ", i, ": ", kl[i]["name"], " vs ", ol[i]["name"]);
    CHECK(ol[i]["class_name"] == kl[i]["class_name"]);
    CHECK(ol[i]["module"] == kl[i]["module"]);
    REQUIRE(ol[i]["inbound_nodes"].size() == kl[i]["inbound_nodes"].size());
    for (std::size_t n = 0; n < kl[i]["inbound_nodes"].size(); ++n) {
      CHECK(history(ol[i]["inbound_nodes"][n], op) == history(kl[i]["inbound_nodes"][n], kp));
      auto& ka = kl[i]["inbound_nodes"][n]["args"][0];
      auto& oa = ol[i]["inbound_nodes"][n]["args"][0];
      if (!ka.is_array()) CHECK(oa["config"]["shape"] == ka["config"]["shape"]);
    }
    // Every config key we write is one Keras writes, with the same value
    // for the layer's own arguments.
    for (auto& [key, value] : ol[i]["config"].items()) {
      INFO("config key ", key);
      CHECK(kl[i]["config"].contains(key));
      if (key == "units" || key == "activation" || key == "axis" || key == "axes" || key == "normalize" ||
          key == "target_shape" || key == "use_bias" || key == "batch_shape")
        CHECK(value == kl[i]["config"][key]);
    }
  }
  auto endpoints = [](const json& j, const std::map<std::string, int>& pos) {
    std::vector<int> r;
    for (auto& e : j) r.push_back(pos.at(e[0].get<std::string>()));
    return r;
  };
  CHECK(endpoints(ours["config"]["input_layers"], op) == endpoints(keras_json["config"]["input_layers"], kp));
  CHECK(endpoints(ours["config"]["output_layers"], op) == endpoints(keras_json["config"]["output_layers"], kp));

  // And Keras's JSON builds here.
  keras::Model from_keras = keras::models::model_from_json(keras_json.dump());
  CHECK(from_keras.layers().size() == model.layers().size());
}

TEST_CASE("keras fixtures: training Keras started continues here as it would in Keras") {
  auto io = keras::saving::h5::open_file(fixture("resume_io.h5"));
  Tensor x = io.dataset("x0"), y = io.dataset("labels");
  for (std::string ext : {".keras", ".h5"}) {
    INFO(ext);
    keras::Model m = keras::models::load_model(fixture("resume" + ext));
    CHECK(m.optimizer().iterations() == 8);
    m.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0, .shuffle = false, .initial_epoch = 2});
    auto w = m.get_weights();
    for (std::size_t i = 0; i < w.size(); ++i)
      check_close(w[i], io.dataset("w" + std::to_string(i)).to_vector<float>(), 1e-5, 1e-4,
                  "weight " + std::to_string(i) + " after Keras's third epoch");
  }
}

TEST_CASE("keras fixtures: a model Keras compiled but never trained loads with its optimizer and trains on") {
  // Keras 3 stores only [iteration, learning_rate] for an optimizer whose slots are not built yet.
  for (std::string ext : {".keras", ".h5"}) {
    INFO(ext);
    keras::Model m = keras::models::load_model(fixture("compiled_untrained" + ext));
    check_predictions(m, "compiled_untrained", ext);
    REQUIRE(m.compiled());
    CHECK(m.optimizer().iterations() == 0);
    CHECK(m.optimizer().learning_rate() == doctest::Approx(0.003));
    Tensor x = testing::random_tensor({8, 5}, -1, 1, 3);
    std::vector<std::int64_t> lv = {0, 1, 2, 0, 1, 2, 0, 1};
    m.fit(x, Tensor({8}, lv), {.batch_size = 4, .epochs = 1, .verbose = 0});
    CHECK(m.optimizer().iterations() == 2);
  }
}

TEST_CASE("keras fixtures: tf.keras 2.15 files with a Custom>Adam optimizer resume training where tf.keras would") {
  // Slots interleaved per variable ("Adam/m/dense/kernel:0", "Adam/v/...");
  // two kernels of equal shape would silently swap moments in the wrong order.
  keras::Model m = keras::models::load_model(fixture("tf215_adam.h5"));
  check_predictions(m, "tf215_adam", ".h5");
  REQUIRE(m.compiled());
  CHECK(m.optimizer().class_name() == "Adam");
  CHECK(m.optimizer().iterations() == 4);
  auto io = keras::saving::h5::open_file(fixture("tf215_adam_io.h5"));
  m.fit(io.dataset("x0"), io.dataset("labels"), {.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false});
  auto w = m.get_weights();
  for (std::size_t i = 0; i < w.size(); ++i) {
    INFO("weight ", i);
    check_close(w[i], io.dataset("w" + std::to_string(i)).to_vector<float>(), 2e-5, 1e-4, "after one more epoch");
  }
}
