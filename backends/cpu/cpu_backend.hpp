// Internal to the CPU backend: the CpuBackend class. Each method is defined
// once, in the kernel file of its op family (allocator.cpp, elementwise_*.cpp,
// bias_activation.cpp, reduce.cpp, layout.cpp, matmul.cpp, nn.cpp, conv*.cpp,
// winograd.cpp, pool.cpp, normalization.cpp, random.cpp, optimizer.cpp);
// name, device, copies and supports are in cpu_backend.cpp, with the
// registration. Arguments arrive already validated by keras::ops.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "keras/backend.hpp"
#include "keras/tensor.hpp"

namespace keras::backend::cpu {

class CpuBackend final : public Backend {
 public:
  std::string name() const override;
  Device device() const override;
  void* allocate(std::size_t nbytes) override;
  void deallocate(void* p, std::size_t nbytes) override;
  void copy_from_host(void* dst, const void* src, std::size_t n) override;
  void copy_to_host(void* dst, const void* src, std::size_t n) override;
  void copy(void* dst, const void* src, std::size_t n) override;
  void fill(Tensor& out, double value) override;
  void cast(const Tensor& x, Tensor& out) override;
  void arange(Tensor& out, double start, double step) override;
  void unary(Unary op, const Tensor& x, Tensor& out, float alpha) override;
  void unary_backward(Unary op, const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx,
                      float alpha) override;
  void bias_activation(const Tensor& x, const Tensor& bias, Unary act, float alpha,
                       Tensor& out) override;
  void bias_activation_backward(Unary act, const Tensor& y, const Tensor& dy, float alpha,
                                Tensor& dx, Tensor& dbias) override;
  void binary(Binary op, const Tensor& a, const Tensor& b, Tensor& out) override;
  void where(const Tensor& c, const Tensor& a, const Tensor& b, Tensor& out) override;
  void clip(const Tensor& x, float lo, float hi, Tensor& out) override;
  void reduce(Reduce op, const Tensor& x, const std::vector<int>& axes, Tensor& out) override;
  void argmax(const Tensor& x, int axis, Tensor& out, bool min) override;
  void transpose(const Tensor& x, const std::vector<int>& perm, Tensor& out) override;
  void concat(const std::vector<Tensor>& xs, int axis, Tensor& out) override;
  void slice(const Tensor& x, int axis, std::int64_t start, Tensor& out) override;
  void slice_backward(const Tensor& dy, int axis, std::int64_t start, Tensor& dx) override;
  void take(const Tensor& x, const Tensor& idx, int axis, Tensor& out) override;
  void take_backward(const Tensor& dy, const Tensor& idx, int axis, Tensor& dx) override;
  void one_hot(const Tensor& idx, std::int64_t depth, Tensor& out) override;
  void matmul(const Tensor& a, const Tensor& b, bool ta, bool tb, Tensor& out, float alpha,
              float beta) override;
  void softmax(const Tensor& x, int axis, Tensor& out, bool log) override;
  void softmax_backward(const Tensor& y, const Tensor& dy, int axis, Tensor& dx,
                        bool log) override;
  void sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels, float smoothing,
                                    Tensor& loss, Tensor* grad) override;
  void conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Tensor& y) override;
  void conv2d_backward_data(const Tensor& dy, const Tensor& w, const Conv2dDesc& d, Tensor& dx) override;
  void conv2d_backward_filter(const Tensor& x, const Tensor& dy, const Conv2dDesc& d, Tensor& dw) override;
  void conv2d_bias_activation(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dDesc& d,
                              Unary act, float alpha, Tensor& y) override;
  void conv2d_bias_activation_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Unary act,
                                       float alpha, const Tensor& y, const Tensor& dy, Tensor* dx, Tensor* dw,
                                       Tensor& dbias) override;
  bool supports(Op op, std::initializer_list<DType> dtypes, const ConvPoolShapes* s) const override;
  void conv2d_bias_activation_max_pool(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dDesc& d,
                                       Unary act, float alpha, const Pool2dDesc& pool, Tensor& p,
                                       Tensor& argmax) override;
  void conv2d_bias_activation_max_pool_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Unary act,
                                                float alpha, const Pool2dDesc& pool, const Tensor& p,
                                                const Tensor& argmax, const Tensor& dp, Tensor* dx, Tensor* dw,
                                                Tensor& dbias) override;
  void pool2d_forward(PoolMode mode, const Tensor& x, const Pool2dDesc& d, Tensor& y) override;
  void pool2d_backward(PoolMode mode, const Tensor& x, const Tensor& y, const Tensor& dy, const Pool2dDesc& d,
                       Tensor& dx) override;
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
  void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* keep,
                         const AttentionDesc& d, Tensor& out, Tensor& lse) override;
  void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* keep,
                          const AttentionDesc& d, const Tensor& out, const Tensor& lse, const Tensor& dout,
                          Tensor& dq, Tensor& dk, Tensor& dv) override;
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
};

}  // namespace keras::backend::cpu
