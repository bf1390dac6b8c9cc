// ops::dot_product_attention: the fused attention op, or its composition.
#include "keras/autograd.hpp"
#include "keras/ops.hpp"
#include "ops/common.hpp"

namespace keras::ops {
using namespace detail;

namespace {

void check_args(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& keep, std::int64_t rep) {
  const char* op = "dot_product_attention";
  need_defined(op, q);
  need_defined(op, k);
  need_defined(op, v);
  need_float(op, q);
  need_float(op, k);
  need_float(op, v);
  same_device(op, q, k);
  same_device(op, q, v);
  bool ok = q.ndim() == 3 && k.ndim() == 3 && v.ndim() == 3 && k.shape(0) == q.shape(0) &&
            v.shape(0) == q.shape(0) && k.shape(2) == q.shape(2) && v.shape(1) == k.shape(1);
  KERAS_CHECK(ok, ValueError, op, ": expected q (B, Tq, Dk), k (B, Tk, Dk) and v (B, Tk, Dv); received q ",
              shape_str(q.shape()), ", k ", shape_str(k.shape()), ", v ", shape_str(v.shape()));
  KERAS_CHECK(rep >= 1 && q.shape(0) % rep == 0, ValueError, op, ": mask_repeat must divide the batch ",
              q.shape(0), "; received ", rep);
  if (!keep.defined()) return;
  same_device(op, q, keep);
  Shape want{q.shape(0) / rep, q.shape(1), k.shape(1)};
  KERAS_CHECK(keep.shape() == want, ValueError, op, ": the keep mask must have shape ", shape_str(want),
              "; received ", shape_str(keep.shape()));
}

Tensor composed(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& keep, double scale, bool causal,
                std::int64_t rep) {
  const std::int64_t b = q.shape(0), tq = q.shape(1), tk = k.shape(1);
  Tensor s = multiply(matmul(q, transpose(k, {0, 2, 1})), full({}, scale));
  Tensor m;
  if (keep.defined()) {
    m = keep.dtype() == bool_ ? keep : cast(keep, bool_);
    if (rep > 1) m = reshape(broadcast_to(reshape(m, {b / rep, 1, tq, tk}), {b / rep, rep, tq, tk}), {b, tq, tk});
  }
  if (causal) {
    Tensor c = greater_equal(reshape(arange(tq), {1, tq, 1}), reshape(arange(tk), {1, 1, tk}));
    m = m.defined() ? logical_and(m, c) : c;
  }
  if (!m.defined()) return matmul(softmax(s, -1), v);
  Tensor p = where(m, softmax(where(m, s, full({}, -1e9)), -1), zeros({}));
  return matmul(p, v);
}

}  // namespace

Tensor dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& keep, double scale,
                             bool causal, std::int64_t mask_repeat) {
  check_args(q, k, v, keep, mask_repeat);
  if (!be(q).supports(backend::Op::attention, {float32})) return composed(q, k, v, keep, scale, causal, mask_repeat);
  backend::AttentionDesc d;
  d.batch = q.shape(0);
  d.tq = q.shape(1);
  d.tk = k.shape(1);
  d.dk = q.shape(2);
  d.dv = v.shape(2);
  d.mask_repeat = mask_repeat;
  d.scale = static_cast<float>(scale);
  d.causal = causal;
  Tensor km = keep.defined() ? (keep.dtype() == bool_ ? keep : cast(keep, bool_)) : Tensor();
  Tensor out = empty({d.batch, d.tq, d.dv}, float32, q.device()), lse = empty({d.batch, d.tq}, float32, q.device());
  be(q).attention_forward(q, k, v, km.defined() ? &km : nullptr, d, out, lse);
  Tensor qd = q.detach(), kd = k.detach(), vd = v.detach(), od = out.detach();
  return autograd::record("dot_product_attention", out, {q, k, v}, [=](const Tensor& g) {
    Tensor dq = empty(qd.shape(), float32, g.device()), dk = empty(kd.shape(), float32, g.device()),
           dv = empty(vd.shape(), float32, g.device());
    be(g).attention_backward(qd, kd, vd, km.defined() ? &km : nullptr, d, od, lse, g, dq, dk, dv);
    return std::vector<Tensor>{dq, dk, dv};
  });
}

}  // namespace keras::ops
