// The CPU Backend: a thin table that forwards to the kernel files
// (allocator, elementwise_*, reduce, layout, matmul, nn, random, optimizer).
#include <cstring>
#include <memory>

#include "backends/cpu/kernels.hpp"

namespace keras::backend {
namespace {

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  Device device() const override { return Device::cpu(); }

  void* allocate(std::size_t nbytes) override { return cpu::cached_alloc(nbytes); }
  void deallocate(void* p, std::size_t nbytes) override { cpu::cached_free(p, nbytes); }
  void copy_from_host(void* dst, const void* src, std::size_t n) override { copy(dst, src, n); }
  void copy_to_host(void* dst, const void* src, std::size_t n) override { copy(dst, src, n); }
  void copy(void* dst, const void* src, std::size_t n) override {
    if (n && dst != src) std::memmove(dst, src, n);
  }

  void fill(Tensor& out, double value) override { cpu::fill(out, value); }
  void cast(const Tensor& x, Tensor& out) override { cpu::cast(x, out); }
  void arange(Tensor& out, double start, double step) override { cpu::arange(out, start, step); }

  void unary(Unary op, const Tensor& x, Tensor& out, float alpha) override {
    cpu::unary(op, x, out, alpha);
  }
  void unary_backward(Unary op, const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx,
                      float alpha) override {
    cpu::unary_backward(op, x, y, dy, dx, alpha);
  }
  void bias_activation(const Tensor& x, const Tensor& bias, Unary act, float alpha,
                       Tensor& out) override {
    cpu::bias_activation(x, bias, act, alpha, out);
  }
  void bias_activation_backward(Unary act, const Tensor& y, const Tensor& dy, float alpha,
                                Tensor& dx, Tensor& dbias) override {
    cpu::bias_activation_backward(act, y, dy, alpha, dx, dbias);
  }
  void binary(Binary op, const Tensor& a, const Tensor& b, Tensor& out) override {
    cpu::binary(op, a, b, out);
  }
  void where(const Tensor& c, const Tensor& a, const Tensor& b, Tensor& out) override {
    cpu::where(c, a, b, out);
  }
  void clip(const Tensor& x, float lo, float hi, Tensor& out) override { cpu::clip(x, lo, hi, out); }

  void reduce(Reduce op, const Tensor& x, const std::vector<int>& axes, Tensor& out) override {
    cpu::reduce(op, x, axes, out);
  }
  void argmax(const Tensor& x, int axis, Tensor& out, bool min) override {
    cpu::argmax(x, axis, out, min);
  }

  void transpose(const Tensor& x, const std::vector<int>& perm, Tensor& out) override {
    cpu::transpose(x, perm, out);
  }
  void concat(const std::vector<Tensor>& xs, int axis, Tensor& out) override {
    cpu::concat(xs, axis, out);
  }
  void slice(const Tensor& x, int axis, std::int64_t start, Tensor& out) override {
    cpu::slice(x, axis, start, out);
  }
  void slice_backward(const Tensor& dy, int axis, std::int64_t start, Tensor& dx) override {
    cpu::slice_backward(dy, axis, start, dx);
  }
  void take(const Tensor& x, const Tensor& idx, int axis, Tensor& out) override {
    cpu::take(x, idx, axis, out);
  }
  void take_backward(const Tensor& dy, const Tensor& idx, int axis, Tensor& dx) override {
    cpu::take_backward(dy, idx, axis, dx);
  }
  void one_hot(const Tensor& idx, std::int64_t depth, Tensor& out) override {
    cpu::one_hot(idx, depth, out);
  }

  void matmul(const Tensor& a, const Tensor& b, bool ta, bool tb, Tensor& out, float alpha,
              float beta) override {
    cpu::matmul(a, b, ta, tb, out, alpha, beta);
  }

  void softmax(const Tensor& x, int axis, Tensor& out, bool log) override {
    cpu::softmax(x, axis, out, log);
  }
  void softmax_backward(const Tensor& y, const Tensor& dy, int axis, Tensor& dx,
                        bool log) override {
    cpu::softmax_backward(y, dy, axis, dx, log);
  }
  void sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels, float smoothing,
                                    Tensor& loss, Tensor* grad) override {
    cpu::sparse_softmax_cross_entropy(logits, labels, smoothing, loss, grad);
  }

