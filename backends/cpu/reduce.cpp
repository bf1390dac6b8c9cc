// Reductions over any set of axes, argmax/argmin, sum of squares.
//
// The input's dimensions are collapsed into alternating groups of reduced and
// kept axes. The input is walked once in memory order; the innermost group
// is either reduced (a contiguous row folded into one output element, with
// xsimd for float32) or kept (a contiguous row folded elementwise into an
// output row, e.g. the bias gradient: sum over axis 0 of (N, C)).
#include <algorithm>
#include <cstring>
#include <limits>

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 + AVX-512 intrinsics
#include <xsimd/xsimd.hpp>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {
namespace {

using B = xsimd::batch<float>;
constexpr int64_t W = static_cast<int64_t>(B::size);

struct SumOp {
  template <class T> static T init() { return T(0); }
  template <class T> static T f(T a, T b) { return a + b; }
};
struct ProdOp {
  template <class T> static T init() { return T(1); }
  template <class T> static T f(T a, T b) { return a * b; }
};
struct MaxOp {
  template <class T> static T init() {
    return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                : std::numeric_limits<T>::lowest();
  }
  template <class T> static T f(T a, T b) { return a < b ? b : a; }
};
struct MinOp {
  template <class T> static T init() {
    return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                : std::numeric_limits<T>::max();
  }
  template <class T> static T f(T a, T b) { return b < a ? b : a; }
};

// Sum of a contiguous float row: float lanes within blocks of 4096 elements,
// blocks added in double, so long rows keep about float precision.
double sum_f32(const float* x, int64_t n) {
  double total = 0;
  for (int64_t b = 0; b < n; b += 4096) {
    const int64_t e = std::min(n, b + 4096);
    B acc0(0.0f), acc1(0.0f);
    int64_t i = b;
    for (; i + 2 * W <= e; i += 2 * W) {
      acc0 += B::load_unaligned(x + i);
      acc1 += B::load_unaligned(x + i + W);
    }
    float s = xsimd::hadd(acc0 + acc1);
    for (; i < e; ++i) s += x[i];
    total += s;
  }
  return total;
}

template <class Op>
float fold_f32(const float* x, int64_t n, float init) {
  int64_t i = 0;
  float r = init;
  if (n >= W) {
    B acc = B::load_unaligned(x);
    for (i = W; i + W <= n; i += W) {
      B v = B::load_unaligned(x + i);
      acc = std::is_same_v<Op, MaxOp> ? xsimd::max(acc, v) : xsimd::min(acc, v);
    }
    alignas(64) float lanes[W];
    acc.store_aligned(lanes);
    for (int64_t k = 0; k < W; ++k) r = Op::f(r, lanes[k]);
  }
  for (; i < n; ++i) r = Op::f(r, x[i]);
  return r;
}

// Folds a contiguous row into one value.
template <class Op, class T>
T fold_row(const T* x, int64_t n) {
  if constexpr (std::is_same_v<T, float> && std::is_same_v<Op, SumOp>) {
    return static_cast<float>(sum_f32(x, n));
  } else if constexpr (std::is_same_v<T, float> &&
                       (std::is_same_v<Op, MaxOp> || std::is_same_v<Op, MinOp>)) {
    return fold_f32<Op>(x, n, Op::template init<float>());
  } else {
    T r = Op::template init<T>();
    for (int64_t i = 0; i < n; ++i) r = Op::f(r, x[i]);
    return r;
  }
}

template <class Op, class T>
void reduce_typed(const T* x, const Shape& shape, const std::vector<int>& axes, T* out,
                  int64_t out_size) {
  // Groups of consecutive dimensions with the same reduced/kept status.
  constexpr int kMax = 32;
  int64_t size[kMax], ostride[kMax];
  bool red[kMax];
  int g = 0;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (shape[d] == 1) continue;
    bool r = std::binary_search(axes.begin(), axes.end(), d);
    if (g > 0 && red[g - 1] == r) {
      size[g - 1] *= shape[d];
    } else {
      KERAS_ASSERT(g < kMax);
      size[g] = shape[d];
      red[g] = r;
      ++g;
    }
  }
  std::fill(out, out + out_size, Op::template init<T>());
  if (g == 0) {  // a single element
    out[0] = Op::f(out[0], x[0]);
    return;
  }
  int64_t s = 1;
  for (int i = g - 1; i >= 0; --i) {
    ostride[i] = red[i] ? 0 : s;
    if (!red[i]) s *= size[i];
  }
  const int64_t inner = size[g - 1];
  int64_t rows = 1;
  for (int i = 0; i < g - 1; ++i) rows *= size[i];
  int64_t idx[kMax] = {};
  int64_t o = 0;  // output offset of the current row
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = x + r * inner;
    if (red[g - 1]) {
      out[o] = Op::f(out[o], fold_row<Op, T>(row, inner));
    } else {
      T* dst = out + o;
      for (int64_t j = 0; j < inner; ++j) dst[j] = Op::f(dst[j], row[j]);
    }
    // Advance the odometer over the outer groups.
    for (int i = g - 2; i >= 0; --i) {
      o += ostride[i];
      if (++idx[i] < size[i]) break;
      o -= ostride[i] * size[i];
      idx[i] = 0;
    }
  }
}

}  // namespace

