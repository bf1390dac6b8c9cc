// Times the CPU backend's kernels on the shapes of one training step of the
// Fashion-MNIST CNN (conv3x3(32)-pool-conv3x3(64)-pool-dense128-dense10) at
// batch 128, in microseconds per call (median of 7 runs), and the step's
// total, so that the share of each kernel in an epoch (469 steps) is plain.
//
//   ./build/bench/bench_cnn_kernels [batch=128]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "bench_util.hpp"
#include "keras/backend.hpp"
#include "keras/tensor.hpp"

namespace kb = keras::backend;
using keras::Tensor;

using bench::median_us;
using bench::uniform;

int main(int argc, char** argv) {
  const int b = argc > 1 ? std::atoi(argv[1]) : 128;
  if (b < 1) return 2;
  auto& be = kb::get(keras::Device::cpu());
  const kb::Conv2dDesc conv{};
  kb::Pool2dDesc pool{};
  pool.window_h = pool.window_w = pool.stride_h = pool.stride_w = 2;

  Tensor x = uniform({b, 28, 28, 1}, 1), w1 = uniform({3, 3, 1, 32}, 2), b1 = uniform({32}, 3);
  Tensor z1 = Tensor::empty({b, 26, 26, 32}), a1 = Tensor::empty({b, 26, 26, 32});
  Tensor p1 = Tensor::empty({b, 13, 13, 32}), w2 = uniform({3, 3, 32, 64}, 4), b2 = uniform({64}, 5);
  Tensor z2 = Tensor::empty({b, 11, 11, 64}), a2 = Tensor::empty({b, 11, 11, 64});
  Tensor p2 = Tensor::empty({b, 5, 5, 64});
  Tensor dp2 = uniform({b, 5, 5, 64}, 6), da2 = Tensor::empty({b, 11, 11, 64});
  Tensor dz2 = Tensor::empty({b, 11, 11, 64}), db2 = Tensor::empty({1, 1, 1, 64});
  Tensor dw2 = Tensor::empty({3, 3, 32, 64}), dp1 = Tensor::empty({b, 13, 13, 32});
  Tensor da1 = Tensor::empty({b, 26, 26, 32}), dz1 = Tensor::empty({b, 26, 26, 32});
  Tensor db1 = Tensor::empty({1, 1, 1, 32}), dw1 = Tensor::empty({3, 3, 1, 32});
  be.conv2d_forward(x, w1, conv, z1);
  be.bias_activation(z1, b1, kb::Unary::relu, 0, a1);
  be.pool2d_forward(kb::PoolMode::max, a1, pool, p1);
  be.conv2d_forward(p1, w2, conv, z2);
  be.bias_activation(z2, b2, kb::Unary::relu, 0, a2);
  be.pool2d_forward(kb::PoolMode::max, a2, pool, p2);

  struct Row {
    const char* name;
    std::function<void()> f;
  };
  std::vector<Row> rows = {
      {"conv1 forward", [&] { be.conv2d_forward(x, w1, conv, z1); }},
      {"conv1 bias+relu", [&] { be.bias_activation(z1, b1, kb::Unary::relu, 0, a1); }},
      {"pool1 forward", [&] { be.pool2d_forward(kb::PoolMode::max, a1, pool, p1); }},
      {"conv2 forward", [&] { be.conv2d_forward(p1, w2, conv, z2); }},
      {"conv2 bias+relu", [&] { be.bias_activation(z2, b2, kb::Unary::relu, 0, a2); }},
      {"pool2 forward", [&] { be.pool2d_forward(kb::PoolMode::max, a2, pool, p2); }},
      {"pool2 backward", [&] { be.pool2d_backward(kb::PoolMode::max, a2, p2, dp2, pool, da2); }},
      {"conv2 bias+relu backward",
       [&] { be.bias_activation_backward(kb::Unary::relu, a2, da2, 0, dz2, db2); }},
      {"conv2 backward filter", [&] { be.conv2d_backward_filter(p1, dz2, conv, dw2); }},
      {"conv2 backward data", [&] { be.conv2d_backward_data(dz2, w2, conv, dp1); }},
      {"pool1 backward", [&] { be.pool2d_backward(kb::PoolMode::max, a1, p1, dp1, pool, da1); }},
      {"conv1 bias+relu backward",
       [&] { be.bias_activation_backward(kb::Unary::relu, a1, da1, 0, dz1, db1); }},
      {"conv1 backward filter", [&] { be.conv2d_backward_filter(x, dz1, conv, dw1); }},
  };
  // The step as a Sequential model runs it: each Conv2D(relu) and the
  // MaxPooling2D after it are one op each way (the first layer's input
  // needs no gradient, the second's does).
  Tensor db1v = Tensor::empty({32}), db2v = Tensor::empty({64});
  Tensor arg1 = Tensor::empty({b, 13, 13, 32}, keras::int32), arg2 = Tensor::empty({b, 5, 5, 64}, keras::int32);
  std::vector<Row> fused = {
      {"conv1+pool1 fused forward",
       [&] { be.conv2d_bias_activation_max_pool(x, w1, b1, conv, kb::Unary::relu, 0, pool, p1, arg1); }},
      {"conv2+pool2 fused forward",
       [&] { be.conv2d_bias_activation_max_pool(p1, w2, b2, conv, kb::Unary::relu, 0, pool, p2, arg2); }},
      {"conv2+pool2 fused backward (dx, dw)",
       [&] {
         be.conv2d_bias_activation_max_pool_backward(p1, w2, conv, kb::Unary::relu, 0, pool, p2, arg2, dp2, &dp1, &dw2,
                                                     db2v);
       }},
      {"conv1+pool1 fused backward (dw)",
       [&] {
         be.conv2d_bias_activation_max_pool_backward(x, w1, conv, kb::Unary::relu, 0, pool, p1, arg1, dp1, nullptr,
                                                     &dw1, db1v);
       }},
  };
  for (auto* list : {&rows, &fused}) {
    std::printf(list == &rows ? "CPU kernels of one CNN training step, batch %d, one op at a time "
                                "(us per call; x469 steps = ms per epoch)\n"
                              : "The same step as a Sequential model runs it, fused, batch %d\n",
                b);
    double total = 0;
    for (auto& r : *list) {
      const double us = median_us(20, r.f);
      total += us;
      std::printf("  %-36s %9.1f  (%6.0f ms/epoch)\n", r.name, us, us * 60000.0 / b / 1000.0);
    }
    std::printf("  %-36s %9.1f  (%6.0f ms/epoch)\n", "total", total, total * 60000.0 / b / 1000.0);
  }
  return 0;
}
