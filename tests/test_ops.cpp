// keras::ops on every available backend: values against plain-loop
// references, and gradients against central finite differences.
#include <algorithm>
#include <cmath>

#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
using namespace testing;

namespace {

struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> ref;
  float lo, hi;
  bool kink_at_zero;
};

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<UnaryCase> unary_cases() {
  const double selu_a = 1.6732632423543772, selu_s = 1.0507009873554805;
  return {
      {"negative", [](auto& x) { return ops::negative(x); }, [](double x) { return -x; }, -2, 2, false},
      {"abs", [](auto& x) { return ops::abs(x); }, [](double x) { return std::fabs(x); }, -2, 2, true},
      {"square", [](auto& x) { return ops::square(x); }, [](double x) { return x * x; }, -2, 2, false},
      {"sqrt", [](auto& x) { return ops::sqrt(x); }, [](double x) { return std::sqrt(x); }, 0.2f, 3, false},
      {"rsqrt", [](auto& x) { return ops::rsqrt(x); }, [](double x) { return 1 / std::sqrt(x); }, 0.3f, 3, false},
      {"exp", [](auto& x) { return ops::exp(x); }, [](double x) { return std::exp(x); }, -2, 2, false},
      {"log", [](auto& x) { return ops::log(x); }, [](double x) { return std::log(x); }, 0.2f, 3, false},
      {"log1p", [](auto& x) { return ops::log1p(x); }, [](double x) { return std::log1p(x); }, -0.5f, 3, false},
      {"reciprocal", [](auto& x) { return ops::reciprocal(x); }, [](double x) { return 1 / x; }, 0.3f, 3, false},
      {"tanh", [](auto& x) { return ops::tanh(x); }, [](double x) { return std::tanh(x); }, -3, 3, false},
      {"sigmoid", [](auto& x) { return ops::sigmoid(x); }, sigmoid_ref, -5, 5, false},
      {"relu", [](auto& x) { return ops::relu(x); }, [](double x) { return std::max(x, 0.0); }, -2, 2, true},
      {"relu6", [](auto& x) { return ops::relu6(x); }, [](double x) { return std::min(std::max(x, 0.0), 6.0); }, -2, 5.5f, true},
      {"elu", [](auto& x) { return ops::elu(x, 1.0); }, [](double x) { return x > 0 ? x : std::expm1(x); }, -2, 2, true},
      {"selu", [](auto& x) { return ops::selu(x); },
       [=](double x) { return selu_s * (x > 0 ? x : selu_a * std::expm1(x)); }, -2, 2, true},
      {"softplus", [](auto& x) { return ops::softplus(x); }, [](double x) { return std::log1p(std::exp(x)); }, -4, 4, false},
      {"softsign", [](auto& x) { return ops::softsign(x); }, [](double x) { return x / (1 + std::fabs(x)); }, -3, 3, true},
      {"gelu_exact", [](auto& x) { return ops::gelu(x, false); },
       [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, -3, 3, false},
      {"gelu_tanh", [](auto& x) { return ops::gelu(x, true); },
       [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }, -3, 3, false},
      {"silu", [](auto& x) { return ops::silu(x); }, [](double x) { return x * sigmoid_ref(x); }, -4, 4, false},
      {"leaky_relu", [](auto& x) { return ops::leaky_relu(x, 0.2); }, [](double x) { return x > 0 ? x : 0.2 * x; }, -2, 2, true},
      {"hard_sigmoid", [](auto& x) { return ops::hard_sigmoid(x); },
       [](double x) { return std::min(1.0, std::max(0.0, x / 6 + 0.5)); }, -2.5f, 2.5f, false},
  };
}

}  // namespace

