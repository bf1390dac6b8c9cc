// The CUDA backend class. Its methods are defined across the .cu files of
// this directory, one op family per file.
#pragma once
#include <mutex>
#include <unordered_map>
#include <vector>

#include "backends/cuda/common.cuh"
#include "backends/cuda/conv_plan.hpp"
#include "keras/backend.hpp"

namespace keras::backend::cuda {

// A pool of cudaMalloc blocks keyed by rounded size. Freed blocks are kept
// for reuse (training loops allocate the same sizes every step); reuse is
// safe without events because all work runs on the backend's one stream.
class CachingAllocator {
 public:
  void* allocate(std::size_t nbytes);
  void deallocate(void* ptr, std::size_t nbytes);
  // cudaFree's every cached block (after an out-of-memory, and at the end).
  void release_cached();
  ~CachingAllocator();

 private:
  static std::size_t round_up(std::size_t nbytes);
  std::mutex mu_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device_index);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override { return "cuda"; }
  Device device() const override { return Device::cuda(index_); }

  void* allocate(std::size_t nbytes) override;
  void deallocate(void* ptr, std::size_t nbytes) override;
  void copy_from_host(void* dst, const void* host_src, std::size_t nbytes) override;
  void copy_to_host(void* host_dst, const void* src, std::size_t nbytes) override;
  void copy(void* dst, const void* src, std::size_t nbytes) override;
  void synchronize() override;

  void fill(Tensor& out, double value) override;
  void cast(const Tensor& x, Tensor& out) override;
  void arange(Tensor& out, double start, double step) override;

  void unary(Unary op, const Tensor& x, Tensor& out, float alpha) override;
  void unary_backward(Unary op, const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx,
                      float alpha) override;
  void binary(Binary op, const Tensor& a, const Tensor& b, Tensor& out) override;
  void where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) override;
  void clip(const Tensor& x, float lo, float hi, Tensor& out) override;

  void reduce(Reduce op, const Tensor& x, const std::vector<int>& axes, Tensor& out) override;
  void argmax(const Tensor& x, int axis, Tensor& out, bool min) override;

  void transpose(const Tensor& x, const std::vector<int>& perm, Tensor& out) override;
  void concat(const std::vector<Tensor>& xs, int axis, Tensor& out) override;
  void slice(const Tensor& x, int axis, std::int64_t start, Tensor& out) override;
  void slice_backward(const Tensor& dy, int axis, std::int64_t start, Tensor& dx) override;

  void take(const Tensor& x, const Tensor& indices, int axis, Tensor& out) override;
  void take_backward(const Tensor& dy, const Tensor& indices, int axis, Tensor& dx) override;
  void one_hot(const Tensor& indices, std::int64_t depth, Tensor& out) override;

  void matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, Tensor& out,
              float alpha, float beta) override;

  void softmax(const Tensor& x, int axis, Tensor& out, bool log) override;
  void softmax_backward(const Tensor& y, const Tensor& dy, int axis, Tensor& dx,
                        bool log) override;
  void sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels,
                                    float label_smoothing, Tensor& loss, Tensor* grad) override;

  void random_uniform(Tensor& out, float low, float high, std::uint64_t seed) override;
  void random_normal(Tensor& out, float mean, float stddev, std::uint64_t seed) override;
  void random_truncated_normal(Tensor& out, float mean, float stddev,
                               std::uint64_t seed) override;
  void random_permutation(Tensor& out, std::uint64_t seed) override;

  void sgd_update(Tensor& var, const Tensor& grad, Tensor* velocity, float lr, float momentum,
                  bool nesterov) override;
  void adam_update(Tensor& var, const Tensor& grad, Tensor& m, Tensor& v, Tensor* vhat,
                   const AdamStep& step) override;
  void fused_update(Tensor& var, const Tensor& grad, Tensor* slot0, Tensor* slot1, Tensor* slot2,
                    const UpdateStep& step) override;
  void sum_squares(const Tensor& x, Tensor& out) override;

  // conv.cu (cuDNN) and pool.cu.
  void conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Tensor& y) override;
  void conv2d_backward_data(const Tensor& dy, const Tensor& w, const Conv2dDesc& d,
                            Tensor& dx) override;
  void conv2d_backward_filter(const Tensor& x, const Tensor& dy, const Conv2dDesc& d,
                              Tensor& dw) override;
  void pool2d_forward(PoolMode mode, const Tensor& x, const Pool2dDesc& d, Tensor& y) override;
  void pool2d_backward(PoolMode mode, const Tensor& x, const Tensor& y, const Tensor& dy,
                       const Pool2dDesc& d, Tensor& dx) override;

  // normalization.cu (cuDNN batch normalization, layer-norm kernels).
  void batch_norm_training(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                           const NormDims& n, Tensor& y, Tensor& mean, Tensor& var, Tensor& inv_std) override;
  void batch_norm_inference(const Tensor& x, const Tensor* gamma, const Tensor* beta, const Tensor& mean,
                            const Tensor& var, float epsilon, const NormDims& n, Tensor& y) override;
  void batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                           const Tensor& inv_std, const NormDims& n, bool batch_stats, Tensor* dx, Tensor* dgamma,
                           Tensor* dbeta) override;
  void layer_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                          const NormDims& n, Tensor& y, Tensor& mean, Tensor& inv_std) override;
  void layer_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                           const Tensor& inv_std, const NormDims& n, Tensor* dx, Tensor* dgamma,
                           Tensor* dbeta) override;

  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  cudnnHandle_t cudnn() const { return cudnn_; }
  // Makes this backend's GPU current for the calling thread.
  void activate() const;

 private:
  int index_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  CachingAllocator alloc_;
  // A (c,) float32 tensor filled with value (cuDNN's stand-in for an absent
  // scale or offset).
  Tensor norm_constant(std::int64_t c, float value);
  bool find_conv_choice(const ConvKey& key, ConvChoice& out);
  void store_conv_choice(const ConvKey& key, const ConvChoice& choice);
  // cuDNN's algorithm for each convolution shape seen (conv.cu): asking its
  // heuristics costs more than a small kernel, and shapes repeat every step.
  std::mutex conv_mu_;
  std::unordered_map<ConvKey, ConvChoice, ConvKeyHash> conv_algos_;
};

// Temporary device memory from the backend's pool, returned on scope exit.
// Stream ordering makes the early return safe.
class Scratch {
 public:
  Scratch(CudaBackend& b, std::size_t nbytes) : b_(b), n_(nbytes), p_(b.allocate(nbytes)) {}
  ~Scratch() { b_.deallocate(p_, n_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T>
  T* as() const { return static_cast<T*>(p_); }

 private:
  CudaBackend& b_;
  std::size_t n_;
  void* p_;
};

}  // namespace keras::backend::cuda
