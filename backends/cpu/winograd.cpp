// 3x3 stride-1 convolutions by Winograd's minimal filtering F(4x4, 3x3)
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
//
// The output is cut into 4x4 tiles; tile t reads a 6x6 patch d_t of the
// input. With the 6x6 transforms V_t = B^T d_t B (input, per channel),
// U = G g G^T (kernel, per channel pair) and Y_t = A^T M_t A (output), the
// convolution is, for each of the 36 transform positions xi,
//
//     M_t[xi][co] = sum over ci of V_t[xi][ci] * U[xi][ci][co]
//
// i.e. 36 matrix products (tiles x Cin) @ (Cin x Cout): 36 * 16 = 576 tile
// multiply-adds per channel pair instead of 9 * 16 = 144 per output pixel,
// 2.25x fewer than direct (or im2col) convolution, less the padding of the
// last tile row and column.
//
// Both backward passes are the exact gradients of those same formulas (the
// adjoint of each linear step, in reverse order), so they share the tiling:
//   dM_t = A dY_t A^T,
//   data:   dV_t[xi] = dM_t[xi] @ U[xi]^T,   dx += B dV_t B^T (tiles overlap)
//   filter: dU[xi] = sum_t V_t[xi]^T @ dM_t[xi],   dw = G^T dU G
// and each costs the forward's 36 products, not a convolution over the
// padded gradient.
//
// The batch is split into one slice per core; a slice transforms a chunk of
// samples at a time into scratch buffers sized to stay in cache, runs the 36
// single-threaded sgemm calls, and transforms back. Channels are the
// innermost (contiguous, NHWC) axis, so every transform is vectorised over
// channels.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 + AVX-512 intrinsics
#include <xsimd/xsimd.hpp>

#include "backends/cpu/blas.hpp"
#include "backends/cpu/fused_activation.hpp"
#include "backends/cpu/kernels.hpp"
#include "tensor_impl.hpp"

