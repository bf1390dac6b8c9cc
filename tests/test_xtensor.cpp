// keras/xtensor.hpp: conversions to and from xtensor.
#include "keras/xtensor.hpp"

#include <xtensor/xmath.hpp>

#include "test_helpers.hpp"

TEST_CASE("xtensor: views share memory, conversions keep shape and values") {
  keras::Tensor t({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  auto v = keras::as_xtensor<float>(t);
  CHECK(v.shape()[0] == 2);
  CHECK(v(1, 2) == 6);
  v(0, 0) = 10;  // the view writes into the tensor
  CHECK(t.at<float>(0, 0) == 10);
  xt::xarray<float> a = keras::to_xarray<float>(t);
  a(0, 1) = -1;  // a copy
  CHECK(t.at<float>(0, 1) == 2);
  xt::xarray<float> b = xt::sqrt(a * a);
  const float* before = b.data();
  keras::Tensor back = keras::from_xarray(std::move(b));
  CHECK(back.data<float>() == before);  // no copy
  CHECK(back.shape() == keras::Shape{2, 3});
  CHECK(back.at<float>(0, 1) == 1);
  keras::Tensor sum = back + 1.0;  // usable by ops
  CHECK(sum.at<float>(1, 2) == 7);
  keras::Tensor e = keras::from_xtensor(xt::xarray<std::int64_t>{{1, 2}, {3, 4}});
  CHECK(e.dtype() == keras::int64);
  CHECK(e.at<std::int64_t>(1, 0) == 3);
}
