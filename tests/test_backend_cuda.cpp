// CUDA backend: host-side helpers (always), and every kernel compared with
// the CPU backend on the same random inputs (only when a GPU is present).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <numeric>
#include <random>
#include <vector>

#include "backends/cuda/launch_config.hpp"
#include "keras/backend.hpp"
#include "keras/tensor.hpp"

using keras::Device;
using keras::DType;
using keras::Shape;
using keras::Tensor;
namespace kb = keras::backend;
namespace kc = keras::backend::cuda;

// --- host-side helpers: no GPU needed --------------------------------------

TEST_CASE("cuda backend: launch configuration") {
  auto c = kc::launch_config(0);
  CHECK(c.grid == 0);
  c = kc::launch_config(1);
  CHECK(c.grid == 1);
  CHECK(c.block == 256);
  c = kc::launch_config(256);
  CHECK(c.grid == 1);
  c = kc::launch_config(257);
  CHECK(c.grid == 2);
  c = kc::launch_config(1000, 128);
  CHECK(c.grid == 8);
  CHECK(c.block == 128);
  // Huge sizes are capped; the grid-stride loop covers the rest.
  c = kc::launch_config(std::int64_t{1} << 40);
  CHECK(c.grid == 65535);
  c = kc::launch_config(-5);
  CHECK(c.grid == 0);
}

TEST_CASE("cuda backend: broadcast strides and layout merging") {
  CHECK(kc::contiguous_strides({2, 3, 4}) == std::vector<std::int64_t>{12, 4, 1});
  CHECK(kc::broadcast_strides({3, 1}, {4, 3, 5}) == std::vector<std::int64_t>{0, 1, 0});
  CHECK(kc::broadcast_strides({5}, {4, 3, 5}) == std::vector<std::int64_t>{0, 0, 1});

  // Same-shape contiguous operands merge to one dimension.
  kc::StridedLayout<2> L;
  REQUIRE(kc::make_layout<2>({2, 3, 4}, {kc::contiguous_strides({2, 3, 4}),
                                         kc::contiguous_strides({2, 3, 4})}, L));
  CHECK(L.rank == 1);
  CHECK(L.shape[0] == 24);
  CHECK(L.strides[0][0] == 1);

  // (4, 3, 5) + (3, 1): the bias-like operand keeps three dimensions.
  REQUIRE(kc::make_layout<2>({4, 3, 5}, {kc::contiguous_strides({4, 3, 5}),
                                         kc::broadcast_strides({3, 1}, {4, 3, 5})}, L));
  CHECK(L.rank == 3);
  CHECK(L.strides[1][0] == 0);
  CHECK(L.strides[1][1] == 1);
  CHECK(L.strides[1][2] == 0);

  // (8, 6) + (6,): rows broadcast; size-1 dims are dropped.
  REQUIRE(kc::make_layout<2>({1, 8, 1, 6}, {kc::contiguous_strides({1, 8, 1, 6}),
                                            kc::broadcast_strides({6}, {1, 8, 1, 6})}, L));
  CHECK(L.rank == 2);
  CHECK(L.shape[0] == 8);
  CHECK(L.shape[1] == 6);
  CHECK(L.strides[1][0] == 0);
  CHECK(L.strides[1][1] == 1);

  // Rank 9 that cannot merge is rejected.
  const Shape big{2, 2, 2, 2, 2, 2, 2, 2, 2};
  std::vector<std::int64_t> alt(9);
  for (int d = 0; d < 9; ++d) alt[d] = (d % 2) ? 1 : 1000;  // never contiguous
  kc::StridedLayout<1> L1;
  CHECK_FALSE(kc::make_layout<1>(big, {alt}, L1));
  CHECK(kc::make_layout<1>(big, {kc::contiguous_strides(big)}, L1));
  CHECK(L1.rank == 1);
}