TEST_CASE("ops: unary ops match references and finite differences") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    for (auto& c : unary_cases()) {
      // Odd sizes exercise vector tails.
      for (std::int64_t n : {1, 7, 37}) {
        Tensor x = c.kink_at_zero ? away_from_zero({n}, c.lo, c.hi, 0.05f, 3, d) : random_tensor({n}, c.lo, c.hi, 3, d);
        auto xv = x.cpu().to_vector<float>();
        std::vector<float> want;
        for (float v : xv) want.push_back(static_cast<float>(c.ref(v)));
        check_close(c.op(x), want, 1e-5, 1e-4, std::string(c.name) + " on " + d.str());
      }
      Tensor x = c.kink_at_zero ? away_from_zero({2, 3}, c.lo, c.hi, 0.05f, 5, d) : random_tensor({2, 3}, c.lo, c.hi, 5, d);
      gradcheck(std::string("grad ") + c.name, [&](auto& in) { return c.op(in[0]); }, {x}, 1e-3, 2e-2);
    }
  }
}

TEST_CASE("ops: binary ops broadcast like NumPy") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    struct B {
      const char* name;
      std::function<Tensor(const Tensor&, const Tensor&)> op;
      std::function<double(double, double)> ref;
    };
    std::vector<B> cases = {
        {"add", ops::add, [](double a, double b) { return a + b; }},
        {"subtract", ops::subtract, [](double a, double b) { return a - b; }},
        {"multiply", ops::multiply, [](double a, double b) { return a * b; }},
        {"divide", ops::divide, [](double a, double b) { return a / b; }},
        {"power", ops::power, [](double a, double b) { return std::pow(a, b); }},
        {"maximum", ops::maximum, [](double a, double b) { return std::max(a, b); }},
        {"minimum", ops::minimum, [](double a, double b) { return std::min(a, b); }},
    };
    std::vector<std::pair<Shape, Shape>> shapes = {
        {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {3, 1}}, {{2, 3, 4}, {1, 4}}, {{2, 3, 4}, {}}, {{4}, {2, 3, 4}},
        {{2, 1, 4}, {1, 3, 1}}};
    for (auto& c : cases) {
      for (auto& [sa, sb] : shapes) {
        Tensor a = random_tensor(sa, 0.5f, 2.0f, 11, d), b = random_tensor(sb, 0.5f, 2.0f, 12, d);
        Tensor y = c.op(a, b);
        Shape so = {2, 3, 4};
        if (sa == Shape{2, 1, 4}) so = {2, 3, 4};
        REQUIRE(y.shape() == so);
        auto av = a.cpu().to_vector<float>(), bv = b.cpu().to_vector<float>();
        std::vector<float> want(24);
        // Reference broadcasting by explicit index arithmetic.
        auto at = [](const std::vector<float>& v, const Shape& s, int i, int j, int k) {
          Shape full(3 - s.size(), 1);
          full.insert(full.end(), s.begin(), s.end());
          int ii = full[0] == 1 ? 0 : i, jj = full[1] == 1 ? 0 : j, kk = full[2] == 1 ? 0 : k;
          return v[(ii * full[1] + jj) * full[2] + kk];
        };
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k) want[(i * 3 + j) * 4 + k] = static_cast<float>(c.ref(at(av, sa, i, j, k), at(bv, sb, i, j, k)));
        check_close(y, want, 1e-5, 1e-5, std::string(c.name) + " " + keras::shape_str(sa) + " with " + keras::shape_str(sb));
        if (std::string(c.name) != "maximum" && std::string(c.name) != "minimum")
          gradcheck(std::string("grad ") + c.name + " " + keras::shape_str(sa) + " with " + keras::shape_str(sb),
                    [&](auto& in) { return c.op(in[0], in[1]); }, {a, b}, 1e-3, 2e-2);
      }
    }
    // maximum/minimum away from ties.
    Tensor a = Tensor({2, 3}, std::vector<float>{1, 5, 2, 8, 0.5f, 3}).to(d);
    Tensor b = Tensor({2, 3}, std::vector<float>{2, 4, 3, 7, 1.5f, 2}).to(d);
    gradcheck("grad maximum", [](auto& in) { return ops::maximum(in[0], in[1]); }, {a, b}, 1e-3);
    gradcheck("grad minimum", [](auto& in) { return ops::minimum(in[0], in[1]); }, {a, b}, 1e-3);
  }
}

