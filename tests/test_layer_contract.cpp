// One contract for every layer: output shape matches compute_output_shape,
// the config round-trips through from_config with identical outputs, the
// layer saves and loads inside a model, and a few training steps of a model
// using it lower the loss.
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "keras/saving.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;
namespace ops = keras::ops;
using namespace testing;

namespace {

struct Case {
  const char* what;
  std::function<layers::LayerPtr()> make;
  Shape input;  // without the batch dimension
};

std::vector<Case> cases() {
  using L = layers::LayerPtr;
  return {
      {"Dense", [] { return L(std::make_shared<layers::Dense>(4, "tanh")); }, {3}},
      {"Dense no bias", [] { return L(std::make_shared<layers::Dense>(2, "linear", layers::DenseOptions{.use_bias = false})); }, {5}},
      {"Activation", [] { return L(std::make_shared<layers::Activation>("sigmoid")); }, {3}},
      {"Flatten", [] { return L(std::make_shared<layers::Flatten>()); }, {2, 3}},
      {"Reshape", [] { return L(std::make_shared<layers::Reshape>(Shape{3, -1})); }, {6}},
      {"Dropout", [] { return L(std::make_shared<layers::Dropout>(0.3)); }, {4}},
      {"Conv1D", [] { return L(std::make_shared<layers::Conv1D>(3, 3, "relu")); }, {8, 2}},
      {"Conv2D same stride 2", [] { return L(std::make_shared<layers::Conv2D>(4, 2, "linear", layers::ConvOptions{.strides = 2, .padding = "same"})); }, {5, 6, 2}},
      {"Conv2D dilated", [] { return L(std::make_shared<layers::Conv2D>(2, 3, "linear", layers::ConvOptions{.dilation_rate = 2})); }, {7, 7, 1}},
      {"Conv2DTranspose", [] { return L(std::make_shared<layers::Conv2DTranspose>(2, 3)); }, {4, 4, 3}},
      {"DepthwiseConv2D", [] { return L(std::make_shared<layers::DepthwiseConv2D>(3)); }, {5, 5, 2}},
      {"SeparableConv2D", [] { return L(std::make_shared<layers::SeparableConv2D>(3, 3)); }, {5, 5, 2}},
      {"MaxPooling1D", [] { return L(std::make_shared<layers::MaxPooling1D>(2)); }, {6, 2}},
      {"MaxPooling2D", [] { return L(std::make_shared<layers::MaxPooling2D>(2)); }, {4, 6, 2}},
      {"AveragePooling1D", [] { return L(std::make_shared<layers::AveragePooling1D>(2)); }, {6, 2}},
      {"AveragePooling2D", [] { return L(std::make_shared<layers::AveragePooling2D>(2)); }, {4, 4, 3}},
      {"GlobalMaxPooling1D", [] { return L(std::make_shared<layers::GlobalMaxPooling1D>()); }, {5, 3}},
      {"GlobalMaxPooling2D", [] { return L(std::make_shared<layers::GlobalMaxPooling2D>()); }, {3, 4, 2}},
      {"GlobalAveragePooling1D", [] { return L(std::make_shared<layers::GlobalAveragePooling1D>()); }, {5, 3}},
      {"GlobalAveragePooling2D", [] { return L(std::make_shared<layers::GlobalAveragePooling2D>()); }, {3, 4, 2}},
      {"BatchNormalization", [] { return L(std::make_shared<layers::BatchNormalization>()); }, {4}},
      {"LayerNormalization", [] { return L(std::make_shared<layers::LayerNormalization>()); }, {5}},
      {"ZeroPadding2D", [] { return L(std::make_shared<layers::ZeroPadding2D>(1)); }, {3, 3, 2}},
      {"Cropping2D", [] { return L(std::make_shared<layers::Cropping2D>(1)); }, {5, 5, 2}},
      {"UpSampling2D", [] { return L(std::make_shared<layers::UpSampling2D>(2)); }, {2, 3, 2}},
      {"UpSampling2D bilinear", [] { return L(std::make_shared<layers::UpSampling2D>(layers::Ints{2, 3}, "bilinear")); }, {2, 3, 2}},
      {"SpatialDropout2D", [] { return L(std::make_shared<layers::SpatialDropout2D>(0.5)); }, {3, 3, 4}},
  };
}

Shape with_batch(std::int64_t n, const Shape& s) {
  Shape r{n};
  r.insert(r.end(), s.begin(), s.end());
  return r;
}

}  // namespace

TEST_CASE("layer contract: shapes, config round trip, save/load, training step") {
  auto dir = std::filesystem::temp_directory_path() / ("keras_contract_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  for (auto& c : cases()) {
    INFO(std::string(c.what));
    keras::utils::set_random_seed(1);
    auto layer = c.make();
    Tensor x = random_tensor(with_batch(3, c.input), -1, 1, 5);
    Tensor y = (*layer)(x);
    Shape expect = layer->compute_output_shape(with_batch(-1, c.input));
    expect[0] = 3;
    CHECK(y.shape() == expect);
    for (auto& w : layer->weights()) CHECK(w.path().rfind(layer->name() + "/", 0) == 0);

    // from_config rebuilds an equal layer; with the same weights it computes the same.
    nlohmann::json config = layer->get_config();
    auto copy = layers::from_config(layer->class_name(), config);
    CHECK(copy->get_config() == config);
    (*copy)(x);
    REQUIRE(copy->weights().size() == layer->weights().size());
    copy->set_weights(layer->get_weights());
    check_close((*copy)(x), y.to_vector<float>(), 1e-6, 1e-6, std::string(c.what) + " from_config");

    // Inside a model: save and load in both formats, same predictions.
    keras::Sequential model({keras::Input(c.input), c.make(), layers::Flatten(), layers::Dense(1)});
    model.compile("sgd", "mse");
    Tensor target = random_tensor({3, 1}, -1, 1, 6);
    Tensor before = model.predict(x);
    for (const char* ext : {".keras", ".h5"}) {
      auto path = (dir / (std::string("m") + ext)).string();
      model.save(path);
      keras::Model loaded = keras::models::load_model(path);
      check_close(loaded.predict(x), before.to_vector<float>(), 1e-6, 1e-6, std::string(c.what) + " save/load " + ext);
    }
    // A few steps on a fixed batch lower the (inference-mode) loss.
    double first = model.test_on_batch(x, target)["loss"];
    for (int i = 0; i < 5; ++i) model.train_on_batch(x, target);
    double last = model.test_on_batch(x, target)["loss"];
    CHECK(last < first);
  }
  std::filesystem::remove_all(dir);
}
