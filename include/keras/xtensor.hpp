// Conversions between keras::Tensor and xtensor (xt::xarray / views).
//
// Not part of <keras/keras.hpp>: including xtensor costs compile time, so
// only programs that use it pay for it.
//
//   keras::Tensor t({2, 2}, std::vector<float>{1, 2, 3, 4});
//   auto view = keras::as_xtensor<float>(t);     // no copy; writes go to t
//   xt::xarray<float> a = view * 2.0f;
//   keras::Tensor back = keras::from_xarray(std::move(a));  // no copy
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "keras/tensor.hpp"

namespace keras {

// A view of a CPU tensor's data as an xtensor expression (no copy). The
// view is valid while `t`'s memory lives. Throws like Tensor::data<T>().
template <class T>
auto as_xtensor(const Tensor& t) {
  std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
  return xt::adapt(const_cast<T*>(t.template data<T>()), static_cast<std::size_t>(t.size()), xt::no_ownership(),
                   shape);
}

// A copy of any tensor (on any device) as an xt::xarray.
template <class T>
xt::xarray<T> to_xarray(const Tensor& t) {
  Tensor h = t.cpu();
  return xt::xarray<T>(as_xtensor<T>(h));
}

// Takes an xt::xarray (row-major) without copying its data.
template <class T>
Tensor from_xarray(xt::xarray<T>&& a) {
  auto owner = std::make_shared<xt::xarray<T>>(std::move(a));
  Shape shape(owner->shape().begin(), owner->shape().end());
  return Tensor::from_blob(owner->data(), shape, dtype_of<T>::value, [owner]() mutable { owner.reset(); });
}

// Copies any xtensor expression into a new tensor.
template <class E>
Tensor from_xtensor(const xt::xexpression<E>& e) {
  using T = typename E::value_type;
  return from_xarray(xt::xarray<T>(e));
}

}  // namespace keras