void CpuBackend::reduce(Reduce op, const Tensor& x, const std::vector<int>& axes, Tensor& out) {
  const int64_t n_out = out.size();
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = ptr<T>(x);
    T* po = ptr<T>(out);
    switch (op) {
      case Reduce::sum:
      case Reduce::mean: reduce_typed<SumOp, T>(px, x.shape(), axes, po, n_out); break;
      case Reduce::prod: reduce_typed<ProdOp, T>(px, x.shape(), axes, po, n_out); break;
      case Reduce::max: reduce_typed<MaxOp, T>(px, x.shape(), axes, po, n_out); break;
      case Reduce::min: reduce_typed<MinOp, T>(px, x.shape(), axes, po, n_out); break;
    }
    if (op == Reduce::mean) {
      int64_t count = n_out ? x.size() / n_out : 0;
      if (count > 1) {
        if constexpr (std::is_floating_point_v<T>) {
          const T inv = T(1) / static_cast<T>(count);
          for (int64_t i = 0; i < n_out; ++i) po[i] *= inv;
        } else {
          for (int64_t i = 0; i < n_out; ++i) po[i] = static_cast<T>(po[i] / count);
        }
      }
    }
  });
}

void CpuBackend::argmax(const Tensor& x, int axis, Tensor& out, bool min) {
  int64_t outer, n, inner;
  split_axis(x.shape(), axis, outer, n, inner);
  std::int64_t* po = ptr<std::int64_t>(out);
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = ptr<T>(x);
    for (int64_t o = 0; o < outer; ++o) {
      const T* base = px + o * n * inner;
      for (int64_t i = 0; i < inner; ++i) {
        const T* p = base + i;
        T best = p[0];
        int64_t bi = 0;
        for (int64_t a = 1; a < n; ++a) {
          T v = p[a * inner];
          if (min ? v < best : v > best) {  // strict: the first extreme wins
            best = v;
            bi = a;
          }
        }
        po[o * inner + i] = bi;
      }
    }
  });
}

void CpuBackend::sum_squares(const Tensor& x, Tensor& out) {
  const float* p = ptr<float>(x);
  const int64_t n = x.size();
  double total = 0;
  for (int64_t b = 0; b < n; b += 4096) {
    const int64_t e = std::min(n, b + 4096);
    B acc(0.0f);
    int64_t i = b;
    for (; i + W <= e; i += W) {
      B v = B::load_unaligned(p + i);
      acc = xsimd::fma(v, v, acc);
    }
    float s = xsimd::hadd(acc);
    for (; i < e; ++i) s += p[i] * p[i];
    total += s;
  }
  *ptr<float>(out) = static_cast<float>(total);
}

}  // namespace keras::backend::cpu