TEST_CASE("ops: incompatible broadcast names the op and both shapes") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4});
  try {
    ops::add(a, b);
    FAIL("expected ValueError");
  } catch (const keras::ValueError& e) {
    std::string m = e.what();
    CHECK(m.find("add") != std::string::npos);
    CHECK(m.find("(2, 3)") != std::string::npos);
    CHECK(m.find("(4,)") != std::string::npos);
  }
}

TEST_CASE("ops: comparisons, where and clip") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor a = Tensor({5}, std::vector<float>{1, 2, 3, 4, 5}).to(d);
    Tensor b = Tensor({5}, std::vector<float>{5, 2, 1, 4, 0}).to(d);
    check_close(ops::greater(a, b), {0, 0, 1, 0, 1}, 0, 0, "greater");
    check_close(ops::equal(a, b), {0, 1, 0, 1, 0}, 0, 0, "equal");
    check_close(ops::less_equal(a, b), {1, 1, 0, 1, 0}, 0, 0, "less_equal");
    CHECK(ops::equal(a, b).dtype() == keras::bool_);
    check_close(ops::where(ops::greater(a, b), a, b), {5, 2, 3, 4, 5}, 0, 0, "where");
    check_close(ops::clip(a, 2, 4), {2, 2, 3, 4, 4}, 0, 0, "clip");
    Tensor x = Tensor({4}, std::vector<float>{-1.5f, 0.3f, 0.7f, 2.5f}).to(d);
    gradcheck("grad clip", [](auto& in) { return ops::clip(in[0], 0, 1); }, {x}, 1e-3);
    Tensor c = ops::greater(Tensor({2, 2}, std::vector<float>{1, -1, -1, 1}).to(d), Tensor::scalar(0, keras::float32, d));
    gradcheck("grad where", [&](auto& in) { return ops::where(c, in[0], in[1]); },
              {random_tensor({2, 2}, -1, 1, 1, d), random_tensor({2}, -1, 1, 2, d)}, 1e-3);
  }
}

TEST_CASE("ops: reductions over every axis subset") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = random_tensor({2, 3, 4}, -2, 2, 21, d);
    auto xv = x.cpu().to_vector<float>();
    for (int mask = 0; mask < 8; ++mask) {
      std::vector<int> axes;
      for (int a = 0; a < 3; ++a)
        if (mask & (1 << a)) axes.push_back(a);
      int dims[3] = {2, 3, 4};
      int od[3];
      for (int a = 0; a < 3; ++a) od[a] = (mask & (1 << a)) || mask == 0 ? 1 : dims[a];
      int on = od[0] * od[1] * od[2];
      std::vector<double> s(on, 0), mx(on, -1e30), mn(on, 1e30), pr(on, 1);
      std::vector<int> cnt(on, 0);
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
          for (int k = 0; k < 4; ++k) {
            int o = ((od[0] == 1 ? 0 : i) * od[1] + (od[1] == 1 ? 0 : j)) * od[2] + (od[2] == 1 ? 0 : k);
            double v = xv[(i * 3 + j) * 4 + k];
            s[o] += v;
            mx[o] = std::max(mx[o], v);
            mn[o] = std::min(mn[o], v);
            pr[o] *= v;
            cnt[o]++;
          }
      std::vector<float> ws, wm, wmx, wmn, wp;
      for (int o = 0; o < on; ++o) {
        ws.push_back(static_cast<float>(s[o]));
        wm.push_back(static_cast<float>(s[o] / cnt[o]));
        wmx.push_back(static_cast<float>(mx[o]));
        wmn.push_back(static_cast<float>(mn[o]));
        wp.push_back(static_cast<float>(pr[o]));
      }
      std::string tag = "axes mask " + std::to_string(mask) + " on " + d.str();
      check_close(ops::sum(x, axes, true), ws, 1e-5, 1e-5, "sum " + tag);
      check_close(ops::mean(x, axes), wm, 1e-5, 1e-5, "mean " + tag);
      check_close(ops::max(x, axes), wmx, 0, 0, "max " + tag);
      check_close(ops::min(x, axes), wmn, 0, 0, "min " + tag);
      check_close(ops::prod(x, axes), wp, 1e-5, 1e-4, "prod " + tag);
      gradcheck("grad sum " + tag, [&](auto& in) { return ops::sum(in[0], axes); }, {x}, 1e-3);
      gradcheck("grad mean " + tag, [&](auto& in) { return ops::mean(in[0], axes, true); }, {x}, 1e-3);
      gradcheck("grad max " + tag, [&](auto& in) { return ops::max(in[0], axes); }, {x}, 1e-3);
      gradcheck("grad prod " + tag, [&](auto& in) { return ops::prod(in[0], axes); }, {x}, 1e-3, 3e-2);
    }
    CHECK(ops::sum(x).shape() == Shape{});
    CHECK(ops::sum(x, {-1}).shape() == Shape{2, 3});
    CHECK(ops::sum(x, {0, 2}, true).shape() == Shape{1, 3, 1});
  }
}

