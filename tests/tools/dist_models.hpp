// The models and data of the distributed tests (tests/tools/dist_train.cpp).
#pragma once
#include <keras/keras.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace dist_test {

inline keras::Sequential make_model(const std::string& kind) {
  namespace layers = keras::layers;
  if (kind == "mlp")
    return keras::Sequential({keras::Input({20}), layers::Dense(32, "relu"), layers::Dense(16, "relu"),
                              layers::Dense(4, "softmax")});
  if (kind == "cnn")
    return keras::Sequential({keras::Input({8, 8, 1}), layers::Conv2D(8, 3, "relu"), layers::MaxPooling2D(2),
                              layers::Conv2D(8, 2, "relu"), layers::Flatten(), layers::Dense(4, "softmax")});
  // The example CNN of examples/fashion_mnist_cnn.cpp (28 x 28 x 1 -> 10).
  return keras::Sequential({keras::Input({28, 28, 1}), layers::Conv2D(32, 3, "relu"), layers::MaxPooling2D(2),
                            layers::Conv2D(64, 3, "relu"), layers::MaxPooling2D(2), layers::Flatten(),
                            layers::Dense(128, "relu"), layers::Dense(10, "softmax")});
}

// Deterministic data (no random generator): n rows, labels 0..3 that depend
// on the inputs, so the models learn something.
inline std::pair<keras::Tensor, keras::Tensor> make_data(const std::string& kind, std::int64_t n) {
  const std::int64_t d = kind == "mlp" ? 20 : 64;
  std::vector<float> x(static_cast<std::size_t>(n * d));
  std::vector<std::int32_t> y(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::int64_t j = 0; j < d; ++j) {
      float v = static_cast<float>(std::sin(0.37 * static_cast<double>(i * d + j) + 0.11 * static_cast<double>(j)));
      x[static_cast<std::size_t>(i * d + j)] = v;
      if (j % 5 == 0) s += v;
    }
    y[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(std::fmod(std::fabs(s) * 3.0, 4.0));
  }
  keras::Shape xs = kind == "mlp" ? keras::Shape{n, 20} : keras::Shape{n, 8, 8, 1};
  return {keras::Tensor(xs, x), keras::Tensor({n}, y)};
}

}  // namespace dist_test
