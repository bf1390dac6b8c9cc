// Elementwise ops: arithmetic, comparisons, math and activations.
#include <cmath>

#include "ops/common.hpp"
#include "profiler/scope.hpp"

namespace keras::ops {
using namespace detail;
using backend::Binary;
using backend::Unary;

Shape detail::broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    KERAS_CHECK(da == db || da == 1 || db == 1, ValueError, op,
                ": shapes cannot be broadcast together: ", shape_str(a), " and ", shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == float32 || b == float32) return float32;
  if (a == int64 || b == int64) return int64;
  if (a == int32 || b == int32) return int32;
  return uint8;
}

Tensor binary_raw(const char* op, Binary kind, Tensor a, Tensor b, bool compare) {
  KERAS_PROFILE_OP(op);
  need_defined(op, a);
  need_defined(op, b);
  same_device(op, a, b);
  DType t = promote_types(a.dtype(), b.dtype());
  if (a.dtype() != t) a = cast(a, t);
  if (b.dtype() != t) b = cast(b, t);
  Shape s = a.shape() == b.shape() ? a.shape() : broadcast_shapes(op, a.shape(), b.shape());
  Tensor out = empty(s, compare ? bool_ : t, a.device());
  be(a).binary(kind, a, b, out);
  return out;
}

Tensor unary_raw(Unary kind, const Tensor& x, float alpha) {
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  be(x).unary(kind, x, out, alpha);
  return out;
}

// A differentiable float unary op whose derivative the backend provides.
Tensor unary_op(const char* op, Unary kind, const Tensor& x, float alpha = 0.0f) {
  KERAS_PROFILE_OP(op);
  need_defined(op, x);
  need_float(op, x);
  Tensor y = unary_raw(kind, x, alpha);
  // Capture a detached alias of y: capturing y itself would make its node own it (a cycle).
  return autograd::record(op, y, {x}, [kind, x, y = y.detach(), alpha](const Tensor& g) {
    Tensor dx = empty(x.shape(), float32, x.device());
    be(x).unary_backward(kind, x, y, g, dx, alpha);
    return std::vector<Tensor>{dx};
  });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("add");
  Tensor y = binary_raw("add", Binary::add, a, b, false);
  return autograd::record("add", y, {a, b}, [as = a.shape(), bs = b.shape()](const Tensor& g) {
    return std::vector<Tensor>{sum_to(g, as), sum_to(g, bs)};
  });
}

Tensor subtract(const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("subtract");
  Tensor y = binary_raw("subtract", Binary::sub, a, b, false);
  return autograd::record("subtract", y, {a, b}, [as = a.shape(), bs = b.shape()](const Tensor& g) {
    return std::vector<Tensor>{sum_to(g, as), negative(sum_to(g, bs))};
  });
}

Tensor multiply(const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("multiply");
  Tensor y = binary_raw("multiply", Binary::mul, a, b, false);
  return autograd::record("multiply", y, {a, b}, [a, b](const Tensor& g) {
    return std::vector<Tensor>{a.requires_grad() ? sum_to(multiply(g, b), a.shape()) : Tensor(),
                               b.requires_grad() ? sum_to(multiply(g, a), b.shape()) : Tensor()};
  });
}

Tensor divide(const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("divide");
  Tensor y = binary_raw("divide", Binary::div, a, b, false);
  return autograd::record("divide", y, {a, b}, [a, b, y = y.detach()](const Tensor& g) {
    Tensor ga, gb;
    if (a.requires_grad()) ga = sum_to(divide(g, b), a.shape());
    if (b.requires_grad()) gb = sum_to(negative(divide(multiply(g, y), b)), b.shape());
    return std::vector<Tensor>{ga, gb};
  });
}

