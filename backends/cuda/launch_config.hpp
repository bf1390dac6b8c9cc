// Host-side helpers of the CUDA backend: kernel launch configuration and the
// strided layouts that elementwise, transpose and reduction kernels walk.
// Plain C++ on purpose, so the logic is testable on machines without a GPU.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace keras::backend::cuda {

// Tensors of higher rank are rejected by the CUDA kernels (after size-1 and
// contiguous dimensions are merged, which rarely leaves more than 3).
inline constexpr int kMaxRank = 8;

struct LaunchConfig {
  unsigned grid = 0;   // 0 means "nothing to launch"
  unsigned block = 0;
};

// Grid and block for a grid-stride loop over n items: one thread per item up
// to max_grid blocks (then each thread loops). n <= 0 gives grid 0.
inline LaunchConfig launch_config(std::int64_t n, int block = 256, std::int64_t max_grid = 65535) {
  if (n <= 0) return {0, static_cast<unsigned>(block)};
  const std::int64_t blocks = (n + block - 1) / block;
  return {static_cast<unsigned>(std::min(blocks, max_grid)), static_cast<unsigned>(block)};
}

// Shape of the iteration space plus, for each of N operands, the element
// stride of every dimension (0 where the operand is broadcast). The linear
// iteration index decomposes row-major over `shape` (this is also the output
// element index, outputs being contiguous).
template <int N>
struct StridedLayout {
  int rank = 0;
  std::int64_t shape[kMaxRank] = {};
  std::int64_t strides[N][kMaxRank] = {};
};

// Row-major contiguous strides of a shape.
inline std::vector<std::int64_t> contiguous_strides(const std::vector<std::int64_t>& shape) {
  std::vector<std::int64_t> s(shape.size());
  std::int64_t acc = 1;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

// Strides of `in` broadcast (NumPy rules, aligned right) to `out`: 0 on
// missing or size-1 dimensions.
inline std::vector<std::int64_t> broadcast_strides(const std::vector<std::int64_t>& in,
                                                   const std::vector<std::int64_t>& out) {
  std::vector<std::int64_t> s(out.size(), 0);
  const auto cs = contiguous_strides(in);
  const std::size_t lead = out.size() - in.size();
  for (std::size_t d = 0; d < in.size(); ++d) s[lead + d] = in[d] == 1 ? 0 : cs[d];
  return s;
}

// Builds a layout, dropping size-1 dimensions and merging neighbours that
// are contiguous in every operand, so kernels do as few divisions as
// possible. Returns false if the merged rank still exceeds kMaxRank.
template <int N>
bool make_layout(const std::vector<std::int64_t>& shape,
                 const std::array<std::vector<std::int64_t>, N>& strides, StridedLayout<N>& out) {
  std::vector<std::int64_t> sh;
  std::array<std::vector<std::int64_t>, N> st;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    const bool merge = !sh.empty() && [&] {
      for (int k = 0; k < N; ++k)
        if (st[k].back() != strides[k][d] * shape[d]) return false;
      return true;
    }();
    if (merge) {
      sh.back() *= shape[d];
      for (int k = 0; k < N; ++k) st[k].back() = strides[k][d];
    } else {
      sh.push_back(shape[d]);
      for (int k = 0; k < N; ++k) st[k].push_back(strides[k][d]);
    }
  }
  if (sh.size() > static_cast<std::size_t>(kMaxRank)) return false;
  out = StridedLayout<N>{};
  out.rank = static_cast<int>(sh.size());
  for (int d = 0; d < out.rank; ++d) {
    out.shape[d] = sh[d];
    for (int k = 0; k < N; ++k) out.strides[k][d] = st[k][d];
  }
  return true;
}

// A reduction of x over some axes, split into the kept dimensions (their
// linear index is the keepdims output index) and the reduced ones, each
// merged as far as possible. Both give x's element offsets.
struct ReduceLayout {
  StridedLayout<1> kept;
  StridedLayout<1> reduced;
  std::int64_t kept_size = 1;
  std::int64_t reduced_size = 1;
  // True if the fastest-moving dimension of x is reduced, i.e. the reduced
  // elements of one output are (partly) contiguous: one block per output
  // then reads coalesced memory. Otherwise neighbouring outputs are
  // contiguous and one thread per output is the coalesced choice.
  bool inner_reduced = false;
};

inline bool make_reduce_layout(const std::vector<std::int64_t>& x_shape, const std::vector<int>& axes,
                               ReduceLayout& out) {
  const auto cs = contiguous_strides(x_shape);
  std::vector<std::int64_t> ks, kst, rs, rst;
  out = ReduceLayout{};
  int last_nontrivial = -1;
  for (std::size_t d = 0; d < x_shape.size(); ++d) {
    const bool red = std::find(axes.begin(), axes.end(), static_cast<int>(d)) != axes.end();
    if (red) {
      rs.push_back(x_shape[d]);
      rst.push_back(cs[d]);
      out.reduced_size *= x_shape[d];
    } else {
      ks.push_back(x_shape[d]);
      kst.push_back(cs[d]);
      out.kept_size *= x_shape[d];
    }
    if (x_shape[d] != 1) last_nontrivial = static_cast<int>(d);
  }
  out.inner_reduced = last_nontrivial >= 0 &&
                      std::find(axes.begin(), axes.end(), last_nontrivial) != axes.end();
  return make_layout<1>(ks, {kst}, out.kept) && make_layout<1>(rs, {rst}, out.reduced);
}

}  // namespace keras::backend::cuda
