// 2-D convolution through cuDNN: forward, backward data, backward filter.
//
// Layouts. Activations are NHWC, which cuDNN takes directly. Keras's kernel
// (KH, KW, Cin/G, Cout) is not a cuDNN filter layout; its NHWC filter layout
// is (Cout, KH, KW, Cin/G), the transpose of the same (KH*KW*Cin/G, Cout)
// matrix, so the kernel is transposed into scratch before each call (and the
// filter gradient transposed back). Kernels are small next to activations.
//
// Padding. cuDNN pads symmetrically; conv_plan.hpp decides per axis whether
// its symmetric pad gives the Keras result as is or the input needs an
// explicit zero border in scratch (odd 'same' totals that do matter).
//
// Precision. CUDNN_FMA_MATH restricts cuDNN to plain FP32 kernels: the
// default math type lets cuDNN use TF32 tensor cores on Ampere and later,
// whose 10-bit mantissas would make CUDA results drift from the CPU's.
//
// Algorithms come from cuDNN's heuristics (cudnnGet*_v7, no benchmarking,
// so no hidden cudaMalloc), cached per shape in the backend; workspaces come
// from the backend's caching allocator.
#include <mutex>

#include "backends/cuda/cuda_backend_impl.cuh"
#include "backends/cuda/cudnn_desc.cuh"
#include "backends/cuda/window_ops.hpp"

namespace keras::backend::cuda {
namespace {

// Above this, an algorithm's workspace is not worth it: the next one is used.
constexpr std::size_t kMaxWorkspace = std::size_t{1} << 30;

// Keras kernel <-> cuDNN filter (see keras_to_cudnn_filter_index).
__global__ void filter_to_cudnn(const float* keras, float* cudnn, std::int64_t rows,
                                std::int64_t k) {
  KERAS_CUDA_LOOP(i, rows * k) cudnn[keras_to_cudnn_filter_index(i, rows, k)] = keras[i];
}
__global__ void filter_to_keras(const float* cudnn, float* keras, std::int64_t rows,
                                std::int64_t k) {
  KERAS_CUDA_LOOP(i, rows * k) keras[i] = cudnn[keras_to_cudnn_filter_index(i, rows, k)];
}

// Pads (dh, dw <= 0) or crops (dh, dw >= 0) an NHWC tensor; see shift_copy_at.
__global__ void shift_copy(const float* src, std::int64_t hs, std::int64_t ws, float* dst,
                           std::int64_t hd, std::int64_t wd, std::int64_t c, std::int64_t dh,
                           std::int64_t dw, std::int64_t total) {
  KERAS_CUDA_LOOP(i, total) dst[i] = shift_copy_at(src, hs, ws, hd, wd, c, dh, dw, i);
}

// Everything about one convolution, from the shapes of (x, w, y) where x is
// the convolution's input (dx for backward data) and y its output.
struct ConvGeom {
  const char* op;
  std::int64_t n, h, w, cin, oh, ow, cout, kh, kw, cin_g;
  Conv2dDesc d;
  AxisPlan ph, pw;
  bool padded() const { return ph.explicit_pad() || pw.explicit_pad(); }
  std::int64_t padded_elems() const { return n * ph.padded * pw.padded * cin; }
  std::int64_t filter_rows() const { return kh * kw * cin_g; }
};

ConvGeom make_geom(const char* op, const Shape& xs, const Shape& ws, const Shape& ys,
                   const Conv2dDesc& d) {
  KERAS_CHECK(xs.size() == 4 && ws.size() == 4 && ys.size() == 4, ValueError, op,
              " expects 4-D tensors, received ", shape_str(xs), ", ", shape_str(ws), ", ",
              shape_str(ys));
  ConvGeom g{op, xs[0], xs[1], xs[2], xs[3], ys[1], ys[2], ys[3], ws[0], ws[1], ws[2], d, {}, {}};
  const std::int64_t eh = std::int64_t{d.dilation_h} * (g.kh - 1) + 1;
  const std::int64_t ew = std::int64_t{d.dilation_w} * (g.kw - 1) + 1;
  // The front end resolves the geometry; this guards the padding plan's
  // assumption that y's size follows from x's.
  KERAS_CHECK(d.groups >= 1 && d.stride_h >= 1 && d.stride_w >= 1 && d.dilation_h >= 1 &&
                  d.dilation_w >= 1 && g.cin_g * d.groups == g.cin && ws[3] == g.cout &&
                  g.oh == conv_out_size(g.h, d.pad_top, d.pad_bottom, eh, d.stride_h) &&
                  g.ow == conv_out_size(g.w, d.pad_left, d.pad_right, ew, d.stride_w),
              ValueError, op, ": inconsistent shapes: input ", shape_str(xs), ", kernel ",
              shape_str(ws), ", output ", shape_str(ys));
  g.ph = plan_axis(g.h, d.pad_top, d.pad_bottom, eh, d.stride_h, g.oh);
  g.pw = plan_axis(g.w, d.pad_left, d.pad_right, ew, d.stride_w, g.ow);
  return g;
}

// The cuDNN descriptors of one convolution (x possibly padded).
struct ConvDescs {
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
  explicit ConvDescs(const ConvGeom& g) {
    set_nhwc(x, g.n, g.ph.padded, g.pw.padded, g.cin, g.op);
    set_nhwc(y, g.n, g.oh, g.ow, g.cout, g.op);
    KERAS_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC,
                                                 cudnn_dim(g.cout, g.op), cudnn_dim(g.cin_g, g.op),
                                                 cudnn_dim(g.kh, g.op), cudnn_dim(g.kw, g.op)));
    KERAS_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        conv.get(), g.ph.pad, g.pw.pad, g.d.stride_h, g.d.stride_w, g.d.dilation_h,
        g.d.dilation_w, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    KERAS_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv.get(), g.d.groups));
    KERAS_CUDNN_CHECK(cudnnSetConvolutionMathType(conv.get(), CUDNN_FMA_MATH));
    // cuDNN must see the output size the plan promises.
    int n = 0, c = 0, h = 0, w_ = 0;
    KERAS_CUDNN_CHECK(
        cudnnGetConvolution2dForwardOutputDim(conv.get(), x.get(), w.get(), &n, &c, &h, &w_));
    KERAS_CHECK(n == g.n && c == g.cout && h == g.oh && w_ == g.ow, RuntimeError, g.op,
                ": cuDNN computes an output of (", n, ", ", h, ", ", w_, ", ", c,
                ") where (", g.n, ", ", g.oh, ", ", g.ow, ", ", g.cout, ") is expected");
  }
};

