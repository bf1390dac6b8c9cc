// The one registry (layers, activations, initializers, losses, metrics,
// optimizers) and the one rule for unsupported config arguments.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <string>

#include "keras/activations.hpp"
#include "keras/initializers.hpp"
#include "keras/layers/core.hpp"
#include "keras/layers/misc.hpp"
#include "keras/layers/registry.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"
#include "keras/registry.hpp"

using json = nlohmann::json;
using namespace keras;

namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "(no ValueError)";
}

// The fewest arguments each class needs; {} for the rest.
json minimal_config(const std::string& cls) {
  static const std::map<std::string, json> required = {
      {"InputLayer", {{"batch_shape", {nullptr, 4}}}},
      {"Dense", {{"units", 3}}},
      {"Activation", {{"activation", "relu"}}},
      {"Reshape", {{"target_shape", {2, 2}}}},
      {"Dropout", {{"rate", 0.5}}},
      {"SpatialDropout2D", {{"rate", 0.5}}},
      {"Dot", {{"axes", 1}}},
      {"Conv1D", {{"filters", 2}, {"kernel_size", 3}}},
      {"Conv2D", {{"filters", 2}, {"kernel_size", 3}}},
      {"Conv2DTranspose", {{"filters", 2}, {"kernel_size", 3}}},
      {"SeparableConv2D", {{"filters", 2}, {"kernel_size", 3}}},
      {"DepthwiseConv2D", {{"kernel_size", 3}}},
      {"Embedding", {{"input_dim", 5}, {"output_dim", 2}}},
      {"SimpleRNN", {{"units", 2}}}, {"LSTM", {{"units", 2}}}, {"GRU", {{"units", 2}}},
      {"SimpleRNNCell", {{"units", 2}}}, {"LSTMCell", {{"units", 2}}}, {"GRUCell", {{"units", 2}}},
      {"RNN", {{"cell", {{"class_name", "LSTMCell"}, {"config", {{"units", 2}}}}}}},
      {"Bidirectional", {{"layer", {{"class_name", "LSTM"}, {"config", {{"units", 2}}}}}}},
      {"TimeDistributed", {{"layer", {{"class_name", "Dense"}, {"config", {{"units", 2}}}}}}},
      {"Permute", {{"dims", {2, 1}}}},
      {"RepeatVector", {{"n", 2}}},
      {"GaussianNoise", {{"stddev", 0.1}}},
      {"GaussianDropout", {{"rate", 0.1}}},
      {"MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 3}}},
      {"Rescaling", {{"scale", 0.5}}}, {"Discretization", {{"num_bins", 3}}},
      {"CategoryEncoding", {{"num_tokens", 3}}}, {"Hashing", {{"num_bins", 3}}},
      {"Resizing", {{"height", 2}, {"width", 2}}}, {"CenterCrop", {{"height", 2}, {"width", 2}}},
      {"RandomCrop", {{"height", 2}, {"width", 2}}}, {"RandomRotation", {{"factor", 0.1}}},
      {"RandomZoom", {{"height_factor", 0.1}}}, {"RandomTranslation", {{"height_factor", 0.1}, {"width_factor", 0.1}}},
      {"RandomContrast", {{"factor", 0.1}}}, {"RandomBrightness", {{"factor", 0.1}}},
      {"Lambda", {{"function", "tests>registry_probe"}}},
  };
  auto it = required.find(cls);
  json c = it == required.end() ? json::object() : it->second;
  c["name"] = "probe_" + cls;
  return c;
}

// A real instance's get_config() where the class builds from the minimal
// config, else the minimal config itself.
const bool probe_registered = (layers::register_lambda_function(
                                   "tests>registry_probe", [](const keras::Tensor& t) { return t; }, {}, true),
                               true);

json real_config(const std::string& cls, int* from_instance) {
  json c = minimal_config(cls);
  try {
    auto layer = layers::from_config(cls, c);
    json got = layer->get_config();
    got["name"] = c["name"];
    ++*from_instance;
    return got;
  } catch (const Error&) {
    return c;
  }
}

}  // namespace