Tensor power(const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("power");
  Tensor y = binary_raw("power", Binary::pow, a, b, false);
  return autograd::record("power", y, {a, b}, [a, b, y = y.detach()](const Tensor& g) {
    Tensor ga, gb;
    if (a.requires_grad()) {
      Tensor bm1 = subtract(b, Tensor::scalar(1.0, b.dtype(), b.device()));
      ga = sum_to(multiply(g, multiply(b, power(a, bm1))), a.shape());
    }
    if (b.requires_grad()) gb = sum_to(multiply(g, multiply(y, log(a))), b.shape());
    return std::vector<Tensor>{ga, gb};
  });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("maximum");
  Tensor y = binary_raw("maximum", Binary::maximum, a, b, false);
  return autograd::record("maximum", y, {a, b}, [a, b](const Tensor& g) {
    Tensor mask = greater_equal(a, b);  // ties go to a
    Tensor z = zeros_like(g);
    return std::vector<Tensor>{sum_to(where(mask, g, z), a.shape()), sum_to(where(mask, z, g), b.shape())};
  });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("minimum");
  Tensor y = binary_raw("minimum", Binary::minimum, a, b, false);
  return autograd::record("minimum", y, {a, b}, [a, b](const Tensor& g) {
    Tensor mask = less_equal(a, b);
    Tensor z = zeros_like(g);
    return std::vector<Tensor>{sum_to(where(mask, g, z), a.shape()), sum_to(where(mask, z, g), b.shape())};
  });
}

Tensor equal(const Tensor& a, const Tensor& b) { return binary_raw("equal", Binary::equal, a, b, true); }
Tensor not_equal(const Tensor& a, const Tensor& b) { return binary_raw("not_equal", Binary::not_equal, a, b, true); }
Tensor less(const Tensor& a, const Tensor& b) { return binary_raw("less", Binary::less, a, b, true); }
Tensor less_equal(const Tensor& a, const Tensor& b) { return binary_raw("less_equal", Binary::less_equal, a, b, true); }
Tensor greater(const Tensor& a, const Tensor& b) { return binary_raw("greater", Binary::greater, a, b, true); }
Tensor greater_equal(const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("greater_equal");
  return binary_raw("greater_equal", Binary::greater_equal, a, b, true);
}
Tensor logical_and(const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("logical_and");
  return binary_raw("logical_and", Binary::logical_and, cast(a, bool_), cast(b, bool_), true);
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("logical_or");
  return binary_raw("logical_or", Binary::logical_or, cast(a, bool_), cast(b, bool_), true);
}
Tensor logical_not(const Tensor& x) {
  KERAS_PROFILE_OP("logical_not");
  need_defined("logical_not", x);
  Tensor xb = cast(x, bool_);
  return unary_raw(Unary::logical_not, xb, 0.0f);
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  KERAS_PROFILE_OP("where");
  need_defined("where", cond);
  need_defined("where", a);
  need_defined("where", b);
  same_device("where", cond, a);
  same_device("where", a, b);
  Tensor c = cond.dtype() == bool_ ? cond : cast(cond, bool_);
  DType t = promote_types(a.dtype(), b.dtype());
  Tensor aa = a.dtype() == t ? a : cast(a, t), bb = b.dtype() == t ? b : cast(b, t);
  Shape s = broadcast_shapes("where", broadcast_shapes("where", c.shape(), aa.shape()), bb.shape());
  Tensor out = empty(s, t, a.device());
  be(a).where(c, aa, bb, out);
  return autograd::record("where", out, {aa, bb}, [c, as = aa.shape(), bs = bb.shape()](const Tensor& g) {
    Tensor z = zeros_like(g);
    return std::vector<Tensor>{sum_to(where(c, g, z), as), sum_to(where(c, z, g), bs)};
  });
}

