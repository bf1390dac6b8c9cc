// The Backend's default normalization kernels, composed from its generic
// methods (reduce, binary, unary) on (outer, channels, inner) views. They
// make every backend work; the CPU and GPU backends override them with
// fused kernels, and tests compare the two.
#include "keras/backend.hpp"

namespace keras::backend {
namespace {

Shape dims3(const NormDims& n) { return {n.outer, n.channels, n.inner}; }
Shape per_channel(const NormDims& n) { return {1, n.channels, 1}; }
Shape per_position(const NormDims& n) { return {n.outer, 1, n.inner}; }

// y = xc * inv [* gamma] [+ beta]; xc has dims3 shape, inv broadcasts to it.
void scale_shift(Backend& b, const Tensor& xc, const Tensor& inv, const Tensor* gamma, const Tensor* beta,
                 const NormDims& n, Tensor& y3) {
  b.binary(Binary::mul, xc, inv, y3);
  if (gamma) b.binary(Binary::mul, y3, gamma->reshape(per_channel(n)), y3);
  if (beta) b.binary(Binary::add, y3, beta->reshape(per_channel(n)), y3);
}

// out = 1 / sqrt(var + epsilon), elementwise (out may alias nothing else).
void inverse_std(Backend& b, const Tensor& var, float epsilon, Tensor& out) {
  b.binary(Binary::add, var, Tensor::scalar(epsilon, float32, b.device()), out);
  b.unary(Unary::rsqrt, out, out, 0.0f);
}

}  // namespace

void Backend::batch_norm_training(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                                  const NormDims& n, Tensor& y, Tensor& mean, Tensor& var, Tensor& inv_std) {
  const Tensor x3 = x.reshape(dims3(n));
  Tensor m3 = mean.reshape(per_channel(n)), v3 = var.reshape(per_channel(n));
  reduce(Reduce::mean, x3, {0, 2}, m3);
  Tensor xc = Tensor::empty(dims3(n), float32, device());
  binary(Binary::sub, x3, m3, xc);
  Tensor sq = Tensor::empty(dims3(n), float32, device());
  unary(Unary::square, xc, sq, 0.0f);
  reduce(Reduce::mean, sq, {0, 2}, v3);
  inverse_std(*this, var, epsilon, inv_std);
  Tensor y3 = y.reshape(dims3(n));
  scale_shift(*this, xc, inv_std.reshape(per_channel(n)), gamma, beta, n, y3);
}

void Backend::batch_norm_inference(const Tensor& x, const Tensor* gamma, const Tensor* beta, const Tensor& mean,
                                   const Tensor& var, float epsilon, const NormDims& n, Tensor& y) {
  Tensor inv = Tensor::empty({n.channels}, float32, device());
  inverse_std(*this, var, epsilon, inv);
  Tensor xc = Tensor::empty(dims3(n), float32, device());
  binary(Binary::sub, x.reshape(dims3(n)), mean.reshape(per_channel(n)), xc);
  Tensor y3 = y.reshape(dims3(n));
  scale_shift(*this, xc, inv.reshape(per_channel(n)), gamma, beta, n, y3);
}

void Backend::batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                                  const Tensor& inv_std, const NormDims& n, bool batch_stats, Tensor* dx,
                                  Tensor* dgamma, Tensor* dbeta) {
  const Shape s3 = dims3(n), pc = per_channel(n);
  const Tensor dy3 = dy.reshape(s3), inv3 = inv_std.reshape(pc);
  const double m = static_cast<double>(n.outer) * static_cast<double>(n.inner);
  Tensor xhat = Tensor::empty(s3, float32, device());
  binary(Binary::sub, x.reshape(s3), mean.reshape(pc), xhat);
  binary(Binary::mul, xhat, inv3, xhat);
  Tensor sdy = Tensor::empty(pc, float32, device()), sdx = Tensor::empty(pc, float32, device());
  Tensor t = Tensor::empty(s3, float32, device());
  if (dbeta || (dx && batch_stats)) reduce(Reduce::sum, dy3, {0, 2}, sdy);
  if (dgamma || (dx && batch_stats)) {
    binary(Binary::mul, dy3, xhat, t);
    reduce(Reduce::sum, t, {0, 2}, sdx);
  }
  if (dbeta) copy(dbeta->data_ptr(), sdy.data_ptr(), sdy.nbytes());
  if (dgamma) copy(dgamma->data_ptr(), sdx.data_ptr(), sdx.nbytes());
  if (!dx) return;
  Tensor a = Tensor::empty(pc, float32, device());  // gamma * inv_std
  if (gamma) binary(Binary::mul, inv3, gamma->reshape(pc), a);
  else copy(a.data_ptr(), inv_std.data_ptr(), inv_std.nbytes());
  Tensor dx3 = dx->reshape(s3);
  if (!batch_stats) {
    binary(Binary::mul, dy3, a, dx3);
    return;
  }
  const Tensor inv_m = Tensor::scalar(1.0 / m, float32, device());
  binary(Binary::mul, sdy, inv_m, sdy);
  binary(Binary::mul, sdx, inv_m, sdx);
  binary(Binary::mul, xhat, sdx, t);
  binary(Binary::sub, dy3, sdy, dx3);
  binary(Binary::sub, dx3, t, dx3);
  binary(Binary::mul, dx3, a, dx3);
}

