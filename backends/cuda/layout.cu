// transpose, concat, slice, slice_backward: data movement only.
#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {
namespace {

template <class U, class I>
__global__ void gather_strided(const U* x, U* out, StridedLayout<1> L, std::int64_t n) {
  KERAS_CUDA_LOOP(i, n) out[i] = x[strided_offset<I>(L, static_cast<I>(i))];
}

// x (B, rows, cols) -> out (B, cols, rows) through a shared-memory tile, so
// both the reads and the writes are coalesced. blockDim (32, 8).
template <class U>
__global__ void transpose_tiled(const U* x, U* out, std::int64_t B, std::int64_t rows,
                                std::int64_t cols) {
  __shared__ U tile[32][33];  // +1 column: no bank conflicts on the transposed read
  const int tx = threadIdx.x, ty = threadIdx.y;
  const std::int64_t r0 = static_cast<std::int64_t>(blockIdx.y) * 32;
  const std::int64_t c0 = static_cast<std::int64_t>(blockIdx.x) * 32;
  for (std::int64_t b = blockIdx.z; b < B; b += gridDim.z) {
    const U* xb = x + b * rows * cols;
    U* ob = out + b * rows * cols;
    for (int k = 0; k < 32; k += 8) {
      const std::int64_t r = r0 + ty + k, c = c0 + tx;
      if (r < rows && c < cols) tile[ty + k][tx] = xb[r * cols + c];
    }
    __syncthreads();
    for (int k = 0; k < 32; k += 8) {
      const std::int64_t c = c0 + ty + k, r = r0 + tx;
      if (r < rows && c < cols) ob[c * rows + r] = tile[tx][ty + k];
    }
    __syncthreads();
  }
}

// dst[r * dpitch + doff + c] = (or +=) src[r * spitch + soff + c] for
// r < rows, c < width; all in elements of U.
template <class U, bool kAccumulate>
__global__ void copy_rows(const U* src, std::int64_t spitch, std::int64_t soff, U* dst,
                          std::int64_t dpitch, std::int64_t doff, std::int64_t rows,
                          std::int64_t width) {
  KERAS_CUDA_LOOP(i, rows * width) {
    const std::int64_t r = i / width, c = i % width;
    if constexpr (kAccumulate)
      dst[r * dpitch + doff + c] += src[r * spitch + soff + c];
    else
      dst[r * dpitch + doff + c] = src[r * spitch + soff + c];
  }
}

// Copies `rows` rows of `width` bytes, picking the widest unit (up to 16
// bytes) that divides every size, offset and base address.
void copy_rows_bytes(const void* src, std::int64_t spitch, std::int64_t soff, void* dst,
                     std::int64_t dpitch, std::int64_t doff, std::int64_t rows, std::int64_t width,
                     cudaStream_t s) {
  if (rows == 0 || width == 0) return;
  const auto bits = static_cast<std::uint64_t>(spitch) | static_cast<std::uint64_t>(soff) |
                    static_cast<std::uint64_t>(dpitch) | static_cast<std::uint64_t>(doff) |
                    static_cast<std::uint64_t>(width) | reinterpret_cast<std::uintptr_t>(src) |
                    reinterpret_cast<std::uintptr_t>(dst);
  std::int64_t unit = 16;
  while (bits % unit) unit /= 2;
  auto run = [&](auto tag) {
    using U = decltype(tag);
    const std::int64_t u = sizeof(U);
    const auto c = launch_config(rows * (width / u));
    copy_rows<U, false><<<c.grid, c.block, 0, s>>>(static_cast<const U*>(src), spitch / u, soff / u,
                                                   static_cast<U*>(dst), dpitch / u, doff / u, rows,
                                                   width / u);
  };
  switch (unit) {
    case 16: run(uint4{}); break;
    case 8: run(std::uint64_t{}); break;
    case 4: run(std::uint32_t{}); break;
    case 2: run(std::uint16_t{}); break;
    default: run(std::uint8_t{}); break;
  }
  KERAS_CUDA_CHECK_LAUNCH();
}

std::int64_t prod(const Shape& s, int begin, int end) {
  std::int64_t p = 1;
  for (int d = begin; d < end; ++d) p *= s[d];
  return p;
}

}  // namespace