TEST_CASE("cuda backend: reduce layout") {
  kc::ReduceLayout r;
  REQUIRE(kc::make_reduce_layout({4, 5, 6}, {1, 2}, r));
  CHECK(r.kept_size == 4);
  CHECK(r.reduced_size == 30);
  CHECK(r.inner_reduced);
  CHECK(r.reduced.rank == 1);  // axes 1 and 2 are contiguous: merged
  CHECK(r.kept.strides[0][0] == 30);

  REQUIRE(kc::make_reduce_layout({4, 5, 6}, {0}, r));
  CHECK_FALSE(r.inner_reduced);
  CHECK(r.kept.rank == 1);  // axes 1, 2 merge into 30 contiguous outputs
  CHECK(r.kept.shape[0] == 30);
  CHECK(r.reduced.strides[0][0] == 30);

  REQUIRE(kc::make_reduce_layout({4, 5, 6}, {0, 2}, r));
  CHECK(r.inner_reduced);
  CHECK(r.reduced.rank == 2);
  CHECK(r.kept_size == 5);

  // A trailing size-1 axis does not make the reduction "inner".
  REQUIRE(kc::make_reduce_layout({7, 3, 1}, {0}, r));
  CHECK_FALSE(r.inner_reduced);
}

// --- GPU vs CPU --------------------------------------------------------------

namespace {

bool have_gpu() {
  static const bool ok = kb::is_available(Device::Type::cuda);
  static bool announced = false;
  if (!ok && !announced) {  // once, not per test case
    std::cout << "\n*** SKIPPED: CUDA tests — no GPU present (only the host-side CUDA helper "
                 "tests ran) ***\n\n";
    announced = true;
  }
  return ok;
}

kb::Backend& cpu() { return kb::get(Device::cpu()); }
kb::Backend& gpu() { return kb::get(Device::cuda(0)); }

// The same tensor on both devices.
struct Pair {
  Tensor c, g;
};

Pair from_cpu(const Tensor& t) { return {t, t.to(Device::cuda(0))}; }

Pair uniform(const Shape& s, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(keras::shape_size(s)));
  for (auto& x : v) x = u(gen);
  return from_cpu(Tensor(s, v));
}

Pair integers(const Shape& s, DType t, int lo, int hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> u(lo, hi);
  const auto n = static_cast<std::size_t>(keras::shape_size(s));
  Tensor c;
  if (t == DType::int32) {
    std::vector<std::int32_t> v(n);
    for (auto& x : v) x = u(gen);
    c = Tensor(s, v);
  } else if (t == DType::int64) {
    std::vector<std::int64_t> v(n);
    for (auto& x : v) x = u(gen);
    c = Tensor(s, v);
  } else {
    std::vector<std::uint8_t> v(n);
    for (auto& x : v) x = static_cast<std::uint8_t>(u(gen));
    c = Tensor::from_data(s, t, v.data());
  }
  return from_cpu(c);
}

Pair zeros(const Shape& s, DType t = DType::float32) {
  return {Tensor::zeros(s, t), Tensor::zeros(s, t, Device::cuda(0))};
}

std::vector<double> values(const Tensor& t) {
  Tensor h = t.cpu();
  std::vector<double> out(static_cast<std::size_t>(h.size()));
  const auto n = out.size();
  switch (h.dtype()) {
    case DType::float32: for (std::size_t i = 0; i < n; ++i) out[i] = h.data<float>()[i]; break;
    case DType::int32: for (std::size_t i = 0; i < n; ++i) out[i] = h.data<std::int32_t>()[i]; break;
    case DType::int64: for (std::size_t i = 0; i < n; ++i) out[i] = double(h.data<std::int64_t>()[i]); break;
    case DType::uint8: for (std::size_t i = 0; i < n; ++i) out[i] = h.data<std::uint8_t>()[i]; break;
    case DType::bool_: for (std::size_t i = 0; i < n; ++i) out[i] = h.data<bool>()[i] ? 1 : 0; break;
  }
  return out;
}