namespace keras::backend::cpu {
namespace {

using B = xsimd::batch<float>;
constexpr int64_t W = static_cast<int64_t>(B::size);
constexpr int64_t kXi = 36;  // transform positions (6 x 6)

// --- 1-D transforms: t(in, out); the 2-D ones apply them to columns, then rows ---

struct InputT {  // B^T (6 x 6)
  template <class V>
  void operator()(const V* v, V* o) const {
    const V t1 = v[4] - 4.0f * v[2], t2 = v[3] - 4.0f * v[1];
    const V t3 = v[4] - v[2], t4 = 2.0f * (v[3] - v[1]);
    o[0] = 4.0f * v[0] - 5.0f * v[2] + v[4];
    o[1] = t1 + t2;
    o[2] = t1 - t2;
    o[3] = t3 + t4;
    o[4] = t3 - t4;
    o[5] = 4.0f * v[1] - 5.0f * v[3] + v[5];
  }
};
struct InputAdjT {  // B (6 x 6), the adjoint of InputT
  template <class V>
  void operator()(const V* v, V* o) const {
    o[0] = 4.0f * v[0];
    o[1] = 4.0f * (v[2] - v[1] + v[5]) + 2.0f * (v[4] - v[3]);
    o[2] = -5.0f * v[0] - 4.0f * (v[1] + v[2]) - v[3] - v[4];
    o[3] = v[1] - v[2] + 2.0f * (v[3] - v[4]) - 5.0f * v[5];
    o[4] = v[0] + v[1] + v[2] + v[3] + v[4];
    o[5] = v[5];
  }
};
struct OutputT {  // A^T (4 x 6)
  template <class V>
  void operator()(const V* v, V* o) const {
    const V s1 = v[1] + v[2], d1 = v[1] - v[2], s2 = v[3] + v[4], d2 = v[3] - v[4];
    o[0] = v[0] + s1 + s2;
    o[1] = d1 + 2.0f * d2;
    o[2] = s1 + 4.0f * s2;
    o[3] = d1 + 8.0f * d2 + v[5];
  }
};
struct OutputAdjT {  // A (6 x 4), the adjoint of OutputT
  template <class V>
  void operator()(const V* v, V* o) const {
    const V s = v[0] + v[2], d = v[1] + v[3];
    const V s4 = v[0] + 4.0f * v[2], d8 = 2.0f * v[1] + 8.0f * v[3];
    o[0] = v[0];
    o[1] = s + d;
    o[2] = s - d;
    o[3] = s4 + d8;
    o[4] = s4 - d8;
    o[5] = v[3];
  }
};
struct KernelT {  // G (6 x 3)
  template <class V>
  void operator()(const V* v, V* o) const {
    const V s = v[0] + v[2];
    o[0] = 0.25f * v[0];
    o[1] = (-1.0f / 6.0f) * (s + v[1]);
    o[2] = (-1.0f / 6.0f) * (s - v[1]);
    o[3] = (1.0f / 24.0f) * v[0] + (1.0f / 12.0f) * v[1] + (1.0f / 6.0f) * v[2];
    o[4] = (1.0f / 24.0f) * v[0] - (1.0f / 12.0f) * v[1] + (1.0f / 6.0f) * v[2];
    o[5] = v[2];
  }
};
struct KernelAdjT {  // G^T (3 x 6), the adjoint of KernelT
  template <class V>
  void operator()(const V* v, V* o) const {
    const V s12 = v[1] + v[2], s34 = v[3] + v[4];
    o[0] = 0.25f * v[0] - (1.0f / 6.0f) * s12 + (1.0f / 24.0f) * s34;
    o[1] = (1.0f / 6.0f) * (v[2] - v[1]) + (1.0f / 12.0f) * (v[3] - v[4]);
    o[2] = (1.0f / 6.0f) * (s34 - s12) + v[5];
  }
};

// out = T x T^T for a 1-D transform T from Q to P values.
template <int Q, int P, class V, class T>
inline void transform_2d(const V (&x)[Q][Q], V (&out)[P][P], T t) {
  V tmp[P][Q];
  for (int j = 0; j < Q; ++j) {
    V col[Q], o[P];
    for (int i = 0; i < Q; ++i) col[i] = x[i][j];
    t(col, o);
    for (int a = 0; a < P; ++a) tmp[a][j] = o[a];
  }
  for (int a = 0; a < P; ++a) t(tmp[a], out[a]);
}

// Loads/stores of `len` <= W floats (a channel block's ragged tail).
inline B load(const float* p, int64_t len) {
  if (len == W) return B::load_unaligned(p);
  alignas(64) float buf[W] = {};
  std::memcpy(buf, p, sizeof(float) * len);
  return B::load_aligned(buf);
}
inline void store(float* p, const B& v, int64_t len) {
  if (len == W) return v.store_unaligned(p);
  alignas(64) float buf[W];
  v.store_aligned(buf);
  std::memcpy(p, buf, sizeof(float) * len);
}

struct Tiling {
  int64_t n, h, w, cin, oh, ow, cout, pt, pl;
  int64_t th, tw;  // 4x4 output tiles along H and W
  int64_t per_image() const { return th * tw; }
};

Tiling make_tiling(const Shape& xs, const Shape& ys, const Conv2dDesc& d) {
  Tiling t{};
  t.n = xs[0], t.h = xs[1], t.w = xs[2], t.cin = xs[3];
  t.oh = ys[1], t.ow = ys[2], t.cout = ys[3];
  t.pt = d.pad_top, t.pl = d.pad_left;
  t.th = (t.oh + 3) / 4, t.tw = (t.ow + 3) / 4;
  return t;
}

// Calls fn(tile, n, ih0, iw0, oh0, ow0) for every tile of samples [n0, n1),
// tile counted from 0 at sample n0.
template <class F>
inline void for_tiles(const Tiling& t, int64_t n0, int64_t n1, F&& fn) {
  int64_t tile = 0;
  for (int64_t n = n0; n < n1; ++n)
    for (int64_t i = 0; i < t.th; ++i)
      for (int64_t j = 0; j < t.tw; ++j, ++tile) fn(tile, n, i * 4 - t.pt, j * 4 - t.pl, i * 4, j * 4);
}

// V[xi][tile][ci] = (B^T d B)[xi] of the input patches of samples [n0, n1)
// (zero outside the image: the convolution's padding).
void input_transform(const Tiling& t, const float* x, int64_t n0, int64_t n1, int64_t tiles, float* v) {
  const B zero(0.0f);
  for_tiles(t, n0, n1, [&](int64_t tile, int64_t n, int64_t ih0, int64_t iw0, int64_t, int64_t) {
    for (int64_t c = 0; c < t.cin; c += W) {
      const int64_t len = std::min(W, t.cin - c);
      B d[6][6], r[6][6];
      for (int i = 0; i < 6; ++i) {
        const int64_t ih = ih0 + i;
        for (int j = 0; j < 6; ++j) {
          const int64_t iw = iw0 + j;
          d[i][j] = ih >= 0 && ih < t.h && iw >= 0 && iw < t.w
                        ? load(x + ((n * t.h + ih) * t.w + iw) * t.cin + c, len)
                        : zero;
        }
      }
      transform_2d<6, 6>(d, r, InputT{});
      for (int a = 0; a < 6; ++a)
        for (int b = 0; b < 6; ++b) store(v + ((a * 6 + b) * tiles + tile) * t.cin + c, r[a][b], len);
    }
  });
}

// dM[xi][tile][co] = (A dZ A^T)[xi] of each 4x4 tile of the convolution's
// output gradient dz, which source(n, oh0, ow0, c, len, g) writes into g
// (zero past the output's edge): dy itself, dy * act'(y) for a fused
// activation, or rebuilt from a fused max pooling. With dbias, also sums dz
// per channel.
template <class Source>
void output_grad_transform(const Tiling& t, int64_t n0, int64_t n1, int64_t tiles, float* m, Source source,
                           float* dbias) {
  for_tiles(t, n0, n1, [&](int64_t tile, int64_t n, int64_t, int64_t, int64_t oh0, int64_t ow0) {
    for (int64_t c = 0; c < t.cout; c += W) {
      const int64_t len = std::min(W, t.cout - c);
      B g[4][4], r[6][6];
      source(n, oh0, ow0, c, len, g);
      if (dbias) {
        B sum(0.0f);
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j) sum += g[i][j];
        store(dbias + c, load(dbias + c, len) + sum, len);
      }
      transform_2d<4, 6>(g, r, OutputAdjT{});
      for (int a = 0; a < 6; ++a)
        for (int b = 0; b < 6; ++b) store(m + ((a * 6 + b) * tiles + tile) * t.cout + c, r[a][b], len);
    }
  });
}

// Each tile's output A^T M A, handed to sink(n, oh0, ow0, c, len, r) for
// channels [c, c + len): it stores the part inside the output (with a bias
// and activation applied, or pooled).
template <class Sink>
void output_transform(const Tiling& t, const float* m, int64_t n0, int64_t n1, int64_t tiles, Sink sink) {
  for_tiles(t, n0, n1, [&](int64_t tile, int64_t n, int64_t, int64_t, int64_t oh0, int64_t ow0) {
    for (int64_t c = 0; c < t.cout; c += W) {
      const int64_t len = std::min(W, t.cout - c);
      B s[6][6], r[4][4];
      for (int a = 0; a < 6; ++a)
        for (int b = 0; b < 6; ++b) s[a][b] = load(m + ((a * 6 + b) * tiles + tile) * t.cout + c, len);
      transform_2d<6, 4>(s, r, OutputT{});
      sink(n, oh0, ow0, c, len, r);
    }
  });
}

// dx = the sum over tiles of (B dV B^T), the parts inside the image.
// Neighbouring tiles overlap by two rows or columns; in raster order, a
// tile is the first to reach its elements except its first two rows (when
// a tile row lies above) and its first two columns (when a tile lies to
// the left), so it stores those it reaches first and adds to the rest. The
// tiles of a sample cover its whole image (4 * tiles >= OH = H + pads - 2),
// so every element of dx is written.
void input_grad_transform(const Tiling& t, const float* v, int64_t n0, int64_t n1, int64_t tiles, float* dx) {
  for_tiles(t, n0, n1, [&](int64_t tile, int64_t n, int64_t ih0, int64_t iw0, int64_t oh0, int64_t ow0) {
    const int first_row = oh0 > 0 ? 2 : 0, first_col = ow0 > 0 ? 2 : 0;
    for (int64_t c = 0; c < t.cin; c += W) {
      const int64_t len = std::min(W, t.cin - c);
      B s[6][6], r[6][6];
      for (int a = 0; a < 6; ++a)
        for (int b = 0; b < 6; ++b) s[a][b] = load(v + ((a * 6 + b) * tiles + tile) * t.cin + c, len);
      transform_2d<6, 6>(s, r, InputAdjT{});
      for (int i = 0; i < 6; ++i) {
        const int64_t ih = ih0 + i;
        if (ih < 0 || ih >= t.h) continue;
        for (int j = 0; j < 6; ++j) {
          const int64_t iw = iw0 + j;
          if (iw < 0 || iw >= t.w) continue;
          float* p = dx + ((n * t.h + ih) * t.w + iw) * t.cin + c;
          store(p, i >= first_row && j >= first_col ? r[i][j] : load(p, len) + r[i][j], len);
        }
      }
    }
  });
}

// U[xi][ci][co] = (G g G^T)[xi] for the kernel w (3, 3, Cin, Cout).
void kernel_transform(const Tiling& t, const float* w, float* u) {
  const int64_t cc = t.cin * t.cout;
  for (int64_t ci = 0; ci < t.cin; ++ci)
    for (int64_t c = 0; c < t.cout; c += W) {
      const int64_t len = std::min(W, t.cout - c);
      B g[3][3], r[6][6];
      for (int k = 0; k < 3; ++k)
        for (int l = 0; l < 3; ++l) g[k][l] = load(w + (k * 3 + l) * cc + ci * t.cout + c, len);
      transform_2d<3, 6>(g, r, KernelT{});
      for (int xi = 0; xi < kXi; ++xi) store(u + xi * cc + ci * t.cout + c, r[xi / 6][xi % 6], len);
    }
}

// dw (3, 3, Cin, Cout) = (G^T dU G) for dU[xi][ci][co].
void kernel_grad_transform(const Tiling& t, const float* du, float* dw) {
  const int64_t cc = t.cin * t.cout;
  for (int64_t ci = 0; ci < t.cin; ++ci)
    for (int64_t c = 0; c < t.cout; c += W) {
      const int64_t len = std::min(W, t.cout - c);
      B s[6][6], r[3][3];
      for (int xi = 0; xi < kXi; ++xi) s[xi / 6][xi % 6] = load(du + xi * cc + ci * t.cout + c, len);
      transform_2d<6, 3>(s, r, KernelAdjT{});
      for (int k = 0; k < 3; ++k)
        for (int l = 0; l < 3; ++l) store(dw + (k * 3 + l) * cc + ci * t.cout + c, r[k][l], len);
    }
}

Tensor scratch(int64_t floats) { return make_tensor({std::max<int64_t>(floats, 1)}, float32, Device::cpu()); }

// Samples per chunk: the chunk's transformed input and output (36 values per
// tile and channel each) take about 1 MiB, so they stay in L2 between the
// transforms and the products (bench_cnn_kernels: 0.5-1.5 MiB chunks ran
// the CNN's second layer about 5-10 % faster than 2-4 MiB, 8 MiB 30 % slower).
int64_t chunk_samples(const Tiling& t) {
  constexpr int64_t kChunkBytes = int64_t{1} << 20;
  const int64_t per_sample = kXi * t.per_image() * (t.cin + t.cout) * int64_t(sizeof(float));
  return std::clamp<int64_t>(kChunkBytes / std::max<int64_t>(per_sample, 1), 1, std::max<int64_t>(t.n, 1));
}

int64_t num_slices(const Tiling& t) { return std::min<int64_t>(t.n, hw_threads()); }

// Runs fn(c0, c1, slice) over the chunks of each batch slice, one slice per thread.
template <class F>
void over_chunks(const Tiling& t, int64_t slices, int64_t chunk, F&& fn) {
  BlasThreads bt(1);
  parallel_for(slices, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t n0 = t.n * s / slices, n1 = t.n * (s + 1) / slices;
      for (int64_t c0 = n0; c0 < n1; c0 += chunk) fn(c0, std::min(c0 + chunk, n1), s);
    }
  });
}