TEST_CASE("ops: argmax and argmin") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = Tensor({{1.0f, 9.0f, 3.0f}, {7.0f, 2.0f, 5.0f}}).to(d);
    Tensor am = ops::argmax(x, -1);
    CHECK(am.dtype() == keras::int64);
    CHECK(am.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0});
    CHECK(ops::argmax(x, 0).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1});
    CHECK(ops::argmin(x, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1});
  }
}

TEST_CASE("ops: reshape, transpose, concatenate, slice, take") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = random_tensor({2, 3, 4}, -1, 1, 31, d);
    auto xv = x.cpu().to_vector<float>();
    CHECK(ops::reshape(x, {6, -1}).shape() == Shape{6, 4});
    CHECK_THROWS_AS(ops::reshape(x, {5, -1}), keras::ValueError);
    gradcheck("grad reshape", [](auto& in) { return ops::reshape(in[0], {4, 6}); }, {x}, 1e-3);

    std::vector<int> perm = {2, 0, 1};
    Tensor t = ops::transpose(x, perm);
    REQUIRE(t.shape() == Shape{4, 2, 3});
    std::vector<float> want;
    for (int k = 0; k < 4; ++k)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j) want.push_back(xv[(i * 3 + j) * 4 + k]);
    check_close(t, want, 0, 0, "transpose");
    gradcheck("grad transpose", [&](auto& in) { return ops::transpose(in[0], perm); }, {x}, 1e-3);

    Tensor y = random_tensor({2, 2, 4}, -1, 1, 32, d);
    Tensor c = ops::concatenate({x, y}, 1);
    REQUIRE(c.shape() == Shape{2, 5, 4});
    auto yv = y.cpu().to_vector<float>();
    want.clear();
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 4; ++k) want.push_back(xv[(i * 3 + j) * 4 + k]);
      for (int j = 0; j < 2; ++j)
        for (int k = 0; k < 4; ++k) want.push_back(yv[(i * 2 + j) * 4 + k]);
    }
    check_close(c, want, 0, 0, "concatenate axis 1");
    gradcheck("grad concatenate", [](auto& in) { return ops::concatenate({in[0], in[1]}, 1); }, {x, y}, 1e-3);

    Tensor s = ops::slice_axis(x, 2, 1, 3);
    REQUIRE(s.shape() == Shape{2, 3, 2});
    want.clear();
    for (int i = 0; i < 6; ++i)
      for (int k = 1; k < 3; ++k) want.push_back(xv[i * 4 + k]);
    check_close(s, want, 0, 0, "slice axis 2");
    gradcheck("grad slice axis 2", [](auto& in) { return ops::slice_axis(in[0], 2, 1, 3); }, {x}, 1e-3);
    gradcheck("grad slice axis 0", [](auto& in) { return in[0].slice(1, 2); }, {x}, 1e-3);

    Tensor idx = Tensor({4}, std::vector<std::int64_t>{2, 0, 2, 1}).to(d);
    Tensor g = ops::take(x, idx, 1);
    REQUIRE(g.shape() == Shape{2, 4, 4});
    want.clear();
    for (int i = 0; i < 2; ++i)
      for (int j : {2, 0, 2, 1})
        for (int k = 0; k < 4; ++k) want.push_back(xv[(i * 3 + j) * 4 + k]);
    check_close(g, want, 0, 0, "take axis 1");
    gradcheck("grad take (repeated indices accumulate)", [&](auto& in) { return ops::take(in[0], idx, 1); }, {x}, 1e-3);
    Tensor bad = Tensor({1}, std::vector<std::int64_t>{3}).to(d);
    if (d.is_cpu()) CHECK_THROWS_AS(ops::take(x, bad, 1), keras::ValueError);
  }
}

