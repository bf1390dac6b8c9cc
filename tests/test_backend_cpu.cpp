// CPU backend kernels, called directly, against plain-loop references and
// central finite differences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <random>
#include <vector>

#include "keras/backend.hpp"
#include "keras/tensor.hpp"

using keras::DType;
using keras::Shape;
using keras::Tensor;
namespace kb = keras::backend;

namespace {

kb::Backend& be() { return kb::get(keras::Device::cpu()); }

template <class T>
Tensor make(const Shape& s, const std::vector<T>& v) {
  return Tensor::from_data(s, keras::dtype_of<T>::value, v.data());
}

std::vector<float> rnd(std::int64_t n, unsigned seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

std::vector<float> vec(const Tensor& t) { return t.to_vector<float>(); }

void check_close(const std::vector<float>& got, const std::vector<double>& want, double rtol,
                 double atol) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    CHECK(std::abs(got[i] - want[i]) <= atol + rtol * std::abs(want[i]));
    if (std::abs(got[i] - want[i]) > atol + rtol * std::abs(want[i])) return;  // one failure is enough
  }
}

// Flat index into `s` (aligned right against `out`) of output element i.
std::int64_t bcast_index(const Shape& out, const Shape& s, std::int64_t i) {
  std::int64_t idx = 0, stride = 1;
  const int off = static_cast<int>(out.size() - s.size());
  for (int d = static_cast<int>(out.size()) - 1; d >= 0; --d) {
    std::int64_t c = i % out[d];
    i /= out[d];
    int sd = d - off;
    if (sd < 0) continue;
    if (s[sd] != 1) idx += c * stride;
    stride *= s[sd];
  }
  return idx;
}

Shape bshape(const Shape& a, const Shape& b) {
  Shape o(std::max(a.size(), b.size()), 1);
  for (std::size_t i = 0; i < o.size(); ++i) {
    std::int64_t x = i < o.size() - a.size() ? 1 : a[i - (o.size() - a.size())];
    std::int64_t y = i < o.size() - b.size() ? 1 : b[i - (o.size() - b.size())];
    o[i] = std::max(x, y);
  }
  return o;
}

double binary_ref(kb::Binary op, double a, double b) {
  using B = kb::Binary;
  switch (op) {
    case B::add: return a + b;
    case B::sub: return a - b;
    case B::mul: return a * b;
    case B::div: return a / b;
    case B::pow: return std::pow(a, b);
    case B::maximum: return std::max(a, b);
    case B::minimum: return std::min(a, b);
    case B::equal: return a == b;
    case B::not_equal: return a != b;
    case B::less: return a < b;
    case B::less_equal: return a <= b;
    case B::greater: return a > b;
    case B::greater_equal: return a >= b;
    case B::logical_and: return a != 0 && b != 0;
    case B::logical_or: return a != 0 || b != 0;
  }
  return 0;
}

bool is_comparison(kb::Binary op) {
  return op >= kb::Binary::equal;
}

}  // namespace

TEST_CASE("cpu backend: allocator reuses freed blocks, 64-byte aligned") {
  auto& b = be();
  void* p = b.allocate(1000);
  CHECK(reinterpret_cast<std::uintptr_t>(p) % 64 == 0);
  b.deallocate(p, 1000);
  void* q = b.allocate(1000);
  CHECK(q == p);  // same size class comes back from the free list
  void* r = b.allocate(1 << 20);
  CHECK(reinterpret_cast<std::uintptr_t>(r) % 64 == 0);
  b.deallocate(q, 1000);
  b.deallocate(r, 1 << 20);
  CHECK(b.allocate(0) == nullptr);
}

TEST_CASE("cpu backend: binary ops broadcast like NumPy") {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {3, 1}}, {{2, 3, 4}, {1, 4}}, {{2, 3, 4}, {}},
      {{}, {2, 3, 4}},        {{2, 1, 4}, {3, 1}}, {{4}, {3, 1}},       {{1, 3, 1}, {2, 1, 5}},
      {{7}, {7}},             {{1}, {1}}};
  for (int o = 0; o <= static_cast<int>(kb::Binary::logical_or); ++o) {
    auto op = static_cast<kb::Binary>(o);
    for (auto& [sa, sb] : cases) {
      CAPTURE(o);
      Shape so = bshape(sa, sb);
      auto va = rnd(keras::shape_size(sa), 1, 0.5f, 2.0f);
      auto vb = rnd(keras::shape_size(sb), 2, 0.5f, 2.0f);
      if (keras::shape_size(sb) > 2) vb[1] = va[1 % va.size()];  // make equal-compare hit
      DType odt = is_comparison(op) ? DType::bool_ : DType::float32;
      Tensor out = Tensor::empty(so, odt);
      be().binary(op, make(sa, va), make(sb, vb), out);
      std::vector<double> want(keras::shape_size(so));
      for (std::size_t i = 0; i < want.size(); ++i)
        want[i] = binary_ref(op, va[bcast_index(so, sa, i)], vb[bcast_index(so, sb, i)]);
      std::vector<float> got;
      if (odt == DType::bool_) {
        for (auto x : out.to_vector<std::uint8_t>()) got.push_back(x);
      } else {
        got = vec(out);
      }
      check_close(got, want, 1e-6, 0);
    }
  }
}

