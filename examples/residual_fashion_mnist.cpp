// A small residual network (Dense blocks with skip connections) built with
// the functional API, trained on Fashion-MNIST.
//
//   build/examples/residual_fashion_mnist [epochs=3] [train_samples=60000]
#include <keras/keras.hpp>

#include <cstdio>
#include <cstdlib>

namespace layers = keras::layers;

// x -> Dense(units, relu) -> Dense(units) -> Add(x) -> relu
keras::KerasTensor residual_block(const keras::KerasTensor& x, int units) {
  auto h = layers::Dense(units, "relu")(x);
  h = layers::Dense(units)(h);
  auto sum = layers::Add()({x, h});
  return layers::Activation("relu")(sum);
}

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 3;
  const std::int64_t samples = argc > 2 ? std::atoll(argv[2]) : 60000;
  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  x_train = x_train.slice(0, samples).astype(keras::float32) / 255.0f;
  y_train = y_train.slice(0, samples);
  x_test = x_test.astype(keras::float32) / 255.0f;

  auto inputs = keras::Input({28, 28});
  auto x = layers::Flatten()(inputs);
  x = layers::Dense(128, "relu")(x);
  x = residual_block(x, 128);
  x = residual_block(x, 128);
  x = layers::Dropout(0.1)(x);
  auto outputs = layers::Dense(10, "softmax")(x);
  keras::Model model(inputs, outputs, "resnet_mlp");
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.summary();
  model.fit(x_train, y_train, {.batch_size = 64, .epochs = epochs, .validation_split = 0.1});
  auto scores = model.evaluate(x_test, y_test, {.verbose = 0});
  std::printf("test loss: %.4f\ntest accuracy: %.4f\n", scores["loss"], scores["accuracy"]);
  return 0;
}
