// A functional model with two inputs and two outputs: from a Fashion-MNIST
// image and a numeric feature (the image's mean brightness, given as a
// separate input), predict the clothing class and regress the fraction of
// bright pixels. Each output has its own loss and metrics.
//
//   build/examples/functional_two_heads [epochs=2] [train_samples=60000]
#include <keras/keras.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::int64_t samples = argc > 2 ? std::atoll(argv[2]) : 60000;
  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  x_train = x_train.slice(0, samples).astype(keras::float32).reshape({-1, 784}) / 255.0f;
  y_train = y_train.slice(0, samples);
  x_test = x_test.astype(keras::float32).reshape({-1, 784}) / 255.0f;
  namespace ops = keras::ops;
  auto brightness = [](const keras::Tensor& x) { return ops::mean(x, {1}, true); };
  auto bright_fraction = [](const keras::Tensor& x) {
    return ops::mean(ops::cast(ops::greater(x, keras::Tensor::scalar(0.5)), keras::float32), {1}, true);
  };

  auto image = keras::Input({784}, "image");
  auto mean = keras::Input({1}, "mean_brightness");
  auto h = keras::layers::Dense(128, "relu")(image);
  auto joined = keras::layers::Concatenate()({h, mean});
  auto cls = keras::layers::Dense(10, "softmax", {.name = "class_output"})(joined);
  auto frac = keras::layers::Dense(1, "sigmoid", {.name = "bright_output"})(joined);
  keras::Model model({image, mean}, {cls, frac}, "two_heads");
  model.compile("adam", {"sparse_categorical_crossentropy", "mse"}, {{"accuracy"}, {"mae"}}, {1.0, 10.0});
  model.summary();

  model.fit({x_train, brightness(x_train)}, {y_train, bright_fraction(x_train)},
            {.batch_size = 64, .epochs = epochs, .validation_split = 0.1});
  auto scores = model.evaluate({x_test, brightness(x_test)}, {y_test, bright_fraction(x_test)}, {.verbose = 0});
  for (auto& [k, v] : scores) std::printf("test %s: %.4f\n", k.c_str(), v);
  return 0;
}