TEST_CASE("cpu backend: binary ops on integer and bool dtypes") {
  std::vector<std::int32_t> a = {7, -8, 9, 0, 5, -3}, b = {2, 3};
  Tensor out = Tensor::empty({3, 2}, DType::int32);
  be().binary(kb::Binary::div, make<std::int32_t>({3, 2}, a), make<std::int32_t>({2}, b), out);
  CHECK(out.to_vector<std::int32_t>() == std::vector<std::int32_t>{3, -2, 4, 0, 2, -1});
  be().binary(kb::Binary::pow, make<std::int32_t>({3, 2}, a), make<std::int32_t>({2}, b), out);
  CHECK(out.to_vector<std::int32_t>() == std::vector<std::int32_t>{49, -512, 81, 0, 25, -27});
  Tensor big = Tensor::empty({3, 2}, DType::int64);
  std::vector<std::int64_t> a64(a.begin(), a.end());
  be().binary(kb::Binary::maximum, make<std::int64_t>({3, 2}, a64),
              make<std::int64_t>({}, {1}), big);
  CHECK(big.to_vector<std::int64_t>() == std::vector<std::int64_t>{7, 1, 9, 1, 5, 1});
  Tensor lt = Tensor::empty({3, 2}, DType::bool_);
  be().binary(kb::Binary::less, make<std::int32_t>({3, 2}, a), make<std::int32_t>({}, {1}), lt);
  CHECK(lt.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{0, 1, 0, 1, 0, 1});
  Tensor x = Tensor::from_data({4}, DType::bool_, std::vector<std::uint8_t>{0, 1, 0, 1}.data());
  Tensor y = Tensor::from_data({4}, DType::bool_, std::vector<std::uint8_t>{0, 0, 1, 1}.data());
  Tensor r = Tensor::empty({4}, DType::bool_);
  be().binary(kb::Binary::logical_and, x, y, r);
  CHECK(r.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{0, 0, 0, 1});
  be().binary(kb::Binary::logical_or, x, y, r);
  CHECK(r.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{0, 1, 1, 1});
}

TEST_CASE("cpu backend: large binary ops take the threaded paths") {
  const std::int64_t n = 1000003;
  auto va = rnd(n, 3), vb = rnd(n, 4);
  Tensor out = Tensor::empty({n});
  be().binary(kb::Binary::mul, make<float>({n}, va), make<float>({n}, vb), out);
  auto got = vec(out);
  for (std::int64_t i = 0; i < n; i += 997) CHECK(got[i] == va[i] * vb[i]);
  CHECK(got[n - 1] == va[n - 1] * vb[n - 1]);
  // (1000003/7 rows, 7) + (7,): row broadcast.
  const std::int64_t rows = 142858;
  auto vr = rnd(rows * 7, 5), vc = rnd(7, 6);
  Tensor o2 = Tensor::empty({rows, 7});
  be().binary(kb::Binary::add, make<float>({rows, 7}, vr), make<float>({7}, vc), o2);
  auto g2 = vec(o2);
  for (std::int64_t i = 0; i < rows * 7; i += 101) CHECK(g2[i] == vr[i] + vc[i % 7]);
  // Column broadcast (rows, 7) - (rows, 1).
  auto vcol = rnd(rows, 7);
  be().binary(kb::Binary::sub, make<float>({rows, 7}, vr), make<float>({rows, 1}, vcol), o2);
  g2 = vec(o2);
  for (std::int64_t i = 0; i < rows * 7; i += 103) CHECK(g2[i] == vr[i] - vcol[i / 7]);
}

namespace {

struct UnaryCase {
  kb::Unary op;
  std::function<double(double)> f;
  float lo, hi;  // sample range away from kinks and outside domains
};

double sig(double x) { return 1 / (1 + std::exp(-x)); }

std::vector<UnaryCase> unary_cases(float alpha) {
  using U = kb::Unary;
  const double ss = 1.0507009873554804934193349852946, sa = 1.6732632423543772848170429916717;
  return {
      {U::neg, [](double x) { return -x; }, -3, 3},
      {U::abs, [](double x) { return std::abs(x); }, 0.1f, 3},
      {U::sign, [](double x) { return (x > 0) - (x < 0); }, 0.1f, 3},
      {U::square, [](double x) { return x * x; }, -3, 3},
      {U::sqrt, [](double x) { return std::sqrt(x); }, 0.2f, 5},
      {U::rsqrt, [](double x) { return 1 / std::sqrt(x); }, 0.2f, 5},
      {U::exp, [](double x) { return std::exp(x); }, -5, 5},
      {U::log, [](double x) { return std::log(x); }, 0.1f, 10},
      {U::log1p, [](double x) { return std::log1p(x); }, -0.5f, 5},
      {U::reciprocal, [](double x) { return 1 / x; }, 0.3f, 5},
      {U::tanh, [](double x) { return std::tanh(x); }, -4, 4},
      {U::sigmoid, sig, -8, 8},
      {U::relu, [](double x) { return std::max(x, 0.0); }, 0.05f, 3},
      {U::relu6, [](double x) { return std::min(std::max(x, 0.0), 6.0); }, 0.05f, 5.9f},
      {U::elu, [=](double x) { return x > 0 ? x : alpha * std::expm1(x); }, -3, -0.05f},
      {U::selu, [=](double x) { return x > 0 ? ss * x : ss * sa * std::expm1(x); }, -3, -0.05f},
      {U::softplus, [](double x) { return std::log1p(std::exp(x)); }, -8, 8},
      {U::softsign, [](double x) { return x / (1 + std::abs(x)); }, -4, 4},
      {U::gelu, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, -4, 4},
      {U::gelu_tanh,
       [](double x) {
         return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
       },
       -4, 4},
      {U::silu, [](double x) { return x * sig(x); }, -6, 6},
      {U::leaky_relu, [=](double x) { return x > 0 ? x : alpha * x; }, -3, -0.05f},
      {U::hard_sigmoid, [](double x) { return std::clamp(x / 6 + 0.5, 0.0, 1.0); }, -2.9f, 2.9f},
      {U::floor, [](double x) { return std::floor(x); }, -3, 3},
      {U::round, [](double x) { return std::nearbyint(x); }, -3, 3},
  };
}

}  // namespace

