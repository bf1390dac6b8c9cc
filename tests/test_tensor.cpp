// keras::Tensor basics: construction, access, conversion, printing, autograd.
#include <sstream>

#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;

TEST_CASE("tensor: construction and element access") {
  Tensor x({5, 1}, std::vector<float>{1, 2, 3, 4, 5});
  CHECK(x.shape() == Shape{5, 1});
  CHECK(x.dtype() == keras::float32);
  CHECK(x.at<float>(3, 0) == 4);
  Tensor m({{1.0f, 2.0f}, {3.0f, 4.0f}});
  CHECK(m.at<float>(1, 0) == 3);
  CHECK(m.data<float>()[3] == 4);
  CHECK(m.shape() == Shape{2, 2});
  Tensor c({{{1.0f, 2.0f}, {3.0f, 4.0f}}, {{5.0f, 6.0f}, {7.0f, 8.0f}}});
  CHECK(c.shape() == Shape{2, 2, 2});
  CHECK(c.at<float>(1, 0, 1) == 6);
  CHECK_THROWS_AS(Tensor({2, 2}, std::vector<float>{1, 2, 3}), keras::ValueError);
  CHECK_THROWS_AS((Tensor{{1.0f, 2.0f}, {3.0f}}), keras::ValueError);
  CHECK_THROWS_AS(m.at<float>(2, 0), keras::ValueError);
  CHECK_THROWS_AS(m.at<int>(0, 0), keras::TypeError);
  CHECK_THROWS_AS(m.data<std::int64_t>(), keras::TypeError);
  CHECK(Tensor::zeros({3}, keras::int64).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 0});
  CHECK(Tensor::full({2}, 2.5).to_vector<float>() == std::vector<float>{2.5f, 2.5f});
}

TEST_CASE("tensor: astype, arithmetic with scalars and broadcasting") {
  Tensor u({3}, std::vector<std::uint8_t>{0, 51, 255});
  Tensor f = u.astype(keras::float32) / 255.0f;
  CHECK(f.dtype() == keras::float32);
  CHECK(f.at<float>(1) == doctest::Approx(0.2));
  CHECK(f.at<float>(2) == doctest::Approx(1.0));
  Tensor m({{1.0f, 2.0f}, {3.0f, 4.0f}});
  Tensor r = m * 2.0 + Tensor({10.0f, 20.0f}) - 1.0;
  CHECK(r.to_vector<float>() == std::vector<float>{11, 23, 15, 27});
  CHECK((1.0 - m).to_vector<float>() == std::vector<float>{0, -1, -2, -3});
  CHECK((-m).at<float>(0, 1) == -2);
  Tensor i = Tensor({2}, std::vector<std::int64_t>{3, 4}) * 2.0;
  CHECK(i.dtype() == keras::int64);
  CHECK(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{6, 8});
}

TEST_CASE("tensor: reshape, slice and rows share memory") {
  Tensor x({4, 3}, std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  Tensor s = x.slice(1, 3);
  CHECK(s.shape() == Shape{2, 3});
  CHECK(s.at<float>(0, 0) == 3);
  CHECK(x[3].to_vector<float>() == std::vector<float>{9, 10, 11});
  CHECK(x.reshape({-1}).shape() == Shape{12});
  CHECK(x.reshape({2, -1}).shape() == Shape{2, 6});
  CHECK_THROWS_AS(x.reshape({5, -1}), keras::ValueError);
  CHECK(x.slice(3, 100).shape() == Shape{1, 3});
}

TEST_CASE("tensor: prints like NumPy") {
  std::ostringstream a, b, c, d;
  a << Tensor({{1.0f, 2.0f}, {3.0f, 4.0f}});
  CHECK(a.str() == "[[1. 2.]\n [3. 4.]]");
  b << Tensor({0.5f, 0.25f, 10.0f});
  CHECK(b.str() == "[ 0.5   0.25 10.  ]");
  c << Tensor({3}, std::vector<std::int64_t>{1, 20, 3});
  CHECK(c.str() == "[ 1 20  3]");
  d << Tensor::zeros({2000});
  CHECK(d.str().find("...") != std::string::npos);
}

TEST_CASE("tensor: backward accumulates into leaves") {
  Tensor w({2}, std::vector<float>{1, 2});
  w.requires_grad_();
  Tensor loss = ops::sum(ops::square(w) * 3.0);
  loss.backward();
  CHECK(w.grad().to_vector<float>() == std::vector<float>{6, 12});
  loss.backward();
  CHECK(w.grad().to_vector<float>() == std::vector<float>{12, 24});
  w.zero_grad();
  CHECK_FALSE(w.grad().defined());
  // A diamond: y = x*x + x reuses x on two paths.
  Tensor x({1}, std::vector<float>{3});
  x.requires_grad_();
  auto g = keras::autograd::grad(ops::sum(x * x + x), {x});
  CHECK(g[0].item() == doctest::Approx(7));
  {
    keras::autograd::NoGradGuard ng;
    CHECK_FALSE((x * 2.0).requires_grad());
  }
  CHECK((x * 2.0).requires_grad());
}

TEST_CASE("tensor: bad input gives clear errors") {
  Tensor undefined;
  CHECK_FALSE(undefined.defined());
  CHECK_THROWS_AS(undefined.shape(), keras::ValueError);
  CHECK_THROWS_AS(ops::add(undefined, Tensor::zeros({1})), keras::ValueError);
  CHECK_THROWS_AS(Tensor({2}, std::vector<std::int32_t>{1, 2}).requires_grad_(), keras::TypeError);
  CHECK_THROWS_AS(keras::config::set_device(keras::Device::cuda(7)), keras::ValueError);
}

TEST_CASE("tensor: arithmetic on temporaries never changes other handles") {
  Tensor a({3}, std::vector<float>{2, 4, 6});
  Tensor b = a.astype(keras::float32) / 2.0;  // same dtype: astype returns a itself
  CHECK(a.to_vector<float>() == std::vector<float>{2, 4, 6});
  CHECK(b.to_vector<float>() == std::vector<float>{1, 2, 3});
  Tensor c = Tensor(a) * 3.0;  // a copy of the handle shares the data
  CHECK(a.to_vector<float>() == std::vector<float>{2, 4, 6});
  CHECK(c.to_vector<float>() == std::vector<float>{6, 12, 18});
  Tensor v = a.reshape({3, 1});
  Tensor d = a.reshape({1, 3}) - 1.0;  // a view of a: must not write through
  CHECK(a.to_vector<float>() == std::vector<float>{2, 4, 6});
  CHECK(d.shape() == Shape{1, 3});
  Tensor u({2}, std::vector<std::uint8_t>{10, 20});
  Tensor e = u.astype(keras::float32).reshape({2, 1}) / 10.0;
  CHECK(e.shape() == Shape{2, 1});
  CHECK(e.to_vector<float>() == std::vector<float>{1, 2});
  CHECK(u.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{10, 20});
}
