// Binary elementwise ops, where, clip, fill, cast, arange.
//
// Broadcasting is planned once per call: the output shape is collapsed to the
// fewest dimensions, so (N,C)+(C,) becomes rows of C with a contiguous inner
// loop and same-shape inputs become one flat loop. Inner loops are plain
// loops specialised on the inner strides (1 or 0) so GCC vectorizes them.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {

int64_t BroadcastPlan::rows() const {
  int64_t r = 1;
  for (int i = 0; i + 1 < ndim; ++i) r *= shape[i];
  return r;
}

void BroadcastPlan::row_offsets(int64_t r, int64_t* offsets) const {
  for (int k = 0; k < ninputs; ++k) offsets[k] = 0;
  for (int d = ndim - 2; d >= 0 && r > 0; --d) {
    int64_t i = r % shape[d];
    r /= shape[d];
    for (int k = 0; k < ninputs; ++k) offsets[k] += i * strides[k][d];
  }
}

BroadcastPlan make_broadcast_plan(const Shape& out, const Shape* const* inputs, int ninputs) {
  BroadcastPlan p;
  p.ninputs = ninputs;
  const int nd = static_cast<int>(out.size());
  KERAS_CHECK(nd <= BroadcastPlan::kMaxDims, ValueError, "cpu backend: at most ",
              BroadcastPlan::kMaxDims, " dimensions are supported, received ", shape_str(out));
  // Full-rank strides per input (0 where broadcast), then drop size-1 dims
  // and merge neighbours that are contiguous for every input.
  int64_t full[BroadcastPlan::kMaxInputs][BroadcastPlan::kMaxDims];
  for (int k = 0; k < ninputs; ++k) {
    const Shape& s = *inputs[k];
    const int off = nd - static_cast<int>(s.size());
    int64_t stride = 1;
    for (int d = nd - 1; d >= 0; --d) {
      int sd = d - off;
      if (sd >= 0 && s[sd] == out[d] && out[d] != 1) {
        full[k][d] = stride;
      } else {
        full[k][d] = 0;
      }
      if (sd >= 0) stride *= s[sd];
    }
  }
  for (int d = 0; d < nd; ++d) {
    if (out[d] == 1) continue;
    bool merge = p.ndim > 0;
    for (int k = 0; merge && k < ninputs; ++k)
      merge = p.strides[k][p.ndim - 1] == full[k][d] * out[d];
    if (merge) {
      p.shape[p.ndim - 1] *= out[d];
      for (int k = 0; k < ninputs; ++k) p.strides[k][p.ndim - 1] = full[k][d];
    } else {
      p.shape[p.ndim] = out[d];
      for (int k = 0; k < ninputs; ++k) p.strides[k][p.ndim] = full[k][d];
      ++p.ndim;
    }
  }
  if (p.ndim == 0) {
    p.ndim = 1;
    p.shape[0] = 1;
    for (int k = 0; k < ninputs; ++k) p.strides[k][0] = 0;
  }
  return p;
}

namespace {

// Calls fn(out_offset, input_offsets, inner_strides, length) for every
// contiguous run of the output in the flat range [begin, end).
template <class F>
void for_each_run(const BroadcastPlan& p, int64_t begin, int64_t end, F&& fn) {
  const int64_t inner = p.inner();
  int64_t last[BroadcastPlan::kMaxInputs];
  for (int k = 0; k < p.ninputs; ++k) last[k] = p.strides[k][p.ndim - 1];
  int64_t r = begin / inner, j = begin % inner;
  int64_t offs[BroadcastPlan::kMaxInputs];
  while (begin < end) {
    p.row_offsets(r, offs);
    for (int k = 0; k < p.ninputs; ++k) offs[k] += j * last[k];
    int64_t len = std::min(inner - j, end - begin);
    fn(begin, offs, last, len);
    begin += len;
    ++r;
    j = 0;
  }
}

// Runs the broadcast loop, on several threads when the output is large.
template <class F>
void broadcast_loop(const BroadcastPlan& p, int64_t total, F&& fn) {
  auto range = [&](int64_t b, int64_t e) { for_each_run(p, b, e, fn); };
  if (total >= kParallelThreshold)
    parallel_for(total, kParallelThreshold / 2, range);
  else
    range(0, total);
}

template <class T>
inline T int_pow(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::pow(a, b);
  } else {
    if (b < 0) return a == 1 ? 1 : (a == static_cast<T>(-1) ? ((b & 1) ? a : 1) : 0);
    T r = 1;
    while (b) {
      if (b & 1) r *= a;
      a *= a;
      b >>= 1;
    }
    return r;
  }
}

template <class T>
inline T safe_div(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return a / b;
  else
    return b == 0 ? T(0) : static_cast<T>(a / b);  // integer x/0 gives 0 instead of a trap
}

#define KERAS_BINARY_OPS(X)                                           \
  X(add, a + b)                                                       \
  X(sub, a - b)                                                       \
  X(mul, a * b)                                                       \
  X(div, safe_div(a, b))                                              \
  X(pow, int_pow(a, b))                                               \
  X(maximum, a < b ? b : a)                                           \
  X(minimum, b < a ? b : a)                                           \
  X(equal, a == b)                                                    \
  X(not_equal, a != b)                                                \
  X(less, a < b)                                                      \
  X(less_equal, a <= b)                                               \
  X(greater, a > b)                                                   \
  X(greater_equal, a >= b)                                            \
  X(logical_and, (a != T(0)) && (b != T(0)))                          \
  X(logical_or, (a != T(0)) || (b != T(0)))