TEST_CASE("cpu backend: unary ops match the formulas at odd sizes") {
  const float alpha = 0.3f;
  for (const auto& c : unary_cases(alpha)) {
    for (std::int64_t n : {1, 7, 33, 1000003}) {
      if (n == 1000003 && c.op != kb::Unary::exp && c.op != kb::Unary::relu) continue;
      CAPTURE(static_cast<int>(c.op));
      CAPTURE(n);
      auto v = rnd(n, 11, c.lo, c.hi);
      Tensor out = Tensor::empty({n});
      be().unary(c.op, make<float>({n}, v), out, alpha);
      std::vector<double> want(n);
      for (std::int64_t i = 0; i < n; ++i) want[i] = c.f(v[i]);
      check_close(vec(out), want, 2e-6, 1e-6);
    }
  }
  // round is half-to-even; sign/abs/neg/square also on integers.
  Tensor r = Tensor::empty({4});
  be().unary(kb::Unary::round, make<float>({4}, {0.5f, 1.5f, 2.5f, -0.5f}), r, 0);
  CHECK(vec(r) == std::vector<float>{0, 2, 2, -0});
  Tensor ri = Tensor::empty({3}, DType::int32);
  be().unary(kb::Unary::abs, make<std::int32_t>({3}, {-4, 0, 5}), ri, 0);
  CHECK(ri.to_vector<std::int32_t>() == std::vector<std::int32_t>{4, 0, 5});
  Tensor rl = Tensor::empty({3}, DType::int64);
  be().unary(kb::Unary::sign, make<std::int64_t>({3}, {-4, 0, 5}), rl, 0);
  CHECK(rl.to_vector<std::int64_t>() == std::vector<std::int64_t>{-1, 0, 1});
  Tensor nb = Tensor::empty({3}, DType::bool_);
  be().unary(kb::Unary::logical_not, make<float>({3}, {0.0f, 2.0f, -1.0f}), nb, 0);
  CHECK(nb.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{1, 0, 0});
}

TEST_CASE("cpu backend: unary_backward matches central differences of unary") {
  const float alpha = 0.3f;
  for (const auto& c : unary_cases(alpha)) {
    CAPTURE(static_cast<int>(c.op));
    const std::int64_t n = 37;
    auto v = rnd(n, 12, c.lo, c.hi);
    auto dyv = rnd(n, 13);
    Tensor x = make<float>({n}, v), y = Tensor::empty({n}), dx = Tensor::empty({n});
    be().unary(c.op, x, y, alpha);
    be().unary_backward(c.op, x, y, make<float>({n}, dyv), dx, alpha);
    const float h = 1e-3f;
    std::vector<float> vp(v), vm(v);
    for (auto& e : vp) e += h;
    for (auto& e : vm) e -= h;
    Tensor yp = Tensor::empty({n}), ym = Tensor::empty({n});
    be().unary(c.op, make<float>({n}, vp), yp, alpha);
    be().unary(c.op, make<float>({n}, vm), ym, alpha);
    auto fp = vec(yp), fm = vec(ym);
    std::vector<double> want(n);
    const bool step = c.op == kb::Unary::floor || c.op == kb::Unary::round ||
                      c.op == kb::Unary::sign;
    for (std::int64_t i = 0; i < n; ++i)
      want[i] = step ? 0.0 : dyv[i] * (double(fp[i]) - double(fm[i])) / (2.0 * h);
    check_close(vec(dx), want, 5e-3, 5e-3);
  }
}