ConvKey make_key(int pass, const ConvGeom& g) {
  ConvKey k;
  k.pass = pass;
  k.n = g.n, k.h = g.ph.padded, k.w = g.pw.padded, k.c = g.cin;
  k.k = g.cout, k.r = g.kh, k.s = g.kw;
  k.pad_h = g.ph.pad, k.pad_w = g.pw.pad;
  k.stride_h = g.d.stride_h, k.stride_w = g.d.stride_w;
  k.dil_h = g.d.dilation_h, k.dil_w = g.d.dilation_w;
  k.groups = g.d.groups;
  return k;
}

// The first usable result of a cuDNN heuristic query (they come best
// first): preferably one reported with FMA math, whose workspace query
// succeeds and stays within kMaxWorkspace. `fallback` (an algorithm that
// needs little or no workspace) when none qualifies. workspace_of(algo,
// &bytes) returns cuDNN's status.
template <class Perf, class WorkspaceOf>
ConvChoice pick_algo(const Perf* perf, int count, int fallback, WorkspaceOf&& workspace_of) {
  ConvChoice c;
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < count; ++i) {
      const Perf& p = perf[i];
      if (p.status != CUDNN_STATUS_SUCCESS || p.memory > kMaxWorkspace) continue;
      if (pass == 0 && p.mathType != CUDNN_FMA_MATH) continue;
      std::size_t bytes = 0;
      if (workspace_of(static_cast<int>(p.algo), &bytes) != CUDNN_STATUS_SUCCESS ||
          bytes > kMaxWorkspace)
        continue;
      c.algo = static_cast<int>(p.algo);
      c.workspace = bytes;
      return c;
    }
  c.algo = fallback;
  KERAS_CUDNN_CHECK(workspace_of(fallback, &c.workspace));
  return c;
}