#define X(name, expr)                                     \
  struct Op_##name {                                      \
    template <class T>                                    \
    static inline auto f(T a, T b) { return expr; }       \
  };
KERAS_BINARY_OPS(X)
#undef X

template <class Op, class T, class O>
void binary_run(O* out, const T* a, int64_t sa, const T* b, int64_t sb, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<O>(Op::f(a[i], b[i]));
  } else if (sa == 1 && sb == 0) {
    const T bv = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<O>(Op::f(a[i], bv));
  } else if (sa == 0 && sb == 1) {
    const T av = *a;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<O>(Op::f(av, b[i]));
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<O>(Op::f(a[i * sa], b[i * sb]));
  }
}

template <class Op, class T, class O>
void binary_typed(const Tensor& a, const Tensor& b, Tensor& out) {
  const Shape* ins[2] = {&a.shape(), &b.shape()};
  BroadcastPlan p = make_broadcast_plan(out.shape(), ins, 2);
  const T* pa = ptr<T>(a);
  const T* pb = ptr<T>(b);
  O* po = ptr<O>(out);
  broadcast_loop(p, out.size(), [&](int64_t o, const int64_t* offs, const int64_t* st, int64_t n) {
    binary_run<Op, T, O>(po + o, pa + offs[0], st[0], pb + offs[1], st[1], n);
  });
}

template <class Op>
void binary_dispatch(const Tensor& a, const Tensor& b, Tensor& out, bool bool_out) {
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (bool_out)
      binary_typed<Op, T, std::uint8_t>(a, b, out);
    else
      binary_typed<Op, T, T>(a, b, out);
  });
}

}  // namespace

void CpuBackend::binary(Binary op, const Tensor& a, const Tensor& b, Tensor& out) {
  // Comparisons always write bool; logical ops write bool unless the caller
  // asked for the inputs' dtype.
  const bool bool_out = (out.dtype() == DType::bool_ || out.dtype() == DType::uint8) &&
                        a.dtype() != out.dtype();
  switch (op) {
#define X(name, expr)                                 \
  case Binary::name:                                  \
    binary_dispatch<Op_##name>(a, b, out, bool_out); \
    return;
    KERAS_BINARY_OPS(X)
#undef X
  }
}

void CpuBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) {
  const Shape* ins[3] = {&cond.shape(), &a.shape(), &b.shape()};
  BroadcastPlan p = make_broadcast_plan(out.shape(), ins, 3);
  const std::uint8_t* pc = ptr<std::uint8_t>(cond);
  dispatch(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = ptr<T>(a);
    const T* pb = ptr<T>(b);
    T* po = ptr<T>(out);
    broadcast_loop(p, out.size(), [&](int64_t o, const int64_t* offs, const int64_t* st, int64_t n) {
      const std::uint8_t* c = pc + offs[0];
      const T* x = pa + offs[1];
      const T* y = pb + offs[2];
      T* dst = po + o;
      if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
        for (int64_t i = 0; i < n; ++i) dst[i] = c[i] ? x[i] : y[i];
      } else {
        for (int64_t i = 0; i < n; ++i) dst[i] = c[i * st[0]] ? x[i * st[1]] : y[i * st[2]];
      }
    });
  });
}

void CpuBackend::clip(const Tensor& x, float lo, float hi, Tensor& out) {
  const float* px = ptr<float>(x);
  float* po = ptr<float>(out);
  auto body = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float v = px[i];
      v = v < lo ? lo : v;
      po[i] = v > hi ? hi : v;
    }
  };
  parallel_for(x.size(), kParallelThreshold, body);
}

void CpuBackend::fill(Tensor& out, double value) {
  dispatch(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T v = out.dtype() == DType::bool_ ? T(value != 0) : static_cast<T>(value);
    T* p = ptr<T>(out);
    std::fill(p, p + out.size(), v);
  });
}

void CpuBackend::cast(const Tensor& x, Tensor& out) {
  const int64_t n = x.size();
  if (x.dtype() == out.dtype()) {
    std::memcpy(out.data_ptr(), x.data_ptr(), x.nbytes());
    return;
  }
  const bool to_bool = out.dtype() == DType::bool_;
  dispatch(x.dtype(), [&](auto in_tag) {
    using I = decltype(in_tag);
    dispatch(out.dtype(), [&](auto out_tag) {
      using O = decltype(out_tag);
      const I* src = ptr<I>(x);
      O* dst = ptr<O>(out);
      if (to_bool) {
        for (int64_t i = 0; i < n; ++i) dst[i] = src[i] != I(0);
      } else {
        for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<O>(src[i]);
      }
    });
  });
}

void CpuBackend::arange(Tensor& out, double start, double step) {
  dispatch(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = ptr<T>(out);
    for (int64_t i = 0, n = out.size(); i < n; ++i) p[i] = static_cast<T>(start + step * i);
  });
}

}  // namespace keras::backend::cpu
