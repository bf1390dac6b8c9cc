// 2-D max / average pooling (NHWC).
//
// cuDNN runs the forward passes and the average backward pass whenever its
// symmetric padding gives the Keras result (conv_plan.hpp's plan_axis with
// no explicit border): padded cells never win a max and, with
// AVERAGE_COUNT_EXCLUDE_PADDING, are not counted, as in Keras.
//
// Plain kernels (bodies in window_ops.hpp) cover the rest, reading the same
// clipped windows as the CPU backend in the same order:
//  - asymmetric padding that matters (every odd 'same' total), which cuDNN
//    cannot express: an explicit zero border would be counted by averages
//    and could win a max;
//  - the max backward pass always: the contract sends each window's
//    gradient to its FIRST maximal element, while cuDNN picks one of tied
//    maxima without saying which (ties are common after relu).
// Backward kernels gather (one thread per input element, summing over the
// windows that contain it), so there are no atomics and results are
// deterministic. Max backward first records each window's first maximal
// position, so the gather reads one int per covering window.
#include "backends/cuda/cuda_backend_impl.cuh"
#include "backends/cuda/cudnn_desc.cuh"
#include "backends/cuda/window_ops.hpp"

namespace keras::backend::cuda {
namespace {

__global__ void pool_forward_kernel(PoolGeom g, bool is_max, const float* x, float* y,
                                    std::int64_t total) {
  KERAS_CUDA_LOOP(i, total) y[i] = pool_forward_at(g, is_max, x, i);
}

__global__ void avg_pool_backward_kernel(PoolGeom g, const float* dy, float* dx,
                                         std::int64_t total) {
  KERAS_CUDA_LOOP(i, total) dx[i] = avg_pool_backward_at(g, dy, i);
}

__global__ void max_pool_argmax_kernel(PoolGeom g, const float* x, const float* y, int* arg,
                                       std::int64_t total) {
  KERAS_CUDA_LOOP(i, total) arg[i] = max_pool_argmax_at(g, x, y, i);
}

__global__ void max_pool_backward_kernel(PoolGeom g, const int* arg, const float* dy, float* dx,
                                         std::int64_t total) {
  KERAS_CUDA_LOOP(i, total) dx[i] = max_pool_backward_at(g, arg, dy, i);
}

PoolGeom make_geom(const Shape& xs, const Shape& ys, const Pool2dDesc& d) {
  KERAS_CHECK(xs.size() == 4 && ys.size() == 4 && xs[0] == ys[0] && xs[3] == ys[3], ValueError,
              "pool2d expects input (N, H, W, C) and output (N, OH, OW, C), received ",
              shape_str(xs), " and ", shape_str(ys));
  KERAS_CHECK(d.window_h >= 1 && d.window_w >= 1 && d.stride_h >= 1 && d.stride_w >= 1 &&
                  d.pad_top >= 0 && d.pad_left >= 0,
              ValueError, "pool2d expects windows and strides >= 1 and padding >= 0, received "
              "window ", d.window_h, "x", d.window_w, ", strides ", d.stride_h, ",", d.stride_w,
              ", padding ", d.pad_top, ",", d.pad_left);
  KERAS_CHECK(xs[1] * xs[2] <= INT_MAX, NotImplementedError, "pool2d: an image of ", xs[1], "x",
              xs[2], " exceeds the 32-bit index of the CUDA kernels");
  return PoolGeom{xs[0], xs[1], xs[2], xs[3], ys[1], ys[2],
                  d.window_h, d.window_w, d.stride_h, d.stride_w, d.pad_top, d.pad_left};
}

// cuDNN's descriptors for this pooling, or false where it cannot compute
// the Keras result (see the top of the file).
struct CudnnPool {
  TensorDesc x, y;
  PoolDesc pool;
  bool usable = false;
  CudnnPool(PoolMode mode, const PoolGeom& g, const Pool2dDesc& d) {
    const AxisPlan ph = plan_axis(g.h, d.pad_top, d.pad_bottom, d.window_h, d.stride_h, g.oh);
    const AxisPlan pw = plan_axis(g.w, d.pad_left, d.pad_right, d.window_w, d.stride_w, g.ow);
    if (ph.explicit_pad() || pw.explicit_pad() || ph.pad >= d.window_h || pw.pad >= d.window_w)
      return;
    const std::int64_t lim = INT_MAX;
    if (g.n * g.h * g.w * g.c > lim || g.n * g.oh * g.ow * g.c > lim) return;
    set_nhwc(x, g.n, g.h, g.w, g.c, "pool2d");
    set_nhwc(y, g.n, g.oh, g.ow, g.c, "pool2d");
    KERAS_CUDNN_CHECK(cudnnSetPooling2dDescriptor(
        pool.get(),
        mode == PoolMode::max ? CUDNN_POOLING_MAX : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING,
        CUDNN_NOT_PROPAGATE_NAN, d.window_h, d.window_w, ph.pad, pw.pad, d.stride_h,
        d.stride_w));
    int n = 0, c = 0, h = 0, w = 0;
    KERAS_CUDNN_CHECK(cudnnGetPooling2dForwardOutputDim(pool.get(), x.get(), &n, &c, &h, &w));
    usable = n == g.n && c == g.c && h == g.oh && w == g.ow;
  }
};

}  // namespace

void CudaBackend::pool2d_forward(PoolMode mode, const Tensor& x, const Pool2dDesc& d, Tensor& y) {
  const PoolGeom g = make_geom(x.shape(), y.shape(), d);
  const std::int64_t total = y.size();
  if (total == 0) return;
  activate();
  if (x.size() > 0) {
    CudnnPool cp(mode, g, d);
    if (cp.usable) {
      const float one = 1.0f, zero = 0.0f;
      KERAS_CUDNN_CHECK(cudnnPoolingForward(cudnn_, cp.pool.get(), &one, cp.x.get(),
                                            ptr<const float>(x), &zero, cp.y.get(),
                                            ptr<float>(y)));
      return;
    }
  }
  const auto c = launch_config(total);
  pool_forward_kernel<<<c.grid, c.block, 0, stream_>>>(g, mode == PoolMode::max,
                                                       ptr<const float>(x), ptr<float>(y), total);
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::pool2d_backward(PoolMode mode, const Tensor& x, const Tensor& y,
                                  const Tensor& dy, const Pool2dDesc& d, Tensor& dx) {
  const PoolGeom g = make_geom(x.shape(), y.shape(), d);
  const std::int64_t total = dx.size();
  if (total == 0) return;
  activate();
  if (y.size() == 0) {  // no windows: nothing flows back
    KERAS_CUDA_CHECK(cudaMemsetAsync(dx.data_ptr(), 0, dx.nbytes(), stream_));
    return;
  }
  const auto c = launch_config(total);
  if (mode == PoolMode::average) {
    CudnnPool cp(mode, g, d);
    if (cp.usable) {
      const float one = 1.0f, zero = 0.0f;
      KERAS_CUDNN_CHECK(cudnnPoolingBackward(cudnn_, cp.pool.get(), &one, cp.y.get(),
                                             ptr<const float>(y), cp.y.get(),
                                             ptr<const float>(dy), cp.x.get(),
                                             ptr<const float>(x), &zero, cp.x.get(),
                                             ptr<float>(dx)));
      return;
    }
    avg_pool_backward_kernel<<<c.grid, c.block, 0, stream_>>>(g, ptr<const float>(dy),
                                                              ptr<float>(dx), total);
    KERAS_CUDA_CHECK_LAUNCH();
    return;
  }
  const std::int64_t outs = y.size();
  Scratch arg(*this, static_cast<std::size_t>(outs) * sizeof(int));
  const auto co = launch_config(outs);
  max_pool_argmax_kernel<<<co.grid, co.block, 0, stream_>>>(g, ptr<const float>(x),
                                                            ptr<const float>(y), arg.as<int>(), outs);
  KERAS_CUDA_CHECK_LAUNCH();
  max_pool_backward_kernel<<<c.grid, c.block, 0, stream_>>>(g, arg.as<const int>(),
                                                            ptr<const float>(dy), ptr<float>(dx),
                                                            total);
  KERAS_CUDA_CHECK_LAUNCH();
}

}  // namespace keras::backend::cuda