// The convolution of x and w (output shape ys), tile by tile into sink.
template <class Sink>
void forward_impl(const Tensor& x, const Tensor& w, const Conv2dDesc& d, const Shape& ys, Sink sink) {
  const Tiling t = make_tiling(x.shape(), ys, d);
  if (t.n == 0) return;
  Tensor u = scratch(kXi * t.cin * t.cout);
  kernel_transform(t, ptr<float>(w), ptr<float>(u));
  const int64_t slices = num_slices(t), chunk = chunk_samples(t), tiles_max = chunk * t.per_image();
  const int64_t per_slice = kXi * tiles_max * (t.cin + t.cout);
  Tensor buf = scratch(slices * per_slice);
  const float* xp = ptr<float>(x);
  const float* up = ptr<float>(u);
  float* bp = ptr<float>(buf);
  over_chunks(t, slices, chunk, [&](int64_t c0, int64_t c1, int64_t s) {
    float* v = bp + s * per_slice;
    float* m = v + kXi * tiles_max * t.cin;
    const int64_t tiles = (c1 - c0) * t.per_image();
    input_transform(t, xp, c0, c1, tiles, v);
    for (int64_t xi = 0; xi < kXi; ++xi)
      sgemm(false, false, tiles, t.cout, t.cin, v + xi * tiles * t.cin, t.cin, up + xi * t.cin * t.cout, t.cout,
            0.0f, m + xi * tiles * t.cout, t.cout);
    output_transform(t, m, c0, c1, tiles, sink);
  });
}

