// Backend::fused_update (the RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion
// and Ftrl rules of keras/update_step.hpp) against plain double-precision loops
// of each rule's formula, at an odd size and at a size that uses the thread
// pool; ops::fused_update's argument checks.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "keras/backend.hpp"
#include "keras/errors.hpp"
#include "keras/ops_update.hpp"
#include "keras/tensor.hpp"

using keras::Tensor;
namespace kb = keras::backend;
using kb::UpdateRule;
using kb::UpdateStep;

namespace {

kb::Backend& be() { return kb::get(keras::Device::cpu()); }

std::vector<float> rnd(std::int64_t n, unsigned seed, float lo, float hi) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = d(g);
  return v;
}

Tensor make(const std::vector<float>& v) {
  return Tensor::from_data({static_cast<std::int64_t>(v.size())}, keras::float32, v.data());
}

void check_close(const Tensor& got_t, const std::vector<double>& want, const char* what, double atol = 1e-6) {
  const std::vector<float> got = got_t.to_vector<float>();
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO(std::string(what) << " element " << i << ": got " << got[i] << ", want " << want[i]);
    const bool ok = std::abs(got[i] - want[i]) <= atol + 1e-5 * std::abs(want[i]);
    CHECK(ok);
    if (!ok) return;  // one failure is enough
  }
}

// Inputs of one case: variable, gradient, three slots (positive where the
// rule takes square roots of them).
struct Case {
  std::vector<float> w, g, s0, s1, s2;
  explicit Case(std::int64_t n)
      : w(rnd(n, 1, -2, 2)), g(rnd(n, 2, -2, 2)), s0(rnd(n, 3, 0.5f, 1.0f)), s1(rnd(n, 4, 0.01f, 0.5f)),
        s2(rnd(n, 5, -0.1f, 0.1f)) {}
};

struct Result {
  Tensor w, s0, s1, s2;
};

Result run(const Case& c, const UpdateStep& s, bool use1, bool use2) {
  Result r{make(c.w), make(c.s0), make(c.s1), make(c.s2)};
  be().fused_update(r.w, make(c.g), &r.s0, use1 ? &r.s1 : nullptr, use2 ? &r.s2 : nullptr, s);
  return r;
}

void rmsprop_case(std::int64_t n, bool centered, bool momentum) {
  CAPTURE(n);
  CAPTURE(centered);
  CAPTURE(momentum);
  const double lr = 0.01, rho = 0.9, mom = 0.5, eps = 1e-7;
  UpdateStep s;
  s.rule = centered ? UpdateRule::rmsprop_centered : UpdateRule::rmsprop;
  s.lr = float(lr), s.epsilon = float(eps), s.beta1 = float(rho), s.one_minus_beta1 = float(1 - rho);
  s.beta2 = float(mom);
  Case c(n);
  Result r = run(c, s, momentum, centered);
  std::vector<double> w(n), v(n), m(n), a(n);
  for (std::int64_t i = 0; i < n; ++i) {
    const double g = c.g[i];
    v[i] = rho * c.s0[i] + (1 - rho) * g * g;
    a[i] = rho * c.s2[i] + (1 - rho) * g;
    const double d = centered ? v[i] - a[i] * a[i] + eps : v[i] + eps;
    const double inc = lr * g / std::sqrt(d);
    m[i] = mom * c.s1[i] + inc;
    w[i] = c.w[i] - (momentum ? m[i] : inc);
  }
  check_close(r.w, w, "variable");
  check_close(r.s0, v, "velocity");
  if (momentum) check_close(r.s1, m, "momentum");
  if (centered) check_close(r.s2, a, "average_gradient");
}

}  // namespace

TEST_CASE("cpu backend: fused rmsprop update, plain, momentum, centered") {
  for (std::int64_t n : {1003, 300007})
    for (int mode = 0; mode < 4; ++mode) rmsprop_case(n, mode & 1, mode & 2);
}