// |cpu - gpu| <= atol + rtol |cpu| elementwise; NaNs must match.
void expect_close(const Pair& p, double rtol = 1e-5, double atol = 1e-5) {
  REQUIRE(p.c.shape() == p.g.shape());
  REQUIRE(p.c.dtype() == p.g.dtype());
  const auto a = values(p.c), b = values(p.g);
  std::size_t bad = 0, first = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool ok = (std::isnan(a[i]) && std::isnan(b[i])) ||
                    std::fabs(a[i] - b[i]) <= atol + rtol * std::fabs(a[i]);
    if (!ok && bad++ == 0) first = i;
  }
  INFO("mismatches: " << bad << " of " << a.size() << "; first at " << first << ": cpu "
                      << (a.empty() ? 0 : a[first]) << " vs cuda " << (b.empty() ? 0 : b[first]));
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("cuda backend: fill, cast, arange") {
  if (!have_gpu()) return;
  for (DType t : {DType::float32, DType::int32, DType::int64, DType::uint8, DType::bool_}) {
    Pair o = zeros({3, 5}, t);
    cpu().fill(o.c, 2.0);
    gpu().fill(o.g, 2.0);
    expect_close(o, 0, 0);
  }
  Pair x = uniform({4, 7}, -5, 5, 1);
  for (DType t : {DType::float32, DType::int32, DType::int64, DType::uint8, DType::bool_}) {
    Pair o = zeros({4, 7}, t);
    if (t == DType::uint8) continue;  // negative float -> uint8 is undefined in C++
    cpu().cast(x.c, o.c);
    gpu().cast(x.g, o.g);
    expect_close(o, 0, 0);
    Pair back = zeros({4, 7});
    cpu().cast(o.c, back.c);
    gpu().cast(o.g, back.g);
    expect_close(back, 0, 0);
  }
  for (DType t : {DType::float32, DType::int64}) {
    Pair o = zeros({9}, t);
    cpu().arange(o.c, 3, 2);
    gpu().arange(o.g, 3, 2);
    expect_close(o, 0, 0);
  }
}

TEST_CASE("cuda backend: unary ops and gradients") {
  if (!have_gpu()) return;
  using U = kb::Unary;
  const U ops[] = {U::neg, U::abs, U::sign, U::square, U::sqrt, U::rsqrt, U::exp, U::log,
                   U::log1p, U::reciprocal, U::tanh, U::sigmoid, U::relu, U::relu6, U::elu,
                   U::selu, U::softplus, U::softsign, U::gelu, U::gelu_tanh, U::silu,
                   U::leaky_relu, U::hard_sigmoid, U::floor, U::round};
  for (U op : ops) {
    const bool positive = op == U::sqrt || op == U::rsqrt || op == U::log || op == U::reciprocal;
    CAPTURE(static_cast<int>(op));
    Pair x = uniform({33, 17}, positive ? 0.2f : -8.0f, 8.0f, 10 + static_cast<unsigned>(op));
    Pair y = zeros({33, 17});
    cpu().unary(op, x.c, y.c, 0.3f);
    gpu().unary(op, x.g, y.g, 0.3f);
    expect_close(y, 2e-5, 1e-6);
    Pair dy = uniform({33, 17}, -1, 1, 99);
    Pair dx = zeros({33, 17});
    cpu().unary_backward(op, x.c, y.c, dy.c, dx.c, 0.3f);
    gpu().unary_backward(op, x.g, y.g, dy.g, dx.g, 0.3f);
    expect_close(dx, 2e-5, 1e-5);
  }
  for (DType t : {DType::int32, DType::int64}) {
    for (U op : {U::neg, U::abs, U::sign, U::square}) {
      Pair x = integers({50}, t, -20, 20, 3);
      Pair y = zeros({50}, t);
      cpu().unary(op, x.c, y.c, 0);
      gpu().unary(op, x.g, y.g, 0);
      expect_close(y, 0, 0);
    }
  }
}

