// matmul through cuBLAS (column-major), for row-major tensors.
//
// A row-major (M, N) matrix is the column-major (N, M) matrix, so
// C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T: cuBLAS gets B first,
// with the same transpose flags, and every leading dimension is the row
// length of the stored row-major matrix.
#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {

void CudaBackend::matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, Tensor& out,
                         float alpha, float beta) {
  activate();
  const int ra = a.ndim(), rb = b.ndim(), ro = out.ndim();
  KERAS_CHECK(ra >= 2 && rb >= 2 && ro >= 2, ValueError,
              "CUDA matmul expects inputs of rank >= 2, received shapes ", shape_str(a.shape()),
              " and ", shape_str(b.shape()));
  const std::int64_t M = out.shape(-2), N = out.shape(-1);
  const std::int64_t K = trans_a ? a.shape(-2) : a.shape(-1);
  std::int64_t batch = 1;
  for (int d = 0; d < ro - 2; ++d) batch *= out.shape()[d];
  if (M == 0 || N == 0 || batch == 0) return;
  const std::int64_t lda = trans_a ? M : K;  // row length of stored A
  const std::int64_t ldb = trans_b ? K : N;  // row length of stored B
  const cublasOperation_t opa = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t opb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const float* A = ptr<const float>(a);
  const float* B = ptr<const float>(b);
  float* C = ptr<float>(out);
  const bool a_batched = ra > 2, b_batched = rb > 2;
  auto i32 = [](std::int64_t v, const char* what) {
    KERAS_CHECK(v <= 0x7fffffff, NotImplementedError, "CUDA matmul: ", what, " = ", v,
                " exceeds the 32-bit limit of cuBLAS");
    return static_cast<int>(v);
  };
  auto ld = [](std::int64_t v) { return static_cast<int>(std::max<std::int64_t>(v, 1)); };

  if (batch == 1 || (a_batched && !b_batched && !trans_a)) {
    // One GEMM. A batched, untransposed A against a shared B is one tall
    // (batch*M, K) matrix: the fastest form of a Dense layer on 3-D input.
    const std::int64_t rows = batch == 1 ? M : batch * M;
    KERAS_CUBLAS_CHECK(cublasSgemm(cublas_, opb, opa, i32(N, "N"), i32(rows, "M"), i32(K, "K"),
                                   &alpha, B, ld(i32(ldb, "ldb")), A, ld(i32(lda, "lda")), &beta,
                                   C, ld(i32(N, "N"))));
    return;
  }
  // A stride of 0 reuses the unbatched operand for every batch entry.
  const long long sa = a_batched ? M * K : 0, sb = b_batched ? K * N : 0, sc = M * N;
  KERAS_CUBLAS_CHECK(cublasSgemmStridedBatched(
      cublas_, opb, opa, i32(N, "N"), i32(M, "M"), i32(K, "K"), &alpha, B, ld(i32(ldb, "ldb")), sb,
      A, ld(i32(lda, "lda")), sa, &beta, C, ld(i32(N, "N")), sc, i32(batch, "batch")));
}

}  // namespace keras::backend::cuda