Tensor negative(const Tensor& x) {
  KERAS_PROFILE_OP("negative");
  need_defined("negative", x);
  if (x.dtype() != float32) return unary_raw(Unary::neg, x, 0.0f);
  return unary_op("negative", Unary::neg, x);
}
Tensor abs(const Tensor& x) {
  KERAS_PROFILE_OP("abs");
  need_defined("abs", x);
  if (x.dtype() != float32) return unary_raw(Unary::abs, x, 0.0f);
  return unary_op("abs", Unary::abs, x);
}
Tensor sign(const Tensor& x) {
  KERAS_PROFILE_OP("sign");
  need_defined("sign", x);
  return unary_raw(Unary::sign, x, 0.0f);  // zero gradient almost everywhere
}
Tensor square(const Tensor& x) {
  KERAS_PROFILE_OP("square");
  need_defined("square", x);
  if (x.dtype() != float32) return unary_raw(Unary::square, x, 0.0f);
  return unary_op("square", Unary::square, x);
}
Tensor sqrt(const Tensor& x) { return unary_op("sqrt", Unary::sqrt, x); }
Tensor rsqrt(const Tensor& x) { return unary_op("rsqrt", Unary::rsqrt, x); }
Tensor exp(const Tensor& x) { return unary_op("exp", Unary::exp, x); }
Tensor log(const Tensor& x) { return unary_op("log", Unary::log, x); }
Tensor log1p(const Tensor& x) { return unary_op("log1p", Unary::log1p, x); }
Tensor reciprocal(const Tensor& x) { return unary_op("reciprocal", Unary::reciprocal, x); }
Tensor floor(const Tensor& x) {
  KERAS_PROFILE_OP("floor");
  need_float("floor", x);
  return unary_raw(Unary::floor, x, 0.0f);
}
Tensor round(const Tensor& x) {
  KERAS_PROFILE_OP("round");
  need_float("round", x);
  return unary_raw(Unary::round, x, 0.0f);
}

Tensor clip(const Tensor& x, double lo, double hi) {
  KERAS_PROFILE_OP("clip");
  need_defined("clip", x);
  need_float("clip", x);
  KERAS_CHECK(lo <= hi, ValueError, "clip: min_value ", lo, " is greater than max_value ", hi);
  Tensor y = empty(x.shape(), float32, x.device());
  be(x).clip(x, static_cast<float>(lo), static_cast<float>(hi), y);
  return autograd::record("clip", y, {x}, [x, lo, hi](const Tensor& g) {
    Tensor inside = logical_and(greater_equal(x, full_like(x, lo)), less_equal(x, full_like(x, hi)));
    return std::vector<Tensor>{where(inside, g, zeros_like(g))};
  });
}

Tensor relu(const Tensor& x) { return unary_op("relu", Unary::relu, x); }
Tensor relu6(const Tensor& x) { return unary_op("relu6", Unary::relu6, x); }
Tensor sigmoid(const Tensor& x) { return unary_op("sigmoid", Unary::sigmoid, x); }
Tensor tanh(const Tensor& x) { return unary_op("tanh", Unary::tanh, x); }
Tensor elu(const Tensor& x, double alpha) { return unary_op("elu", Unary::elu, x, static_cast<float>(alpha)); }
Tensor selu(const Tensor& x) { return unary_op("selu", Unary::selu, x); }
Tensor softplus(const Tensor& x) { return unary_op("softplus", Unary::softplus, x); }
Tensor softsign(const Tensor& x) { return unary_op("softsign", Unary::softsign, x); }
Tensor gelu(const Tensor& x, bool approximate) {
  KERAS_PROFILE_OP("gelu");
  return approximate ? unary_op("gelu", Unary::gelu_tanh, x) : unary_op("gelu", Unary::gelu, x);
}
Tensor silu(const Tensor& x) { return unary_op("silu", Unary::silu, x); }
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  KERAS_PROFILE_OP("leaky_relu");
  return unary_op("leaky_relu", Unary::leaky_relu, x, static_cast<float>(negative_slope));
}
Tensor hard_sigmoid(const Tensor& x) { return unary_op("hard_sigmoid", Unary::hard_sigmoid, x); }

}  // namespace keras::ops
