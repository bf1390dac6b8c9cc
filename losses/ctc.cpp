// Keras 3's CTC loss from keras::ops: the forward (alpha) recursion of
// connectionist temporal classification in log space over the extended
// label sequence [blank, l1, blank, l2, ..., blank]; gradients come from
// autograd through the recursion.
#include <vector>

#include "keras/errors.hpp"
#include "keras/losses_ctc.hpp"
#include "keras/ops.hpp"

namespace keras::losses {

namespace {

constexpr double kLogZero = -1e5;  // Keras's log_epsilon: "impossible" in log space

// log(exp(a) + exp(b) + exp(c)), stable; the shift carries no gradient
// (the identity holds for any shift).
Tensor log_add_exp3(const Tensor& a, const Tensor& b, const Tensor& c) {
  Tensor m = ops::stop_gradient(ops::maximum(ops::maximum(a, b), c));
  Tensor s = ops::add(ops::add(ops::exp(ops::subtract(a, m)), ops::exp(ops::subtract(b, m))),
                      ops::exp(ops::subtract(c, m)));
  return ops::add(m, ops::log(s));
}

// `x` (B, S) shifted right by k positions along axis 1, kLogZero filled in.
Tensor shift_right(const Tensor& x, std::int64_t k) {
  const std::int64_t b = x.shape(0), s = x.shape(1);
  Tensor fill = ops::full({b, k}, kLogZero, x.dtype());
  if (k >= s) return ops::slice_axis(fill, 1, 0, s);
  return ops::concatenate({fill, ops::slice_axis(x, 1, 0, s - k)}, 1);
}

std::vector<std::int64_t> int_values(const Tensor& t) { return ops::cast(t, int64).to_vector<std::int64_t>(); }

}  // namespace

Tensor ctc_loss(const Tensor& target, const Tensor& output, const Tensor& target_length, const Tensor& output_length,
                int mask_index) {
  KERAS_CHECK(target.defined() && target.ndim() == 2, ValueError,
              "ctc_loss: target must be 2-D (batch, max_label_length), received shape ",
              target.defined() ? shape_str(target.shape()) : std::string("(undefined)"));
  KERAS_CHECK(output.defined() && output.ndim() == 3, ValueError,
              "ctc_loss: output must be 3-D (batch, time, classes), received shape ",
              output.defined() ? shape_str(output.shape()) : std::string("(undefined)"));
  const std::int64_t B = output.shape(0), T = output.shape(1), K = output.shape(2), N = target.shape(1);
  KERAS_CHECK(target.shape(0) == B, ValueError, "ctc_loss: target has batch size ", target.shape(0),
              " but output has ", B);
  KERAS_CHECK(mask_index >= 0 && mask_index < K, ValueError, "ctc_loss: mask_index ", mask_index,
              " is not a class of output (", K, " classes)");
  KERAS_CHECK(T > 0, ValueError, "ctc_loss: output has no time steps");
  auto labels = int_values(target), tlen = int_values(target_length), olen = int_values(output_length);
  KERAS_CHECK(static_cast<std::int64_t>(tlen.size()) == B && static_cast<std::int64_t>(olen.size()) == B, ValueError,
              "ctc_loss: target_length and output_length must have one entry per sample (", B, ")");
  const std::int64_t S = 2 * N + 1;
  // The extended labels, the allowed skips (s-2 -> s) and the final states.
  std::vector<std::int64_t> ext(B * S, mask_index);
  std::vector<float> skip(B * S, static_cast<float>(kLogZero)), last(B * S, 0.0f);
  for (std::int64_t b = 0; b < B; ++b) {
    KERAS_CHECK(tlen[b] >= 0 && tlen[b] <= N && olen[b] >= 1 && olen[b] <= T, ValueError, "ctc_loss: sample ", b,
                " has target_length ", tlen[b], " (at most ", N, ") and output_length ", olen[b], " (1 to ", T, ")");
    for (std::int64_t n = 0; n < N; ++n) {
      std::int64_t l = labels[b * N + n];
      KERAS_CHECK(l >= 0 && l < K, ValueError, "ctc_loss: label ", l, " of sample ", b, " is not a class in [0, ", K,
                  ")");
      ext[b * S + 2 * n + 1] = l;
      if (n > 0 && l != labels[b * N + n - 1]) skip[b * S + 2 * n + 1] = 0.0f;
    }
    last[b * S + 2 * tlen[b]] = 1.0f;
    if (tlen[b] > 0) last[b * S + 2 * tlen[b] - 1] = 1.0f;
  }
  const Device dev = output.device();
  Tensor ext_t = Tensor({B, S}, ext).to(dev);
  Tensor skip_t = Tensor({B, S}, skip).to(dev);
  Tensor last_t = ops::cast(Tensor({B, S}, last).to(dev), float32);
  // emit[b, t, s] = log p(ext[b, s] at time t): (B, T, K) @ (B, K, S).
  Tensor logp = ops::log_softmax(ops::cast(output, float32), -1);
  Tensor select = ops::transpose(ops::one_hot(ext_t, K), {0, 2, 1});
  Tensor emit = ops::matmul(logp, select);
  // alpha at t = 0: only the first blank and the first label.
  std::vector<float> init(B * S, static_cast<float>(kLogZero));
  for (std::int64_t b = 0; b < B; ++b) {
    init[b * S] = 0.0f;
    if (S > 1) init[b * S + 1] = 0.0f;
  }
  Tensor alpha = ops::add(Tensor({B, S}, init).to(dev), ops::reshape(ops::slice_axis(emit, 1, 0, 1), {B, S}));
  std::vector<float> alive(B * T);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t) alive[b * T + t] = t < olen[b] ? 1.0f : 0.0f;
  Tensor alive_t = ops::greater(Tensor({B, T}, alive).to(dev), ops::zeros({1}, float32).to(dev));
  for (std::int64_t t = 1; t < T; ++t) {
    Tensor next = log_add_exp3(alpha, shift_right(alpha, 1), ops::add(shift_right(alpha, 2), skip_t));
    next = ops::add(next, ops::reshape(ops::slice_axis(emit, 1, t, t + 1), {B, S}));
    alpha = ops::where(ops::slice_axis(alive_t, 1, t, t + 1), next, alpha);  // past the sample's length: kept
  }
  // -log(sum of exp(alpha) over the two final states).
  Tensor m = ops::stop_gradient(ops::max(alpha, {1}, true));
  Tensor total = ops::sum(ops::multiply(ops::exp(ops::subtract(alpha, m)), last_t), {1});
  return ops::negative(ops::add(ops::reshape(m, {B}), ops::log(total)));
}

Tensor ctc(const Tensor& y_true, const Tensor& y_pred) {
  KERAS_CHECK(y_true.defined() && y_true.ndim() == 2, ValueError,
              "ctc: y_true must be 2-D (batch, max_label_length), received shape ",
              y_true.defined() ? shape_str(y_true.shape()) : std::string("(undefined)"));
  KERAS_CHECK(y_pred.defined() && y_pred.ndim() == 3, ValueError,
              "ctc: y_pred must be 3-D (batch, time, classes), received shape ",
              y_pred.defined() ? shape_str(y_pred.shape()) : std::string("(undefined)"));
  const std::int64_t B = y_true.shape(0);
  Tensor label_length = ops::full({B}, static_cast<double>(y_true.shape(1)), int64);
  Tensor input_length = ops::full({B}, static_cast<double>(y_pred.shape(1)), int64);
  return ctc_loss(y_true, y_pred, label_length, input_length, 0);
}

CTC::CTC(LossOptions o) : Loss(o.name.empty() ? "ctc" : o.name, o.reduction) {}

Tensor CTC::call(const Tensor& y_true, const Tensor& y_pred) const { return ctc(y_true, y_pred); }

}  // namespace keras::losses