TEST_CASE("registry: every layer class rejects a non-default unsupported argument, naming layer, argument and value") {
  auto classes = layers::registered_layers();
  CHECK(classes.size() >= 30);
  int builtin = 0, from_instance = 0;
  for (const auto& cls : classes) {
    if (!layers::is_builtin(cls)) continue;
    ++builtin;
    // The classes that read these arguments (test_regularizers.cpp covers them).
    static const std::set<std::string> reads{"Dense",           "Conv1D",          "Conv2D",
                                             "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D"};
    for (const char* arg : {"kernel_regularizer", "activity_regularizer", "bias_constraint"}) {
      json c = real_config(cls, &from_instance);
      // DepthwiseConv2D and SeparableConv2D have no kernel_regularizer (theirs is depthwise_...).
      const bool no_kernel = cls == "DepthwiseConv2D" || cls == "SeparableConv2D";
      if (reads.count(cls) && !(std::string(arg) == "kernel_regularizer" && no_kernel)) {
        ++from_instance;  // probed in test_regularizers.cpp instead
        continue;
      }
      c[arg] = {{"module", "keras.regularizers"}, {"class_name", "L2"}, {"config", {{"l2", 0.0123}}}};
      std::string msg = message_of([&] { layers::from_config(cls, c); });
      INFO(cls, " ", arg, ": ", msg);
      CHECK(msg.find("probe_" + cls) != std::string::npos);
      CHECK(msg.find("(" + cls + ")") != std::string::npos);
      CHECK(msg.find(arg) != std::string::npos);
      CHECK(msg.find("0.0123") != std::string::npos);
    }
  }
  // All but the model classes (whose configs hold layer graphs) probe a real instance's config.
  CHECK(from_instance >= 3 * (builtin - 3));
}

TEST_CASE("registry: null unsupported arguments and behaviour-free keys Keras writes are accepted") {
  json c = {{"name", "d"},
            {"units", 2},
            {"trainable", false},
            {"dtype", {{"module", "keras"}, {"class_name", "DTypePolicy"}, {"config", {{"name", "float32"}}}}},
            {"kernel_regularizer", nullptr},
            {"activity_regularizer", nullptr},
            {"kernel_constraint", nullptr},
            {"lora_rank", nullptr},
            {"build_config", {{"input_shape", {nullptr, 4}}}}};
  auto layer = layers::from_config("Dense", c);
  CHECK(layer->name() == "d");
  CHECK_FALSE(layer->trainable());
  c["dtype"] = "float16";
  CHECK(message_of([&] { layers::from_config("Dense", c); }).find("dtype") != std::string::npos);
  json conv = {{"name", "c"}, {"filters", 2}, {"kernel_size", 3}, {"kernel_regularizer", {{"class_name", "L7"}}}};
  std::string msg = message_of([&] { layers::from_config("Conv2D", conv); });
  CHECK(msg.find("kernel_regularizer") != std::string::npos);
  CHECK(msg.find("'L7'") != std::string::npos);
  CHECK(msg.find("Did you mean") != std::string::npos);
}

TEST_CASE("registry: unknown names give the closest known names for every kind") {
  auto suggests = [](const std::function<void()>& f, const std::string& kind, const std::string& want) {
    std::string msg = message_of(f);
    INFO(msg);
    CHECK(msg.find("Unknown " + kind) != std::string::npos);
    CHECK(msg.find("Did you mean '" + want + "'") != std::string::npos);
    CHECK(msg.find("Known: ") != std::string::npos);
  };
  suggests([] { activations::get("rleu"); }, "activation", "relu");
  suggests([] { initializers::get("glorot_unifrom"); }, "initializer", "glorot_uniform");
  suggests([] { losses::get("mean_squared_eror"); }, "loss", "mean_squared_error");
  suggests([] { metrics::get("acuracy", nullptr, {4}, {4, 1}); }, "metric", "accuracy");
  suggests([] { optimizers::get("adma"); }, "optimizer", "adam");
  suggests([] { layers::from_config("Dens", json::object()); }, "layer class", "Dense");
  CHECK(message_of([] { activations::get("zzzzzzzz"); }).find("Did you mean") == std::string::npos);
  CHECK(registry::edit_distance("rleu", "relu") == 1);
  CHECK(registry::edit_distance("rleu", "elu") == 2);
  CHECK(registry::edit_distance("kitten", "sitting") == 3);
  CHECK(registry::edit_distance("Adam", "adam") == 0);
}

TEST_CASE("registry: Keras 3 and tf.keras 2 spellings resolve") {
  CHECK(activations::get("keras.activations.relu").name == "relu");
  CHECK(activations::deserialize(json{{"class_name", "function"}, {"config", "tanh"}}).name == "tanh");
  CHECK(losses::get("keras.losses.mse")->class_name() == "MeanSquaredError");
  CHECK(optimizers::deserialize(json{{"class_name", "keras.optimizers.Adam"}, {"config", json::object()}})->class_name() ==
        "Adam");
  CHECK(initializers::get("GlorotUniform")->class_name() == "GlorotUniform");
}

