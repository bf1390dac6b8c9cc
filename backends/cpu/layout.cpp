// Layout and indexing: transpose, concat, slice, take (gather), one_hot.
// These only move bytes, so they dispatch on the element size, not the dtype.
#include <algorithm>
#include <cstring>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {
namespace {

// Calls f(U{}) with an unsigned type of the tensor's element size.
template <class F>
void by_size(DType t, F&& f) {
  switch (dtype_size(t)) {
    case 1: f(std::uint8_t{}); return;
    case 4: f(std::uint32_t{}); return;
    case 8: f(std::uint64_t{}); return;
    default: KERAS_ASSERT(false);
  }
}

// out (cols x rows) = in (rows x cols)^T, in tiles that fit in L1.
template <class U>
void transpose2d(const U* in, U* out, int64_t rows, int64_t cols) {
  constexpr int64_t kTile = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t r1 = std::min(rows, r0 + kTile);
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t c1 = std::min(cols, c0 + kTile);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = r0; r < r1; ++r) out[c * rows + r] = in[r * cols + c];
    }
  }
}

// Index i of an int32 or int64 index tensor, negative values counted from n.
inline int64_t index_at(const void* p, bool is64, int64_t i, int64_t n) {
  int64_t v = is64 ? static_cast<const std::int64_t*>(p)[i] : static_cast<const std::int32_t*>(p)[i];
  return v < 0 ? v + n : v;
}

}  // namespace

void CpuBackend::transpose(const Tensor& x, const std::vector<int>& perm, Tensor& out) {
  const Shape& xs = x.shape();
  const int nd = static_cast<int>(xs.size());
  // Drop size-1 input dims, then merge output dims that are consecutive input
  // dims: (N, H, W, C) -> (N, C, H, W) becomes a batched 2-D transpose.
  int remap[BroadcastPlan::kMaxDims];
  int kept = 0;
  KERAS_CHECK(nd <= BroadcastPlan::kMaxDims, ValueError, "cpu backend: transpose supports at most ",
              BroadcastPlan::kMaxDims, " dimensions, received ", shape_str(xs));
  for (int d = 0; d < nd; ++d) remap[d] = xs[d] == 1 ? -1 : kept++;
  int last[BroadcastPlan::kMaxDims];  // collapsed out dim -> its innermost input dim
  int64_t osize[BroadcastPlan::kMaxDims];
  int m = 0;
  for (int i = 0; i < nd; ++i) {
    int d = perm[i];
    if (remap[d] < 0) continue;
    if (m > 0 && remap[d] == remap[last[m - 1]] + 1) {
      osize[m - 1] *= xs[d];
      last[m - 1] = d;
    } else {
      last[m] = d;
      osize[m] = xs[d];
      ++m;
    }
  }
  // Input strides of each collapsed output dim (x is contiguous).
  int64_t xstride[BroadcastPlan::kMaxDims];
  {
    int64_t s = 1;
    int64_t full[BroadcastPlan::kMaxDims];
    for (int d = nd - 1; d >= 0; --d) {
      full[d] = s;
      s *= xs[d];
    }
    for (int i = 0; i < m; ++i) xstride[i] = full[last[i]];
  }
  by_size(x.dtype(), [&](auto tag) {
    using U = decltype(tag);
    const U* in = ptr<U>(x);
    U* o = ptr<U>(out);
    if (m <= 1) {
      std::memcpy(o, in, x.nbytes());
      return;
    }
    if (m == 2 && xstride[1] == osize[0]) {  // plain 2-D transpose
      transpose2d(in, o, osize[1], osize[0]);
      return;
    }
    if (m == 3 && xstride[0] == osize[1] * osize[2] && xstride[2] == osize[1]) {  // batched
      const int64_t plane = osize[1] * osize[2];
      for (int64_t b = 0; b < osize[0]; ++b)
        transpose2d(in + b * plane, o + b * plane, osize[2], osize[1]);
      return;
    }
    // Generic: walk the output in order; the innermost dim reads with a stride.
    const int64_t inner = osize[m - 1], st = xstride[m - 1];
    int64_t rows = 1;
    for (int i = 0; i < m - 1; ++i) rows *= osize[i];
    int64_t idx[BroadcastPlan::kMaxDims] = {};
    int64_t off = 0;
    for (int64_t r = 0; r < rows; ++r) {
      U* dst = o + r * inner;
      const U* s = in + off;
      for (int64_t j = 0; j < inner; ++j) dst[j] = s[j * st];
      for (int i = m - 2; i >= 0; --i) {
        off += xstride[i];
        if (++idx[i] < osize[i]) break;
        off -= xstride[i] * osize[i];
        idx[i] = 0;
      }
    }
  });
}

