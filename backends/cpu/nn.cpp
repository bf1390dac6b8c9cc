// Fused softmax / log-softmax (forward and backward) and sparse softmax
// cross-entropy. Rows along the last axis are the common case and use
// xsimd's exp; softmax over another axis works on whole slices at once.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 + AVX-512 intrinsics
#include <xsimd/xsimd.hpp>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {
namespace {

using B = xsimd::batch<float>;
constexpr int64_t W = static_cast<int64_t>(B::size);

float row_max(const float* x, int64_t n) {
  float r = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  if (n >= W) {
    B acc = B::load_unaligned(x);
    for (i = W; i + W <= n; i += W) acc = xsimd::max(acc, B::load_unaligned(x + i));
    alignas(64) float lanes[W];
    acc.store_aligned(lanes);
    for (int64_t k = 0; k < W; ++k) r = std::max(r, lanes[k]);
  }
  for (; i < n; ++i) r = std::max(r, x[i]);
  return r;
}

// out[i] = exp(x[i] - shift); returns the sum of out.
float exp_shift_sum(const float* x, float* out, int64_t n, float shift) {
  const B s(shift);
  B acc(0.0f);
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    B e = xsimd::exp(B::load_unaligned(x + i) - s);
    e.store_unaligned(out + i);
    acc += e;
  }
  float sum = xsimd::hadd(acc);
  if (i < n) {
    alignas(64) float buf[W];
    std::fill(buf, buf + W, shift);
    std::memcpy(buf, x + i, (n - i) * sizeof(float));
    xsimd::exp(B::load_aligned(buf) - s).store_aligned(buf);
    for (int64_t j = 0; j < n - i; ++j) {
      out[i + j] = buf[j];
      sum += buf[j];
    }
  }
  return sum;
}

void softmax_rows(const float* x, float* y, int64_t rows, int64_t n, bool log) {
  auto body = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * n;
      float* yr = y + r * n;
      const float mx = row_max(xr, n);
      const float sum = exp_shift_sum(xr, yr, n, mx);
      if (log) {
        const float lse = mx + std::log(sum);
        for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] - lse;
      } else {
        const float inv = 1.0f / sum;
        for (int64_t i = 0; i < n; ++i) yr[i] *= inv;
      }
    }
  };
  parallel_for(rows, std::max<int64_t>(1, kParallelThreshold / std::max<int64_t>(n, 1)), body);
}

// Softmax over the middle axis of (outer, n, inner), a slice of `inner`
// values at a time.
void softmax_strided(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  thread_local std::vector<float> mx, sum;  // reused: no allocation per call
  mx.resize(inner);
  sum.resize(inner);
  for (int64_t o = 0; o < outer; ++o) {
    const float* xo = x + o * n * inner;
    float* yo = y + o * n * inner;
    std::fill(mx.begin(), mx.end(), -std::numeric_limits<float>::infinity());
    std::fill(sum.begin(), sum.end(), 0.0f);
    for (int64_t a = 0; a < n; ++a)
      for (int64_t i = 0; i < inner; ++i) mx[i] = std::max(mx[i], xo[a * inner + i]);
    for (int64_t a = 0; a < n; ++a)
      for (int64_t i = 0; i < inner; ++i) {
        float e = std::exp(xo[a * inner + i] - mx[i]);
        yo[a * inner + i] = e;
        sum[i] += e;
      }
    for (int64_t a = 0; a < n; ++a)
      for (int64_t i = 0; i < inner; ++i) {
        float& v = yo[a * inner + i];
        v = log ? xo[a * inner + i] - mx[i] - std::log(sum[i]) : v / sum[i];
      }
  }
}

}  // namespace

void CpuBackend::softmax(const Tensor& x, int axis, Tensor& out, bool log) {
  int64_t outer, n, inner;
  split_axis(x.shape(), axis, outer, n, inner);
  if (inner == 1)
    softmax_rows(ptr<float>(x), ptr<float>(out), outer, n, log);
  else
    softmax_strided(ptr<float>(x), ptr<float>(out), outer, n, inner, log);
}

// softmax:     dx = y * (dy - sum(dy * y))
// log_softmax: dx = dy - exp(y) * sum(dy)
void CpuBackend::softmax_backward(const Tensor& y, const Tensor& dy, int axis, Tensor& dx, bool log) {
  int64_t outer, n, inner;
  split_axis(y.shape(), axis, outer, n, inner);
  const float* py = ptr<float>(y);
  const float* pg = ptr<float>(dy);
  float* pd = ptr<float>(dx);
  if (inner == 1) {
    auto body = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* yr = py + r * n;
        const float* gr = pg + r * n;
        float* dr = pd + r * n;
        float acc = 0;
        if (log) {
          for (int64_t i = 0; i < n; ++i) acc += gr[i];
          exp_shift_sum(yr, dr, n, 0.0f);  // dr = exp(y) = softmax
          for (int64_t i = 0; i < n; ++i) dr[i] = gr[i] - dr[i] * acc;
        } else {
          for (int64_t i = 0; i < n; ++i) acc += gr[i] * yr[i];
          for (int64_t i = 0; i < n; ++i) dr[i] = yr[i] * (gr[i] - acc);
        }
      }
    };
    parallel_for(outer, std::max<int64_t>(1, kParallelThreshold / std::max<int64_t>(n, 1)), body);
    return;
  }
  thread_local std::vector<float> acc;
  acc.resize(inner);
  for (int64_t o = 0; o < outer; ++o) {
    const int64_t base = o * n * inner;
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t a = 0; a < n; ++a)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t j = base + a * inner + i;
        acc[i] += log ? pg[j] : pg[j] * py[j];
      }
    for (int64_t a = 0; a < n; ++a)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t j = base + a * inner + i;
        pd[j] = log ? pg[j] - std::exp(py[j]) * acc[i] : py[j] * (pg[j] - acc[i]);
      }
  }
}

void CpuBackend::sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing,
                                              Tensor& loss, Tensor* grad) {
  const int64_t rows = logits.shape(0), c = logits.shape(1);
  const float* x = ptr<float>(logits);
  float* pl = ptr<float>(loss);
  float* pg = grad ? ptr<float>(*grad) : nullptr;
  const bool is64 = labels.dtype() == DType::int64;
  const void* lab = labels.data_ptr();
  const float s = label_smoothing, off = s / static_cast<float>(c), on = 1.0f - s;
  auto body = [&](int64_t r0, int64_t r1) {
    // Without a gradient the exponentials go to a reused per-thread row.
    thread_local std::vector<float> scratch;
    if (!pg && static_cast<int64_t>(scratch.size()) < c) scratch.resize(c);
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * c;
      float* er = pg ? pg + r * c : scratch.data();
      const int64_t label = is64 ? static_cast<const std::int64_t*>(lab)[r]
                                 : static_cast<const std::int32_t*>(lab)[r];
      const float mx = row_max(xr, c);
      const float sum = exp_shift_sum(xr, er, c, mx);
      const float lse = mx + std::log(sum);
      float target_dot = on * xr[label];
      if (s != 0.0f) {
        float total = 0;
        for (int64_t j = 0; j < c; ++j) total += xr[j];
        target_dot += off * total;
      }
      pl[r] = lse - target_dot;
      if (pg) {
        const float inv = 1.0f / sum;
        for (int64_t j = 0; j < c; ++j) er[j] = er[j] * inv - off;
        er[label] -= on;
      }
    }
  };
  parallel_for(rows, std::max<int64_t>(1, kParallelThreshold / std::max<int64_t>(c, 1)), body);
}

}  // namespace keras::backend::cpu