// The float32 scratch copy of x with the explicit borders, or x itself.
const float* padded_input(CudaBackend& b, const ConvGeom& g, const float* x, Scratch& buf) {
  if (!g.padded()) return x;
  const std::int64_t total = g.padded_elems();
  const auto c = launch_config(total);
  shift_copy<<<c.grid, c.block, 0, b.stream()>>>(x, g.h, g.w, buf.as<float>(), g.ph.padded,
                                                  g.pw.padded, g.cin, -g.ph.extra_lo,
                                                  -g.pw.extra_lo, total);
  KERAS_CUDA_CHECK_LAUNCH();
  return buf.as<float>();
}

std::size_t padded_bytes(const ConvGeom& g) {
  return g.padded() ? static_cast<std::size_t>(g.padded_elems()) * sizeof(float) : 0;
}

// Keras kernel -> cuDNN filter in scratch.
void kernel_to_filter(CudaBackend& b, const ConvGeom& g, const float* w, float* f) {
  const auto c = launch_config(g.filter_rows() * g.cout);
  filter_to_cudnn<<<c.grid, c.block, 0, b.stream()>>>(w, f, g.filter_rows(), g.cout);
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace

bool CudaBackend::find_conv_choice(const ConvKey& key, ConvChoice& out) {
  std::lock_guard<std::mutex> lock(conv_mu_);
  const auto it = conv_algos_.find(key);
  if (it == conv_algos_.end()) return false;
  out = it->second;
  return true;
}

void CudaBackend::store_conv_choice(const ConvKey& key, const ConvChoice& choice) {
  std::lock_guard<std::mutex> lock(conv_mu_);
  conv_algos_[key] = choice;
}

void CudaBackend::conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dDesc& d,
                                 Tensor& y) {
  const ConvGeom g = make_geom("conv2d_forward", x.shape(), w.shape(), y.shape(), d);
  if (y.size() == 0) return;
  activate();
  if (w.size() == 0 || x.size() == 0) {  // no input channels: an empty sum
    KERAS_CUDA_CHECK(cudaMemsetAsync(y.data_ptr(), 0, y.nbytes(), stream_));
    return;
  }
  ConvDescs ds(g);
  const ConvKey key = make_key(0, g);
  ConvChoice ch;
  if (!find_conv_choice(key, ch)) {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    KERAS_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
        cudnn_, ds.x.get(), ds.w.get(), ds.conv.get(), ds.y.get(),
        CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf));
    ch = pick_algo(perf, count, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                   [&](int algo, std::size_t* bytes) {
                     return cudnnGetConvolutionForwardWorkspaceSize(
                         cudnn_, ds.x.get(), ds.w.get(), ds.conv.get(), ds.y.get(),
                         static_cast<cudnnConvolutionFwdAlgo_t>(algo), bytes);
                   });
    store_conv_choice(key, ch);
  }
  Scratch filt(*this, w.nbytes());
  kernel_to_filter(*this, g, ptr<const float>(w), filt.as<float>());
  Scratch pad(*this, padded_bytes(g));
  const float* xin = padded_input(*this, g, ptr<const float>(x), pad);
  Scratch ws(*this, ch.workspace);
  const float one = 1.0f, zero = 0.0f;
  KERAS_CUDNN_CHECK(cudnnConvolutionForward(
      cudnn_, &one, ds.x.get(), xin, ds.w.get(), filt.as<float>(), ds.conv.get(),
      static_cast<cudnnConvolutionFwdAlgo_t>(ch.algo), ws.as<void>(), ch.workspace, &zero,
      ds.y.get(), ptr<float>(y)));
}

