// Classify Fashion-MNIST clothing images with a small convolutional network,
// the classic Keras CNN: two conv/pool stages, then a dense classifier.
//
//   build/examples/fashion_mnist_cnn [epochs] [training samples]
//
// epochs defaults to 1; the optional sample count trains on the first N
// images only (a quick run, e.g. in CI). The images come from the Debian
// package dataset-fashion-mnist or $KERAS_HOME/datasets/fashion-mnist/.
#include <keras/keras.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 1;
  const long samples = argc > 2 ? std::atol(argv[2]) : 0;
  if (epochs < 1 || (argc > 2 && samples < 1)) {
    std::cerr << "usage: " << argv[0] << " [epochs >= 1] [training samples >= 1]\n";
    return 2;
  }
  keras::utils::set_random_seed(0);

  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  // uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]: channels last.
  x_train = x_train.astype(keras::float32).reshape({-1, 28, 28, 1}) / 255.0f;
  x_test = x_test.astype(keras::float32).reshape({-1, 28, 28, 1}) / 255.0f;
  if (samples > 0 && samples < x_train.shape(0)) {
    x_train = keras::ops::slice_axis(x_train, 0, 0, samples);
    y_train = keras::ops::slice_axis(y_train, 0, 0, samples);
  }

  namespace layers = keras::layers;
  keras::Sequential model({
      keras::Input({28, 28, 1}),
      layers::Conv2D(32, 3, "relu"),
      layers::MaxPooling2D(2),
      layers::Conv2D(64, 3, "relu"),
      layers::MaxPooling2D(2),
      layers::Flatten(),
      layers::Dense(128, "relu"),
      layers::Dense(10, "softmax"),
  });
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.summary();

  model.fit(x_train, y_train, {.batch_size = 128, .epochs = epochs});
  auto scores = model.evaluate(x_test, y_test, {.batch_size = 1000});
  std::printf("test loss: %.4f\ntest accuracy: %.4f\n", scores["loss"], scores["accuracy"]);
  return 0;
}
