// The first program of most Keras tutorials: learn y = 2x + 1 from six
// points with one Dense unit and plain SGD.
//
//   build/examples/linear_regression
#include <keras/keras.hpp>

#include <iostream>
#include <vector>

int main() {
  keras::utils::set_random_seed(42);  // the same result on every run

  keras::Tensor xs({6, 1}, std::vector<float>{-1, 0, 1, 2, 3, 4});
  keras::Tensor ys = 2.0f * xs + 1.0f;

  keras::Sequential model({
      keras::Input({1}),
      keras::layers::Dense(1),
  });
  model.compile("sgd", "mean_squared_error");
  model.fit(xs, ys, {.epochs = 500, .verbose = 0});

  keras::Tensor x_new({1, 1}, std::vector<float>{6});
  std::cout << "prediction for x = 6 (expected about 13): " << model.predict(x_new) << "\n";

  std::vector<keras::Tensor> w = model.get_weights();  // [kernel (1, 1), bias (1,)]
  std::cout << "learned weight (expected about 2): " << w[0].at<float>(0, 0) << "\n";
  std::cout << "learned bias (expected about 1): " << w[1].at<float>(0) << "\n";
  return 0;
}