TEST_CASE("ops: matmul 2-D, batched, broadcast and vectors") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    auto ref = [](const std::vector<float>& a, const std::vector<float>& b, int bt, int m, int k, int n, bool bshared) {
      std::vector<float> o(bt * m * n, 0);
      for (int z = 0; z < bt; ++z)
        for (int i = 0; i < m; ++i)
          for (int j = 0; j < n; ++j) {
            double s = 0;
            for (int p = 0; p < k; ++p) s += a[(z * m + i) * k + p] * b[(bshared ? 0 : z * k * n) + p * n + j];
            o[(z * m + i) * n + j] = static_cast<float>(s);
          }
      return o;
    };
    Tensor a = random_tensor({5, 7}, -1, 1, 41, d), b = random_tensor({7, 3}, -1, 1, 42, d);
    check_close(ops::matmul(a, b), ref(a.cpu().to_vector<float>(), b.cpu().to_vector<float>(), 1, 5, 7, 3, true), 1e-5,
                1e-4, "matmul 2-D");
    gradcheck("grad matmul 2-D", [](auto& in) { return ops::matmul(in[0], in[1]); }, {a, b}, 1e-2, 2e-2);
    Tensor a3 = random_tensor({2, 4, 5}, -1, 1, 43, d), b3 = random_tensor({2, 5, 3}, -1, 1, 44, d);
    check_close(ops::matmul(a3, b3), ref(a3.cpu().to_vector<float>(), b3.cpu().to_vector<float>(), 2, 4, 5, 3, false),
                1e-5, 1e-4, "matmul batched");
    gradcheck("grad matmul batched", [](auto& in) { return ops::matmul(in[0], in[1]); }, {a3, b3}, 1e-2);
    Tensor b2 = random_tensor({5, 3}, -1, 1, 45, d);
    check_close(ops::matmul(a3, b2), ref(a3.cpu().to_vector<float>(), b2.cpu().to_vector<float>(), 2, 4, 5, 3, true),
                1e-5, 1e-4, "matmul (2,4,5) @ (5,3)");
    gradcheck("grad matmul folded", [](auto& in) { return ops::matmul(in[0], in[1]); }, {a3, b2}, 1e-2);
    Tensor b1 = random_tensor({2, 1, 5, 3}, -1, 1, 46, d);
    CHECK(ops::matmul(a3, b1).shape() == Shape{2, 2, 4, 3});
    gradcheck("grad matmul broadcast batch", [](auto& in) { return ops::matmul(in[0], in[1]); }, {a3, b1}, 1e-2);
    Tensor v = random_tensor({7}, -1, 1, 47, d);
    CHECK(ops::matmul(a, v).shape() == Shape{5});
    CHECK(ops::matmul(v, b).shape() == Shape{3});
    CHECK_THROWS_AS(ops::matmul(a, a), keras::ValueError);
  }
}