TEST_CASE("cpu backend: reduce over every axis subset of (2,3,4)") {
  const Shape s = {2, 3, 4};
  auto v = rnd(24, 21, 0.5f, 1.5f);
  std::vector<std::int32_t> vi(24);
  for (int i = 0; i < 24; ++i) vi[i] = (i * 7) % 11 - 5;
  for (int mask = 0; mask < 8; ++mask) {
    std::vector<int> axes;
    Shape so = s;
    for (int d = 0; d < 3; ++d)
      if (mask & (1 << d)) {
        axes.push_back(d);
        so[d] = 1;
      }
    for (int o = 0; o <= static_cast<int>(kb::Reduce::prod); ++o) {
      auto op = static_cast<kb::Reduce>(o);
      CAPTURE(mask);
      CAPTURE(o);
      // Reference: accumulate every element into its output slot.
      std::int64_t n_out = keras::shape_size(so);
      std::vector<double> acc(n_out), cnt(n_out);
      std::vector<std::int64_t> iacc(n_out);
      std::vector<bool> first(n_out, true);
      for (int i = 0; i < 24; ++i) {
        int c[3] = {i / 12, (i / 4) % 3, i % 4};
        std::int64_t oi = 0;
        for (int d = 0; d < 3; ++d) oi = oi * so[d] + (so[d] == 1 ? 0 : c[d]);
        double x = v[i];
        std::int64_t xi = vi[i];
        if (first[oi]) {
          acc[oi] = x;
          iacc[oi] = xi;
          first[oi] = false;
        } else if (op == kb::Reduce::sum || op == kb::Reduce::mean) {
          acc[oi] += x;
          iacc[oi] += xi;
        } else if (op == kb::Reduce::prod) {
          acc[oi] *= x;
          iacc[oi] *= xi;
        } else if (op == kb::Reduce::max) {
          acc[oi] = std::max(acc[oi], x);
          iacc[oi] = std::max(iacc[oi], xi);
        } else {
          acc[oi] = std::min(acc[oi], x);
          iacc[oi] = std::min(iacc[oi], xi);
        }
        cnt[oi] += 1;
      }
      std::vector<double> want(acc), iwant(n_out);
      for (std::int64_t i = 0; i < n_out; ++i) {
        if (op == kb::Reduce::mean) {
          want[i] /= cnt[i];
          iacc[i] /= static_cast<std::int64_t>(cnt[i]);
        }
        iwant[i] = static_cast<double>(iacc[i]);
      }
      Tensor out = Tensor::empty(so);
      be().reduce(op, make<float>(s, v), axes, out);
      check_close(vec(out), want, 1e-5, 0);
      Tensor outi = Tensor::empty(so, DType::int32);
      be().reduce(op, make<std::int32_t>(s, vi), axes, outi);
      std::vector<float> goti;
      for (auto x : outi.to_vector<std::int32_t>()) goti.push_back(static_cast<float>(x));
      check_close(goti, iwant, 0, 0);
    }
  }
}

TEST_CASE("cpu backend: large reductions: all, leading axis, last axis") {
  const std::int64_t n = 1000003;
  std::vector<float> v(n);
  for (std::int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 10) * 0.1f;
  double want = 0;
  for (float x : v) want += x;
  Tensor out = Tensor::empty({1});
  be().reduce(kb::Reduce::sum, make<float>({n}, v), {0}, out);
  CHECK(out.item() == doctest::Approx(want).epsilon(1e-6));
  be().reduce(kb::Reduce::max, make<float>({n}, v), {0}, out);
  CHECK(out.item() == doctest::Approx(0.9));
  // Bias gradient shape: sum over axis 0 of (N, C).
  const std::int64_t rows = 1009, cols = 13;
  auto m = rnd(rows * cols, 22);
  std::vector<double> col(cols, 0.0), row(rows, 0.0);
  for (std::int64_t i = 0; i < rows * cols; ++i) {
    col[i % cols] += m[i];
    row[i / cols] += m[i];
  }
  Tensor oc = Tensor::empty({1, cols}), orow = Tensor::empty({rows, 1});
  be().reduce(kb::Reduce::sum, make<float>({rows, cols}, m), {0}, oc);
  be().reduce(kb::Reduce::sum, make<float>({rows, cols}, m), {1}, orow);
  check_close(vec(oc), col, 1e-4, 1e-4);
  check_close(vec(orow), row, 1e-5, 1e-5);
  Tensor ss = Tensor::empty({});
  be().sum_squares(make<float>({rows * cols}, m), ss);
  double sq = 0;
  for (float x : m) sq += double(x) * x;
  CHECK(ss.item() == doctest::Approx(sq).epsilon(1e-5));
}

TEST_CASE("cpu backend: argmax and argmin along each axis") {
  const Shape s = {2, 3, 4};
  auto v = rnd(24, 31);
  v[5] = v[1];  // a tie: the first index wins
  for (int axis = 0; axis < 3; ++axis)
    for (bool mn : {false, true}) {
      Shape so;
      for (int d = 0; d < 3; ++d)
        if (d != axis) so.push_back(s[d]);
      Tensor out = Tensor::empty(so, DType::int64);
      be().argmax(make<float>(s, v), axis, out, mn);
      auto got = out.to_vector<std::int64_t>();
      std::int64_t outer = 1, inner = 1;
      for (int d = 0; d < axis; ++d) outer *= s[d];
      for (int d = axis + 1; d < 3; ++d) inner *= s[d];
      for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t i = 0; i < inner; ++i) {
          std::int64_t best = 0;
          for (std::int64_t a = 1; a < s[axis]; ++a) {
            float x = v[(o * s[axis] + a) * inner + i], b = v[(o * s[axis] + best) * inner + i];
            if (mn ? x < b : x > b) best = a;
          }
          CHECK(got[o * inner + i] == best);
        }
    }
}

