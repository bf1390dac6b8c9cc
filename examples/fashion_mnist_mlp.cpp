// Classify Fashion-MNIST clothing images with a small multi-layer
// perceptron, the classic second Keras tutorial.
//
//   build/examples/fashion_mnist_mlp [epochs]     (default 5)
//
// The images come from the Debian package dataset-fashion-mnist or from
// $KERAS_HOME/datasets/fashion-mnist/ (see keras/datasets.hpp).
#include <keras/keras.hpp>
#include <keras/saving.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 5;
  if (epochs < 1) {
    std::cerr << "usage: " << argv[0] << " [epochs >= 1]; received " << (argc > 1 ? argv[1] : "")
              << "\n";
    return 2;
  }

  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  x_train = x_train.astype(keras::float32) / 255.0f;  // uint8 (60000, 28, 28) -> float32
  x_test = x_test.astype(keras::float32) / 255.0f;

  keras::Sequential model({
      keras::Input({28, 28}),
      keras::layers::Flatten(),
      keras::layers::Dense(128, "relu"),
      keras::layers::Dropout(0.2),
      keras::layers::Dense(10, "softmax"),
  });
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.summary();

  keras::History history =
      model.fit(x_train, y_train, {.batch_size = 32, .epochs = epochs, .validation_split = 0.1});
  std::vector<double> losses = history.history["loss"];
  std::printf("training loss: first epoch %.4f, last epoch %.4f\n", losses.front(), losses.back());

  auto scores = model.evaluate(x_test, y_test);
  std::printf("test loss: %.4f\ntest accuracy: %.4f\n", scores["loss"], scores["accuracy"]);

  keras::Tensor probs = model.predict(x_test);  // float32 (10000, 10)
  keras::Tensor labels = keras::ops::argmax(probs, -1);
  std::cout << "first test image: predicted class " << labels.at<std::int64_t>(0)
            << ", true class " << int(y_test.at<std::uint8_t>(0)) << "\n";

  // The legacy Keras HDF5 format: Python's keras.models.load_model reads it.
  model.save("fashion.h5");
  keras::Model restored = keras::models::load_model("fashion.h5");
  std::printf("saved to fashion.h5 and loaded back: test accuracy %.4f\n",
              restored.evaluate(x_test, y_test, {.verbose = 0})["accuracy"]);
  return 0;
}