void Backend::layer_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, float epsilon,
                                 const NormDims& n, Tensor& y, Tensor& mean, Tensor& inv_std) {
  const Shape s3 = dims3(n), pp = per_position(n);
  const Tensor x3 = x.reshape(s3);
  Tensor m3 = mean.reshape(pp), inv3 = inv_std.reshape(pp);
  reduce(Reduce::mean, x3, {1}, m3);
  Tensor xc = Tensor::empty(s3, float32, device());
  binary(Binary::sub, x3, m3, xc);
  Tensor sq = Tensor::empty(s3, float32, device());
  unary(Unary::square, xc, sq, 0.0f);
  Tensor var = Tensor::empty(pp, float32, device());
  reduce(Reduce::mean, sq, {1}, var);
  inverse_std(*this, var, epsilon, inv3);
  Tensor y3 = y.reshape(s3);
  scale_shift(*this, xc, inv3, gamma, beta, n, y3);
}

void Backend::layer_norm_backward(const Tensor& x, const Tensor& dy, const Tensor* gamma, const Tensor& mean,
                                  const Tensor& inv_std, const NormDims& n, Tensor* dx, Tensor* dgamma,
                                  Tensor* dbeta) {
  const Shape s3 = dims3(n), pp = per_position(n), pc = per_channel(n);
  const Tensor dy3 = dy.reshape(s3), inv3 = inv_std.reshape(pp);
  Tensor xhat = Tensor::empty(s3, float32, device());
  binary(Binary::sub, x.reshape(s3), mean.reshape(pp), xhat);
  binary(Binary::mul, xhat, inv3, xhat);
  Tensor t = Tensor::empty(s3, float32, device());
  if (dbeta) {
    Tensor db = dbeta->reshape(pc);
    reduce(Reduce::sum, dy3, {0, 2}, db);
  }
  if (dgamma) {
    binary(Binary::mul, dy3, xhat, t);
    Tensor dg = dgamma->reshape(pc);
    reduce(Reduce::sum, t, {0, 2}, dg);
  }
  if (!dx) return;
  Tensor g = Tensor::empty(s3, float32, device());
  if (gamma) binary(Binary::mul, dy3, gamma->reshape(pc), g);
  else copy(g.data_ptr(), dy.data_ptr(), dy.nbytes());
  Tensor mg = Tensor::empty(pp, float32, device()), mgx = Tensor::empty(pp, float32, device());
  reduce(Reduce::mean, g, {1}, mg);
  binary(Binary::mul, g, xhat, t);
  reduce(Reduce::mean, t, {1}, mgx);
  binary(Binary::mul, xhat, mgx, t);
  Tensor dx3 = dx->reshape(s3);
  binary(Binary::sub, g, mg, dx3);
  binary(Binary::sub, dx3, t, dx3);
  binary(Binary::mul, dx3, inv3, dx3);
}

}  // namespace keras::backend