  void conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Tensor& y) override {
    cpu::conv2d_forward(x, w, d, y);
  }
  void conv2d_backward_data(const Tensor& dy, const Tensor& w, const Conv2dDesc& d, Tensor& dx) override {
    cpu::conv2d_backward_data(dy, w, d, dx);
  }
  void conv2d_backward_filter(const Tensor& x, const Tensor& dy, const Conv2dDesc& d, Tensor& dw) override {
    cpu::conv2d_backward_filter(x, dy, d, dw);
  }
  void conv2d_bias_activation(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dDesc& d,
                              Unary act, float alpha, Tensor& y) override {
    cpu::conv2d_bias_activation(x, w, bias, d, act, alpha, y);
  }
  void conv2d_bias_activation_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Unary act,
                                       float alpha, const Tensor& y, const Tensor& dy, Tensor* dx, Tensor* dw,
                                       Tensor& dbias) override {
    cpu::conv2d_bias_activation_backward(x, w, d, act, alpha, y, dy, dx, dw, dbias);
  }
  bool supports(Op op, std::initializer_list<DType> dtypes, const ConvPoolShapes* s) const override {
    if (op == Op::conv2d_bias_activation_max_pool)
      return s && Backend::supports(Op::conv2d, dtypes) && cpu::conv2d_fuses_max_pool(s->x, s->w, s->conv, s->pool);
    return Backend::supports(op, dtypes);
  }
  void conv2d_bias_activation_max_pool(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dDesc& d,
                                       Unary act, float alpha, const Pool2dDesc& pool, Tensor& p,
                                       Tensor& argmax) override {
    cpu::conv2d_bias_activation_max_pool(x, w, bias, d, act, alpha, pool, p, argmax);
  }
  void conv2d_bias_activation_max_pool_backward(const Tensor& x, const Tensor& w, const Conv2dDesc& d, Unary act,
                                                float alpha, const Pool2dDesc& pool, const Tensor& p,
                                                const Tensor& argmax, const Tensor& dp, Tensor* dx, Tensor* dw,
                                                Tensor& dbias) override {
    cpu::conv2d_bias_activation_max_pool_backward(x, w, d, act, alpha, pool, p, argmax, dp, dx, dw, dbias);
  }
  void pool2d_forward(PoolMode mode, const Tensor& x, const Pool2dDesc& d, Tensor& y) override {
    cpu::pool2d_forward(mode, x, d, y);
  }
  void pool2d_backward(PoolMode mode, const Tensor& x, const Tensor& y, const Tensor& dy, const Pool2dDesc& d,
                       Tensor& dx) override {
    cpu::pool2d_backward(mode, x, y, dy, d, dx);
  }

  void batch_norm_training(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                           const NormDims& n, Tensor& y, Tensor& mean, Tensor& var, Tensor& inv_std) override {
    cpu::batch_norm_training(x, gamma, beta, epsilon, n, y, mean, var, inv_std);
  }
  void batch_norm_inference(const Tensor& x, const Tensor* gamma, const Tensor* beta, const Tensor& mean,
                            const Tensor& var, float epsilon, const NormDims& n, Tensor& y) override {
    cpu::batch_norm_inference(x, gamma, beta, mean, var, epsilon, n, y);
  }
  void batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                           const Tensor& inv_std, const NormDims& n, bool batch_stats, Tensor* dx, Tensor* dgamma,
                           Tensor* dbeta) override {
    cpu::batch_norm_backward(x, dy, gamma, mean, inv_std, n, batch_stats, dx, dgamma, dbeta);
  }
  void layer_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                          const NormDims& n, Tensor& y, Tensor& mean, Tensor& inv_std) override {
    cpu::layer_norm_forward(x, gamma, beta, epsilon, n, y, mean, inv_std);
  }
  void layer_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                           const Tensor& inv_std, const NormDims& n, Tensor* dx, Tensor* dgamma,
                           Tensor* dbeta) override {
    cpu::layer_norm_backward(x, dy, gamma, mean, inv_std, n, dx, dgamma, dbeta);
  }

  void random_uniform(Tensor& out, float low, float high, std::uint64_t seed) override {
    cpu::random_uniform(out, low, high, seed);
  }
  void random_normal(Tensor& out, float mean, float stddev, std::uint64_t seed) override {
    cpu::random_normal(out, mean, stddev, seed);
  }
  void random_truncated_normal(Tensor& out, float mean, float stddev,
                               std::uint64_t seed) override {
    cpu::random_truncated_normal(out, mean, stddev, seed);
  }
  void random_permutation(Tensor& out, std::uint64_t seed) override {
    cpu::random_permutation(out, seed);
  }

  void sgd_update(Tensor& var, const Tensor& grad, Tensor* velocity, float lr, float momentum,
                  bool nesterov) override {
    cpu::sgd_update(var, grad, velocity, lr, momentum, nesterov);
  }
  void adam_update(Tensor& var, const Tensor& grad, Tensor& m, Tensor& v, Tensor* vhat,
                   const AdamStep& step) override {
    cpu::adam_update(var, grad, m, v, vhat, step);
  }
  void sum_squares(const Tensor& x, Tensor& out) override { cpu::sum_squares(x, out); }
};

int cpu_device_count() { return 1; }
std::unique_ptr<Backend> make_cpu_backend(int) { return std::make_unique<CpuBackend>(); }
const BackendRegistrar kRegisterCpu{{Device::Type::cpu, &cpu_device_count, &make_cpu_backend}};

}  // namespace

}  // namespace keras::backend
