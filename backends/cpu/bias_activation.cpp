// Fused bias + activation for Dense and Conv layers: one pass over memory
// forward (out = act(x + bias)) and one backward (dx = dy * act'(y), with
// the bias gradient summed in the same pass), instead of the four or five
// passes that add, the activation, their gradients and sum_to would take.
#include <algorithm>
#include <cstring>
#include <vector>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/fused_activation.hpp"

namespace keras::backend::cpu {
namespace {

using B = SimdF;
constexpr int64_t W = static_cast<int64_t>(B::size);

// Rows per block of the backward pass: each block sums its bias gradient in
// float, blocks are added in double in a fixed order, so the result does not
// depend on the thread split and long columns keep about float precision.
constexpr int64_t kRowsPerBlock = 512;

template <class F>
void forward_rows(const float* x, const float* bias, float* out, int64_t rows, int64_t c, F f) {
  auto body = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * c;
      float* orow = out + r * c;
      int64_t j = 0;
      for (; j + W <= c; j += W)
        f(B::load_unaligned(xr + j) + B::load_unaligned(bias + j)).store_unaligned(orow + j);
      if (j < c) {  // ragged tail through a padded buffer: same code, same results
        alignas(64) float bx[W] = {}, bb[W] = {};
        const std::size_t len = (c - j) * sizeof(float);
        std::memcpy(bx, xr + j, len);
        std::memcpy(bb, bias + j, len);
        f(B::load_aligned(bx) + B::load_aligned(bb)).store_aligned(bx);
        std::memcpy(orow + j, bx, len);
      }
    }
  };
  parallel_for(rows, std::max<int64_t>(1, kParallelThreshold / c), body);
}

// g(y, dy) -> dx for one batch.
template <class G>
void backward_rows(const float* y, const float* dy, float* dx, double* dbias, int64_t rows,
                   int64_t c, G g) {
  const int64_t nblocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  const int64_t cpad = (c + W - 1) / W * W;
  // Per-block partial sums, reused across calls (no allocation in steady state);
  // std::vector memory is not 64-byte aligned, hence the unaligned loads.
  thread_local std::vector<float> partial;
  if (static_cast<int64_t>(partial.size()) < nblocks * cpad) partial.resize(nblocks * cpad);
  float* part = partial.data();
  auto body = [&](int64_t b0, int64_t b1) {
    alignas(64) float by[W], bd[W];
    for (int64_t b = b0; b < b1; ++b) {
      float* acc = part + b * cpad;
      std::fill(acc, acc + cpad, 0.0f);
      const int64_t r1 = std::min(rows, (b + 1) * kRowsPerBlock);
      for (int64_t r = b * kRowsPerBlock; r < r1; ++r) {
        const float* yr = y + r * c;
        const float* dr = dy + r * c;
        float* xr = dx + r * c;
        int64_t j = 0;
        for (; j + W <= c; j += W) {
          B d = g(B::load_unaligned(yr + j), B::load_unaligned(dr + j));
          d.store_unaligned(xr + j);
          (B::load_unaligned(acc + j) + d).store_unaligned(acc + j);
        }
        if (j < c) {
          std::fill(by, by + W, 0.0f);
          std::fill(bd, bd + W, 0.0f);  // padded lanes: dy = 0 gives dx = 0 for every act
          const std::size_t len = (c - j) * sizeof(float);
          std::memcpy(by, yr + j, len);
          std::memcpy(bd, dr + j, len);
          B d = g(B::load_aligned(by), B::load_aligned(bd));
          d.store_aligned(bd);
          std::memcpy(xr + j, bd, len);
          (B::load_unaligned(acc + j) + d).store_unaligned(acc + j);
        }
      }
    }
  };
  // A block is kRowsPerBlock * c elements; small tensors run on this thread.
  parallel_for(nblocks, std::max<int64_t>(1, kParallelThreshold / (kRowsPerBlock * c)), body);
  std::fill(dbias, dbias + c, 0.0);
  for (int64_t b = 0; b < nblocks; ++b)
    for (int64_t j = 0; j < c; ++j) dbias[j] += part[b * cpad + j];
}

}  // namespace

void CpuBackend::bias_activation(const Tensor& x, const Tensor& bias, Unary act, float alpha, Tensor& out) {
  const int64_t c = bias.size();
  const int64_t rows = c ? x.size() / c : 0;
  const float* px = ptr<float>(x);
  const float* pb = ptr<float>(bias);
  float* po = ptr<float>(out);
  with_fused_activation(act, alpha, "bias_activation",
                        [&](auto f, auto) { forward_rows(px, pb, po, rows, c, f); });
}

void CpuBackend::bias_activation_backward(Unary act, const Tensor& y, const Tensor& dy, float alpha, Tensor& dx,
                                          Tensor& dbias) {
  const int64_t c = y.shape().empty() ? 1 : y.shape().back();
  const int64_t rows = c ? y.size() / c : 0;
  const float* py = ptr<float>(y);
  const float* pd = ptr<float>(dy);
  float* px = ptr<float>(dx);
  // Column sums in double (see kRowsPerBlock); c is a layer width, small.
  thread_local std::vector<double> sums;
  sums.resize(c);
  with_fused_activation(act, alpha, "bias_activation_backward", [&](auto, auto g) {
    backward_rows(py, pd, px, sums.data(), rows, c, g);
  });
  float* pb = ptr<float>(dbias);
  for (int64_t j = 0; j < c; ++j) pb[j] = static_cast<float>(sums[j]);
}

}  // namespace keras::backend::cpu
