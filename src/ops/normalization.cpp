// Fused batch and layer normalization: one backend call forward and one
// autograd node whose backward pass is one backend call (plus, for the
// inference form's mean and variance, a few per-channel ops).
#include "ops/common.hpp"
#include "profiler/scope.hpp"

namespace keras::ops {
using namespace detail;

namespace {

// (outer, C, inner) around axis `a` of x.
backend::NormDims norm_dims(const Shape& s, int a) {
  backend::NormDims n;
  n.channels = s[a];
  for (int i = 0; i < a; ++i) n.outer *= s[i];
  for (std::size_t i = a + 1; i < s.size(); ++i) n.inner *= s[i];
  return n;
}

// x float32 of rank >= 1; returns the normalized axis.
int check_x(const char* op, const Tensor& x, int axis) {
  need_defined(op, x);
  need_float(op, x);
  KERAS_CHECK(x.ndim() >= 1, ValueError, op, ": expected an input of rank >= 1, received shape ",
              shape_str(x.shape()));
  return norm_axis(op, axis, x.ndim());
}

// An optional (C,) float32 parameter on x's device; `what` names it.
void check_param(const char* op, const char* what, const Tensor& p, const Tensor& x, int axis, bool optional) {
  KERAS_PROFILE_OP(op);
  if (optional && !p.defined()) return;
  KERAS_CHECK(p.defined(), ValueError, op, ": received an undefined ", what);
  same_device(op, x, p);
  KERAS_CHECK(p.dtype() == float32, TypeError, op, ": expected a float32 ", what, ", received ",
              dtype_name(p.dtype()));
  KERAS_CHECK(p.ndim() == 1 && p.shape()[0] == x.shape()[axis], ValueError, op, ": expected ", what,
              " of shape (", x.shape()[axis], ",) to match axis ", axis, " of x ", shape_str(x.shape()),
              ", received shape ", shape_str(p.shape()));
}

void check_epsilon(const char* op, double epsilon) {
  KERAS_PROFILE_OP(op);
  KERAS_CHECK(epsilon > 0, ValueError, op, ": expected a positive epsilon, received ", epsilon);
}

const Tensor* opt(const Tensor& t) { return t.defined() ? &t : nullptr; }
bool wants(const Tensor& t) { return t.defined() && t.requires_grad() && autograd::is_enabled(); }
Tensor empty_like(const Tensor& t) { return empty(t.shape(), float32, t.device()); }

}  // namespace

Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance, int axis,
                           const Tensor& offset, const Tensor& scale, double epsilon) {
  KERAS_PROFILE_OP("batch_normalization");
  const char* op = "batch_normalization";
  const int a = check_x(op, x, axis);
  check_param(op, "mean", mean, x, a, false);
  check_param(op, "variance", variance, x, a, false);
  check_param(op, "offset", offset, x, a, true);
  check_param(op, "scale", scale, x, a, true);
  check_epsilon(op, epsilon);
  const backend::NormDims n = norm_dims(x.shape(), a);
  const float eps = static_cast<float>(epsilon);
  Tensor y = empty_like(x);
  be(x).batch_norm_inference(x, opt(scale), opt(offset), mean, variance, eps, n, y);
  const bool need_x = wants(x), need_mean = wants(mean), need_var = wants(variance), need_offset = wants(offset),
             need_scale = wants(scale);
  Tensor xd = x.detach(), md = mean.detach(), vd = variance.detach(),
         sd = scale.defined() ? scale.detach() : Tensor();
  return autograd::record(
      op, y, {x, mean, variance, offset, scale},
      [=](const Tensor& g) {
        backend::Backend& b = be(g);
        const Shape c{n.channels};
        Tensor inv = empty(c, float32, g.device());  // 1 / sqrt(variance + epsilon)
        b.binary(backend::Binary::add, vd, Tensor::scalar(eps, float32, g.device()), inv);
        b.unary(backend::Unary::rsqrt, inv, inv, 0.0f);
        Tensor dx, dmean, dvar, doffset, dscale;
        Tensor sum_g = empty(c, float32, g.device()), sum_gx = empty(c, float32, g.device());
        if (need_x) dx = empty_like(g);
        // sum_g = sum(g), sum_gx = sum(g * xhat) per channel: the offset and
        // scale gradients, and (times -scale inv_std, and -scale inv_std / 2
        // / (variance + eps)) the mean and variance gradients.
        const bool sums = need_mean || need_var || need_offset || need_scale;
        b.batch_norm_backward(xd, g, opt(sd), md, inv, n, false, need_x ? &dx : nullptr,
                              sums ? &sum_gx : nullptr, sums ? &sum_g : nullptr);
        if (need_offset) doffset = sum_g;
        if (need_scale) dscale = sum_gx;
        if (need_mean || need_var) {
          Tensor k = empty(c, float32, g.device());  // -scale * inv_std
          if (sd.defined()) b.binary(backend::Binary::mul, sd, inv, k);
          else b.copy(k.data_ptr(), inv.data_ptr(), inv.nbytes());
          b.unary(backend::Unary::neg, k, k, 0.0f);
          if (need_mean) {
            dmean = empty(c, float32, g.device());
            b.binary(backend::Binary::mul, k, sum_g, dmean);
          }
          if (need_var) {  // d/dvar of (x - m) inv = -xhat inv^2 / 2
            dvar = empty(c, float32, g.device());
            b.binary(backend::Binary::mul, k, sum_gx, dvar);
            b.binary(backend::Binary::mul, dvar, inv, dvar);
            b.binary(backend::Binary::mul, dvar, Tensor::scalar(0.5, float32, g.device()), dvar);
          }
        }
        return std::vector<Tensor>{dx, dmean, dvar, doffset, dscale};
      });
}

