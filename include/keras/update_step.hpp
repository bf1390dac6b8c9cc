// The coefficients of one fused optimizer update (Backend::fused_update,
// ops::fused_update): an optimizer computes them once per step, in float32
// exactly as its composed form rounds them, and the backend applies the rule
// to every element of a float32 variable and its slots in place.
#pragma once

#include <cstdint>

namespace keras::backend {

// Each rule in float32, in this operation order (g: gradient, w: variable;
// the slots are slot0, slot1, slot2 of fused_update; sqrt, max, sign
// elementwise):
//   rmsprop / rmsprop_centered (slot0 velocity v, slot1 momentum m or null,
//     slot2 average gradient a, centered only):
//       v = v * beta1 + (g * g) * one_minus_beta1          (beta1 = rho)
//       centered: a = a * beta1 + g * one_minus_beta1; d = (v - a * a) + epsilon
//       otherwise: d = v + epsilon
//       inc = (g * lr) / sqrt(d)
//       slot1: m = m * beta2 + inc; w = w - m               (beta2 = momentum)
//       otherwise: w = w - inc
//   adagrad (slot0 accumulator s): s = s + g * g; w = w - (g * lr) / sqrt(s + epsilon)
//   adadelta (slot0 accumulated grad s, slot1 accumulated delta d; beta1 = rho):
//       s = s * beta1 + (g * g) * one_minus_beta1
//       delta = -((sqrt(d + epsilon) * g) / sqrt(s + epsilon))
//       d = d * beta1 + (delta * delta) * one_minus_beta1; w = w + delta * lr
//   adamax (slot0 momentum m, slot1 norm u; c[0] = 1 - beta_1^t):
//       m = m + (g - m) * one_minus_beta1; u = max(u * beta2, |g|)
//       w = w - (m * lr) / ((u + epsilon) * c[0])
//   nadam (slot0 momentum m, slot1 velocity v; c[0] = u_{t+1},
//     c[1] = 1 - u_product * u_{t+1}, c[2] = 1 - u_t, c[3] = 1 - u_product,
//     c[4] = 1 - beta_2^t):
//       m = m + (g - m) * one_minus_beta1; v = v + (g * g - v) * one_minus_beta2
//       m_hat = (m * c[0]) / c[1] + (g * c[2]) / c[3]
//       w = w - (m_hat * lr) / (sqrt(v / c[4]) + epsilon)
//   lion (slot0 momentum m):
//       w = w - sign(m * beta1 + g * one_minus_beta1) * lr
//       m = m * beta2 + g * one_minus_beta2
//   ftrl (slot0 accumulator s, slot1 linear l; beta1 = -learning_rate_power,
//     c[0] = 2 l2_shrinkage, c[1] = 2 (l2 + beta / (2 lr)), c[2] = l1):
//       gs = g + w * c[0]; s1 = s + g * g; p1 = pow(s1, beta1)
//       l = l + (gs - ((p1 - pow(s, beta1)) / lr) * w)
//       w = (clip(l, -c[2], c[2]) - l) / (p1 / lr + c[1]); s = s1
// max(a, b) is a < b ? b : a and sign(NaN) is 0, as the elementwise ops.
enum class UpdateRule : std::uint8_t { rmsprop, rmsprop_centered, adagrad, adadelta, adamax, nadam, lion, ftrl };

struct UpdateStep {
  UpdateRule rule = UpdateRule::rmsprop;
  float lr = 0.0f, epsilon = 0.0f;
  float beta1 = 0.0f, one_minus_beta1 = 0.0f;
  float beta2 = 0.0f, one_minus_beta2 = 0.0f;
  float c[5] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
};

}  // namespace keras::backend