TEST_CASE("ops: softmax, log_softmax and cross-entropies") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor x = random_tensor({3, 5}, -3, 3, 51, d);
    auto xv = x.cpu().to_vector<float>();
    std::vector<float> sm, lsm;
    for (int i = 0; i < 3; ++i) {
      double mx = -1e30, s = 0;
      for (int j = 0; j < 5; ++j) mx = std::max<double>(mx, xv[i * 5 + j]);
      for (int j = 0; j < 5; ++j) s += std::exp(xv[i * 5 + j] - mx);
      for (int j = 0; j < 5; ++j) {
        sm.push_back(static_cast<float>(std::exp(xv[i * 5 + j] - mx) / s));
        lsm.push_back(static_cast<float>(xv[i * 5 + j] - mx - std::log(s)));
      }
    }
    check_close(ops::softmax(x), sm, 1e-6, 1e-5, "softmax");
    check_close(ops::log_softmax(x), lsm, 1e-5, 1e-5, "log_softmax");
    gradcheck("grad softmax", [](auto& in) { return ops::softmax(in[0]); }, {x}, 1e-3);
    gradcheck("grad softmax axis 0", [](auto& in) { return ops::softmax(in[0], 0); }, {x}, 1e-3);
    gradcheck("grad log_softmax", [](auto& in) { return ops::log_softmax(in[0]); }, {x}, 1e-3);

    // Large logits stay finite (log-sum-exp).
    Tensor big = Tensor({1, 3}, std::vector<float>{1000, 0, -1000}).to(d);
    Tensor lbl = Tensor({1}, std::vector<std::int64_t>{1}).to(d);
    CHECK(ops::sparse_categorical_crossentropy(lbl, big, true).item() == doctest::Approx(1000).epsilon(1e-6));

    Tensor labels = Tensor({3}, std::vector<std::int64_t>{4, 0, 2}).to(d);
    for (double s : {0.0, 0.1}) {
      std::vector<float> want;
      for (int i = 0; i < 3; ++i) {
        int l = std::vector<int>{4, 0, 2}[i];
        double loss = 0;
        for (int j = 0; j < 5; ++j) loss -= ((j == l ? 1 - s : 0) + s / 5) * lsm[i * 5 + j];
        want.push_back(static_cast<float>(loss));
      }
      std::string tag = "smoothing " + std::to_string(s);
      check_close(ops::sparse_categorical_crossentropy(labels, x, true, s), want, 1e-5, 1e-5, "sparse CE logits " + tag);
      check_close(ops::categorical_crossentropy(ops::one_hot(labels, 5), x, true, s), want, 1e-5, 1e-5,
                  "categorical CE logits " + tag);
      gradcheck("grad sparse CE " + tag, [&](auto& in) { return ops::sparse_categorical_crossentropy(labels, in[0], true, s); },
                {x}, 1e-3);
      gradcheck("grad categorical CE " + tag,
                [&](auto& in) { return ops::categorical_crossentropy(ops::one_hot(labels, 5), in[0], true, s); }, {x}, 1e-3);
    }
    // Probabilities: the same values as from logits (no clipping active here).
    std::vector<float> want;
    for (int i = 0; i < 3; ++i) want.push_back(-lsm[i * 5 + std::vector<int>{4, 0, 2}[i]]);
    {
      keras::autograd::NoGradGuard ng;  // the probability path, not the fused one
      check_close(ops::sparse_categorical_crossentropy(labels, ops::softmax(x), false), want, 1e-5, 1e-4, "sparse CE probs");
    }
    gradcheck("grad sparse CE through softmax",
              [&](auto& in) { return ops::sparse_categorical_crossentropy(labels, ops::softmax(in[0]), false); }, {x}, 1e-3);
    gradcheck("grad sparse CE probs path",
              [&](auto& in) { return ops::sparse_categorical_crossentropy(labels, ops::sigmoid(in[0]), false); }, {x}, 1e-3);
    Tensor out_of_range = Tensor({3}, std::vector<std::int64_t>{4, 5, 0}).to(d);
    if (d.is_cpu()) CHECK_THROWS_AS(ops::sparse_categorical_crossentropy(out_of_range, x, true), keras::ValueError);

    Tensor t = Tensor({2, 2}, std::vector<float>{1, 0, 0, 1}).to(d);
    Tensor z = Tensor({2, 2}, std::vector<float>{0.3f, -1.2f, 2.0f, 0.1f}).to(d);
    std::vector<float> bce;
    auto tv = t.cpu().to_vector<float>(), zv = z.cpu().to_vector<float>();
    for (int i = 0; i < 4; ++i) {
      double p = sigmoid_ref(zv[i]);
      bce.push_back(static_cast<float>(-(tv[i] * std::log(p) + (1 - tv[i]) * std::log(1 - p))));
    }
    check_close(ops::binary_crossentropy(t, z, true), bce, 1e-5, 1e-5, "binary CE logits");
    check_close(ops::binary_crossentropy(t, ops::sigmoid(z), false), bce, 1e-5, 1e-4, "binary CE probs");
    gradcheck("grad binary CE", [&](auto& in) { return ops::binary_crossentropy(t, in[0], true); }, {z}, 1e-3);
  }
}