void CpuBackend::concat(const std::vector<Tensor>& xs, int axis, Tensor& out) {
  int64_t outer, n_out, inner;
  split_axis(out.shape(), axis, outer, n_out, inner);
  const std::size_t es = dtype_size(out.dtype());
  const std::size_t out_row = static_cast<std::size_t>(n_out * inner) * es;
  char* dst = static_cast<char*>(out.data_ptr());
  std::size_t col = 0;
  for (const Tensor& x : xs) {
    const std::size_t row = static_cast<std::size_t>(x.shape(axis) * inner) * es;
    const char* src = static_cast<const char*>(x.data_ptr());
    for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * out_row + col, src + o * row, row);
    col += row;
  }
}

void CpuBackend::slice(const Tensor& x, int axis, int64_t start, Tensor& out) {
  int64_t outer, n_x, inner;
  split_axis(x.shape(), axis, outer, n_x, inner);
  const std::size_t es = dtype_size(x.dtype());
  const std::size_t x_row = static_cast<std::size_t>(n_x * inner) * es;
  const std::size_t o_row = static_cast<std::size_t>(out.shape(axis) * inner) * es;
  const char* src = static_cast<const char*>(x.data_ptr()) + start * inner * es;
  char* dst = static_cast<char*>(out.data_ptr());
  for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * o_row, src + o * x_row, o_row);
}

void CpuBackend::slice_backward(const Tensor& dy, int axis, int64_t start, Tensor& dx) {
  int64_t outer, n_x, inner;
  split_axis(dx.shape(), axis, outer, n_x, inner);
  const int64_t x_row = n_x * inner, d_row = dy.shape(axis) * inner;
  dispatch(dx.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* g = ptr<T>(dy);
    T* d = ptr<T>(dx) + start * inner;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < d_row; ++j) d[o * x_row + j] += g[o * d_row + j];
  });
}

void CpuBackend::take(const Tensor& x, const Tensor& indices, int axis, Tensor& out) {
  int64_t outer, n, inner;
  split_axis(x.shape(), axis, outer, n, inner);
  const int64_t k = indices.size();
  const bool is64 = indices.dtype() == DType::int64;
  const void* pi = indices.data_ptr();
  by_size(x.dtype(), [&](auto tag) {
    using U = decltype(tag);
    const U* src = ptr<U>(x);
    U* dst = ptr<U>(out);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < k; ++i) {
        const U* s = src + (o * n + index_at(pi, is64, i, n)) * inner;
        U* d = dst + (o * k + i) * inner;
        if (inner == 1)
          *d = *s;
        else
          std::memcpy(d, s, inner * sizeof(U));
      }
    }
  });
}

void CpuBackend::take_backward(const Tensor& dy, const Tensor& indices, int axis, Tensor& dx) {
  int64_t outer, n, inner;
  split_axis(dx.shape(), axis, outer, n, inner);
  const int64_t k = indices.size();
  const bool is64 = indices.dtype() == DType::int64;
  const void* pi = indices.data_ptr();
  const float* g = ptr<float>(dy);
  float* d = ptr<float>(dx);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < k; ++i) {
      float* row = d + (o * n + index_at(pi, is64, i, n)) * inner;
      const float* grow = g + (o * k + i) * inner;
      for (int64_t j = 0; j < inner; ++j) row[j] += grow[j];
    }
  }
}

void CpuBackend::one_hot(const Tensor& indices, int64_t depth, Tensor& out) {
  float* o = ptr<float>(out);
  std::fill(o, o + out.size(), 0.0f);
  const bool is64 = indices.dtype() == DType::int64;
  const void* pi = indices.data_ptr();
  for (int64_t i = 0, n = indices.size(); i < n; ++i) {
    int64_t v = is64 ? static_cast<const std::int64_t*>(pi)[i]
                     : static_cast<const std::int32_t*>(pi)[i];
    if (v >= 0 && v < depth) o[i * depth + v] = 1.0f;  // -1 (or out of range): a zero row
  }
}

}  // namespace keras::backend::cpu
