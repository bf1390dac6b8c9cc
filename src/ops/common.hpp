// Internal helpers shared by the ops front end.
#pragma once
#include <string>
#include <vector>

#include "keras/autograd.hpp"
#include "keras/backend.hpp"
#include "keras/config.hpp"
#include "keras/ops.hpp"
#include "tensor_impl.hpp"

namespace keras::ops::detail {

inline backend::Backend& be(const Tensor& t) { return backend::get(t.device()); }

inline void need_defined(const char* op, const Tensor& t) {
  KERAS_CHECK(t.defined(), ValueError, op, ": received an undefined tensor");
}

inline void same_device(const char* op, const Tensor& a, const Tensor& b) {
  KERAS_CHECK(a.device() == b.device(), ValueError, op, ": tensors are on different devices (",
              a.device().str(), " and ", b.device().str(), ")");
}

inline void need_float(const char* op, const Tensor& t) {
  KERAS_CHECK(t.dtype() == float32, TypeError, op, ": expected a float32 tensor, received ",
              dtype_name(t.dtype()), " of shape ", shape_str(t.shape()));
}

// Normalizes a possibly negative axis for rank `ndim`.
inline int norm_axis(const char* op, int axis, int ndim) {
  int a = axis < 0 ? axis + ndim : axis;
  KERAS_CHECK(a >= 0 && a < ndim, ValueError, op, ": axis ", axis, " is out of range for rank ", ndim);
  return a;
}

// NumPy broadcast of two shapes; throws naming the op and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

// The output allocation helper.
inline Tensor empty(const Shape& s, DType d, Device dev) { return make_tensor(s, d, dev); }

}  // namespace keras::ops::detail
