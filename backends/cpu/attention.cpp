// Fused attention on the CPU: softmax(q k^T * scale, masked) v computed a
// block of queries by a block of keys at a time (online softmax, as in
// FlashAttention), so no more than one block of scores exists; blocks above
// the diagonal are skipped with a causal mask. The backward pass recomputes
// each block's probabilities from the saved log-sum-exp.
#include <cmath>
#include <limits>
#include <vector>

#include "backends/cpu/blas.hpp"
#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {

namespace {

constexpr std::int64_t kBlockQ = 32, kBlockK = 64;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The pieces of one batch row, and whether key j is kept for query i.
struct Row {
  const AttentionDesc& d;
  const std::uint8_t* keep;  // null: all kept
  std::int64_t b;
  bool kept(std::int64_t i, std::int64_t j) const {
    if (d.causal && j > i) return false;
    return !keep || keep[((b / d.mask_repeat) * d.tq + i) * d.tk + j];
  }
  // Keys a query block [i0, i0 + ni) may see.
  std::int64_t key_end(std::int64_t i0, std::int64_t ni) const { return d.causal ? std::min(d.tk, i0 + ni) : d.tk; }
};

// Scales the block's scores, masks them, and folds them into the running
// max m, sum l and accumulator acc (rescaled); s becomes the probabilities
// relative to the new max (0 where masked).
void online_softmax_block(const Row& row, std::int64_t i0, std::int64_t ni, std::int64_t j0, std::int64_t nj,
                          float* s, float* m, float* l, float* acc) {
  const auto& d = row.d;
  for (std::int64_t r = 0; r < ni; ++r) {
    float* sr = s + r * nj;
    float mx = kNegInf;
    for (std::int64_t c = 0; c < nj; ++c) {
      if (row.kept(i0 + r, j0 + c)) {
        sr[c] *= d.scale;
        mx = std::max(mx, sr[c]);
      } else {
        sr[c] = kNegInf;
      }
    }
    if (mx == kNegInf) {
      for (std::int64_t c = 0; c < nj; ++c) sr[c] = 0.0f;
      continue;
    }
    float mnew = std::max(m[r], mx);
    float alpha = m[r] == kNegInf ? 0.0f : std::exp(m[r] - mnew);
    float sum = 0.0f;
    for (std::int64_t c = 0; c < nj; ++c) {
      sr[c] = sr[c] == kNegInf ? 0.0f : std::exp(sr[c] - mnew);
      sum += sr[c];
    }
    float* ar = acc + r * d.dv;
    if (alpha != 1.0f)
      for (std::int64_t c = 0; c < d.dv; ++c) ar[c] *= alpha;
    l[r] = l[r] * alpha + sum;
    m[r] = mnew;
  }
}

}  // namespace

void CpuBackend::attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* keep,
                                   const AttentionDesc& d, Tensor& out, Tensor& lse) {
  const float *qp = ptr<float>(q), *kp = ptr<float>(k), *vp = ptr<float>(v);
  const std::uint8_t* mp = keep ? ptr<std::uint8_t>(*keep) : nullptr;
  float *op = ptr<float>(out), *lp = ptr<float>(lse);
  const std::int64_t nqb = (d.tq + kBlockQ - 1) / kBlockQ;
  BlasThreads bt(1);
  parallel_for(d.batch * nqb, 1, [&](std::int64_t t0, std::int64_t t1) {
    std::vector<float> s(kBlockQ * kBlockK), acc(kBlockQ * d.dv), m(kBlockQ), l(kBlockQ);
    for (std::int64_t t = t0; t < t1; ++t) {
      const Row row{d, mp, t / nqb};
      const std::int64_t b = row.b, i0 = (t % nqb) * kBlockQ, ni = std::min(kBlockQ, d.tq - i0);
      std::fill(acc.begin(), acc.end(), 0.0f);
      std::fill(m.begin(), m.end(), kNegInf);
      std::fill(l.begin(), l.end(), 0.0f);
      const float* qi = qp + (b * d.tq + i0) * d.dk;
      for (std::int64_t j0 = 0, end = row.key_end(i0, ni); j0 < end; j0 += kBlockK) {
        const std::int64_t nj = std::min(kBlockK, end - j0);
        sgemm(false, true, ni, nj, d.dk, qi, d.dk, kp + (b * d.tk + j0) * d.dk, d.dk, 0.0f, s.data(), nj);
        online_softmax_block(row, i0, ni, j0, nj, s.data(), m.data(), l.data(), acc.data());
        sgemm(false, false, ni, d.dv, nj, s.data(), nj, vp + (b * d.tk + j0) * d.dv, d.dv, 1.0f, acc.data(), d.dv);
      }
      for (std::int64_t r = 0; r < ni; ++r) {
        float* o = op + (b * d.tq + i0 + r) * d.dv;
        const float inv = l[r] > 0 ? 1.0f / l[r] : 0.0f;
        for (std::int64_t c = 0; c < d.dv; ++c) o[c] = acc[r * d.dv + c] * inv;
        lp[b * d.tq + i0 + r] = l[r] > 0 ? m[r] + std::log(l[r]) : kNegInf;
      }
    }
  });
}

