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

// The output allocation helper.
inline Tensor empty(const Shape& s, DType d, Device dev) { return make_tensor(s, d, dev); }

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

// Smallest and largest value of an integer tensor on any device: read in
// place on the CPU, through the device's own min and max reductions
// elsewhere (two scalars come back to the host). False for an empty tensor.
inline bool index_range(const Tensor& t, double& lo, double& hi) {
  if (t.size() == 0) return false;
  if (t.device().is_cpu() && int_range(t, lo, hi)) return true;
  std::vector<int> axes(t.ndim());
  for (int i = 0; i < t.ndim(); ++i) axes[i] = i;
  const Shape keep(t.ndim(), 1);
  Tensor mn = empty(keep, t.dtype(), t.device()), mx = empty(keep, t.dtype(), t.device());
  be(t).reduce(backend::Reduce::min, t, axes, mn);
  be(t).reduce(backend::Reduce::max, t, axes, mx);
  lo = mn.item();
  hi = mx.item();
  return true;
}

// Throws ValueError unless every value of `t` lies in [lo, hi_excl), naming
// the op, what the values are, the valid range and the offending values.
inline void check_index_range(const char* op, const char* what, const Tensor& t, std::int64_t lo,
                              std::int64_t hi_excl) {
  double a, b;
  if (!index_range(t, a, b)) return;
  KERAS_CHECK(a >= static_cast<double>(lo) && b < static_cast<double>(hi_excl), ValueError, op, ": ", what,
              " must be in [", lo, ", ", hi_excl, "), received ", a < static_cast<double>(lo) ? a : b,
              " (values in [", a, ", ", b, "]) on ", t.device().str());
}

// Throws NotImplementedError, naming the op, the dtypes and the device,
// unless the tensor's backend supports `op` for these dtypes.
inline void require_supported(const char* front_op, backend::Op op, const Tensor& on,
                              std::initializer_list<DType> dtypes) {
  if (be(on).supports(op, dtypes)) return;
  std::string names;
  for (DType d : dtypes) names += (names.empty() ? "" : ", ") + std::string(dtype_name(d));
  throw NotImplementedError(keras::detail::cat(front_op, ": the ", be(on).name(), " backend on ", on.device().str(),
                                        " does not support ", backend::op_name(op), " for dtypes (", names, ")"));
}

// The backend activation (relu, relu6, sigmoid, tanh, elu) that fused bias +
// activation kernels compute for a Keras activation name, with its alpha;
// false for any other name (linear included). In bias_activation.cpp.
bool fused_activation(const std::string& name, backend::Unary& op, float& alpha);

}  // namespace keras::ops::detail
