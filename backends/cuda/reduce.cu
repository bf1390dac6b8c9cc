// Reductions over arbitrary axes (keepdims form), argmax/argmin, sum of squares.
//
// x is viewed as kept dimensions (one per output element) and reduced ones.
// When the innermost dimension is reduced, a warp or a block cooperates on
// each output ("rows"); otherwise neighbouring outputs are contiguous and a
// thread column per output reads coalesced memory ("cols"). When there are
// few outputs and many reduced elements, the reduced range is split into
// chunks whose partial results a second "rows" pass combines, so a full
// reduction still uses the whole GPU (and stays deterministic: no atomics).
#include <limits>
#include <type_traits>

#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {
namespace {

template <class T> struct AccOf { using type = std::int64_t; };
template <> struct AccOf<float> { using type = float; };

template <class A>
__device__ __forceinline__ A identity_of(Reduce op) {
  switch (op) {
    case Reduce::prod: return A(1);
    case Reduce::max:
      if constexpr (std::is_floating_point_v<A>) return -std::numeric_limits<A>::infinity();
      else return std::numeric_limits<A>::lowest();
    case Reduce::min:
      if constexpr (std::is_floating_point_v<A>) return std::numeric_limits<A>::infinity();
      else return std::numeric_limits<A>::max();
    default: return A(0);
  }
}

template <class A>
__device__ __forceinline__ A combine(Reduce op, A a, A b) {
  switch (op) {
    case Reduce::prod: return a * b;
    case Reduce::max:  // NaN propagates, like NumPy
      return (a > b || a != a) ? a : b;
    case Reduce::min: return (a < b || a != a) ? a : b;
    default: return a + b;
  }
}

template <class A>
__device__ __forceinline__ A warp_reduce(Reduce op, A v) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v = combine(op, v, __shfl_down_sync(0xffffffffu, v, d));
  return v;
}

__device__ __forceinline__ std::int64_t offset1(const StridedLayout<1>& L, std::int64_t i) {
  // Rank 0 and 1 are by far the most common after merging: skip the divisions.
  if (L.rank == 0) return 0;
  if (L.rank == 1) return i * L.strides[0][0];
  return strided_offset<std::int64_t>(L, i);
}

struct ReduceArgs {
  StridedLayout<1> kept, reduced;
  std::int64_t M, R;       // outputs, reduced elements per output
  std::int64_t split;      // chunks per output (partials written when > 1)
  std::int64_t chunk;      // reduced elements per chunk
  Reduce op;
  bool square;             // reduce x*x (sum_squares)
  bool finalize;           // last pass: divide for mean, store as the output type
  bool to_bool;            // output dtype is bool
  std::int64_t count;      // divisor for mean
};

template <class A, class Out>
__device__ __forceinline__ void store(Out* out, std::int64_t idx, A acc, const ReduceArgs& a) {
  if (a.finalize && a.op == Reduce::mean) acc = acc / static_cast<A>(a.count);
  out[idx] = a.to_bool ? static_cast<Out>(acc != A(0)) : static_cast<Out>(acc);
}

// G threads (32 or 256) per (output, chunk) pair; blockDim.x == 256.
template <class In, class A, class Out, int G>
__global__ void reduce_rows(const In* x, Out* out, ReduceArgs a) {
  constexpr int kGroups = 256 / G;
  __shared__ A sh[8];
  const int g = threadIdx.x / G, lane = threadIdx.x % G;
  const std::int64_t pairs = a.M * a.split;
  // For G == 256 the loop trip count is uniform over the block, so the
  // __syncthreads below are reached by every thread.
  for (std::int64_t p = static_cast<std::int64_t>(blockIdx.x) * kGroups + g; p < pairs;
       p += static_cast<std::int64_t>(gridDim.x) * kGroups) {
    const std::int64_t o = p / a.split, s = p % a.split;
    const std::int64_t base = offset1(a.kept, o);
    const std::int64_t r0 = s * a.chunk, r1 = min(a.R, r0 + a.chunk);
    A acc = identity_of<A>(a.op);
    for (std::int64_t r = r0 + lane; r < r1; r += G) {
      A v = static_cast<A>(x[base + offset1(a.reduced, r)]);
      if (a.square) v = v * v;
      acc = combine(a.op, acc, v);
    }
    acc = warp_reduce(a.op, acc);
    if constexpr (G == 256) {
      if (lane % 32 == 0) sh[lane / 32] = acc;
      __syncthreads();
      if (lane < 32) acc = warp_reduce(a.op, lane < 8 ? sh[lane] : identity_of<A>(a.op));
      __syncthreads();
    }
    if (lane == 0) store(out, p, acc, a);
  }
}

