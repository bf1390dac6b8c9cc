// Shared by the kernel benchmarks: a median timer and random CPU tensors.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "keras/backend.hpp"
#include "keras/tensor.hpp"

namespace bench {

// Microseconds per call of f: the median of 7 runs of `iters` calls, after one warm-up call.
inline double median_us(int iters, const std::function<void()>& f) {
  std::vector<double> runs;
  f();  // warm up (allocator, BLAS buffers)
  for (int r = 0; r < 7; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) f();
    auto t1 = std::chrono::steady_clock::now();
    runs.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / iters);
  }
  std::sort(runs.begin(), runs.end());
  return runs[3];
}

// A float32 CPU tensor uniform in [lo, hi) (default [-1, 1)).
inline keras::Tensor uniform(const keras::Shape& s, float lo, float hi, std::uint64_t seed) {
  keras::Tensor t = keras::Tensor::empty(s);
  keras::backend::get(keras::Device::cpu()).random_uniform(t, lo, hi, seed);
  return t;
}
inline keras::Tensor uniform(const keras::Shape& s, std::uint64_t seed) { return uniform(s, -1, 1, seed); }

}  // namespace bench
