// sgemm GFLOP/s at the shapes the MLP and CNN benchmarks multiply, on one
// thread, with each OpenBLAS kernel set this CPU can run: Prescott is what a
// VM with a masked CPUID model gets without help; the last column is what
// keras.cpp selects (see keras::config::backend_info()).
//   build/bench/bench_sgemm
#include <cblas.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backends/cpu/blas_runtime.hpp"
#include "bench_util.hpp"
#include "keras/config.hpp"

extern "C" {
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
void openblas_set_num_threads(int) __attribute__((weak));
}

namespace {

struct Shape {
  const char* what;
  int m, n, k;
};

// Forward products; the gradients use the same sizes transposed.
const Shape kShapes[] = {
    {"MLP b32  dense1 32x128x784", 32, 128, 784},   {"MLP b128 dense1 128x128x784", 128, 128, 784},
    {"MLP dW1 784x128x128", 784, 128, 128},          {"CNN conv2 im2col 121x64x288", 121, 64, 288},
    {"CNN conv2 b128 15488x64x288", 15488, 64, 288}, {"CNN dense1 128x128x1600", 128, 128, 1600},
};

void use_core(const std::string& core) {
  gotoblas_dynamic_quit();
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
}

double gflops(const Shape& s) {
  std::vector<float> a(static_cast<size_t>(s.m) * s.k, 0.5f), b(static_cast<size_t>(s.k) * s.n, 0.25f),
      c(static_cast<size_t>(s.m) * s.n);
  const double flop = 2.0 * s.m * s.n * s.k;
  const int iters = std::max(1, static_cast<int>(2e9 / flop / 7));
  double us = bench::median_us(iters, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(), s.n,
                0.0f, c.data(), s.n);
  });
  return flop / us / 1e3;
}

}  // namespace

int main() {
  namespace kc = keras::backend::cpu;
  if (!gotoblas_dynamic_init) {
    std::printf("not a DYNAMIC_ARCH OpenBLAS: %s\n", keras::config::backend_info().c_str());
    return 0;
  }
  const std::string chosen = kc::blas_corename();
  std::printf("%s\n", keras::config::backend_info().c_str());
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  const kc::CpuFeatures& f = kc::cpu_features();
  std::vector<std::string> cores = {"Prescott"};
  if (f.avx2 && f.fma) cores.push_back("Haswell");
  if (f.avx512f && f.avx512bw && f.avx512vl) cores.push_back("SkylakeX");
  if (f.avx512bf16) cores.push_back("Cooperlake");
  std::printf("%-30s", "sgemm GFLOP/s, 1 thread");
  for (auto& c : cores) std::printf(" %11s", (c + (c == chosen ? "*" : "")).c_str());
  std::printf("\n");
  for (const Shape& s : kShapes) {
    std::printf("%-30s", s.what);
    for (auto& c : cores) {
      use_core(c);
      std::printf(" %11.1f", gflops(s));
    }
    std::printf("\n");
  }
  use_core(chosen);
  std::printf("* = the kernels keras.cpp selects on this CPU\n");
  return 0;
}
