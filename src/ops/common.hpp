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

// Smallest and largest value of an integer CPU tensor, read in place: the
// per-step index and label checks allocate nothing. False for other tensors.
inline bool int_range(const Tensor& t, double& lo, double& hi) {
  if (!t.device().is_cpu() || t.size() == 0) return false;
  auto scan = [&](const auto* p) {
    auto a = p[0], b = p[0];
    for (std::int64_t i = 1; i < t.size(); ++i) {
      a = p[i] < a ? p[i] : a;
      b = p[i] > b ? p[i] : b;
    }
    lo = static_cast<double>(a);
    hi = static_cast<double>(b);
  };
  switch (t.dtype()) {
    case int32: scan(static_cast<const std::int32_t*>(t.data_ptr())); return true;
    case int64: scan(static_cast<const std::int64_t*>(t.data_ptr())); return true;
    case uint8: scan(static_cast<const std::uint8_t*>(t.data_ptr())); return true;
    default: return false;
  }
}

// The backend activation (relu, relu6, sigmoid, tanh, elu) that fused bias +
// activation kernels compute for a Keras activation name, with its alpha;
// false for any other name (linear included). In bias_activation.cpp.
bool fused_activation(const std::string& name, backend::Unary& op, float& alpha);

// The output allocation helper.
inline Tensor empty(const Shape& s, DType d, Device dev) { return make_tensor(s, d, dev); }

}  // namespace keras::ops::detail
