// Matrix multiply on OpenBLAS sgemm, with batching and thread-count control.
#include <algorithm>
#include <atomic>

#include "backends/cpu/blas.hpp"
#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {
namespace {

// Below this many multiply-adds OpenBLAS's worker threads cost more than
// they bring: they wake up, contend with the caller for the cores and spin.
// Measured with bench/bench_cpu_kernels on 2 cores: one thread is 3-4x
// faster at 32x128x784 and 128x128x784 (the MLP's products), even at 256^3,
// and two threads only win from about 512^3.
constexpr double kMultiThreadMacs = 5e7;

void set_blas_threads(double macs) {
  if (!openblas_set_num_threads || !openblas_get_num_threads) return;
  const int want = macs < kMultiThreadMacs ? 1 : hw_threads();
  if (openblas_get_num_threads() != want) openblas_set_num_threads(want);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // op(a) @ op(b) is all zeros: only the beta term remains
    for (int64_t i = 0; i < m * n; ++i) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    return;
  }
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a,
              static_cast<int>(std::max<int64_t>(lda, 1)), b,
              static_cast<int>(std::max<int64_t>(ldb, 1)), beta, c, static_cast<int>(n));
}

}  // namespace

void CpuBackend::matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, Tensor& out, float alpha,
                        float beta) {
  const Shape& as = a.shape();
  const Shape& bs = b.shape();
  const int ar = static_cast<int>(as.size()), br = static_cast<int>(bs.size());
  const int64_t m = trans_a ? as[ar - 1] : as[ar - 2];
  const int64_t k = trans_a ? as[ar - 2] : as[ar - 1];
  const int64_t n = trans_b ? bs[br - 2] : bs[br - 1];
  auto lead = [](const Shape& s) {  // product of the batch dims
    int64_t p = 1;
    for (std::size_t i = 0; i + 2 < s.size(); ++i) p *= s[i];
    return p;
  };
  const int64_t batch = lead(out.shape()), a_batch = lead(as), b_batch = lead(bs);
  const float* pa = ptr<float>(a);
  const float* pb = ptr<float>(b);
  float* pc = ptr<float>(out);
  if (batch == 0) return;
  set_blas_threads(static_cast<double>(batch) * m * n * k);
  if (batch <= 1) {
    gemm(trans_a, trans_b, m, n, k, alpha, pa, pb, beta, pc);
    return;
  }
  // (B, M, K) @ (K, N): the batch folds into M, one large call instead of B small ones.
  if (b_batch == 1 && a_batch == batch && !trans_a) {
    gemm(false, trans_b, batch * m, n, k, alpha, pa, pb, beta, pc);
    return;
  }
  for (int64_t i = 0; i < batch; ++i) {
    gemm(trans_a, trans_b, m, n, k, alpha, pa + (a_batch == 1 ? 0 : i * m * k),
         pb + (b_batch == 1 ? 0 : i * k * n), beta, pc + i * m * n);
  }
}

}  // namespace keras::backend::cpu