// blockDim (32, 8): x picks the output, y strides over the reduced range.
template <class In, class A, class Out>
__global__ void reduce_cols(const In* x, Out* out, ReduceArgs a) {
  __shared__ A sh[8][33];
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (std::int64_t ob = static_cast<std::int64_t>(blockIdx.x) * 32; ob < a.M;
       ob += static_cast<std::int64_t>(gridDim.x) * 32) {
    for (std::int64_t s = blockIdx.y; s < a.split; s += gridDim.y) {
      const std::int64_t o = ob + tx;
      A acc = identity_of<A>(a.op);
      if (o < a.M) {
        const std::int64_t base = offset1(a.kept, o);
        const std::int64_t r0 = s * a.chunk, r1 = min(a.R, r0 + a.chunk);
        for (std::int64_t r = r0 + ty; r < r1; r += 8) {
          A v = static_cast<A>(x[base + offset1(a.reduced, r)]);
          if (a.square) v = v * v;
          acc = combine(a.op, acc, v);
        }
      }
      sh[ty][tx] = acc;
      __syncthreads();
      if (ty == 0 && o < a.M) {
        for (int k = 1; k < 8; ++k) acc = combine(a.op, acc, sh[k][tx]);
        store(out, o * a.split + s, acc, a);
      }
      __syncthreads();
    }
  }
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

template <class T>
void run_reduce(CudaBackend& be, Reduce op, const Tensor& x, const std::vector<int>& axes,
                Tensor& out, bool square) {
  using A = typename AccOf<T>::type;
  ReduceLayout rl;
  KERAS_CHECK(make_reduce_layout(x.shape(), axes, rl), NotImplementedError,
              "CUDA reduce supports tensors of rank <= ", kMaxRank, "; received shape ",
              shape_str(x.shape()));
  ReduceArgs a{rl.kept, rl.reduced, rl.kept_size, rl.reduced_size, 1, 1, op, square, true,
               out.dtype() == DType::bool_, rl.reduced_size};
  if (a.M == 0) return;
  const std::int64_t R = a.R;
  // Aim for ~2048 blocks' worth of work, but keep chunks >= 2048 elements.
  std::int64_t split = 1;
  if (rl.inner_reduced) {
    if (a.M < 1024 && R > 4096) split = std::min(ceil_div(2048, a.M), ceil_div(R, 2048));
  } else {
    const std::int64_t bx = ceil_div(a.M, 32);
    if (bx < 512 && R > 512) split = std::min({ceil_div(1024, bx), ceil_div(R, 512), std::int64_t{65535}});
  }
  a.chunk = std::max<std::int64_t>(1, ceil_div(R, split));
  a.split = std::max<std::int64_t>(1, ceil_div(R, a.chunk));
  cudaStream_t s = be.stream();
  const T* xp = ptr<const T>(x);
  T* op_out = ptr<T>(out);

  std::unique_ptr<Scratch> partial;
  if (a.split > 1) {
    partial = std::make_unique<Scratch>(be, static_cast<std::size_t>(a.M * a.split) * sizeof(A));
    a.finalize = false;
    a.to_bool = false;
  }
  auto first_pass = [&](auto* dst) {
    using Out = std::remove_pointer_t<decltype(dst)>;
    if (!rl.inner_reduced) {
      const dim3 block(32, 8);
      const dim3 grid(static_cast<unsigned>(std::min<std::int64_t>(ceil_div(a.M, 32), 65535)),
                      static_cast<unsigned>(std::min<std::int64_t>(a.split, 65535)));
      reduce_cols<T, A, Out><<<grid, block, 0, s>>>(xp, dst, a);
    } else if (a.chunk <= 1024) {
      const auto c = launch_config(a.M * a.split * 32);  // a warp per pair
      reduce_rows<T, A, Out, 32><<<c.grid, c.block, 0, s>>>(xp, dst, a);
    } else {
      const auto c = launch_config(a.M * a.split * 256);  // a block per pair
      reduce_rows<T, A, Out, 256><<<c.grid, c.block, 0, s>>>(xp, dst, a);
    }
    KERAS_CUDA_CHECK_LAUNCH();
  };
  if (!partial) {
    first_pass(op_out);
    return;
  }
  first_pass(partial->as<A>());
  // Second pass: rows of `split` partials per output, contiguous.
  ReduceArgs b = a;
  b.kept = StridedLayout<1>{};
  b.kept.rank = 1;
  b.kept.shape[0] = a.M;
  b.kept.strides[0][0] = a.split;
  b.reduced = StridedLayout<1>{};
  b.reduced.rank = 1;
  b.reduced.shape[0] = a.split;
  b.reduced.strides[0][0] = 1;
  b.R = a.split;
  b.split = 1;
  b.chunk = a.split;
  b.square = false;
  b.finalize = true;
  b.to_bool = out.dtype() == DType::bool_;
  const auto c = launch_config(a.M * 32);
  reduce_rows<A, A, T, 32><<<c.grid, c.block, 0, s>>>(partial->as<const A>(), op_out, b);
  KERAS_CUDA_CHECK_LAUNCH();
}

template <class T>
__device__ __forceinline__ bool better(T v, T best, bool min) {
  if constexpr (std::is_floating_point_v<T>) {
    if (v != v) return best == best;  // the first NaN wins, like NumPy
    if (best != best) return false;
  }
  return min ? v < best : v > best;
}

// One warp per row when the axis is innermost (inner == 1).
template <class T>
__global__ void argmax_rows(const T* x, std::int64_t* out, std::int64_t rows, std::int64_t len,
                            bool min) {
  const int lane = threadIdx.x % 32;
  for (std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
       row < rows; row += static_cast<std::int64_t>(gridDim.x) * blockDim.x / 32) {
    const T* p = x + row * len;
    T best = len > 0 ? p[0] : T(0);
    std::int64_t bi = 0;
    for (std::int64_t j = lane; j < len; j += 32) {
      const T v = p[j];
      if (better(v, best, min) || (j < bi && !better(best, v, min))) {
        best = v;
        bi = j;
      }
    }
    // Ties go to the smaller index, whichever lane holds it.
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) {
      const T ov = __shfl_down_sync(0xffffffffu, best, d);
      const std::int64_t oi = __shfl_down_sync(0xffffffffu, bi, d);
      if (better(ov, best, min) || (!better(best, ov, min) && oi < bi)) {
        best = ov;
        bi = oi;
      }
    }
    if (lane == 0) out[row] = bi;
  }
}

