// Times batch and layer normalization, forward + backward through autograd
// (what a training step does), composed from generic ops as the layers
// used to be against the fused ops, in milliseconds per step (median of 7
// runs) on the CPU:
//   BatchNormalization (training) on (128, 26, 26, 32), channels last;
//   LayerNormalization on (128, 512).
//
//   ./build/bench/bench_norm [iters=10]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "bench_util.hpp"
#include "keras/backend.hpp"
#include "keras/keras.hpp"

using keras::Tensor;
namespace ops = keras::ops;

namespace {

double median_ms(int iters, const std::function<void()>& f) { return bench::median_us(iters, f) / 1000.0; }
using bench::uniform;

const double kEps = 1e-3;

// The composed forms, op for op what the layers computed before the fused ops.
Tensor bn_composed(const Tensor& x, const Tensor& gamma, const Tensor& beta) {
  std::vector<int> red;
  for (int a = 0; a + 1 < x.ndim(); ++a) red.push_back(a);
  Tensor m = ops::mean(x, red, true);
  Tensor v = ops::mean(ops::square(ops::subtract(x, m)), red, true);
  Tensor mean = ops::reshape(m, {-1}), var = ops::reshape(v, {-1});
  Tensor inv = ops::multiply(ops::rsqrt(ops::add(var, Tensor::scalar(kEps))), gamma);
  Tensor shift = ops::add(ops::negative(ops::multiply(mean, inv)), beta);
  return ops::add(ops::multiply(x, inv), shift);
}

Tensor ln_composed(const Tensor& x, const Tensor& gamma, const Tensor& beta) {
  Tensor m = ops::mean(x, {-1}, true);
  Tensor xc = ops::subtract(x, m);
  Tensor v = ops::mean(ops::square(xc), {-1}, true);
  Tensor y = ops::multiply(xc, ops::rsqrt(ops::add(v, Tensor::scalar(kEps))));
  return ops::add(ops::multiply(y, gamma), beta);
}

void row(const char* what, int iters, const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& dy,
         const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& f) {
  const double fwd = median_ms(iters, [&] {
    keras::autograd::NoGradGuard ng;
    f(x, gamma, beta);
  });
  const double step = median_ms(iters, [&] {
    Tensor y = f(x, gamma, beta);
    keras::autograd::grad(y, {x, gamma, beta}, dy);
  });
  std::printf("%-44s forward %8.3f ms   forward+backward %8.3f ms\n", what, fwd, step);
}

}  // namespace

int main(int argc, char** argv) {
  const int iters = argc > 1 ? std::atoi(argv[1]) : 10;
  if (iters < 1) return 2;
  {
    Tensor x = uniform({128, 26, 26, 32}, -1, 3, 1), g = uniform({32}, 0.5f, 1.5f, 2), b = uniform({32}, -1, 1, 3);
    Tensor dy = uniform(x.shape(), -1, 1, 4);
    for (Tensor* t : {&x, &g, &b}) t->requires_grad_(true);
    row("BatchNorm train (128,26,26,32) composed", iters, x, g, b, dy, bn_composed);
    row("BatchNorm train (128,26,26,32) fused", iters, x, g, b, dy,
        [](const Tensor& x, const Tensor& g, const Tensor& b) {
          return ops::batch_normalization_training(x, -1, b, g, kEps).y;
        });
  }
  {
    Tensor x = uniform({128, 512}, -1, 3, 5), g = uniform({512}, 0.5f, 1.5f, 6), b = uniform({512}, -1, 1, 7);
    Tensor dy = uniform(x.shape(), -1, 1, 8);
    for (Tensor* t : {&x, &g, &b}) t->requires_grad_(true);
    row("LayerNorm (128,512) composed", iters * 10, x, g, b, dy, ln_composed);
    row("LayerNorm (128,512) fused", iters * 10, x, g, b, dy, [](const Tensor& x, const Tensor& g, const Tensor& b) {
      return ops::layer_normalization(x, g, b, -1, kEps);
    });
  }
  return 0;
}