void CudaBackend::transpose(const Tensor& x, const std::vector<int>& perm, Tensor& out) {
  const std::int64_t n = out.size();
  if (n == 0) return;
  activate();
  const auto xs = contiguous_strides(x.shape());
  std::vector<std::int64_t> st(perm.size());
  for (std::size_t d = 0; d < perm.size(); ++d) st[d] = xs[perm[d]];
  StridedLayout<1> L;
  KERAS_CHECK(make_layout<1>(out.shape(), {st}, L), NotImplementedError,
              "CUDA transpose supports tensors of rank <= ", kMaxRank, "; received shape ",
              shape_str(x.shape()));
  if (L.rank <= 1) {  // the permutation only moves size-1 dimensions
    copy(out.data_ptr(), x.data_ptr(), x.nbytes());
    return;
  }
  // (B?, d0, d1) with x strides (d0*d1?, 1, d0): x is (B, d1, d0) contiguous.
  const int r = L.rank;
  const std::int64_t d0 = L.shape[r - 2], d1 = L.shape[r - 1];
  const bool tiled = (r == 2 || (r == 3 && L.strides[0][0] == d0 * d1)) &&
                     L.strides[0][r - 2] == 1 && L.strides[0][r - 1] == d0 && (d1 + 31) / 32 <= 65535;
  dispatch_size(dtype_size(x.dtype()), [&](auto tag) {
    using U = decltype(tag);
    if (tiled) {
      const std::int64_t B = r == 3 ? L.shape[0] : 1;
      const dim3 grid(static_cast<unsigned>((d0 + 31) / 32), static_cast<unsigned>((d1 + 31) / 32),
                      static_cast<unsigned>(std::min<std::int64_t>(B, 65535)));
      transpose_tiled<U><<<grid, dim3(32, 8), 0, stream_>>>(ptr<const U>(x), ptr<U>(out), B, d1, d0);
    } else {
      const auto c = launch_config(n);
      if (fits_int32(n))
        gather_strided<U, std::uint32_t><<<c.grid, c.block, 0, stream_>>>(ptr<const U>(x), ptr<U>(out), L, n);
      else
        gather_strided<U, std::int64_t><<<c.grid, c.block, 0, stream_>>>(ptr<const U>(x), ptr<U>(out), L, n);
    }
  });
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::concat(const std::vector<Tensor>& xs, int axis, Tensor& out) {
  if (out.size() == 0) return;
  activate();
  const std::int64_t es = static_cast<std::int64_t>(dtype_size(out.dtype()));
  const Shape& os = out.shape();
  const std::int64_t rows = prod(os, 0, axis);
  const std::int64_t out_row = prod(os, axis, out.ndim()) * es;
  std::int64_t col = 0;
  for (const Tensor& x : xs) {
    const std::int64_t w = prod(x.shape(), axis, x.ndim()) * es;
    copy_rows_bytes(x.data_ptr(), w, 0, out.data_ptr(), out_row, col, rows, w, stream_);
    col += w;
  }
}

void CudaBackend::slice(const Tensor& x, int axis, std::int64_t start, Tensor& out) {
  if (out.size() == 0) return;
  activate();
  const std::int64_t es = static_cast<std::int64_t>(dtype_size(x.dtype()));
  const std::int64_t rows = prod(x.shape(), 0, axis);
  const std::int64_t inner = prod(x.shape(), axis + 1, x.ndim()) * es;
  const std::int64_t x_row = x.shape()[axis] * inner, out_row = out.shape()[axis] * inner;
  copy_rows_bytes(x.data_ptr(), x_row, start * inner, out.data_ptr(), out_row, 0, rows, out_row,
                  stream_);
}

void CudaBackend::slice_backward(const Tensor& dy, int axis, std::int64_t start, Tensor& dx) {
  if (dy.size() == 0) return;
  activate();
  const std::int64_t rows = prod(dx.shape(), 0, axis);
  const std::int64_t inner = prod(dx.shape(), axis + 1, dx.ndim());
  const std::int64_t dx_row = dx.shape()[axis] * inner, dy_row = dy.shape()[axis] * inner;
  const auto c = launch_config(rows * dy_row);
  copy_rows<float, true><<<c.grid, c.block, 0, stream_>>>(ptr<const float>(dy), dy_row, 0,
                                                          ptr<float>(dx), dx_row, start * inner,
                                                          rows, dy_row);
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace keras::backend::cuda
