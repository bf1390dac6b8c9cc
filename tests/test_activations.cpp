// Activations: values against the plain formulas (Keras 3 definitions) and
// gradients against central finite differences.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "keras/activations.hpp"
#include "keras/autograd.hpp"
#include "keras/ops.hpp"

namespace act = keras::activations;
using keras::Tensor;

namespace {

using Ref = std::function<double(double)>;

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double softplus(double x) { return std::log1p(std::exp(x)); }
double hard_sigmoid(double x) { return std::min(1.0, std::max(0.0, x / 6 + 0.5)); }

// Elementwise activations with their Keras 3 formulas.
const std::vector<std::pair<std::string, Ref>>& elementwise() {
  static const std::vector<std::pair<std::string, Ref>> r = {
      {"relu", [](double x) { return std::max(0.0, x); }},
      {"relu6", [](double x) { return std::min(6.0, std::max(0.0, x)); }},
      {"sigmoid", sigmoid},
      {"tanh", [](double x) { return std::tanh(x); }},
      {"elu", [](double x) { return x > 0 ? x : std::expm1(x); }},
      {"selu",
       [](double x) {
         const double scale = 1.0507009873554804934193349852946;
         const double alpha = 1.6732632423543772848170429916717;
         return x > 0 ? scale * x : scale * alpha * std::expm1(x);
       }},
      {"softplus", softplus},
      {"softsign", [](double x) { return x / (1 + std::abs(x)); }},
      // Keras 3's gelu default is the exact (erf) form.
      {"gelu", [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {"silu", [](double x) { return x * sigmoid(x); }},
      {"swish", [](double x) { return x * sigmoid(x); }},
      {"leaky_relu", [](double x) { return x > 0 ? x : 0.2 * x; }},
      {"hard_sigmoid", hard_sigmoid},
      {"hard_silu", [](double x) { return x * hard_sigmoid(x); }},
      {"mish", [](double x) { return x * std::tanh(softplus(x)); }},
      {"log_sigmoid", [](double x) { return -softplus(-x); }},
      {"exponential", [](double x) { return std::exp(x); }},
      {"linear", [](double x) { return x; }},
  };
  return r;
}

// Points away from every kink (0, +-3, 6), on both sides of each.
const std::vector<float> kX = {-4.2f, -2.5f, -1.3f, -0.4f, 0.3f, 0.9f, 2.2f, 3.6f, 5.1f, 7.0f};

// Per-row softmax / log_softmax over the last axis, in double.
std::vector<double> softmax_ref(const std::vector<float>& x, int cols, bool log) {
  std::vector<double> out(x.size());
  for (std::size_t r = 0; r < x.size() / cols; ++r) {
    double mx = -1e300, sum = 0;
    for (int c = 0; c < cols; ++c) mx = std::max<double>(mx, x[r * cols + c]);
    for (int c = 0; c < cols; ++c) sum += std::exp(x[r * cols + c] - mx);
    for (int c = 0; c < cols; ++c) {
      const double z = x[r * cols + c] - mx;
      out[r * cols + c] = log ? z - std::log(sum) : std::exp(z) / sum;
    }
  }
  return out;
}

// d/dx of sum(w * f(x)) by autograd and by central differences (the loss
// summed in double on the host so only the perturbed outputs' rounding
// enters the difference).
void check_gradient(const act::Activation& f, const keras::Shape& shape,
                    const std::vector<float>& x0) {
  std::vector<float> w(x0.size());
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(0.5 + 0.37 * double((i * 7) % 5) - 0.6 * (i % 2));
  Tensor x = Tensor(shape, x0);
  x.requires_grad_();
  Tensor loss = keras::ops::sum(keras::ops::multiply(f(x), Tensor(shape, w)));
  const std::vector<float> g = keras::autograd::grad(loss, {x})[0].to_vector<float>();
  REQUIRE(g.size() == x0.size());

  auto host_loss = [&](const std::vector<float>& xs) {
    const std::vector<float> y = f(Tensor(shape, xs)).to_vector<float>();
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += double(w[i]) * y[i];
    return s;
  };
  const float h = 1e-2f;
  for (std::size_t i = 0; i < x0.size(); ++i) {
    std::vector<float> xp = x0, xm = x0;
    xp[i] += h;
    xm[i] -= h;
    const double numeric = (host_loss(xp) - host_loss(xm)) / (double(xp[i]) - double(xm[i]));
    INFO(f.name, " at x=", x0[i]);
    CHECK(g[i] == doctest::Approx(numeric).epsilon(1e-2).scale(0.1));
  }
}

}  // namespace

TEST_CASE("activations: values match the formulas") {
  const Tensor x({std::int64_t(kX.size())}, kX);
  for (const auto& [name, ref] : elementwise()) {
    const act::Activation a = act::get(name);
    CHECK(a.name == name);
    const Tensor y = a(x);
    CHECK(y.shape() == x.shape());
    const std::vector<float> v = y.to_vector<float>();
    for (std::size_t i = 0; i < kX.size(); ++i) {
      INFO(name, " at x=", kX[i]);
      CHECK(v[i] == doctest::Approx(ref(kX[i])).epsilon(1e-5).scale(1e-1));
    }
  }
}

TEST_CASE("activations: gelu is exact by default, unlike the tanh approximation") {
  // At x = 1.5 the two forms differ by ~2e-4, far above float rounding.
  const double exact = 0.5 * 1.5 * (1 + std::erf(1.5 / std::sqrt(2.0)));
  const float y = act::get("gelu")(Tensor({1.5f})).to_vector<float>()[0];
  CHECK(y == doctest::Approx(exact).epsilon(1e-6));
}

TEST_CASE("activations: softmax and log_softmax act on the last axis") {
  const std::vector<float> xs = {1.0f, -2.0f, 0.5f, 3.0f, -1.0f, 0.0f, 2.5f, 40.0f};
  const Tensor x({2, 4}, xs);
  for (const bool log : {false, true}) {
    const std::vector<float> y = act::get(log ? "log_softmax" : "softmax")(x).to_vector<float>();
    const std::vector<double> ref = softmax_ref(xs, 4, log);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      INFO((log ? "log_softmax" : "softmax"), " element ", i);
      CHECK(y[i] == doctest::Approx(ref[i]).epsilon(1e-5).scale(1e-2));
    }
  }
}

TEST_CASE("activations: gradients match finite differences") {
  for (const auto& [name, ref] : elementwise()) {
    if (name == "linear") continue;  // the identity records nothing to check
    check_gradient(act::get(name), {2, 5}, kX);
  }
  const std::vector<float> xs = {1.0f, -2.0f, 0.5f, 3.0f, -1.0f, 0.0f, 2.5f, 1.2f};
  check_gradient(act::get("softmax"), {2, 4}, xs);
  check_gradient(act::get("log_softmax"), {2, 4}, xs);
}

TEST_CASE("activations: linear, names and errors") {
  const Tensor x({3}, std::vector<float>{-1, 0, 2});
  for (const act::Activation& lin : {act::Activation(), act::Activation("linear"),
                                     act::Activation(""), act::get("linear")}) {
    CHECK(lin.is_linear());
    CHECK(lin.name == "linear");
    CHECK(lin(x).impl() == x.impl());  // identity: the same tensor back
  }
  const act::Activation r = "relu";
  CHECK(r.name == "relu");
  CHECK_FALSE(r.is_linear());
  CHECK(act::Activation(std::string("swish")).name == "swish");

  // A C++ callable with a name for the config.
  const act::Activation twice("twice", [](const Tensor& t) { return t * 2.0; });
  CHECK(twice(x).to_vector<float>() == std::vector<float>{-2, 0, 4});

  try {
    act::get("foo");
    FAIL("expected ValueError");
  } catch (const keras::ValueError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("Unknown activation: 'foo'") != std::string::npos);
    CHECK(msg.find("relu") != std::string::npos);
    CHECK(msg.find("log_softmax") != std::string::npos);
  }
  CHECK_THROWS_AS(act::Activation("Relu"), keras::ValueError);
}