TEST_CASE("cpu backend: fused adagrad and adadelta updates") {
  for (std::int64_t n : {1003, 300007}) {
    CAPTURE(n);
    Case c(n);
    const double lr = 0.05, eps = 1e-6, rho = 0.95;
    UpdateStep s;
    s.rule = UpdateRule::adagrad;
    s.lr = float(lr), s.epsilon = float(eps);
    Result r = run(c, s, false, false);
    std::vector<double> w(n), s0(n), s1(n);
    for (std::int64_t i = 0; i < n; ++i) {
      s0[i] = c.s0[i] + double(c.g[i]) * c.g[i];
      w[i] = c.w[i] - lr * c.g[i] / std::sqrt(s0[i] + eps);
    }
    check_close(r.w, w, "adagrad variable");
    check_close(r.s0, s0, "accumulator");

    s.rule = UpdateRule::adadelta;
    s.beta1 = float(rho), s.one_minus_beta1 = float(1 - rho);
    r = run(c, s, true, false);
    for (std::int64_t i = 0; i < n; ++i) {
      const double g = c.g[i];
      s0[i] = rho * c.s0[i] + (1 - rho) * g * g;
      const double delta = -std::sqrt(c.s1[i] + eps) * g / std::sqrt(s0[i] + eps);
      s1[i] = rho * c.s1[i] + (1 - rho) * delta * delta;
      w[i] = c.w[i] + lr * delta;
    }
    check_close(r.w, w, "adadelta variable");
    check_close(r.s0, s0, "accumulated_grad");
    check_close(r.s1, s1, "accumulated_delta_var");
  }
}

TEST_CASE("cpu backend: fused adamax and nadam updates at step 3") {
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7, t = 3;
  for (std::int64_t n : {1003, 300007}) {
    CAPTURE(n);
    Case c(n);
    UpdateStep s;
    s.rule = UpdateRule::adamax;
    s.lr = float(lr), s.epsilon = float(eps), s.one_minus_beta1 = float(1 - b1), s.beta2 = float(b2);
    s.c[0] = float(1 - std::pow(b1, t));
    Result r = run(c, s, true, false);
    std::vector<double> w(n), s0(n), s1(n);
    for (std::int64_t i = 0; i < n; ++i) {
      s0[i] = b1 * c.s0[i] + (1 - b1) * c.g[i];
      s1[i] = std::max(b2 * c.s1[i], std::abs(double(c.g[i])));
      w[i] = c.w[i] - lr * s0[i] / ((1 - std::pow(b1, t)) * (s1[i] + eps));
    }
    check_close(r.w, w, "adamax variable");
    check_close(r.s0, s0, "adamax momentum");
    check_close(r.s1, s1, "norm");

    // Nadam with u_product = u_1 * u_2 * u_3 (the product through step t).
    auto u = [&](double k) { return b1 * (1 - 0.5 * std::pow(0.96, k)); };
    const double prod = u(1) * u(2) * u(3);
    s.rule = UpdateRule::nadam;
    s.one_minus_beta2 = float(1 - b2);
    s.beta2 = 0;
    const double cs[5] = {u(t + 1), 1 - prod * u(t + 1), 1 - u(t), 1 - prod, 1 - std::pow(b2, t)};
    for (int k = 0; k < 5; ++k) s.c[k] = float(cs[k]);
    r = run(c, s, true, false);
    for (std::int64_t i = 0; i < n; ++i) {
      const double g = c.g[i];
      s0[i] = b1 * c.s0[i] + (1 - b1) * g;
      s1[i] = b2 * c.s1[i] + (1 - b2) * g * g;
      const double m_hat = u(t + 1) * s0[i] / cs[1] + (1 - u(t)) * g / cs[3];
      w[i] = c.w[i] - lr * m_hat / (std::sqrt(s1[i] / cs[4]) + eps);
    }
    check_close(r.w, w, "nadam variable");
    check_close(r.s0, s0, "nadam momentum");
    check_close(r.s1, s1, "nadam velocity");
  }
}

