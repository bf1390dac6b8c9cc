// Creation, casting, reshaping, slicing and gathering ops.
#include <algorithm>
#include <numeric>

#include "ops/common.hpp"
#include "profiler/scope.hpp"

namespace keras::ops {
using namespace detail;

Tensor zeros(const Shape& shape, DType dtype) { return Tensor::zeros(shape, dtype, config::device()); }
Tensor ones(const Shape& shape, DType dtype) { return Tensor::ones(shape, dtype, config::device()); }
Tensor full(const Shape& shape, double v, DType dtype) { return Tensor::full(shape, v, dtype, config::device()); }
Tensor zeros_like(const Tensor& x) { return Tensor::zeros(x.shape(), x.dtype(), x.device()); }
Tensor ones_like(const Tensor& x) { return Tensor::ones(x.shape(), x.dtype(), x.device()); }
Tensor full_like(const Tensor& x, double v) { return Tensor::full(x.shape(), v, x.dtype(), x.device()); }

Tensor arange(std::int64_t n, DType dtype) {
  KERAS_PROFILE_OP("arange");
  KERAS_CHECK(n >= 0, ValueError, "arange: expected n >= 0, received ", n);
  KERAS_CHECK(dtype == int64 || dtype == float32, TypeError, "arange: dtype must be int64 or float32, received ",
              dtype_name(dtype));
  Tensor out = empty({n}, dtype, config::device());
  backend::get(out.device()).arange(out, 0.0, 1.0);
  return out;
}

Tensor cast(const Tensor& x, DType dtype) {
  KERAS_PROFILE_OP("cast");
  need_defined("cast", x);
  if (x.dtype() == dtype) return x;
  Tensor out = empty(x.shape(), dtype, x.device());
  be(x).cast(x, out);
  return out;  // casts are not differentiable (only float32 carries gradients)
}

Tensor reshape(const Tensor& x, const Shape& shape_in) {
  KERAS_PROFILE_OP("reshape");
  need_defined("reshape", x);
  Shape shape = shape_in;
  std::int64_t known = 1;
  int infer = -1;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    if (shape[i] == -1) {
      KERAS_CHECK(infer < 0, ValueError, "reshape: only one dimension can be -1, received ", shape_str(shape_in));
      infer = i;
    } else {
      KERAS_CHECK(shape[i] >= 0, ValueError, "reshape: invalid target shape ", shape_str(shape_in));
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    KERAS_CHECK(known > 0 && x.size() % known == 0, ValueError, "reshape: cannot reshape a tensor of shape ",
                shape_str(x.shape()), " (", x.size(), " elements) into ", shape_str(shape_in));
    shape[infer] = x.size() / known;
  }
  KERAS_CHECK(shape_size(shape) == x.size(), ValueError, "reshape: cannot reshape a tensor of shape ",
              shape_str(x.shape()), " (", x.size(), " elements) into ", shape_str(shape_in));
  if (shape == x.shape() && !x.requires_grad()) return x;
  Tensor y = alias(x, shape);
  return autograd::record("reshape", y, {x}, [xs = x.shape()](const Tensor& g) {
    return std::vector<Tensor>{reshape(g, xs)};
  });
}

Tensor expand_dims(const Tensor& x, int axis) {
  KERAS_PROFILE_OP("expand_dims");
  need_defined("expand_dims", x);
  int a = norm_axis("expand_dims", axis, x.ndim() + 1);
  Shape s = x.shape();
  s.insert(s.begin() + a, 1);
  return reshape(x, s);
}

Tensor squeeze(const Tensor& x, std::optional<int> axis) {
  KERAS_PROFILE_OP("squeeze");
  need_defined("squeeze", x);
  Shape s;
  if (axis) {
    int a = norm_axis("squeeze", *axis, x.ndim());
    KERAS_CHECK(x.shape()[a] == 1, ValueError, "squeeze: axis ", *axis, " of shape ", shape_str(x.shape()),
                " has size ", x.shape()[a], ", expected 1");
    s = x.shape();
    s.erase(s.begin() + a);
  } else {
    for (auto d : x.shape())
      if (d != 1) s.push_back(d);
  }
  return reshape(x, s);
}

Tensor transpose(const Tensor& x, std::vector<int> perm) {
  KERAS_PROFILE_OP("transpose");
  need_defined("transpose", x);
  int n = x.ndim();
  if (perm.empty()) {
    perm.resize(n);
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  KERAS_CHECK(static_cast<int>(perm.size()) == n, ValueError, "transpose: perm has ", perm.size(),
              " axes, the tensor has rank ", n);
  std::vector<int> seen(n, 0);
  for (auto& p : perm) {
    p = norm_axis("transpose", p, n);
    KERAS_CHECK(!seen[p]++, ValueError, "transpose: repeated axis ", p, " in perm");
  }
  Shape s(n);
  for (int i = 0; i < n; ++i) s[i] = x.shape()[perm[i]];
  Tensor out = empty(s, x.dtype(), x.device());
  be(x).transpose(x, perm, out);
  return autograd::record("transpose", out, {x}, [perm](const Tensor& g) {
    std::vector<int> inv(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) inv[perm[i]] = static_cast<int>(i);
    return std::vector<Tensor>{transpose(g, inv)};
  });
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  KERAS_PROFILE_OP("broadcast_to");
  need_defined("broadcast_to", x);
  Shape s = broadcast_shapes("broadcast_to", x.shape(), shape);
  KERAS_CHECK(s == shape, ValueError, "broadcast_to: cannot broadcast shape ", shape_str(x.shape()), " to ",
              shape_str(shape));
  if (x.shape() == shape) return x;
  Tensor out = empty(shape, x.dtype(), x.device());
  Tensor zero = Tensor::scalar(0.0, x.dtype(), x.device());
  be(x).binary(backend::Binary::add, x, zero, out);
  return autograd::record("broadcast_to", out, {x}, [xs = x.shape()](const Tensor& g) {
    return std::vector<Tensor>{sum_to(g, xs)};
  });
}

Tensor concatenate(const std::vector<Tensor>& xs, int axis) {
  KERAS_PROFILE_OP("concatenate");
  KERAS_CHECK(!xs.empty(), ValueError, "concatenate: expected at least one tensor");
  for (auto& t : xs) need_defined("concatenate", t);
  const Tensor& f = xs[0];
  int a = norm_axis("concatenate", axis, f.ndim());
  Shape s = f.shape();
  s[a] = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Tensor& t = xs[i];
    same_device("concatenate", f, t);
    KERAS_CHECK(t.dtype() == f.dtype(), TypeError, "concatenate: tensor ", i, " has dtype ", dtype_name(t.dtype()),
                ", expected ", dtype_name(f.dtype()));
    bool ok = t.ndim() == f.ndim();
    for (int d = 0; ok && d < f.ndim(); ++d) ok = d == a || t.shape()[d] == f.shape()[d];
    KERAS_CHECK(ok, ValueError, "concatenate: tensor ", i, " has shape ", shape_str(t.shape()),
                ", incompatible with ", shape_str(f.shape()), " along axis ", axis);
    s[a] += t.shape()[a];
  }
  Tensor out = empty(s, f.dtype(), f.device());
  be(f).concat(xs, a, out);
  std::vector<std::int64_t> sizes;
  for (auto& t : xs) sizes.push_back(t.shape()[a]);
  return autograd::record("concatenate", out, xs, [a, sizes](const Tensor& g) {
    std::vector<Tensor> r;
    std::int64_t start = 0;
    for (auto n : sizes) {
      r.push_back(slice_axis(g, a, start, start + n));
      start += n;
    }
    return r;
  });
}

Tensor slice_axis(const Tensor& x, int axis, std::int64_t start, std::int64_t stop) {
  KERAS_PROFILE_OP("slice_axis");
  need_defined("slice", x);
  int a = norm_axis("slice", axis, x.ndim());
  std::int64_t n = x.shape()[a];
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  start = std::clamp<std::int64_t>(start, 0, n);
  stop = std::clamp<std::int64_t>(stop, start, n);
  Shape s = x.shape();
  s[a] = stop - start;
  Tensor out;
  bool leading = true;  // all axes before `a` have size 1: the slice is contiguous
  for (int i = 0; i < a; ++i) leading &= x.shape()[i] == 1;
  if (leading) {
    std::int64_t inner = 1;
    for (int i = a + 1; i < x.ndim(); ++i) inner *= x.shape()[i];
    out = alias(x, s, static_cast<std::size_t>(start * inner) * dtype_size(x.dtype()));
  } else {
    out = empty(s, x.dtype(), x.device());
    be(x).slice(x, a, start, out);
  }
  return autograd::record("slice", out, {x}, [a, start, xs = x.shape()](const Tensor& g) {
    Tensor dx = Tensor::zeros(xs, g.dtype(), g.device());
    be(g).slice_backward(g, a, start, dx);
    return std::vector<Tensor>{dx};
  });
}

Tensor take(const Tensor& x, const Tensor& indices, int axis) {
  KERAS_PROFILE_OP("take");
  need_defined("take", x);
  need_defined("take", indices);
  same_device("take", x, indices);
  KERAS_CHECK(indices.dtype() == int32 || indices.dtype() == int64, TypeError,
              "take: indices must be int32 or int64, received ", dtype_name(indices.dtype()));
  int a = norm_axis("take", axis, x.ndim());
  std::int64_t n = x.shape()[a];
  require_supported("take", backend::Op::take, x, {x.dtype(), indices.dtype()});
  // Out-of-range indices would read out of bounds, on any device.
  check_index_range("take", "indices", indices, 0, n);
  Shape s(x.shape().begin(), x.shape().begin() + a);
  s.insert(s.end(), indices.shape().begin(), indices.shape().end());
  s.insert(s.end(), x.shape().begin() + a + 1, x.shape().end());
  Tensor out = empty(s, x.dtype(), x.device());
  be(x).take(x, indices, a, out);
  return autograd::record("take", out, {x}, [a, indices, xs = x.shape()](const Tensor& g) {
    Tensor dx = Tensor::zeros(xs, float32, g.device());
    be(g).take_backward(g, indices, a, dx);
    return std::vector<Tensor>{dx};
  });
}

Tensor one_hot(const Tensor& indices, std::int64_t num_classes) {
  KERAS_PROFILE_OP("one_hot");
  need_defined("one_hot", indices);
  KERAS_CHECK(num_classes > 0, ValueError, "one_hot: num_classes must be > 0, received ", num_classes);
  Tensor idx = indices;
  if (idx.dtype() != int32 && idx.dtype() != int64) idx = cast(idx, int64);
  Shape s = idx.shape();
  s.push_back(num_classes);
  Tensor out = empty(s, float32, idx.device());
  be(idx).one_hot(idx, num_classes, out);
  return out;
}

Tensor stop_gradient(const Tensor& x) {
  KERAS_PROFILE_OP("stop_gradient");
  need_defined("stop_gradient", x);
  return x.detach();
}

namespace {
// op(a) @ op(b) for operands of equal rank and equal batch dims.
Tensor matmul_same(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  Shape os = a.shape();
  os[os.size() - 2] = ta ? a.shape(-1) : a.shape(-2);
  os[os.size() - 1] = tb ? b.shape(-2) : b.shape(-1);
  Tensor out = empty(os, float32, a.device());
  be(a).matmul(a, b, ta, tb, out);
  return out;
}

// a @ b (no transposes), recorded; a and b have equal rank and batch dims.
Tensor matmul_rec(const Tensor& a, const Tensor& b) {
  Tensor out = matmul_same(a, b, false, false);
  return autograd::record("matmul", out, {a, b}, [a, b](const Tensor& g) {
    return std::vector<Tensor>{a.requires_grad() ? matmul_same(g, b, false, true) : Tensor(),
                               b.requires_grad() ? matmul_same(a, g, true, false) : Tensor()};
  });
}
}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  KERAS_PROFILE_OP("matmul");
  need_defined("matmul", a_in);
  need_defined("matmul", b_in);
  same_device("matmul", a_in, b_in);
  need_float("matmul", a_in);
  need_float("matmul", b_in);
  KERAS_CHECK(a_in.ndim() >= 1 && b_in.ndim() >= 1, ValueError, "matmul: operands must have rank >= 1, received ",
              shape_str(a_in.shape()), " and ", shape_str(b_in.shape()));
  // Promote 1-D operands as NumPy does, and remove the added axes after.
  Tensor a = a_in.ndim() == 1 ? reshape(a_in, {1, a_in.shape()[0]}) : a_in;
  Tensor b = b_in.ndim() == 1 ? reshape(b_in, {b_in.shape()[0], 1}) : b_in;
  std::int64_t m = a.shape(-2), k = a.shape(-1), k2 = b.shape(-2), n = b.shape(-1);
  KERAS_CHECK(k == k2, ValueError, "matmul: inner dimensions differ: ", shape_str(a_in.shape()), " @ ",
              shape_str(b_in.shape()), " (", k, " != ", k2, ")");
  Shape ab(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes("matmul", ab, bb);
  Shape final = batch;
  if (a_in.ndim() != 1) final.push_back(m);
  if (b_in.ndim() != 1) final.push_back(n);
  Tensor y;
  if (b.ndim() == 2) {
    // (..., M, K) @ (K, N): fold the batch into M, one big GEMM.
    y = matmul_rec(a.ndim() == 2 ? a : reshape(a, {-1, k}), b);
  } else {
    Shape as = batch, bs = batch;
    as.insert(as.end(), {m, k});
    bs.insert(bs.end(), {k, n});
    y = matmul_rec(broadcast_to(a, as), broadcast_to(b, bs));
  }
  return y.shape() == final ? y : reshape(y, final);
}

}  // namespace keras::ops
