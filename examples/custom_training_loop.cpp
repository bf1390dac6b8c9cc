// A training loop written by hand, PyTorch-style: forward, loss, gradients
// with a GradientTape, then optimizer.apply_gradients. Uses Fashion-MNIST.
//
//   build/examples/custom_training_loop [epochs=1] [train_samples=60000]
#include <keras/keras.hpp>

#include <cstdio>
#include <cstdlib>

namespace ops = keras::ops;

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 1;
  const std::int64_t samples = argc > 2 ? std::atoll(argv[2]) : 60000;
  keras::utils::set_random_seed(0);
  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  x_train = x_train.slice(0, samples).astype(keras::float32).reshape({-1, 784}) / 255.0f;
  y_train = y_train.slice(0, samples);
  x_test = x_test.astype(keras::float32).reshape({-1, 784}) / 255.0f;

  keras::Sequential model({keras::Input({784}), keras::layers::Dense(128, "relu"), keras::layers::Dense(10)});
  keras::optimizers::Adam optimizer;
  keras::losses::SparseCategoricalCrossentropy loss_fn({.from_logits = true});
  const std::int64_t batch = 64, n = x_train.shape(0);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    keras::Tensor perm = ops::random_permutation(n);
    double total = 0;
    std::int64_t steps = 0;
    for (std::int64_t b = 0; b < n; b += batch) {
      keras::Tensor idx = perm.slice(b, std::min(n, b + batch));
      keras::Tensor xb = ops::take(x_train, idx), yb = ops::take(y_train, idx);
      keras::GradientTape tape;
      keras::Tensor logits = model(xb, /*training=*/true);
      keras::Tensor loss = loss_fn(yb, logits);
      auto vars = model.trainable_weights();
      optimizer.apply_gradients(tape.gradient(loss, vars), vars);
      total += loss.item();
      ++steps;
    }
    std::printf("epoch %d: mean loss %.4f\n", epoch + 1, total / steps);
  }
  keras::Tensor pred = ops::argmax(model.predict(x_test, {.batch_size = 1000}), -1);
  double acc = ops::mean(ops::cast(ops::equal(pred, y_test), keras::float32)).item();
  std::printf("test accuracy: %.4f\n", acc);
  return 0;
}
