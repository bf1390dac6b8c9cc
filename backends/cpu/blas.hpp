// Internal to the CPU backend: row-major cblas_sgemm and OpenBLAS's thread
// count, shared by the convolution kernels (which split the batch over
// their own threads and want OpenBLAS single-threaded meanwhile).
#pragma once
#include <algorithm>
#include <cblas.h>
#include <cstdint>
#include <thread>

#include "backends/cpu/cpu_features.hpp"

// OpenBLAS extensions, weak so that the library still links against another
// CBLAS (then the thread count is simply left alone).
extern "C" {
void openblas_set_num_threads(int) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
}

namespace keras::backend::cpu {

// Cores the batch-parallel kernels use (at most 8; see thread_limit()).
inline int hw_threads() { return std::min(8, thread_limit()); }

// Sets OpenBLAS's thread count for a scope and restores it, so that the
// policy of matmul.cpp (which remembers what it last set) stays true.
class BlasThreads {
 public:
  explicit BlasThreads(int want) {
    if (!openblas_set_num_threads || !openblas_get_num_threads) return;
    prev_ = openblas_get_num_threads();
    if (prev_ != want) openblas_set_num_threads(want);
    else prev_ = 0;
  }
  ~BlasThreads() {
    if (prev_ > 0) openblas_set_num_threads(prev_);
  }
  BlasThreads(const BlasThreads&) = delete;
  BlasThreads& operator=(const BlasThreads&) = delete;

 private:
  int prev_ = 0;
};

// c (m x n, leading dimension ldc) = op(a) @ op(b) + beta * c, row-major.
inline void sgemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                  const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (m <= 0 || n <= 0 || k <= 0) return;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b, static_cast<int>(ldb),
              beta, c, static_cast<int>(ldc));
}

}  // namespace keras::backend::cpu