TEST_CASE("cuda backend: binary ops with broadcasting") {
  if (!have_gpu()) return;
  using B = kb::Binary;
  const B ops[] = {B::add, B::sub, B::mul, B::div, B::pow, B::maximum, B::minimum,
                   B::equal, B::not_equal, B::less, B::less_equal, B::greater, B::greater_equal,
                   B::logical_and, B::logical_or};
  const std::vector<std::array<Shape, 3>> shapes = {
      {Shape{6, 7}, Shape{6, 7}, Shape{6, 7}},       {Shape{4, 1, 5}, Shape{3, 1}, Shape{4, 3, 5}},
      {Shape{2, 3, 4}, Shape{4}, Shape{2, 3, 4}},    {Shape{5, 1}, Shape{1, 6}, Shape{5, 6}},
      {Shape{1}, Shape{3, 2}, Shape{3, 2}},          {Shape{2, 3, 4, 5}, Shape{1}, Shape{2, 3, 4, 5}},
      {Shape{}, Shape{2, 2}, Shape{2, 2}}};
  for (const auto& s : shapes) {
    for (B op : ops) {
      CAPTURE(static_cast<int>(op));
      CAPTURE(keras::shape_str(s[2]));
      const bool pred = op >= B::equal;
      // Positive bases for pow; a coarse grid of values so equalities occur.
      Pair a = uniform(s[0], op == B::pow ? 0.5f : -3.0f, 3.0f, 5);
      Pair b = uniform(s[1], op == B::pow ? -2.0f : -3.0f, 3.0f, 6);
      if (pred) {
        Tensor ar = Tensor(s[0], [&] {
          auto v = a.c.to_vector<float>();
          for (auto& x : v) x = std::round(x);
          return v;
        }());
        a = from_cpu(ar);
        Tensor br = Tensor(s[1], [&] {
          auto v = b.c.to_vector<float>();
          for (auto& x : v) x = std::round(x);
          return v;
        }());
        b = from_cpu(br);
      }
      Pair o = zeros(s[2], pred && op < B::logical_and ? DType::bool_ : DType::float32);
      cpu().binary(op, a.c, b.c, o.c);
      gpu().binary(op, a.g, b.g, o.g);
      expect_close(o, 1e-5, 1e-6);
    }
  }
  // Integer dtypes (divisors never zero, small exponents).
  for (DType t : {DType::int32, DType::int64}) {
    for (B op : {B::add, B::sub, B::mul, B::div, B::pow, B::maximum, B::less, B::equal}) {
      Pair a = integers({4, 5}, t, -9, 9, 7);
      Pair b = integers({5}, t, 1, 3, 8);
      Pair o = zeros({4, 5}, op == B::less || op == B::equal ? DType::bool_ : t);
      cpu().binary(op, a.c, b.c, o.c);
      gpu().binary(op, a.g, b.g, o.g);
      expect_close(o, 0, 0);
    }
  }
}

TEST_CASE("cuda backend: where and clip") {
  if (!have_gpu()) return;
  Pair c = integers({4, 1, 6}, DType::bool_, 0, 1, 1);
  Pair a = uniform({3, 6}, -1, 1, 2);
  Pair b = uniform({1}, -1, 1, 3);
  Pair o = zeros({4, 3, 6});
  cpu().where(c.c, a.c, b.c, o.c);
  gpu().where(c.g, a.g, b.g, o.g);
  expect_close(o, 0, 0);
  Pair x = uniform({100}, -2, 2, 4);
  Pair y = zeros({100});
  cpu().clip(x.c, -0.5f, 0.7f, y.c);
  gpu().clip(x.g, -0.5f, 0.7f, y.g);
  expect_close(y, 0, 0);
}

TEST_CASE("cuda backend: reductions over axes") {
  if (!have_gpu()) return;
  using R = kb::Reduce;
  struct Case {
    Shape shape;
    std::vector<int> axes;
  };
  const std::vector<Case> cases = {
      {{6, 7, 8}, {0}},       {{6, 7, 8}, {1}},       {{6, 7, 8}, {2}},
      {{6, 7, 8}, {0, 2}},    {{6, 7, 8}, {1, 2}},    {{6, 7, 8}, {0, 1, 2}},
      {{3, 100000}, {1}},     {{100000, 3}, {0}},     {{1000000}, {0}},
      {{50, 3000}, {1}},      {{2, 5000, 3}, {0, 1}}, {{7}, {}}};
  for (const auto& k : cases) {
    for (R op : {R::sum, R::mean, R::max, R::min, R::prod}) {
      CAPTURE(keras::shape_str(k.shape));
      CAPTURE(static_cast<int>(op));
      const bool big = keras::shape_size(k.shape) > 1000;
      if (op == R::prod && big) continue;  // products of many values under/overflow
      Pair x = op == R::prod ? uniform(k.shape, 0.8f, 1.2f, 11) : uniform(k.shape, -1, 1, 11);
      Shape os = k.shape;
      for (int a : k.axes) os[a] = 1;
      Pair o = zeros(os);
      cpu().reduce(op, x.c, k.axes, o.c);
      gpu().reduce(op, x.g, k.axes, o.g);
      // Summation order differs between devices: relative to sqrt(n) * mean |x|.
      expect_close(o, 1e-4, big ? 1e-2 : 1e-5);
    }
  }
  Pair xi = integers({9, 10}, DType::int32, -50, 50, 5);
  for (R op : {R::sum, R::max, R::min}) {
    Pair o = zeros({9, 1}, DType::int32);
    cpu().reduce(op, xi.c, {1}, o.c);
    gpu().reduce(op, xi.g, {1}, o.g);
    expect_close(o, 0, 0);
  }
  Pair x = uniform({300, 70}, -1, 1, 5);
  Pair ss = zeros({});
  cpu().sum_squares(x.c, ss.c);
  gpu().sum_squares(x.g, ss.g);
  expect_close(ss, 1e-4, 0);
}