TEST_CASE("ops: one_hot, cast, arange") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor oh = ops::one_hot(Tensor({3}, std::vector<std::int64_t>{2, 0, 1}).to(d), 3);
    check_close(oh, {0, 0, 1, 1, 0, 0, 0, 1, 0}, 0, 0, "one_hot");
    Tensor f = Tensor({4}, std::vector<float>{-1.7f, 0.2f, 2.9f, 255.0f}).to(d);
    CHECK(ops::cast(f, keras::int32).to_vector<std::int32_t>() == std::vector<std::int32_t>{-1, 0, 2, 255});
    CHECK(ops::cast(f, keras::bool_).to_vector<std::uint8_t>() == std::vector<std::uint8_t>{1, 1, 1, 1});
    CHECK(ops::arange(4).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2, 3});
  }
}

TEST_CASE("ops: random ops are seeded and have the right moments") {
  keras::random::set_seed(7);
  Tensor a = ops::random_uniform({10000}, -1, 1);
  keras::random::set_seed(7);
  Tensor b = ops::random_uniform({10000}, -1, 1);
  CHECK(a.to_vector<float>() == b.to_vector<float>());
  CHECK(ops::mean(a).item() == doctest::Approx(0).epsilon(0.03).scale(1));
  CHECK(ops::max(a).item() <= 1.0);
  CHECK(ops::min(a).item() >= -1.0);
  Tensor n = ops::random_normal({20000}, 1, 2);
  CHECK(ops::mean(n).item() == doctest::Approx(1).epsilon(0.05));
  double var = ops::mean(ops::square(n - 1.0)).item();
  CHECK(std::sqrt(var) == doctest::Approx(2).epsilon(0.05));
  Tensor p = ops::random_permutation(1000);
  auto pv = p.to_vector<std::int64_t>();
  std::sort(pv.begin(), pv.end());
  for (int i = 0; i < 1000; ++i) REQUIRE(pv[i] == i);
  Tensor x = Tensor::ones({10000});
  Tensor dx = ops::dropout(x, 0.25);
  double kept = ops::mean(ops::cast(ops::greater(dx, Tensor::scalar(0)), keras::float32)).item();
  CHECK(kept == doctest::Approx(0.75).epsilon(0.05));
  CHECK(ops::max(dx).item() == doctest::Approx(1.0 / 0.75));
}

TEST_CASE("ops: dtype checks name the op") {
  Tensor i = Tensor({2}, std::vector<std::int32_t>{1, 2});
  CHECK_THROWS_WITH_AS(ops::exp(i), doctest::Contains("exp"), keras::TypeError);
  CHECK_THROWS_AS(ops::softmax(i), keras::TypeError);
}