TEST_CASE("registry: built-in activations are builtin(); user ones never are, and cannot take a built-in name") {
  CHECK(activations::get("relu").builtin());
  CHECK(activations::Activation("gelu").builtin());
  CHECK_FALSE(activations::Activation("relu", [](const Tensor& x) { return x; }).builtin());
  CHECK(message_of([] { activations::register_activation("relu", [](const Tensor& x) { return x; }); })
            .find("built-in") != std::string::npos);
  activations::register_activation("test_cube", [](const Tensor& x) { return ops::multiply(x, ops::multiply(x, x)); });
  auto a = activations::get("test_cube");
  CHECK_FALSE(a.builtin());
  auto back = activations::deserialize(activations::serialize(a));
  CHECK(back.name == "test_cube");
  CHECK_FALSE(back.builtin());
  CHECK(back(ops::full({1}, 2.0)).to_vector<float>()[0] == doctest::Approx(8.0));
  CHECK(message_of([] { activations::register_activation("test_cube", [](const Tensor& x) { return x; }); })
            .find("already registered") != std::string::npos);
  activations::register_activation("test_cube", [](const Tensor& x) { return x; }, /*replace=*/true);
  CHECK(activations::get("test_cube")(ops::full({1}, 2.0)).to_vector<float>()[0] == doctest::Approx(2.0));
}

namespace {
class TestHalf : public initializers::Initializer {
 public:
  explicit TestHalf(double v) : v_(v) {}
  std::string class_name() const override { return "TestHalf"; }
  Tensor operator()(const Shape& s, DType dtype) const override { return ops::full(s, v_, dtype); }
  json get_config() const override { return {{"value", v_}}; }

 private:
  double v_;
};

class TestScaledMSE : public losses::Loss {
 public:
  explicit TestScaledMSE(double k) : Loss("test_scaled_mse", losses::Reduction::sum_over_batch_size), k_(k) {}
  std::string class_name() const override { return "TestScaledMSE"; }
  Tensor call(const Tensor& t, const Tensor& p) const override {
    return ops::multiply(ops::mean(ops::square(ops::subtract(p, t)), {-1}), ops::full({}, k_));
  }
  json get_config() const override { return {{"k", k_}, {"name", name()}}; }

 private:
  double k_;
};
}  // namespace

TEST_CASE("registry: user initializers, losses, metrics, optimizers and layers load from their configs") {
  initializers::register_initializer("TestHalf", [](const json& c) { return std::make_shared<TestHalf>(c.value("value", 0.5)); });
  auto init = initializers::deserialize(initializers::serialize(TestHalf(0.25)));
  CHECK(init->class_name() == "TestHalf");
  CHECK(init->get_config() == json{{"value", 0.25}});
  CHECK(message_of([] { initializers::register_initializer("Zeros", nullptr); }).find("built-in") != std::string::npos);

  losses::register_loss("TestScaledMSE", [](const json& c) { return std::make_shared<TestScaledMSE>(c.value("k", 1.0)); });
  auto loss = losses::deserialize(losses::serialize(TestScaledMSE(3.0)));
  CHECK(loss->class_name() == "TestScaledMSE");
  CHECK(loss->get_config()["k"] == 3.0);
  CHECK(message_of([] { losses::register_loss("mse", nullptr); }).find("built-in") != std::string::npos);

  metrics::register_metric("test_abs_err", [] { return std::make_shared<metrics::MeanAbsoluteError>(); });
  auto m = metrics::get("test_abs_err", nullptr, {4, 1}, {4, 1});
  CHECK(m->name() == "test_abs_err");
  CHECK(message_of([] { metrics::register_metric("accuracy", nullptr); }).find("built-in") != std::string::npos);

  optimizers::register_optimizer("TestSGD", [](const json& c) {
    return std::make_shared<optimizers::SGD>(optimizers::SGDOptions{c.value("learning_rate", 0.1)});
  });
  auto opt = optimizers::deserialize(json{{"class_name", "TestSGD"}, {"config", {{"learning_rate", 0.5}}}});
  CHECK(opt->learning_rate() == doctest::Approx(0.5));
  auto again = optimizers::deserialize(optimizers::serialize(*opt));  // saved as the SGD it builds
  CHECK(again->class_name() == "SGD");
  CHECK(again->learning_rate() == doctest::Approx(0.5));
  CHECK(message_of([] { optimizers::register_optimizer("Adam", nullptr); }).find("built-in") != std::string::npos);

  layers::register_layer("TestWideDense", [](const json& c) -> std::shared_ptr<layers::Layer> {
    return std::make_shared<layers::Dense>(2 * c.at("units").get<int>());
  });
  auto layer = layers::from_config("TestWideDense", json{{"units", 3}});
  CHECK(std::dynamic_pointer_cast<layers::Dense>(layer)->units() == 6);
  CHECK_FALSE(layers::is_builtin("TestWideDense"));
  CHECK(message_of([] { layers::register_layer("Dense", nullptr, /*replace=*/true); }).find("built-in") !=
        std::string::npos);
  CHECK(message_of([] { layers::register_layer("TestWideDense", nullptr); }).find("already registered") !=
        std::string::npos);
}