// One thread per (outer, inner) output; neighbours read neighbouring memory.
template <class T>
__global__ void argmax_cols(const T* x, std::int64_t* out, std::int64_t outer, std::int64_t len,
                            std::int64_t inner, bool min) {
  KERAS_CUDA_LOOP(i, outer * inner) {
    const std::int64_t o = i / inner, in = i % inner;
    const T* p = x + o * len * inner + in;
    T best = p[0];
    std::int64_t bi = 0;
    for (std::int64_t j = 1; j < len; ++j) {
      const T v = p[j * inner];
      if (better(v, best, min)) {
        best = v;
        bi = j;
      }
    }
    out[i] = bi;
  }
}

}  // namespace

void CudaBackend::reduce(Reduce op, const Tensor& x, const std::vector<int>& axes, Tensor& out) {
  activate();
  if (out.size() == 0) return;
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    run_reduce<T>(*this, op, x, axes, out, false);
  });
}

void CudaBackend::sum_squares(const Tensor& x, Tensor& out) {
  activate();
  std::vector<int> all(x.ndim());
  for (int d = 0; d < x.ndim(); ++d) all[d] = d;
  // out is 0-d; the kernels only need its data pointer and element count.
  run_reduce<float>(*this, Reduce::sum, x, all, out, true);
}

void CudaBackend::argmax(const Tensor& x, int axis, Tensor& out, bool min) {
  activate();
  const Shape& s = x.shape();
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (int d = axis + 1; d < x.ndim(); ++d) inner *= s[d];
  const std::int64_t len = s[axis];
  if (outer * inner == 0) return;
  KERAS_CHECK(len > 0, ValueError, "argmax: axis ", axis, " of shape ", shape_str(s),
              " is empty");
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (inner == 1) {
      const auto c = launch_config(outer * 32);
      argmax_rows<T><<<c.grid, c.block, 0, stream_>>>(ptr<const T>(x), ptr<std::int64_t>(out),
                                                      outer, len, min);
    } else {
      const auto c = launch_config(outer * inner);
      argmax_cols<T><<<c.grid, c.block, 0, stream_>>>(ptr<const T>(x), ptr<std::int64_t>(out),
                                                      outer, len, inner, min);
    }
  });
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace keras::backend::cuda