TEST_CASE("cuda backend: argmax and argmin") {
  if (!have_gpu()) return;
  for (bool mn : {false, true}) {
    Pair x = uniform({7, 9, 5}, -1, 1, 21);
    for (int axis : {0, 1, 2}) {
      Shape os = {7, 9, 5};
      os.erase(os.begin() + axis);
      Pair o = zeros(os, DType::int64);
      cpu().argmax(x.c, axis, o.c, mn);
      gpu().argmax(x.g, axis, o.g, mn);
      expect_close(o, 0, 0);
    }
    Pair xl = uniform({4, 3000}, -1, 1, 22);
    Pair ol = zeros({4}, DType::int64);
    cpu().argmax(xl.c, 1, ol.c, mn);
    gpu().argmax(xl.g, 1, ol.g, mn);
    expect_close(ol, 0, 0);
  }
  // Ties go to the first index.
  Pair t = from_cpu(Tensor({2, 40}, std::vector<float>(80, 1.0f)));
  Pair o = zeros({2}, DType::int64);
  gpu().argmax(t.g, 1, o.g, false);
  CHECK(o.g.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0});
}

TEST_CASE("cuda backend: transpose, concat, slice") {
  if (!have_gpu()) return;
  std::vector<int> perm = {0, 1, 2};
  Pair x = uniform({2, 3, 4}, -1, 1, 31);
  do {
    Shape os = {x.c.shape()[perm[0]], x.c.shape()[perm[1]], x.c.shape()[perm[2]]};
    Pair o = zeros(os);
    cpu().transpose(x.c, perm, o.c);
    gpu().transpose(x.g, perm, o.g);
    expect_close(o, 0, 0);
  } while (std::next_permutation(perm.begin(), perm.end()));
  {  // tiled paths (2-D and batched), int64 elements
    Pair m = integers({70, 45}, DType::int64, -100, 100, 32);
    Pair o = zeros({45, 70}, DType::int64);
    cpu().transpose(m.c, {1, 0}, o.c);
    gpu().transpose(m.g, {1, 0}, o.g);
    expect_close(o, 0, 0);
    Pair b = uniform({3, 40, 50}, -1, 1, 33);
    Pair ob = zeros({3, 50, 40});
    cpu().transpose(b.c, {0, 2, 1}, ob.c);
    gpu().transpose(b.g, {0, 2, 1}, ob.g);
    expect_close(ob, 0, 0);
  }
  Pair a = uniform({2, 3, 5}, -1, 1, 34), b = uniform({2, 1, 5}, -1, 1, 35),
       c = uniform({2, 4, 5}, -1, 1, 36);
  Pair o = zeros({2, 8, 5});
  cpu().concat({a.c, b.c, c.c}, 1, o.c);
  gpu().concat({a.g, b.g, c.g}, 1, o.g);
  expect_close(o, 0, 0);
  Pair u1 = integers({3, 3}, DType::uint8, 0, 255, 37), u2 = integers({3, 2}, DType::uint8, 0, 255, 38);
  Pair ou = zeros({3, 5}, DType::uint8);
  cpu().concat({u1.c, u2.c}, 1, ou.c);
  gpu().concat({u1.g, u2.g}, 1, ou.g);
  expect_close(ou, 0, 0);

  Pair s = zeros({2, 3, 5});
  cpu().slice(o.c, 1, 4, s.c);
  gpu().slice(o.g, 1, 4, s.g);
  expect_close(s, 0, 0);
  Pair dx = zeros({2, 8, 5});
  Pair dy = uniform({2, 3, 5}, -1, 1, 39);
  cpu().slice_backward(dy.c, 1, 4, dx.c);
  gpu().slice_backward(dy.g, 1, 4, dx.g);
  expect_close(dx, 0, 0);
}