TEST_CASE("cpu backend: fused lion update") {
  const double lr = 0.001, b1 = 0.9, b2 = 0.99;
  for (std::int64_t n : {1003, 300007}) {
    CAPTURE(n);
    Case c(n);
    c.s0[0] = 0.0f, c.g[0] = 0.0f;  // sign(0) = 0: the variable stays
    UpdateStep s;
    s.rule = UpdateRule::lion;
    s.lr = float(lr), s.beta1 = float(b1), s.one_minus_beta1 = float(1 - b1);
    s.beta2 = float(b2), s.one_minus_beta2 = float(1 - b2);
    Result r = run(c, s, false, false);
    std::vector<double> w(n), m(n);
    for (std::int64_t i = 0; i < n; ++i) {
      const double x = b1 * c.s0[i] + (1 - b1) * c.g[i];
      w[i] = c.w[i] - lr * (x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0));
      m[i] = b2 * c.s0[i] + (1 - b2) * c.g[i];
    }
    check_close(r.w, w, "lion variable");
    check_close(r.s0, m, "lion momentum");
  }
}

TEST_CASE("ops::fused_update rejects missing, mis-shaped and non-float32 slots") {
  Tensor w = Tensor::zeros({4}), g = Tensor::zeros({4}), s0 = Tensor::zeros({4}), bad = Tensor::zeros({5});
  UpdateStep s;
  s.rule = UpdateRule::adadelta;
  CHECK_THROWS_AS(keras::ops::fused_update(w, g, &s0, nullptr, nullptr, s), keras::ValueError);
  CHECK_THROWS_AS(keras::ops::fused_update(w, g, &s0, &bad, nullptr, s), keras::ValueError);
  CHECK_THROWS_AS(keras::ops::fused_update(w, bad, &s0, &s0, nullptr, s), keras::ValueError);
  Tensor i32 = Tensor::zeros({4}, keras::DType::int32);
  CHECK_THROWS_AS(keras::ops::fused_update(w, g, &s0, &i32, nullptr, s), keras::ValueError);
  s.rule = UpdateRule::rmsprop;  // slot1 (momentum) optional, slot2 ignored
  CHECK_NOTHROW(keras::ops::fused_update(w, g, &s0, nullptr, &bad, s));
}

TEST_CASE("cpu backend: fused ftrl update, with l1, l2 and l2 shrinkage") {
  const double lr = 0.05, p = 0.5, l1 = 0.01, l2 = 0.02, beta = 0.1, shrink = 0.03;
  for (std::int64_t n : {1003, 300007}) {
    CAPTURE(n);
    Case c(n);
    const double q2 = 2 * (l2 + beta / (2 * lr));
    UpdateStep s;
    s.rule = UpdateRule::ftrl;
    s.lr = float(lr), s.beta1 = float(p), s.c[0] = float(2 * shrink), s.c[1] = float(q2), s.c[2] = float(l1);
    Result r = run(c, s, true, false);
    std::vector<double> w(n), acc(n), lin(n);
    for (std::int64_t i = 0; i < n; ++i) {
      const double g = c.g[i], wi = c.w[i], a = c.s0[i];
      acc[i] = a + g * g;
      lin[i] = c.s1[i] + g + 2 * shrink * wi - (std::pow(acc[i], p) - std::pow(a, p)) / lr * wi;
      const double clipped = std::min(std::max(lin[i], -l1), l1);
      w[i] = (clipped - lin[i]) / (std::pow(acc[i], p) / lr + q2);
    }
    // linear sums terms ~100x larger than itself, and clip(linear) - linear
    // cancels: float32 keeps ~1e-5 absolute there.
    check_close(r.w, w, "ftrl variable", 1e-5);
    check_close(r.s0, acc, "accumulator");
    check_close(r.s1, lin, "linear", 1e-5);
  }
}
