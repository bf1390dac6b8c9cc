// The API contract program, built against an installed keras.cpp. Trains on
// a 2,000-image subset for one epoch so that it stays quick; checks the
// results it can check and exits non-zero on a failure.
#include <keras/keras.hpp>
#include <keras/saving.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {
int failures = 0;
void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAILED: " << what << "\n";
    ++failures;
  }
}
}  // namespace

int main() {
  // --- tensor basics ---
  keras::Tensor x({5, 1}, std::vector<float>{1, 2, 3, 4, 5});
  keras::Tensor m = keras::Tensor({{1.0f, 2.0f}, {3.0f, 4.0f}});
  float v = m.at<float>(1, 0);
  const float* p = m.data<float>();
  auto shape = m.shape();
  expect(x.shape() == keras::Shape{5, 1}, "Tensor({5, 1}, data) shape");
  expect(v == 3.0f, "m.at<float>(1, 0) == 3");
  expect(p[3] == 4.0f, "m.data<float>()[3] == 4");
  expect(shape == keras::Shape{2, 2}, "m.shape() == {2, 2}");
  std::ostringstream printed;
  printed << m;
  std::cout << "m =\n" << printed.str() << "\n";
  expect(printed.str().find('3') != std::string::npos, "operator<< prints the values");

  // --- the training program ---
  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  x_train = x_train.slice(0, 2000).astype(keras::float32) / 255.0f;
  y_train = y_train.slice(0, 2000);
  x_test = x_test.slice(0, 1000).astype(keras::float32) / 255.0f;
  y_test = y_test.slice(0, 1000);

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
      model.fit(x_train, y_train, {.batch_size = 32, .epochs = 1, .validation_split = 0.1});
  std::vector<double> losses = history.history["loss"];
  expect(losses.size() == 1 && std::isfinite(losses[0]), "history.history[\"loss\"] has 1 finite value");

  auto scores = model.evaluate(x_test, y_test);
  std::printf("test loss %.4f, test accuracy %.4f\n", scores["loss"], scores["accuracy"]);
  // Chance is 0.1; one epoch on 2,000 images gives about 0.6-0.7.
  expect(scores["accuracy"] > 0.4, "test accuracy above 0.4 after one epoch");

  keras::Tensor probs = model.predict(x_test);
  expect(probs.shape() == keras::Shape{1000, 10} && probs.dtype() == keras::float32,
         "predict gives float32 (1000, 10)");
  keras::Tensor labels = keras::ops::argmax(probs, -1);
  expect(labels.shape() == keras::Shape{1000} && labels.dtype() == keras::int64,
         "argmax gives int64 (1000,)");

  std::vector<keras::Tensor> w = model.get_weights();
  expect(w.size() == 4, "get_weights returns 4 tensors");
  if (w.size() == 4) {
    expect(w[0].shape() == keras::Shape{784, 128}, "first kernel (784, 128)");
    expect(w[1].shape() == keras::Shape{128}, "first bias (128,)");
    expect(w[2].shape() == keras::Shape{128, 10}, "second kernel (128, 10)");
  }

  // Save and load in the legacy Keras HDF5 format: same predictions.
  const std::string path =
      (std::filesystem::temp_directory_path() / "keras_install_check.h5").string();
  model.save(path);
  keras::Model restored = keras::models::load_model(path);
  std::filesystem::remove(path);
  const std::vector<float> before = probs.to_vector<float>();
  const std::vector<float> after = restored.predict(x_test).to_vector<float>();
  float max_diff = before.size() == after.size() ? 0.0f : 1.0f;
  for (std::size_t i = 0; i < before.size() && i < after.size(); ++i)
    max_diff = std::max(max_diff, std::abs(before[i] - after[i]));
  expect(max_diff < 1e-6f, "load_model(save(model)) predicts the same");

  if (failures) {
    std::cerr << failures << " check(s) failed\n";
    return 1;
  }
  std::cout << "install check: all good\n";
  return 0;
}
