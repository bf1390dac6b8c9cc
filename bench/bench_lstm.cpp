// LSTM training speed: LSTM(256) over 100 steps of 64 features, batch 64,
// then Dense(10) with sparse categorical crossentropy and Adam; training
// steps per second (the median of 5 runs of `steps` train_on_batch calls,
// after 2 warm-up steps). The same recipe: bench/peers/lstm_torch.py.
//
//   build/bench/bench_lstm [steps=10]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench/bench_util.hpp"
#include "keras/keras.hpp"

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 10;
  const std::int64_t B = 64, T = 100, F = 64, U = 256;
  keras::random::set_seed(1);
  auto in = keras::Input({T, F});
  auto h = keras::layers::LSTM(U)(in);
  keras::Model model(in, keras::layers::Dense(10)(h));
  model.compile("adam", keras::losses::SparseCategoricalCrossentropy({.from_logits = true}));
  keras::Tensor x = bench::uniform({B, T, F}, 1);
  std::vector<std::int32_t> labels(B);
  for (std::int64_t i = 0; i < B; ++i) labels[i] = static_cast<std::int32_t>(i % 10);
  keras::Tensor y({B}, labels);
  for (int i = 0; i < 2; ++i) model.train_on_batch(x, y);
  std::vector<double> rates;
  for (int r = 0; r < 5; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) model.train_on_batch(x, y);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(steps / s);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("keras.cpp LSTM(%lld) T=%lld F=%lld batch=%lld: %.2f training steps/s (median of 5 x %d steps)\n",
              static_cast<long long>(U), static_cast<long long>(T), static_cast<long long>(F),
              static_cast<long long>(B), rates[2], steps);
  return 0;
}
