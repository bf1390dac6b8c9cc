// Benchmark: predict() of the Fashion-MNIST MLP (784-128-10) on the 10,000
// test images. Prints the best of 7 runs at batch 10000 and one run at
// predict's default batch size (32).
//
//   build/bench/predict_mlp
#include <keras/keras.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

int main() {
  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  x_test = x_test.astype(keras::float32).reshape({-1, 784}) / 255.0f;
  keras::Sequential model({keras::Input({784}), keras::layers::Dense(128, "relu"), keras::layers::Dense(10, "softmax")});
  auto seconds = [&](int batch) {
    auto t0 = std::chrono::steady_clock::now();
    keras::Tensor p = model.predict(x_test, {.batch_size = batch});
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  double best = 1e9;
  for (int r = 0; r < 7; ++r) best = std::min(best, seconds(10000));
  std::printf("keras.cpp predict mlp images=10000 best_of_7_s=%.4f (batch 10000) batch32_s=%.4f\n", best, seconds(32));
  return 0;
}