BatchNormStats batch_normalization_training(const Tensor& x, int axis, const Tensor& offset, const Tensor& scale,
                                            double epsilon) {
  const char* op = "batch_normalization_training";
  const int a = check_x(op, x, axis);
  check_param(op, "offset", offset, x, a, true);
  check_param(op, "scale", scale, x, a, true);
  check_epsilon(op, epsilon);
  const backend::NormDims n = norm_dims(x.shape(), a);
  KERAS_CHECK(n.outer * n.inner > 0, ValueError, op, ": expected at least one value per feature, received shape ",
              shape_str(x.shape()));
  const Shape c{n.channels};
  BatchNormStats r;
  r.y = empty_like(x);
  r.mean = empty(c, float32, x.device());
  r.variance = empty(c, float32, x.device());
  Tensor inv = empty(c, float32, x.device());
  be(x).batch_norm_training(x, opt(scale), opt(offset), static_cast<float>(epsilon), n, r.y, r.mean, r.variance,
                            inv);
  const bool need_x = wants(x), need_offset = wants(offset), need_scale = wants(scale);
  Tensor xd = x.detach(), sd = scale.defined() ? scale.detach() : Tensor(), md = r.mean;
  r.y = autograd::record(op, r.y, {x, offset, scale}, [=](const Tensor& g) {
    Tensor dx, doffset, dscale;
    if (need_x) dx = empty_like(g);
    if (need_offset) doffset = empty(c, float32, g.device());
    if (need_scale) dscale = empty(c, float32, g.device());
    be(g).batch_norm_backward(xd, g, opt(sd), md, inv, n, true, need_x ? &dx : nullptr,
                              need_scale ? &dscale : nullptr, need_offset ? &doffset : nullptr);
    return std::vector<Tensor>{dx, doffset, dscale};
  });
  return r;
}

Tensor layer_normalization(const Tensor& x, const Tensor& gamma, const Tensor& beta, int axis, double epsilon) {
  KERAS_PROFILE_OP("layer_normalization");
  const char* op = "layer_normalization";
  const int a = check_x(op, x, axis);
  check_param(op, "gamma", gamma, x, a, true);
  check_param(op, "beta", beta, x, a, true);
  check_epsilon(op, epsilon);
  const backend::NormDims n = norm_dims(x.shape(), a);
  const Shape pos{n.outer * n.inner};
  Tensor y = empty_like(x);
  Tensor mean = empty(pos, float32, x.device()), inv = empty(pos, float32, x.device());
  be(x).layer_norm_forward(x, opt(gamma), opt(beta), static_cast<float>(epsilon), n, y, mean, inv);
  const bool need_x = wants(x), need_gamma = wants(gamma), need_beta = wants(beta);
  Tensor xd = x.detach(), gd = gamma.defined() ? gamma.detach() : Tensor();
  return autograd::record(op, y, {x, gamma, beta}, [=](const Tensor& g) {
    Tensor dx, dgamma, dbeta;
    if (need_x) dx = empty_like(g);
    if (need_gamma) dgamma = empty({n.channels}, float32, g.device());
    if (need_beta) dbeta = empty({n.channels}, float32, g.device());
    be(g).layer_norm_backward(xd, g, opt(gd), mean, inv, n, need_x ? &dx : nullptr, need_gamma ? &dgamma : nullptr,
                              need_beta ? &dbeta : nullptr);
    return std::vector<Tensor>{dx, dgamma, dbeta};
  });
}

}  // namespace keras::ops