// Both backward passes from the output gradient dz that source gives tile
// by tile (see output_grad_transform), in one sweep over the batch (dz's
// transform is shared): *dx = backward-data, *dw = backward-filter (either
// may be null), and with dbias (Cout floats) the sum of dz. ys is the
// convolution's output shape.
template <class Source>
void backward_impl(const Tensor& x, const Tensor& w, const Conv2dDesc& d, const Shape& ys, Tensor* dx, Tensor* dw,
                   float* dbias, Source source) {
  const Tiling t = make_tiling(x.shape(), ys, d);
  const int64_t cc = t.cin * t.cout;
  if (dbias) std::fill(dbias, dbias + t.cout, 0.0f);
  if (dw) std::fill(ptr<float>(*dw), ptr<float>(*dw) + 9 * cc, 0.0f);
  if (t.n == 0) return;
  Tensor u;
  if (dx) {
    u = scratch(kXi * cc);
    kernel_transform(t, ptr<float>(w), ptr<float>(u));
  }
  const int64_t slices = num_slices(t), chunk = chunk_samples(t), tiles_max = chunk * t.per_image();
  const int64_t per_slice = kXi * tiles_max * (t.cin + t.cout);
  // Each slice sums dU and dbias into its own buffers; they are added in
  // slice order, so results do not depend on thread timing.
  const int64_t du_size = dw ? kXi * cc : 0, db_size = dbias ? t.cout : 0;
  Tensor sums = scratch(slices * (du_size + db_size));
  Tensor buf = scratch(slices * per_slice);
  float* sp = ptr<float>(sums);
  std::fill(sp, sp + slices * (du_size + db_size), 0.0f);
  const float* xp = ptr<float>(x);
  const float* up = dx ? ptr<float>(u) : nullptr;
  float* dxp = dx ? ptr<float>(*dx) : nullptr;
  float* bp = ptr<float>(buf);
  over_chunks(t, slices, chunk, [&](int64_t c0, int64_t c1, int64_t s) {
    float* m = bp + s * per_slice;
    float* v = m + kXi * tiles_max * t.cout;
    float* du = sp + s * du_size;
    float* db = dbias ? sp + slices * du_size + s * db_size : nullptr;
    const int64_t tiles = (c1 - c0) * t.per_image();
    output_grad_transform(t, c0, c1, tiles, m, source, db);
    if (dw) {
      input_transform(t, xp, c0, c1, tiles, v);
      for (int64_t xi = 0; xi < kXi; ++xi)
        sgemm(true, false, t.cin, t.cout, tiles, v + xi * tiles * t.cin, t.cin, m + xi * tiles * t.cout, t.cout,
              1.0f, du + xi * cc, t.cout);
    }
    if (dx) {
      for (int64_t xi = 0; xi < kXi; ++xi)
        sgemm(false, true, tiles, t.cin, t.cout, m + xi * tiles * t.cout, t.cout, up + xi * cc, t.cout, 0.0f,
              v + xi * tiles * t.cin, t.cin);
      input_grad_transform(t, v, c0, c1, tiles, dxp);
    }
  });
  for (int64_t s = 1; s < slices; ++s) {
    for (int64_t i = 0; i < du_size; ++i) sp[i] += sp[s * du_size + i];
    for (int64_t i = 0; i < db_size; ++i) sp[slices * du_size + i] += sp[slices * du_size + s * db_size + i];
  }
  if (dw) kernel_grad_transform(t, sp, ptr<float>(*dw));
  if (dbias) std::copy(sp + slices * du_size, sp + slices * du_size + t.cout, dbias);
}