TEST_CASE("cuda backend: take, take_backward, one_hot") {
  if (!have_gpu()) return;
  for (DType it : {DType::int32, DType::int64}) {
    Pair x = uniform({6, 4, 3}, -1, 1, 41);
    Pair idx = integers({2, 5}, it, 0, 3, 42);  // repeats
    Pair o = zeros({6, 2, 5, 3});
    cpu().take(x.c, idx.c, 1, o.c);
    gpu().take(x.g, idx.g, 1, o.g);
    expect_close(o, 0, 0);
    Pair dy = uniform({6, 2, 5, 3}, -1, 1, 43);
    Pair dx = zeros({6, 4, 3});
    cpu().take_backward(dy.c, idx.c, 1, dx.c);
    gpu().take_backward(dy.g, idx.g, 1, dx.g);
    expect_close(dx, 1e-5, 1e-6);
    Pair emb = uniform({10, 8}, -1, 1, 44);  // embedding lookup: axis 0
    Pair ids = integers({7}, it, 0, 9, 45);
    Pair oe = zeros({7, 8});
    cpu().take(emb.c, ids.c, 0, oe.c);
    gpu().take(emb.g, ids.g, 0, oe.g);
    expect_close(oe, 0, 0);
    Pair hot = integers({3, 4}, it, -1, 5, 46);
    Pair oh = zeros({3, 4, 6});
    cpu().one_hot(hot.c, 6, oh.c);
    gpu().one_hot(hot.g, 6, oh.g);
    expect_close(oh, 0, 0);
  }
}

TEST_CASE("cuda backend: matmul transposes, batches, alpha and beta") {
  if (!have_gpu()) return;
  const std::int64_t M = 37, K = 29, N = 23;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      CAPTURE(ta);
      CAPTURE(tb);
      Pair a = uniform(ta ? Shape{K, M} : Shape{M, K}, -1, 1, 51);
      Pair b = uniform(tb ? Shape{N, K} : Shape{K, N}, -1, 1, 52);
      Pair o = uniform({M, N}, -1, 1, 53);
      cpu().matmul(a.c, b.c, ta, tb, o.c, 1.5f, 0.5f);
      gpu().matmul(a.g, b.g, ta, tb, o.g, 1.5f, 0.5f);
      expect_close(o, 1e-4, 1e-4);
      // Batched both, batched A only, batched B only.
      for (int mode = 0; mode < 3; ++mode) {
        CAPTURE(mode);
        Shape sa = ta ? Shape{K, M} : Shape{M, K}, sb = tb ? Shape{N, K} : Shape{K, N};
        if (mode != 2) sa.insert(sa.begin(), 4);
        if (mode != 1) sb.insert(sb.begin(), 4);
        Pair ba = uniform(sa, -1, 1, 54), bb = uniform(sb, -1, 1, 55);
        Pair bo = zeros({4, M, N});
        cpu().matmul(ba.c, bb.c, ta, tb, bo.c, 1.0f, 0.0f);
        gpu().matmul(ba.g, bb.g, ta, tb, bo.g, 1.0f, 0.0f);
        expect_close(bo, 1e-4, 1e-4);
      }
    }
  }
}

TEST_CASE("cuda backend: softmax and log_softmax forward and backward") {
  if (!have_gpu()) return;
  const Shape s = {5, 6, 7};
  for (bool log : {false, true}) {
    for (int axis : {-1, 0, 1}) {
      CAPTURE(log);
      CAPTURE(axis);
      Pair x = uniform(s, -4, 4, 61);
      Pair y = zeros(s);
      cpu().softmax(x.c, axis, y.c, log);
      gpu().softmax(x.g, axis, y.g, log);
      expect_close(y, 1e-5, 1e-6);
      Pair dy = uniform(s, -1, 1, 62);
      Pair dx = zeros(s);
      cpu().softmax_backward(y.c, dy.c, axis, dx.c, log);
      gpu().softmax_backward(y.g, dy.g, axis, dx.g, log);
      expect_close(dx, 1e-4, 1e-5);
    }
  }
  Pair wide = uniform({3, 5000}, -10, 10, 63);  // long rows
  Pair yw = zeros({3, 5000});
  cpu().softmax(wide.c, -1, yw.c, false);
  gpu().softmax(wide.g, -1, yw.g, false);
  expect_close(yw, 1e-4, 1e-7);
}