TEST_CASE("cpu backend: transpose by every permutation") {
  for (Shape s : {Shape{2, 3, 4}, Shape{3, 1, 5}, Shape{2, 3, 4, 5}}) {
    const int nd = static_cast<int>(s.size());
    std::vector<int> perm(nd);
    std::iota(perm.begin(), perm.end(), 0);
    const std::int64_t n = keras::shape_size(s);
    std::vector<std::int64_t> v(n);
    std::iota(v.begin(), v.end(), 100);
    do {
      Shape so(nd);
      for (int i = 0; i < nd; ++i) so[i] = s[perm[i]];
      Tensor out = Tensor::empty(so, DType::int64);
      be().transpose(make<std::int64_t>(s, v), perm, out);
      auto got = out.to_vector<std::int64_t>();
      std::vector<std::int64_t> xstride(nd, 1);
      for (int d = nd - 2; d >= 0; --d) xstride[d] = xstride[d + 1] * s[d + 1];
      bool ok = true;
      for (std::int64_t i = 0; i < n; ++i) {
        std::int64_t r = i, src = 0;
        for (int d = nd - 1; d >= 0; --d) {
          src += (r % so[d]) * xstride[perm[d]];
          r /= so[d];
        }
        ok = ok && got[i] == v[src];
      }
      CAPTURE(keras::shape_str(s));
      CHECK(ok);
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
  // A big 2-D float transpose (tiled path) and uint8.
  const std::int64_t r = 67, c = 131;
  auto m = rnd(r * c, 32);
  Tensor t = Tensor::empty({c, r});
  be().transpose(make<float>({r, c}, m), {1, 0}, t);
  auto g = vec(t);
  bool ok = true;
  for (std::int64_t i = 0; i < r; ++i)
    for (std::int64_t j = 0; j < c; ++j) ok = ok && g[j * r + i] == m[i * c + j];
  CHECK(ok);
  Tensor u = Tensor::empty({3, 2}, DType::uint8);
  be().transpose(make<std::uint8_t>({2, 3}, {1, 2, 3, 4, 5, 6}), {1, 0}, u);
  CHECK(u.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("cpu backend: concat, slice and slice_backward") {
  Tensor a = make<float>({2, 2}, {1, 2, 3, 4}), b = make<float>({2, 1}, {5, 6});
  Tensor out = Tensor::empty({2, 3});
  be().concat({a, b}, 1, out);
  CHECK(vec(out) == std::vector<float>{1, 2, 5, 3, 4, 6});
  Tensor o0 = Tensor::empty({4, 2});
  be().concat({a, a}, 0, o0);
  CHECK(vec(o0) == std::vector<float>{1, 2, 3, 4, 1, 2, 3, 4});
  Tensor s = Tensor::empty({2, 2});
  be().slice(out, 1, 1, s);
  CHECK(vec(s) == std::vector<float>{2, 5, 4, 6});
  Tensor dx = Tensor::zeros({2, 3});
  be().slice_backward(make<float>({2, 2}, {1, 1, 1, 1}), 1, 1, dx);
  be().slice_backward(make<float>({2, 1}, {5, 5}), 1, 2, dx);
  CHECK(vec(dx) == std::vector<float>{0, 1, 6, 0, 1, 6});
}

TEST_CASE("cpu backend: take and take_backward on axis 0 and 1, one_hot") {
  const Shape s = {4, 3};
  std::vector<float> v(12);
  std::iota(v.begin(), v.end(), 0.0f);
  Tensor x = make<float>(s, v);
  // Axis 0 with repeated int64 indices of shape (2, 2).
  Tensor idx = make<std::int64_t>({2, 2}, {3, 0, 3, 1});
  Tensor out = Tensor::empty({2, 2, 3});
  be().take(x, idx, 0, out);
  CHECK(vec(out) == std::vector<float>{9, 10, 11, 0, 1, 2, 9, 10, 11, 3, 4, 5});
  Tensor dx = Tensor::zeros(s);
  std::vector<float> dy(12, 1.0f);
  be().take_backward(make<float>({2, 2, 3}, dy), idx, 0, dx);
  CHECK(vec(dx) == std::vector<float>{1, 1, 1, 1, 1, 1, 0, 0, 0, 2, 2, 2});
  // Axis 1 with int32 indices.
  Tensor idx1 = make<std::int32_t>({3}, {2, 2, 0});
  Tensor out1 = Tensor::empty({4, 3});
  be().take(x, idx1, 1, out1);
  CHECK(vec(out1) == std::vector<float>{2, 2, 0, 5, 5, 3, 8, 8, 6, 11, 11, 9});
  Tensor dx1 = Tensor::zeros(s);
  be().take_backward(make<float>({4, 3}, v), idx1, 1, dx1);
  CHECK(vec(dx1) == std::vector<float>{2, 0, 1, 5, 0, 7, 8, 0, 13, 11, 0, 19});
  // Embedding-like gather of int32 rows.
  Tensor ti = Tensor::empty({2, 2}, DType::int32);
  be().take(make<std::int32_t>({3, 2}, {1, 2, 3, 4, 5, 6}), make<std::int64_t>({2}, {2, 0}), 0,
            ti);
  CHECK(ti.to_vector<std::int32_t>() == std::vector<std::int32_t>{5, 6, 1, 2});
  Tensor oh = Tensor::empty({3, 4});
  be().one_hot(make<std::int32_t>({3}, {2, -1, 0}), 4, oh);
  CHECK(vec(oh) == std::vector<float>{0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0});
}

TEST_CASE("cpu backend: matmul with every transpose combination, alpha, beta and batches") {
  const std::int64_t M = 3, K = 5, N = 4;
  auto va = rnd(2 * M * K, 41), vb = rnd(2 * K * N, 42), vc = rnd(2 * M * N, 43);
  // Logical A (M,K), B (K,N) for batch element bi.
  auto A = [&](int bi, std::int64_t i, std::int64_t k, bool ta) {
    return ta ? va[bi * M * K + k * M + i] : va[bi * M * K + i * K + k];
  };
  auto Bm = [&](int bi, std::int64_t k, std::int64_t j, bool tb) {
    return tb ? vb[bi * K * N + j * K + k] : vb[bi * K * N + k * N + j];
  };
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      CAPTURE(ta);
      CAPTURE(tb);
      Shape sa = ta ? Shape{K, M} : Shape{M, K}, sb = tb ? Shape{N, K} : Shape{K, N};
      std::vector<float> a1(va.begin(), va.begin() + M * K), b1(vb.begin(), vb.begin() + K * N);
      Tensor out = make<float>({M, N}, std::vector<float>(vc.begin(), vc.begin() + M * N));
      be().matmul(make<float>(sa, a1), make<float>(sb, b1), ta, tb, out, 2.0f, 0.5f);
      std::vector<double> want(M * N);
      for (std::int64_t i = 0; i < M; ++i)
        for (std::int64_t j = 0; j < N; ++j) {
          double s = 0;
          for (std::int64_t k = 0; k < K; ++k) s += double(A(0, i, k, ta)) * Bm(0, k, j, tb);
          want[i * N + j] = 2.0 * s + 0.5 * vc[i * N + j];
        }
      check_close(vec(out), want, 1e-5, 1e-5);
      // Batched: (2, ...) @ (2, ...), (2, ...) @ (...), (...) @ (2, ...).
      for (int mode = 0; mode < 3; ++mode) {
        CAPTURE(mode);
        Shape bsa = sa, bsb = sb;
        if (mode != 2) bsa.insert(bsa.begin(), 2);
        if (mode != 1) bsb.insert(bsb.begin(), 2);
        std::vector<float> ua(va.begin(), va.begin() + keras::shape_size(bsa));
        std::vector<float> ub(vb.begin(), vb.begin() + keras::shape_size(bsb));
        Tensor o = Tensor::empty({2, M, N});
        be().matmul(make<float>(bsa, ua), make<float>(bsb, ub), ta, tb, o, 1.0f, 0.0f);
        std::vector<double> w(2 * M * N);
        for (int bi = 0; bi < 2; ++bi)
          for (std::int64_t i = 0; i < M; ++i)
            for (std::int64_t j = 0; j < N; ++j) {
              double s = 0;
              for (std::int64_t k = 0; k < K; ++k)
                s += double(A(mode == 2 ? 0 : bi, i, k, ta)) * Bm(mode == 1 ? 0 : bi, k, j, tb);
              w[(bi * M + i) * N + j] = s;
            }
        check_close(vec(o), w, 1e-5, 1e-5);
      }
    }
}

namespace {

// Reference softmax over `axis` of a (2,3,4) tensor, in double.
std::vector<double> softmax_ref(const std::vector<float>& v, const Shape& s, int axis, bool log) {
  std::int64_t outer = 1, inner = 1, n = s[axis];
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (std::size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  std::vector<double> y(v.size());
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      double mx = -1e30, sum = 0;
      for (std::int64_t a = 0; a < n; ++a) mx = std::max(mx, double(v[(o * n + a) * inner + i]));
      for (std::int64_t a = 0; a < n; ++a) sum += std::exp(v[(o * n + a) * inner + i] - mx);
      for (std::int64_t a = 0; a < n; ++a) {
        double x = v[(o * n + a) * inner + i] - mx;
        y[(o * n + a) * inner + i] = log ? x - std::log(sum) : std::exp(x) / sum;
      }
    }
  return y;
}

}  // namespace

TEST_CASE("cpu backend: softmax and log_softmax, forward and backward") {
  const Shape s = {2, 3, 21};  // 21: a full xsimd batch plus a tail
  const std::int64_t n = keras::shape_size(s);
  auto v = rnd(n, 51, -5, 5);
  auto w = rnd(n, 52);  // loss = sum(w * y)
  for (int axis : {2, 1, 0})
    for (bool log : {false, true}) {
      CAPTURE(axis);
      CAPTURE(log);
      Tensor y = Tensor::empty(s);
      be().softmax(make<float>(s, v), axis, y, log);
      check_close(vec(y), softmax_ref(v, s, axis, log), 1e-5, 1e-6);
      Tensor dx = Tensor::empty(s);
      be().softmax_backward(y, make<float>(s, w), axis, dx, log);
      auto got = vec(dx);
      // Central differences of sum(w * softmax(x)) in double.
      const double h = 1e-3;
      std::vector<double> want(n);
      for (std::int64_t i = 0; i < n; i += 5) {
        std::vector<float> vp(v), vm(v);
        vp[i] += h;
        vm[i] -= h;
        auto yp = softmax_ref(vp, s, axis, log), ym = softmax_ref(vm, s, axis, log);
        double d = 0;
        for (std::int64_t j = 0; j < n; ++j) d += w[j] * (yp[j] - ym[j]);
        d /= double(vp[i]) - double(vm[i]);  // the step float rounding actually took
        INFO("element " << i);
        CHECK(std::abs(got[i] - d) <= 1e-3 + 1e-3 * std::abs(d));
      }
    }
}

TEST_CASE("cpu backend: sparse softmax cross-entropy, with and without label smoothing") {
  const std::int64_t N = 5, C = 19;
  auto v = rnd(N * C, 61, -4, 4);
  std::vector<std::int64_t> lab = {0, 18, 7, 7, 3};
  std::vector<std::int32_t> lab32(lab.begin(), lab.end());
  for (float sm : {0.0f, 0.1f}) {
    CAPTURE(sm);
    std::vector<double> loss(N), grad(N * C);
    for (std::int64_t r = 0; r < N; ++r) {
      double mx = -1e30, sum = 0;
      for (std::int64_t j = 0; j < C; ++j) mx = std::max(mx, double(v[r * C + j]));
      for (std::int64_t j = 0; j < C; ++j) sum += std::exp(v[r * C + j] - mx);
      for (std::int64_t j = 0; j < C; ++j) {
        double t = (1 - sm) * (j == lab[r]) + sm / C;
        double logp = v[r * C + j] - mx - std::log(sum);
        loss[r] -= t * logp;
        grad[r * C + j] = std::exp(logp) - t;
      }
    }
    for (bool use64 : {true, false}) {
      Tensor l = Tensor::empty({N}), g = Tensor::empty({N, C});
      Tensor labels = use64 ? make<std::int64_t>({N}, lab) : make<std::int32_t>({N}, lab32);
      be().sparse_softmax_cross_entropy(make<float>({N, C}, v), labels, sm, l, &g);
      check_close(vec(l), loss, 1e-5, 1e-6);
      check_close(vec(g), grad, 1e-5, 1e-6);
      Tensor l2 = Tensor::empty({N});
      be().sparse_softmax_cross_entropy(make<float>({N, C}, v), labels, sm, l2, nullptr);
      CHECK(vec(l2) == vec(l));
    }
  }
}

TEST_CASE("cpu backend: random numbers are deterministic with plausible moments") {
  const std::int64_t n = 100000;
  Tensor a = Tensor::empty({n}), b = Tensor::empty({n}), c = Tensor::empty({n});
  be().random_uniform(a, 0.0f, 1.0f, 42);
  be().random_uniform(b, 0.0f, 1.0f, 42);
  be().random_uniform(c, 0.0f, 1.0f, 43);
  auto va = vec(a), vb = vec(b), vc = vec(c);
  CHECK(va == vb);
  CHECK(va != vc);
  auto moments = [](const std::vector<float>& x) {
    double m = 0, s = 0;
    for (float e : x) m += e;
    m /= x.size();
    for (float e : x) s += (e - m) * (e - m);
    return std::pair<double, double>(m, std::sqrt(s / x.size()));
  };
  auto [um, us] = moments(va);
  CHECK(um == doctest::Approx(0.5).epsilon(0.01));
  CHECK(us == doctest::Approx(std::sqrt(1.0 / 12)).epsilon(0.01));
  CHECK(*std::min_element(va.begin(), va.end()) >= 0.0f);
  CHECK(*std::max_element(va.begin(), va.end()) < 1.0f);
  be().random_uniform(a, -3.0f, -1.0f, 7);
  va = vec(a);
  CHECK(*std::min_element(va.begin(), va.end()) >= -3.0f);
  CHECK(*std::max_element(va.begin(), va.end()) < -1.0f);
  be().random_normal(a, 0.0f, 1.0f, 5);
  auto [nm, ns] = moments(vec(a));
  CHECK(std::abs(nm) < 0.02);
  CHECK(ns == doctest::Approx(1.0).epsilon(0.02));
  be().random_normal(b, 3.0f, 2.0f, 5);
  vb = vec(b);
  va = vec(a);
  CHECK(vb[17] == doctest::Approx(3.0f + 2.0f * va[17]));  // same seed, same stream
  be().random_truncated_normal(c, 1.0f, 0.5f, 9);
  vc = vec(c);
  CHECK(*std::min_element(vc.begin(), vc.end()) >= 1.0f - 1.0f - 1e-6f);
  CHECK(*std::max_element(vc.begin(), vc.end()) <= 1.0f + 1.0f + 1e-6f);
  auto [tm, ts] = moments(vc);
  CHECK(tm == doctest::Approx(1.0).epsilon(0.01));
  CHECK(ts == doctest::Approx(0.5 * 0.8796).epsilon(0.02));  // std of N(0,1) cut at +-2
  Tensor p = Tensor::empty({1000}, DType::int64), q = Tensor::empty({1000}, DType::int64);
  be().random_permutation(p, 3);
  be().random_permutation(q, 3);
  auto vp = p.to_vector<std::int64_t>();
  CHECK(vp == q.to_vector<std::int64_t>());
  auto sorted = vp;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> iota(1000);
  std::iota(iota.begin(), iota.end(), 0);
  CHECK(sorted == iota);
  CHECK(vp != iota);
}

TEST_CASE("cpu backend: sgd and adam updates follow the Keras formulas") {
  const std::int64_t n = 1003;
  auto w0 = rnd(n, 71), g = rnd(n, 72), m0 = rnd(n, 73, -0.1f, 0.1f), v0 = rnd(n, 74, 0, 0.1f);
  // SGD: plain, momentum, nesterov.
  for (int mode = 0; mode < 3; ++mode) {
    Tensor w = make<float>({n}, w0), vel = make<float>({n}, m0);
    be().sgd_update(w, make<float>({n}, g), mode ? &vel : nullptr, 0.1f, 0.9f, mode == 2);
    std::vector<double> want(n), wantv(n);
    for (std::int64_t i = 0; i < n; ++i) {
      double vi = 0.9 * m0[i] - 0.1 * g[i];
      wantv[i] = vi;
      want[i] = mode == 0 ? w0[i] - 0.1 * g[i] : w0[i] + (mode == 2 ? 0.9 * vi - 0.1 * g[i] : vi);
    }
    check_close(vec(w), want, 1e-6, 1e-6);
    if (mode) check_close(vec(vel), wantv, 1e-6, 1e-6);
  }
  // Adam, AMSGrad, AdamW at step t = 3.
  for (int mode = 0; mode < 3; ++mode) {
    CAPTURE(mode);
    kb::AdamStep st{0.01f, 0.9f, 0.999f, 1e-7f, std::pow(0.9f, 3.0f), std::pow(0.999f, 3.0f),
                    mode == 2 ? 0.004f : 0.0f, mode == 1};
    auto vh0 = rnd(n, 75, 0, 0.1f);
    Tensor w = make<float>({n}, w0), m = make<float>({n}, m0), v = make<float>({n}, v0),
           vh = make<float>({n}, vh0);
    be().adam_update(w, make<float>({n}, g), m, v, mode == 1 ? &vh : nullptr, st);
    std::vector<double> ww(n), wm(n), wv(n), wh(n);
    const double alpha = 0.01 * std::sqrt(1 - double(st.beta2_power)) / (1 - double(st.beta1_power));
    for (std::int64_t i = 0; i < n; ++i) {
      double wi = w0[i];
      if (mode == 2) wi -= 0.01 * 0.004 * wi;
      wm[i] = 0.9 * m0[i] + 0.1 * g[i];
      wv[i] = 0.999 * v0[i] + 0.001 * double(g[i]) * g[i];
      wh[i] = std::max(double(vh0[i]), wv[i]);
      ww[i] = wi - alpha * wm[i] / (std::sqrt(mode == 1 ? wh[i] : wv[i]) + 1e-7);
    }
    check_close(vec(w), ww, 1e-5, 1e-6);
    check_close(vec(m), wm, 1e-5, 1e-7);
    check_close(vec(v), wv, 1e-5, 1e-7);
    if (mode == 1) check_close(vec(vh), wh, 1e-5, 1e-7);
  }
  // A big Adam step uses the thread pool; spot-check against one element.
  const std::int64_t big = 300007;
  auto wb = rnd(big, 76), gb = rnd(big, 77);
  Tensor w = make<float>({big}, wb), m = Tensor::zeros({big}), v = Tensor::zeros({big});
  kb::AdamStep st{0.001f, 0.9f, 0.999f, 1e-7f, 0.9f, 0.999f, 0.0f, false};
  be().adam_update(w, make<float>({big}, gb), m, v, nullptr, st);
  auto got = vec(w);
  for (std::int64_t i = 0; i < big; i += 1001) {
    double mm = 0.1 * gb[i], vv = 0.001 * double(gb[i]) * gb[i];
    double a = 0.001 * std::sqrt(0.001) / 0.1;
    CHECK(got[i] == doctest::Approx(wb[i] - a * mm / (std::sqrt(vv) + 1e-7)).epsilon(1e-5));
  }
}

TEST_CASE("cpu backend: fill, cast, arange, where, clip") {
  Tensor f = Tensor::empty({5}, DType::int32);
  be().fill(f, 7.9);
  CHECK(f.to_vector<std::int32_t>() == std::vector<std::int32_t>(5, 7));
  Tensor x = make<float>({4}, {-1.5f, 0.0f, 2.7f, 3.0f});
  Tensor i = Tensor::empty({4}, DType::int64);
  be().cast(x, i);
  CHECK(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{-1, 0, 2, 3});
  Tensor b = Tensor::empty({4}, DType::bool_);
  be().cast(x, b);
  CHECK(b.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{1, 0, 1, 1});
  Tensor u = Tensor::empty({4}, DType::float32);
  be().cast(make<std::uint8_t>({4}, {0, 1, 200, 255}), u);
  CHECK(vec(u) == std::vector<float>{0, 1, 200, 255});
  Tensor r = Tensor::empty({4}, DType::int64);
  be().arange(r, 2, 3);
  CHECK(r.to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 5, 8, 11});
  Tensor rf = Tensor::empty({3});
  be().arange(rf, 0.5, -0.25);
  CHECK(vec(rf) == std::vector<float>{0.5f, 0.25f, 0.0f});
  // where with a (2,1) condition, a (2,3) and a scalar.
  Tensor cond = Tensor::from_data({2, 1}, DType::bool_, std::vector<std::uint8_t>{1, 0}.data());
  Tensor out = Tensor::empty({2, 3});
  be().where(cond, make<float>({2, 3}, {1, 2, 3, 4, 5, 6}), make<float>({}, {-1}), out);
  CHECK(vec(out) == std::vector<float>{1, 2, 3, -1, -1, -1});
  Tensor c = Tensor::empty({4});
  be().clip(x, -1.0f, 2.5f, c);
  CHECK(vec(c) == std::vector<float>{-1.0f, 0.0f, 2.5f, 2.5f});
}