// --- where output tiles go and where gradient tiles come from ---

// Stores post(value, c, len) of each tile element inside the output y.
template <class Post>
struct StoreTile {
  const Shape& ys;
  float* y;
  Post post;
  void operator()(int64_t n, int64_t oh0, int64_t ow0, int64_t c, int64_t len, const B (&r)[4][4]) const {
    const int64_t oh = ys[1], ow = ys[2], co = ys[3];
    for (int i = 0; i < 4 && oh0 + i < oh; ++i)
      for (int j = 0; j < 4 && ow0 + j < ow; ++j)
        store(y + ((n * oh + oh0 + i) * ow + ow0 + j) * co + c, post(r[i][j], c, len), len);
  }
};
template <class Post>
StoreTile(const Shape&, float*, Post) -> StoreTile<Post>;

// grad(y, dy) of the tile's elements inside the output, 0 past its edge (y may be null).
template <class Grad>
struct LoadGradTile {
  const Shape& ys;
  const float* y;
  const float* dy;
  Grad grad;
  void operator()(int64_t n, int64_t oh0, int64_t ow0, int64_t c, int64_t len, B (&g)[4][4]) const {
    const int64_t oh = ys[1], ow = ys[2], co = ys[3];
    const B zero(0.0f);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        if (oh0 + i >= oh || ow0 + j >= ow) {
          g[i][j] = zero;
          continue;
        }
        const int64_t at = ((n * oh + oh0 + i) * ow + ow0 + j) * co + c;
        g[i][j] = grad(y ? load(y + at, len) : zero, load(dy + at, len));
      }
  }
};
template <class Grad>
LoadGradTile(const Shape&, const float*, const float*, Grad) -> LoadGradTile<Grad>;