void CudaBackend::conv2d_backward_data(const Tensor& dy, const Tensor& w, const Conv2dDesc& d,
                                       Tensor& dx) {
  const ConvGeom g = make_geom("conv2d_backward_data", dx.shape(), w.shape(), dy.shape(), d);
  if (dx.size() == 0) return;
  activate();
  if (dy.size() == 0 || w.size() == 0) {  // nothing flows back
    KERAS_CUDA_CHECK(cudaMemsetAsync(dx.data_ptr(), 0, dx.nbytes(), stream_));
    return;
  }
  ConvDescs ds(g);
  const ConvKey key = make_key(1, g);
  ConvChoice ch;
  if (!find_conv_choice(key, ch)) {
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    KERAS_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        cudnn_, ds.w.get(), ds.y.get(), ds.conv.get(), ds.x.get(),
        CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf));
    ch = pick_algo(perf, count, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1,
                   [&](int algo, std::size_t* bytes) {
                     return cudnnGetConvolutionBackwardDataWorkspaceSize(
                         cudnn_, ds.w.get(), ds.y.get(), ds.conv.get(), ds.x.get(),
                         static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), bytes);
                   });
    store_conv_choice(key, ch);
  }
  Scratch filt(*this, w.nbytes());
  kernel_to_filter(*this, g, ptr<const float>(w), filt.as<float>());
  // With explicit borders cuDNN writes the gradient of the padded input;
  // its interior is dx.
  Scratch pad(*this, padded_bytes(g));
  float* out = g.padded() ? pad.as<float>() : ptr<float>(dx);
  Scratch ws(*this, ch.workspace);
  const float one = 1.0f, zero = 0.0f;
  KERAS_CUDNN_CHECK(cudnnConvolutionBackwardData(
      cudnn_, &one, ds.w.get(), filt.as<float>(), ds.y.get(), ptr<const float>(dy),
      ds.conv.get(), static_cast<cudnnConvolutionBwdDataAlgo_t>(ch.algo), ws.as<void>(),
      ch.workspace, &zero, ds.x.get(), out));
  if (g.padded()) {
    const std::int64_t total = dx.size();
    const auto c = launch_config(total);
    shift_copy<<<c.grid, c.block, 0, stream_>>>(out, g.ph.padded, g.pw.padded, ptr<float>(dx),
                                                g.h, g.w, g.cin, g.ph.extra_lo, g.pw.extra_lo,
                                                total);
    KERAS_CUDA_CHECK_LAUNCH();
  }
}

void CudaBackend::conv2d_backward_filter(const Tensor& x, const Tensor& dy, const Conv2dDesc& d,
                                         Tensor& dw) {
  const ConvGeom g = make_geom("conv2d_backward_filter", x.shape(), dw.shape(), dy.shape(), d);
  if (dw.size() == 0) return;
  activate();
  if (dy.size() == 0 || x.size() == 0) {  // an empty batch: no gradient
    KERAS_CUDA_CHECK(cudaMemsetAsync(dw.data_ptr(), 0, dw.nbytes(), stream_));
    return;
  }
  ConvDescs ds(g);
  const ConvKey key = make_key(2, g);
  ConvChoice ch;
  if (!find_conv_choice(key, ch)) {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    KERAS_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        cudnn_, ds.x.get(), ds.y.get(), ds.conv.get(), ds.w.get(),
        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perf));
    ch = pick_algo(perf, count, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1,
                   [&](int algo, std::size_t* bytes) {
                     return cudnnGetConvolutionBackwardFilterWorkspaceSize(
                         cudnn_, ds.x.get(), ds.y.get(), ds.conv.get(), ds.w.get(),
                         static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), bytes);
                   });
    store_conv_choice(key, ch);
  }
  Scratch pad(*this, padded_bytes(g));
  const float* xin = padded_input(*this, g, ptr<const float>(x), pad);
  Scratch filt(*this, dw.nbytes());
  Scratch ws(*this, ch.workspace);
  const float one = 1.0f, zero = 0.0f;
  KERAS_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      cudnn_, &one, ds.x.get(), xin, ds.y.get(), ptr<const float>(dy), ds.conv.get(),
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(ch.algo), ws.as<void>(), ch.workspace, &zero,
      ds.w.get(), filt.as<float>()));
  const auto c = launch_config(dw.size());
  filter_to_keras<<<c.grid, c.block, 0, stream_>>>(filt.as<float>(), ptr<float>(dw),
                                                   g.filter_rows(), g.cout);
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace keras::backend::cuda
