// Owning wrappers of cuDNN descriptors, shared by conv.cu and pool.cu.
// Descriptors are host-side structs that cost microseconds to create, so
// each call makes its own: no shared mutable state between threads.
#pragma once
#include <climits>
#include <cstdint>

#include "backends/cuda/common.cuh"

namespace keras::backend::cuda {

// A dimension for cuDNN's int-typed API; NotImplementedError past INT_MAX.
inline int cudnn_dim(std::int64_t v, const char* op) {
  KERAS_CHECK(v >= 0 && v <= INT_MAX, NotImplementedError, op, ": size ", v,
              " exceeds the 32-bit limit of cuDNN");
  return static_cast<int>(v);
}

template <class T, cudnnStatus_t (*Create)(T*), cudnnStatus_t (*Destroy)(T)>
class CudnnDesc {
 public:
  CudnnDesc() { KERAS_CUDNN_CHECK(Create(&d_)); }
  ~CudnnDesc() { (void)Destroy(d_); }
  CudnnDesc(const CudnnDesc&) = delete;
  CudnnDesc& operator=(const CudnnDesc&) = delete;
  T get() const { return d_; }

 private:
  T d_ = nullptr;
};

using TensorDesc =
    CudnnDesc<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDesc =
    CudnnDesc<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvDesc = CudnnDesc<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                           cudnnDestroyConvolutionDescriptor>;
using PoolDesc =
    CudnnDesc<cudnnPoolingDescriptor_t, cudnnCreatePoolingDescriptor, cudnnDestroyPoolingDescriptor>;

// A float32 NHWC tensor descriptor (cuDNN takes the sizes in N, C, H, W order).
inline void set_nhwc(const TensorDesc& t, std::int64_t n, std::int64_t h, std::int64_t w,
                     std::int64_t c, const char* op) {
  // cuDNN's strides are ints too: the whole tensor must fit.
  cudnn_dim(n * h * w * c, op);
  KERAS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(t.get(), CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT,
                                               cudnn_dim(n, op), cudnn_dim(c, op),
                                               cudnn_dim(h, op), cudnn_dim(w, op)));
}

}  // namespace keras::backend::cuda