// Max pooling of post(value) over wh x ww windows (wh and ww divide 4, so a
// tile holds whole windows): the maxima into p (N, PH, PW, C) and the
// window position of each window's first maximum into argmax; windows past
// PH, PW (the output's trailing rows and columns) are dropped.
template <class Post>
struct PoolTile {
  int64_t wh, ww;
  const Shape& ps;
  float* p;
  std::int32_t* argmax;
  Post post;
  void operator()(int64_t n, int64_t oh0, int64_t ow0, int64_t c, int64_t len, const B (&r)[4][4]) const {
    const int64_t ph = ps[1], pw = ps[2], co = ps[3];
    for (int64_t pi = 0; pi < 4 / wh && oh0 / wh + pi < ph; ++pi)
      for (int64_t pj = 0; pj < 4 / ww && ow0 / ww + pj < pw; ++pj) {
        B best(-std::numeric_limits<float>::infinity()), at(0.0f);
        for (int64_t a = 0; a < wh; ++a)
          for (int64_t b = 0; b < ww; ++b) {
            const B v = post(r[pi * wh + a][pj * ww + b], c, len);
            const auto more = v > best;
            best = xsimd::select(more, v, best);
            at = xsimd::select(more, B(static_cast<float>(a * ww + b)), at);
          }
        const int64_t o = ((n * ph + oh0 / wh + pi) * pw + ow0 / ww + pj) * co + c;
        store(p + o, best, len);
        alignas(64) std::int32_t idx[W];
        xsimd::batch_cast<std::int32_t>(at).store_aligned(idx);
        std::memcpy(argmax + o, idx, sizeof(std::int32_t) * len);
      }
  }
};

