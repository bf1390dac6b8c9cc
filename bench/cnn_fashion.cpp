// Benchmark: the Fashion-MNIST CNN of ../shared/PERFORMANCE.md,
// conv3x3(32, relu) - maxpool 2 - conv3x3(64, relu) - maxpool 2 - dense 128
// (relu) - dense 10 (softmax), trained with Adam; the same model as the
// PyTorch peer (torch_fashion.py cnn). Prints one line; bench/compare_cnn.sh
// runs it against the peer.
//
//   build/bench/cnn_fashion [batch_size=128] [epochs=1] [seed=0] [learning_rate=0.001]
//
// The seed and Adam's learning rate (Keras's default 0.001) are there to
// study how the one-epoch test accuracy varies; compare.sh uses the defaults.
// Seconds per epoch are measured around fit() only (like the peer, which
// times its training loop); peak RSS is the whole process's maximum.
#include <keras/keras.hpp>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const int batch = argc > 1 ? std::atoi(argv[1]) : 128;
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 1;
  const int seed = argc > 3 ? std::atoi(argv[3]) : 0;
  const double lr = argc > 4 ? std::atof(argv[4]) : 0.001;
  if (batch < 1 || epochs < 1 || seed < 0 || !(lr > 0)) {
    std::fprintf(stderr, "usage: %s [batch_size >= 1] [epochs >= 1] [seed >= 0] [learning_rate > 0]\n", argv[0]);
    return 2;
  }
  keras::utils::set_random_seed(seed);

  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  x_train = x_train.astype(keras::float32).reshape({-1, 28, 28, 1}) / 255.0f;
  x_test = x_test.astype(keras::float32).reshape({-1, 28, 28, 1}) / 255.0f;

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
  // No metrics during training: the peer computes none either.
  model.compile(keras::optimizers::Adam({.learning_rate = lr}), "sparse_categorical_crossentropy");

  const auto t0 = std::chrono::steady_clock::now();
  model.fit(x_train, y_train, {.batch_size = batch, .epochs = epochs, .verbose = 0});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const keras::Tensor predicted = keras::ops::argmax(model.predict(x_test, {.batch_size = 1000}), -1);
  const std::int64_t* p = predicted.data<std::int64_t>();
  const std::uint8_t* y = y_test.data<std::uint8_t>();
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < y_test.size(); ++i) correct += p[i] == y[i];

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);  // ru_maxrss is in KiB on Linux
  std::printf("keras.cpp cnn epochs=%d batch=%d seed=%d lr=%g s/epoch=%.3f test_acc=%.4f peak_rss_MiB=%.0f\n", epochs,
              batch, seed, lr, seconds / epochs, double(correct) / double(y_test.size()), usage.ru_maxrss / 1024.0);
  return 0;
}
