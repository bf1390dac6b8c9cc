// Shared helpers for the tests: random data, reference checks, gradient checks.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "keras/backend.hpp"
#include "keras/keras.hpp"

namespace testing {

// Every device with a backend here; CUDA ones only when a GPU is present.
inline std::vector<keras::Device> devices() {
  static bool announced = false;
  auto d = keras::backend::available_devices();
  if (!announced && d.size() == 1) {
    MESSAGE("SKIPPED on CUDA: no GPU present; the op suite runs on the CPU backend only");
    announced = true;
  }
  return d;
}

// Sets the default device for the scope of a test.
struct DeviceScope {
  keras::Device prev;
  explicit DeviceScope(keras::Device d) : prev(keras::config::device()) { keras::config::set_device(d); }
  ~DeviceScope() { keras::config::set_device(prev); }
};

inline std::vector<float> random_vector(std::size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(g);
  return v;
}

inline keras::Tensor random_tensor(const keras::Shape& s, float lo, float hi, unsigned seed,
                                   keras::Device d = keras::Device::cpu()) {
  return keras::Tensor(s, random_vector(keras::shape_size(s), lo, hi, seed)).to(d);
}

// Values with |x| >= margin, away from kinks at zero.
inline keras::Tensor away_from_zero(const keras::Shape& s, float lo, float hi, float margin, unsigned seed,
                                    keras::Device d = keras::Device::cpu()) {
  auto v = random_vector(keras::shape_size(s), lo, hi, seed);
  for (auto& x : v)
    if (std::fabs(x) < margin) x = x < 0 ? x - margin : x + margin;
  return keras::Tensor(s, v).to(d);
}

inline void check_close(const keras::Tensor& got, const std::vector<float>& want, double atol, double rtol,
                        const std::string& what) {
  INFO(what);
  auto g = got.astype(keras::float32).to_vector<float>();
  REQUIRE(g.size() == want.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    double tol = atol + rtol * std::fabs(want[i]);
    if (!(std::fabs(g[i] - want[i]) <= tol)) {
      FAIL_CHECK(what << ": element " << i << " got " << g[i] << " want " << want[i]);
      return;
    }
  }
}

// Central finite-difference check of d(sum(f(inputs) * w))/d(inputs) against
// autograd, for float32 inputs (modified in place and restored).
inline void gradcheck(const std::string& what, const std::function<keras::Tensor(std::vector<keras::Tensor>&)>& f,
                      std::vector<keras::Tensor> inputs, double eps = 1e-2, double tol = 2e-2) {
  INFO(what);
  for (auto& t : inputs) t.requires_grad_(true);
  keras::Tensor y0 = f(inputs);
  keras::Tensor w = random_tensor(y0.shape(), 0.5f, 1.5f, 99, y0.device());
  keras::Tensor loss = keras::ops::sum(keras::ops::multiply(y0, w));
  auto grads = keras::autograd::grad(loss, inputs);
  keras::autograd::NoGradGuard ng;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    auto host = inputs[k].cpu().to_vector<float>();
    auto g = grads[k].cpu().to_vector<float>();
    REQUIRE(g.size() == host.size());
    for (std::size_t i = 0; i < host.size(); ++i) {
      auto eval = [&](float v) {
        auto h = host;
        h[i] = v;
        std::vector<keras::Tensor> in = inputs;
        in[k] = keras::Tensor(inputs[k].shape(), h).to(inputs[k].device());
        return keras::ops::sum(keras::ops::multiply(f(in), w)).item();
      };
      double num = (eval(host[i] + static_cast<float>(eps)) - eval(host[i] - static_cast<float>(eps))) / (2 * eps);
      double err = std::fabs(num - g[i]);
      if (err > tol * std::max(1.0, std::fabs(num))) {
        FAIL_CHECK(what << ": input " << k << " element " << i << " autograd " << g[i] << " numeric " << num);
        return;
      }
    }
  }
}

// A convolution-like op f(x, kernel, bias) and the gradients of
// sum(f * r) (r random, fixed) for x (only when grad_x), the kernel and the
// bias: for comparing a fused op with the ops it replaces.
struct ValueAndGrads {
  keras::Tensor y;
  std::vector<keras::Tensor> grads;
};
inline ValueAndGrads value_and_grads(
    const std::function<keras::Tensor(const keras::Tensor&, const keras::Tensor&, const keras::Tensor&)>& f,
    const keras::Tensor& x, const keras::Tensor& w, const keras::Tensor& b, bool grad_x) {
  keras::Tensor xi = x.detach(), wi = w.detach(), bi = b.detach();
  if (grad_x) xi.requires_grad_(true);
  wi.requires_grad_(true);
  bi.requires_grad_(true);
  keras::Tensor y = f(xi, wi, bi);
  keras::Tensor r = random_tensor(y.shape(), -1.0f, 1.0f, 5, y.device());
  std::vector<keras::Tensor> in = {wi, bi};
  if (grad_x) in.insert(in.begin(), xi);
  return {y, keras::autograd::grad(keras::ops::sum(keras::ops::multiply(y, r)), in)};
}

}  // namespace testing