// The convolution's output gradient rebuilt from a fused max pooling:
// grad(p, dp) at each window's argmax, 0 elsewhere and in dropped rows and columns.
template <class Grad>
struct PooledGradTile {
  int64_t wh, ww;
  const Shape& ps;
  const float* p;
  const std::int32_t* argmax;
  const float* dp;
  Grad grad;
  void operator()(int64_t n, int64_t oh0, int64_t ow0, int64_t c, int64_t len, B (&g)[4][4]) const {
    const int64_t ph = ps[1], pw = ps[2], co = ps[3];
    const B zero(0.0f);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) g[i][j] = zero;
    for (int64_t pi = 0; pi < 4 / wh && oh0 / wh + pi < ph; ++pi)
      for (int64_t pj = 0; pj < 4 / ww && ow0 / ww + pj < pw; ++pj) {
        const int64_t o = ((n * ph + oh0 / wh + pi) * pw + ow0 / ww + pj) * co + c;
        const B gz = grad(load(p + o, len), load(dp + o, len));
        alignas(64) std::int32_t idx[W];
        std::fill(idx, idx + W, -1);
        std::memcpy(idx, argmax + o, sizeof(std::int32_t) * len);
        const B at = xsimd::batch_cast<float>(xsimd::batch<std::int32_t>::load_aligned(idx));
        for (int64_t a = 0; a < wh; ++a)
          for (int64_t b = 0; b < ww; ++b)
            g[pi * wh + a][pj * ww + b] = xsimd::select(at == B(static_cast<float>(a * ww + b)), gz, zero);
      }
  }
};

}  // namespace

bool winograd_suits(const Shape& ws, const Shape& ys, const Conv2dDesc& d) {
  // Worth it when the channel products dominate the transforms (which cost
  // about as much as a few channels' worth of products) and the 4x4 tiles
  // are not mostly padding.
  return ws.size() == 4 && ws[0] == 3 && ws[1] == 3 && d.stride_h == 1 && d.stride_w == 1 && d.dilation_h == 1 &&
         d.dilation_w == 1 && d.groups == 1 && ws[2] >= 16 && ws[3] >= 16 && ys[1] >= 4 && ys[2] >= 4;
}


void winograd_forward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Tensor& y) {
  const Shape& ys = y.shape();
  forward_impl(x, w, d, ys, StoreTile{ys, ptr<float>(y), [](const B& v, int64_t, int64_t) { return v; }});
}

