// Softmax, cross-entropies, dropout and random tensors.
#include <cmath>

#include "keras/variable.hpp"
#include "ops/common.hpp"
#include "profiler/scope.hpp"

namespace keras::ops {
using namespace detail;

namespace {
constexpr double kEpsilon = 1e-7;  // keras.config.epsilon()

Tensor softmax_impl(const char* name, const Tensor& x, int axis, bool log) {
  need_defined(name, x);
  need_float(name, x);
  KERAS_CHECK(x.ndim() >= 1, ValueError, name, ": expected rank >= 1, received a scalar");
  int a = norm_axis(name, axis, x.ndim());
  Tensor y = empty(x.shape(), float32, x.device());
  be(x).softmax(x, a, y, log);
  return autograd::record(name, y, {x}, [a, log, y = y.detach()](const Tensor& g) {
    Tensor dx = empty(y.shape(), float32, y.device());
    be(y).softmax_backward(y, g, a, dx, log);
    return std::vector<Tensor>{dx};
  });
}

void check_labels(const char* op, const Tensor& labels, std::int64_t classes) {
  KERAS_PROFILE_OP(op);
  if (labels.dtype() == int32 || labels.dtype() == int64 || labels.dtype() == uint8) {
    check_index_range(op, "labels", labels, 0, classes);
    return;
  }
  if (labels.size() == 0) return;
  const double lo = min(labels).item(), hi = max(labels).item();
  KERAS_CHECK(lo >= 0 && hi < static_cast<double>(classes), ValueError, op, ": labels must be in [0, ", classes,
              "), received values in [", lo, ", ", hi, "]");
}

Tensor sparse_from_logits(const Tensor& labels, const Tensor& logits, double smoothing) {
  std::int64_t c = logits.shape(-1);
  Tensor l2 = reshape(logits, {-1, c});
  Tensor lab = labels.dtype() == int32 || labels.dtype() == int64 ? labels : cast(labels, int64);
  lab = reshape(lab, {-1});
  KERAS_CHECK(lab.size() == l2.shape()[0], ValueError, "sparse_categorical_crossentropy: expected ",
              l2.shape()[0], " labels for output of shape ", shape_str(logits.shape()), ", received labels of shape ",
              shape_str(labels.shape()));
  check_labels("sparse_categorical_crossentropy", lab, c);
  require_supported("sparse_categorical_crossentropy", backend::Op::sparse_softmax_cross_entropy, logits,
                    {logits.dtype(), lab.dtype()});
  Tensor loss = empty({l2.shape()[0]}, float32, logits.device());
  bool need_grad = autograd::is_enabled() && logits.requires_grad();
  Tensor grad = need_grad ? empty(l2.shape(), float32, logits.device()) : Tensor();
  be(l2).sparse_softmax_cross_entropy(l2, lab, static_cast<float>(smoothing), loss, need_grad ? &grad : nullptr);
  Shape out_shape(logits.shape().begin(), logits.shape().end() - 1);
  Tensor y = alias(loss, out_shape);
  return autograd::record("sparse_categorical_crossentropy", y, {logits},
                          [grad, ls = logits.shape()](const Tensor& g) {
                            // d(loss_i)/d(logits_i) was computed in the forward pass.
                            Tensor g2 = reshape(g, {-1, 1});
                            return std::vector<Tensor>{reshape(multiply(grad, g2), ls)};
                          });
}
}  // namespace

Tensor softmax(const Tensor& x, int axis) { return softmax_impl("softmax", x, axis, false); }
Tensor log_softmax(const Tensor& x, int axis) { return softmax_impl("log_softmax", x, axis, true); }

Tensor sparse_categorical_crossentropy(const Tensor& target, const Tensor& output, bool from_logits,
                                       double label_smoothing) {
  KERAS_PROFILE_OP("sparse_categorical_crossentropy");
  const char* op = "sparse_categorical_crossentropy";
  need_defined(op, target);
  need_defined(op, output);
  need_float(op, output);
  same_device(op, target, output);
  KERAS_CHECK(output.ndim() >= 1, ValueError, op, ": output must have a class axis, received shape ",
              shape_str(output.shape()));
  Tensor labels = target;
  // Keras accepts labels shaped (N, 1) for outputs (N, C).
  if (labels.ndim() == output.ndim() && labels.shape(-1) == 1) labels = squeeze(labels, -1);
  Shape expect(output.shape().begin(), output.shape().end() - 1);
  KERAS_CHECK(labels.shape() == expect, ValueError, op, ": labels of shape ", shape_str(target.shape()),
              " do not match output of shape ", shape_str(output.shape()), " (expected labels of shape ",
              shape_str(expect), ")");
  if (labels.dtype() == float32) labels = cast(labels, int64);
  if (from_logits) return sparse_from_logits(labels, output, label_smoothing);
  std::int64_t c = output.shape(-1);
  check_labels(op, labels, c);
  Tensor t = one_hot(labels, c);
  if (label_smoothing > 0) t = add(multiply(t, full_like(t, 1.0 - label_smoothing)), full_like(t, label_smoothing / c));
  Tensor p = divide(output, sum(output, {-1}, true));
  p = clip(p, kEpsilon, 1.0 - kEpsilon);
  return negative(sum(multiply(t, log(p)), {-1}));
}

Tensor categorical_crossentropy(const Tensor& target, const Tensor& output, bool from_logits, double label_smoothing) {
  KERAS_PROFILE_OP("categorical_crossentropy");
  const char* op = "categorical_crossentropy";
  need_defined(op, target);
  need_defined(op, output);
  need_float(op, output);
  KERAS_CHECK(target.shape() == output.shape(), ValueError, op, ": target of shape ", shape_str(target.shape()),
              " does not match output of shape ", shape_str(output.shape()),
              " (for integer labels use sparse_categorical_crossentropy)");
  Tensor t = target.dtype() == float32 ? target : cast(target, float32);
  std::int64_t c = output.shape(-1);
  if (label_smoothing > 0) t = add(multiply(t, full_like(t, 1.0 - label_smoothing)), full_like(t, label_smoothing / c));
  if (from_logits) return negative(sum(multiply(t, log_softmax(output, -1)), {-1}));
  Tensor p = divide(output, sum(output, {-1}, true));
  p = clip(p, kEpsilon, 1.0 - kEpsilon);
  return negative(sum(multiply(t, log(p)), {-1}));
}

Tensor binary_crossentropy(const Tensor& target, const Tensor& output, bool from_logits) {
  KERAS_PROFILE_OP("binary_crossentropy");
  const char* op = "binary_crossentropy";
  need_defined(op, target);
  need_defined(op, output);
  need_float(op, output);
  Tensor t = target.dtype() == float32 ? target : cast(target, float32);
  broadcast_shapes(op, t.shape(), output.shape());
  if (from_logits) {
    // max(x, 0) - x t + log(1 + exp(-|x|)): stable for any x.
    Tensor x = output;
    return add(subtract(relu(x), multiply(x, t)), log1p(exp(negative(abs(x)))));
  }
  Tensor p = clip(output, kEpsilon, 1.0 - kEpsilon);
  Tensor one = full_like(p, 1.0);
  return negative(add(multiply(t, log(p)), multiply(subtract(one, t), log(subtract(one, p)))));
}

Tensor random_uniform(const Shape& shape, double minval, double maxval) {
  KERAS_PROFILE_OP("random_uniform");
  Tensor out = empty(shape, float32, config::device());
  backend::get(out.device()).random_uniform(out, static_cast<float>(minval), static_cast<float>(maxval),
                                            random::next_seed());
  return out;
}

Tensor random_normal(const Shape& shape, double mean, double stddev) {
  KERAS_PROFILE_OP("random_normal");
  Tensor out = empty(shape, float32, config::device());
  backend::get(out.device()).random_normal(out, static_cast<float>(mean), static_cast<float>(stddev),
                                           random::next_seed());
  return out;
}

Tensor truncated_normal(const Shape& shape, double mean, double stddev) {
  KERAS_PROFILE_OP("truncated_normal");
  Tensor out = empty(shape, float32, config::device());
  backend::get(out.device()).random_truncated_normal(out, static_cast<float>(mean), static_cast<float>(stddev),
                                                     random::next_seed());
  return out;
}

Tensor random_permutation(std::int64_t n) {
  KERAS_PROFILE_OP("random_permutation");
  KERAS_CHECK(n >= 0, ValueError, "random_permutation: expected n >= 0, received ", n);
  Tensor out = empty({n}, int64, config::device());
  backend::get(out.device()).random_permutation(out, random::next_seed());
  return out;
}

Tensor dropout(const Tensor& x, double rate, const Shape& noise_shape) {
  KERAS_PROFILE_OP("dropout");
  need_defined("dropout", x);
  need_float("dropout", x);
  KERAS_CHECK(rate >= 0 && rate < 1, ValueError, "dropout: rate must be in [0, 1), received ", rate);
  if (rate == 0) return x;
  Shape ns = noise_shape.empty() ? x.shape() : noise_shape;
  broadcast_shapes("dropout", ns, x.shape());
  Tensor u = empty(ns, float32, x.device());
  be(x).random_uniform(u, 0.0f, 1.0f, random::next_seed());
  // keep = u >= rate, scaled so the expected value is unchanged.
  Tensor keep = cast(greater_equal(u, full_like(u, rate)), float32);
  Tensor mask = multiply(keep, full_like(keep, 1.0 / (1.0 - rate)));
  return multiply(x, mask);
}

}  // namespace keras::ops
