// Reductions and their gradients.
#include <algorithm>

#include "ops/common.hpp"
#include "profiler/scope.hpp"

namespace keras::ops {
using namespace detail;
using backend::Reduce;

namespace {

std::vector<int> norm_axes(const char* op, std::vector<int> axes, int ndim) {
  if (axes.empty()) {
    for (int i = 0; i < ndim; ++i) axes.push_back(i);
    return axes;
  }
  for (auto& a : axes) a = norm_axis(op, a, ndim);
  std::sort(axes.begin(), axes.end());
  KERAS_CHECK(std::adjacent_find(axes.begin(), axes.end()) == axes.end(), ValueError, op,
              ": repeated axis");
  return axes;
}

Shape kept_shape(const Shape& s, const std::vector<int>& axes) {
  Shape k = s;
  for (int a : axes) k[a] = 1;
  return k;
}

Shape dropped_shape(const Shape& s, const std::vector<int>& axes) {
  Shape d;
  for (int i = 0; i < static_cast<int>(s.size()); ++i)
    if (!std::binary_search(axes.begin(), axes.end(), i)) d.push_back(s[i]);
  return d;
}

// The raw reduction in keepdims form.
Tensor reduce_raw(Reduce op, const Tensor& x, const std::vector<int>& axes) {
  Tensor out = empty(kept_shape(x.shape(), axes), x.dtype(), x.device());
  be(x).reduce(op, x, axes, out);
  return out;
}

Tensor reduce_op(const char* name, Reduce op, const Tensor& x, std::vector<int> axes_in, bool keepdims) {
  need_defined(name, x);
  auto axes = norm_axes(name, std::move(axes_in), x.ndim());
  Tensor r = reduce_raw(op, x, axes);
  Shape kshape = r.shape();
  Shape out_shape = keepdims ? kshape : dropped_shape(x.shape(), axes);
  Tensor y = alias(r, out_shape);
  if (x.dtype() != float32) return y;
  std::int64_t count = 1;
  for (int a : axes) count *= x.shape()[a];
  return autograd::record(name, y, {x}, [op, x, r, kshape, count](const Tensor& g) {
    Tensor gk = reshape(g, kshape);
    Tensor dx;
    switch (op) {
      case Reduce::sum: dx = broadcast_to(gk, x.shape()); break;
      case Reduce::mean: dx = broadcast_to(divide(gk, full_like(gk, static_cast<double>(count))), x.shape()); break;
      case Reduce::max:
      case Reduce::min: {
        // The gradient goes to the elements equal to the extreme value.
        Tensor mask = cast(equal(x, r), float32);
        dx = multiply(mask, gk);
        break;
      }
      case Reduce::prod: dx = multiply(gk, divide(r, x)); break;
    }
    return std::vector<Tensor>{dx};
  });
}

}  // namespace

Tensor sum(const Tensor& x, std::vector<int> axes, bool keepdims) {
  KERAS_PROFILE_OP("sum");
  return reduce_op("sum", Reduce::sum, x, std::move(axes), keepdims);
}
Tensor mean(const Tensor& x, std::vector<int> axes, bool keepdims) {
  KERAS_PROFILE_OP("mean");
  need_defined("mean", x);
  Tensor xf = x.dtype() == float32 ? x : cast(x, float32);
  return reduce_op("mean", Reduce::mean, xf, std::move(axes), keepdims);
}
Tensor max(const Tensor& x, std::vector<int> axes, bool keepdims) {
  KERAS_PROFILE_OP("max");
  return reduce_op("max", Reduce::max, x, std::move(axes), keepdims);
}
Tensor min(const Tensor& x, std::vector<int> axes, bool keepdims) {
  KERAS_PROFILE_OP("min");
  return reduce_op("min", Reduce::min, x, std::move(axes), keepdims);
}
Tensor prod(const Tensor& x, std::vector<int> axes, bool keepdims) {
  KERAS_PROFILE_OP("prod");
  return reduce_op("prod", Reduce::prod, x, std::move(axes), keepdims);
}

static Tensor arg_op(const char* name, const Tensor& x, int axis, bool min) {
  need_defined(name, x);
  KERAS_CHECK(x.ndim() >= 1, ValueError, name, ": expected a tensor of rank >= 1, received a scalar");
  int a = norm_axis(name, axis, x.ndim());
  KERAS_CHECK(x.shape()[a] > 0, ValueError, name, ": axis ", axis, " of shape ", shape_str(x.shape()),
              " is empty");
  Shape s = x.shape();
  s.erase(s.begin() + a);
  Tensor out = empty(s, int64, x.device());
  be(x).argmax(x, a, out, min);
  return out;
}
Tensor argmax(const Tensor& x, int axis) { return arg_op("argmax", x, axis, false); }
Tensor argmin(const Tensor& x, int axis) { return arg_op("argmin", x, axis, true); }

Tensor sum_to(const Tensor& x, const Shape& shape) {
  KERAS_PROFILE_OP("sum_to");
  if (x.shape() == shape) return x;
  const Shape& s = x.shape();
  KERAS_ASSERT(s.size() >= shape.size());
  std::size_t lead = s.size() - shape.size();
  std::vector<int> axes;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i < lead || (shape[i - lead] == 1 && s[i] != 1)) axes.push_back(static_cast<int>(i));
  Tensor r = axes.empty() ? x : sum(x, axes, true);
  return reshape(r, shape);
}

}  // namespace keras::ops