TEST_CASE("cuda backend: sparse softmax cross-entropy with label smoothing") {
  if (!have_gpu()) return;
  for (DType lt : {DType::int32, DType::int64}) {
    for (float smooth : {0.0f, 0.1f}) {
      Pair logits = uniform({40, 10}, -5, 5, 71);
      Pair labels = integers({40}, lt, 0, 9, 72);
      Pair loss = zeros({40}), grad = zeros({40, 10});
      cpu().sparse_softmax_cross_entropy(logits.c, labels.c, smooth, loss.c, &grad.c);
      gpu().sparse_softmax_cross_entropy(logits.g, labels.g, smooth, loss.g, &grad.g);
      expect_close(loss, 1e-5, 1e-5);
      expect_close(grad, 1e-5, 1e-6);
      Pair loss2 = zeros({40});
      gpu().sparse_softmax_cross_entropy(logits.g, labels.g, smooth, loss2.g, nullptr);
      cpu().sparse_softmax_cross_entropy(logits.c, labels.c, smooth, loss2.c, nullptr);
      expect_close(loss2, 1e-5, 1e-5);
    }
  }
}

TEST_CASE("cuda backend: counter-based random matches the CPU generator") {
  if (!have_gpu()) return;
  Pair u = zeros({1000}), n = zeros({1000}), t = zeros({1000});
  cpu().random_uniform(u.c, -2, 3, 7);
  gpu().random_uniform(u.g, -2, 3, 7);
  expect_close(u, 1e-6, 1e-6);
  cpu().random_normal(n.c, 1, 2, 8);
  gpu().random_normal(n.g, 1, 2, 8);
  expect_close(n, 1e-5, 1e-5);
  cpu().random_truncated_normal(t.c, 0, 1, 9);
  gpu().random_truncated_normal(t.g, 0, 1, 9);
  expect_close(t, 1e-5, 1e-5);
  for (double v : values(t.g)) CHECK(std::fabs(v) <= 2.0);
  Pair p = zeros({500}, DType::int64);
  cpu().random_permutation(p.c, 10);
  gpu().random_permutation(p.g, 10);
  expect_close(p, 0, 0);
  auto perm = p.g.to_vector<std::int64_t>();
  std::sort(perm.begin(), perm.end());
  std::vector<std::int64_t> iota(500);
  std::iota(iota.begin(), iota.end(), 0);
  CHECK(perm == iota);
}

TEST_CASE("cuda backend: sgd and adam updates") {
  if (!have_gpu()) return;
  for (bool nesterov : {false, true}) {
    Pair w = uniform({300}, -1, 1, 81), g = uniform({300}, -1, 1, 82), v = uniform({300}, -1, 1, 83);
    cpu().sgd_update(w.c, g.c, &v.c, 0.1f, 0.9f, nesterov);
    gpu().sgd_update(w.g, g.g, &v.g, 0.1f, 0.9f, nesterov);
    expect_close(w, 1e-6, 1e-6);
    expect_close(v, 1e-6, 1e-6);
    cpu().sgd_update(w.c, g.c, nullptr, 0.1f, 0.0f, false);
    gpu().sgd_update(w.g, g.g, nullptr, 0.1f, 0.0f, false);
    expect_close(w, 1e-6, 1e-6);
  }
  for (bool ams : {false, true}) {
    for (float wd : {0.0f, 0.01f}) {
      Pair w = uniform({513}, -1, 1, 84), g = uniform({513}, -1, 1, 85);
      Pair m = uniform({513}, -0.1f, 0.1f, 86), v = uniform({513}, 0, 0.1f, 87),
           vh = uniform({513}, 0, 0.1f, 88);
      const kb::AdamStep st{1e-3f, 0.9f, 0.999f, 1e-7f, 0.9f * 0.9f, 0.999f * 0.999f, wd, ams};
      cpu().adam_update(w.c, g.c, m.c, v.c, &vh.c, st);
      gpu().adam_update(w.g, g.g, m.g, v.g, &vh.g, st);
      expect_close(w, 1e-5, 1e-6);
      expect_close(m, 1e-6, 1e-7);
      expect_close(v, 1e-6, 1e-7);
      expect_close(vh, 1e-6, 1e-7);
    }
  }
}

TEST_CASE("cuda backend: device errors throw instead of aborting") {
  if (!have_gpu()) return;
  // A petabyte cannot be allocated: a keras::RuntimeError, and the backend
  // keeps working afterwards.
  CHECK_THROWS_AS(gpu().allocate(std::size_t{1} << 50), keras::RuntimeError);
  Pair x = uniform({10}, -1, 1, 91);
  Pair y = zeros({10});
  cpu().unary(kb::Unary::exp, x.c, y.c, 0);
  gpu().unary(kb::Unary::exp, x.g, y.g, 0);
  expect_close(y);
}