void CpuBackend::attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* keep,
                                    const AttentionDesc& d, const Tensor& out, const Tensor& lse,
                                    const Tensor& dout, Tensor& dq, Tensor& dk, Tensor& dv) {
  const float *qp = ptr<float>(q), *kp = ptr<float>(k), *vp = ptr<float>(v), *op = ptr<float>(out);
  const float *lp = ptr<float>(lse), *gp = ptr<float>(dout);
  const std::uint8_t* mp = keep ? ptr<std::uint8_t>(*keep) : nullptr;
  float *dqp = ptr<float>(dq), *dkp = ptr<float>(dk), *dvp = ptr<float>(dv);
  std::fill(dqp, dqp + dq.size(), 0.0f);
  std::fill(dkp, dkp + dk.size(), 0.0f);
  std::fill(dvp, dvp + dv.size(), 0.0f);
  BlasThreads bt(1);
  parallel_for(d.batch, 1, [&](std::int64_t b0, std::int64_t b1) {
    std::vector<float> p(kBlockQ * kBlockK), dp(kBlockQ * kBlockK), di(kBlockQ);
    for (std::int64_t b = b0; b < b1; ++b) {
      const Row row{d, mp, b};
      for (std::int64_t i0 = 0; i0 < d.tq; i0 += kBlockQ) {
        const std::int64_t ni = std::min(kBlockQ, d.tq - i0);
        const float *qi = qp + (b * d.tq + i0) * d.dk, *gi = gp + (b * d.tq + i0) * d.dv;
        const float* li = lp + b * d.tq + i0;
        for (std::int64_t r = 0; r < ni; ++r) {  // D_i = dout_i . out_i
          const float* o = op + (b * d.tq + i0 + r) * d.dv;
          float acc = 0.0f;
          for (std::int64_t c = 0; c < d.dv; ++c) acc += o[c] * gi[r * d.dv + c];
          di[r] = acc;
        }
        for (std::int64_t j0 = 0, end = row.key_end(i0, ni); j0 < end; j0 += kBlockK) {
          const std::int64_t nj = std::min(kBlockK, end - j0);
          const float *kj = kp + (b * d.tk + j0) * d.dk, *vj = vp + (b * d.tk + j0) * d.dv;
          sgemm(false, true, ni, nj, d.dk, qi, d.dk, kj, d.dk, 0.0f, p.data(), nj);
          for (std::int64_t r = 0; r < ni; ++r)
            for (std::int64_t c = 0; c < nj; ++c) {
              float& x = p[r * nj + c];
              x = li[r] == kNegInf || !row.kept(i0 + r, j0 + c) ? 0.0f : std::exp(x * d.scale - li[r]);
            }
          sgemm(true, false, nj, d.dv, ni, p.data(), nj, gi, d.dv, 1.0f, dvp + (b * d.tk + j0) * d.dv, d.dv);
          sgemm(false, true, ni, nj, d.dv, gi, d.dv, vj, d.dv, 0.0f, dp.data(), nj);
          for (std::int64_t r = 0; r < ni; ++r)
            for (std::int64_t c = 0; c < nj; ++c)
              dp[r * nj + c] = p[r * nj + c] * (dp[r * nj + c] - di[r]) * d.scale;
          sgemm(false, false, ni, d.dk, nj, dp.data(), nj, kj, d.dk, 1.0f, dqp + (b * d.tq + i0) * d.dk, d.dk);
          sgemm(true, false, nj, d.dk, ni, dp.data(), nj, qi, d.dk, 1.0f, dkp + (b * d.tk + j0) * d.dk, d.dk);
        }
      }
    }
  });
}

}  // namespace keras::backend::cpu