void winograd_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, const Tensor& dy, Tensor* dx,
                       Tensor* dw) {
  backward_impl(x, w, d, dy.shape(), dx, dw, nullptr,
                LoadGradTile{dy.shape(), nullptr, ptr<float>(dy), [](const B&, const B& g) { return g; }});
}

void winograd_bias_activation(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dDesc& d, Unary act,
                              float alpha, Tensor& y) {
  const float* b = ptr<float>(bias);
  const Shape& ys = y.shape();
  with_fused_activation(act, alpha, "conv2d_bias_activation", [&](auto f, auto) {
    auto post = [f, b](const B& v, int64_t c, int64_t len) { return f(v + load(b + c, len)); };
    forward_impl(x, w, d, ys, StoreTile<decltype(post)>{ys, ptr<float>(y), post});
  });
}

void winograd_bias_activation_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Unary act, float alpha,
                                       const Tensor& y, const Tensor& dy, Tensor* dx, Tensor* dw, Tensor& dbias) {
  with_fused_activation(act, alpha, "conv2d_bias_activation_backward", [&](auto, auto grad) {
    backward_impl(x, w, d, dy.shape(), dx, dw, ptr<float>(dbias),
                  LoadGradTile<decltype(grad)>{dy.shape(), ptr<float>(y), ptr<float>(dy), grad});
  });
}

bool winograd_fuses_max_pool(const Shape& xs, const Shape& ws, const Conv2dDesc& d, const Pool2dDesc& pool) {
  auto divides_tile = [](int k) { return k == 1 || k == 2 || k == 4; };
  if (xs.size() != 4 || ws.size() != 4) return false;
  const Shape ys{xs[0], xs[1] + d.pad_top + d.pad_bottom - 2, xs[2] + d.pad_left + d.pad_right - 2, ws[3]};
  return conv_algorithm(ws, ys, d) == ConvAlgo::winograd && divides_tile(pool.window_h) && divides_tile(pool.window_w) &&
         pool.stride_h == pool.window_h && pool.stride_w == pool.window_w && pool.pad_top == 0 &&
         pool.pad_bottom == 0 && pool.pad_left == 0 && pool.pad_right == 0;
}

void winograd_bias_activation_max_pool(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dDesc& d,
                                       Unary act, float alpha, const Pool2dDesc& pool, Tensor& p, Tensor& argmax) {
  const float* b = ptr<float>(bias);
  const Shape ys{x.shape()[0], x.shape()[1] + d.pad_top + d.pad_bottom - 2,
                 x.shape()[2] + d.pad_left + d.pad_right - 2, w.shape()[3]};
  with_fused_activation(act, alpha, "conv2d_bias_activation_max_pool", [&](auto f, auto) {
    auto post = [f, b](const B& v, int64_t c, int64_t len) { return f(v + load(b + c, len)); };
    forward_impl(x, w, d, ys,
                 PoolTile<decltype(post)>{pool.window_h, pool.window_w, p.shape(), ptr<float>(p),
                                          ptr<std::int32_t>(argmax), post});
  });
}

void winograd_bias_activation_max_pool_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Unary act,
                                                float alpha, const Pool2dDesc& pool, const Tensor& p,
                                                const Tensor& argmax, const Tensor& dp, Tensor* dx, Tensor* dw,
                                                Tensor& dbias) {
  const Shape ys{x.shape()[0], x.shape()[1] + d.pad_top + d.pad_bottom - 2,
                 x.shape()[2] + d.pad_left + d.pad_right - 2, w.shape()[3]};
  with_fused_activation(act, alpha, "conv2d_bias_activation_max_pool_backward", [&](auto, auto grad) {
    backward_impl(x, w, d, ys, dx, dw, ptr<float>(dbias),
                  PooledGradTile<decltype(grad)>{pool.window_h, pool.window_w, p.shape(), ptr<float>(p),
                                                 ptr<std::int32_t>(argmax), ptr<float>(dp), grad});
  });
}

}  // namespace keras::backend::cpu
