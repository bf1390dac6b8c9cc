// recurrent_sequence: the time loop of SimpleRNN / LSTM / GRU as one op.
//
// Forward: one recurrent matmul per step (two for gru_before) and the gate
// arithmetic; each step's gates are kept. Backward (through time, last
// step first): the gate derivatives per step, then the recurrent kernel's
// gradient as one matmul over all steps, H_in^T (u, T*B) @ dZ (T*B, P).
#include <memory>

#include "keras/autograd.hpp"
#include "keras/ops.hpp"
#include "keras/ops_recurrent.hpp"

namespace keras::ops {
namespace {

enum class Act { linear, tanh, sigmoid, relu, hard_sigmoid };

bool act_of(const std::string& n, Act& a) {
  if (n == "linear" || n.empty()) a = Act::linear;
  else if (n == "tanh") a = Act::tanh;
  else if (n == "sigmoid") a = Act::sigmoid;
  else if (n == "relu") a = Act::relu;
  else if (n == "hard_sigmoid") a = Act::hard_sigmoid;  // Keras 3's: relu6(x + 3) / 6
  else return false;
  return true;
}

Tensor apply(Act a, const Tensor& x) {
  switch (a) {
    case Act::tanh: return ops::tanh(x);
    case Act::sigmoid: return ops::sigmoid(x);
    case Act::relu: return ops::relu(x);
    case Act::hard_sigmoid: return ops::hard_sigmoid(x);
    case Act::linear: break;
  }
  return x;
}

// g * act'(x), written with y = act(x).
Tensor dact(Act a, const Tensor& y, const Tensor& g) {
  switch (a) {
    case Act::tanh: return g * (1.0 - y * y);
    case Act::sigmoid: return g * (y * (1.0 - y));
    case Act::relu: return g * cast(greater(y, zeros({}, float32)), float32);
    case Act::hard_sigmoid:
      return g * (cast(logical_and(greater(y, zeros({}, float32)), less(y, ones({}, float32))), float32) * (1.0 / 6.0));
    case Act::linear: break;
  }
  return g;
}

Tensor cols(const Tensor& x, std::int64_t u, int k) { return slice_axis(x, 1, k * u, (k + 1) * u); }

struct Saved {
  RecurrentKind kind;
  Act act, ract;
  std::int64_t T = 0, B = 0, u = 0, P = 0;
  Tensor U, h0, c0, mask, rdm;   // mask (T, B, 1) float32 or undefined
  std::vector<Tensor> h, c;       // after each step
  std::vector<std::vector<Tensor>> gates;
};

// One forward step: the new h (and c), before masking.
void step_forward(Saved& s, const Tensor& xp_t, const Tensor& rb, const Tensor& h_prev, const Tensor& c_prev,
                  Tensor& h_new, Tensor& c_new) {
  const std::int64_t u = s.u;
  Tensor h_in = s.rdm.defined() ? h_prev * s.rdm : h_prev;
  std::vector<Tensor> g;
  switch (s.kind) {
    case RecurrentKind::simple:
      h_new = apply(s.act, xp_t + matmul(h_in, s.U));
      g = {h_new};
      break;
    case RecurrentKind::lstm: {
      Tensor z = xp_t + matmul(h_in, s.U);
      Tensor i = apply(s.ract, cols(z, u, 0)), f = apply(s.ract, cols(z, u, 1));
      Tensor cc = apply(s.act, cols(z, u, 2)), o = apply(s.ract, cols(z, u, 3));
      c_new = f * c_prev + i * cc;
      Tensor ac = apply(s.act, c_new);
      h_new = o * ac;
      g = {i, f, cc, o, ac};
      break;
    }
    case RecurrentKind::gru: {
      Tensor rec = matmul(h_in, s.U);
      if (rb.defined()) rec = rec + rb;
      Tensor z = apply(s.ract, cols(xp_t, u, 0) + cols(rec, u, 0));
      Tensor r = apply(s.ract, cols(xp_t, u, 1) + cols(rec, u, 1));
      Tensor rh = cols(rec, u, 2);
      Tensor hh = apply(s.act, cols(xp_t, u, 2) + r * rh);
      h_new = hh + z * (h_prev - hh);
      g = {z, r, hh, rh};
      break;
    }
    case RecurrentKind::gru_before: {
      Tensor rzr = matmul(h_in, slice_axis(s.U, 1, 0, 2 * u));
      Tensor z = apply(s.ract, cols(xp_t, u, 0) + cols(rzr, u, 0));
      Tensor r = apply(s.ract, cols(xp_t, u, 1) + cols(rzr, u, 1));
      Tensor hh = apply(s.act, cols(xp_t, u, 2) + matmul(r * h_in, slice_axis(s.U, 1, 2 * u, 3 * u)));
      h_new = hh + z * (h_prev - hh);
      g = {z, r, hh};
      break;
    }
  }
  s.gates.push_back(std::move(g));
}

struct StepGrads {
  Tensor dxp, drec;  // drec: the gradient at h_in @ U (+ rb); gru_before: [dz, dr] only
  Tensor drh_in;     // gru_before: the gradient at (r * h_in) @ U_h
  Tensor dh_prev, dc_prev;
};

// The gradients of one step from those of its new h and c (gc for lstm).
StepGrads step_backward(const Saved& s, std::int64_t t, const Tensor& gh, const Tensor& gc, const Tensor& Ut) {
  const std::int64_t u = s.u;
  const auto& g = s.gates[static_cast<std::size_t>(t)];
  Tensor h_prev = t > 0 ? s.h[t - 1] : s.h0;
  Tensor h_in = s.rdm.defined() ? h_prev * s.rdm : h_prev;
  StepGrads r;
  Tensor dh_in;
  switch (s.kind) {
    case RecurrentKind::simple:
      r.dxp = r.drec = dact(s.act, g[0], gh);
      dh_in = matmul(r.drec, Ut);
      break;
    case RecurrentKind::lstm: {
      Tensor c_prev = t > 0 ? s.c[t - 1] : s.c0;
      const Tensor &i = g[0], &f = g[1], &cc = g[2], &o = g[3], &ac = g[4];
      Tensor dc = gc + dact(s.act, ac, gh * o);
      r.dxp = r.drec = concatenate({dact(s.ract, i, dc * cc), dact(s.ract, f, dc * c_prev), dact(s.act, cc, dc * i),
                                    dact(s.ract, o, gh * ac)}, 1);
      r.dc_prev = dc * f;
      dh_in = matmul(r.drec, Ut);
      break;
    }
    case RecurrentKind::gru: {
      const Tensor &z = g[0], &rr = g[1], &hh = g[2], &rh = g[3];
      Tensor dz = dact(s.ract, z, gh * (h_prev - hh));
      Tensor da = dact(s.act, hh, gh * (1.0 - z));
      Tensor dr = dact(s.ract, rr, da * rh);
      r.dxp = concatenate({dz, dr, da}, 1);
      r.drec = concatenate({dz, dr, da * rr}, 1);
      r.dh_prev = gh * z;
      dh_in = matmul(r.drec, Ut);
      break;
    }
    case RecurrentKind::gru_before: {
      const Tensor &z = g[0], &rr = g[1], &hh = g[2];
      Tensor dz = dact(s.ract, z, gh * (h_prev - hh));
      Tensor da = dact(s.act, hh, gh * (1.0 - z));
      Tensor drh = matmul(da, slice_axis(Ut, 0, 2 * u, 3 * u));  // at r * h_in
      Tensor dr = dact(s.ract, rr, drh * h_in);
      r.dxp = concatenate({dz, dr, da}, 1);
      r.drec = concatenate({dz, dr}, 1);
      r.drh_in = da;
      r.dh_prev = gh * z;
      dh_in = matmul(r.drec, slice_axis(Ut, 0, 0, 2 * u)) + drh * rr;
      break;
    }
  }
  if (s.rdm.defined()) dh_in = dh_in * s.rdm;
  r.dh_prev = r.dh_prev.defined() ? r.dh_prev + dh_in : dh_in;
  return r;
}

void check_args(const RecurrentSpec& spec, const Tensor& xp, const Tensor& U, const Tensor& rb,
                const std::vector<Tensor>& states, const Tensor& mask, const Tensor& rdm) {
  const char* op = "recurrent_sequence";
  KERAS_CHECK(xp.defined() && U.defined() && xp.ndim() == 3 && U.ndim() == 2 && xp.dtype() == float32 &&
                  U.dtype() == float32,
              ValueError, op, ": expected float32 xp (T, B, P) and recurrent_kernel (u, P), received xp ",
              xp.defined() ? shape_str(xp.shape()) : "undefined", " and recurrent_kernel ",
              U.defined() ? shape_str(U.shape()) : "undefined");
  const std::int64_t T = xp.shape(0), B = xp.shape(1), u = U.shape(0);
  const int mult = spec.kind == RecurrentKind::simple ? 1 : spec.kind == RecurrentKind::lstm ? 4 : 3;
  KERAS_CHECK(U.shape(1) == mult * u && xp.shape(2) == mult * u, ValueError, op, ": expected recurrent_kernel (u, ",
              mult, "u) and xp (T, B, ", mult, "u), received recurrent_kernel ", shape_str(U.shape()), " and xp ",
              shape_str(xp.shape()));
  const std::size_t ns = spec.kind == RecurrentKind::lstm ? 2 : 1;
  KERAS_CHECK(states.size() == ns, ValueError, op, ": expected ", ns, " states, received ", states.size());
  for (auto& st : states)
    KERAS_CHECK(st.defined() && st.shape() == Shape({B, u}), ValueError, op, ": expected states of shape (", B, ", ",
                u, "), received ", st.defined() ? shape_str(st.shape()) : "undefined");
  KERAS_CHECK(!rb.defined() || (spec.kind == RecurrentKind::gru && rb.shape() == Shape({3 * u})), ValueError, op,
              ": a recurrent_bias (3u,) is for gru only, received ", rb.defined() ? shape_str(rb.shape()) : "");
  KERAS_CHECK(!mask.defined() || mask.shape() == Shape({T, B}), ValueError, op, ": expected a mask of shape (", T,
              ", ", B, "), received ", mask.defined() ? shape_str(mask.shape()) : "");
  KERAS_CHECK(!rdm.defined() || rdm.shape() == Shape({B, u}), ValueError, op,
              ": expected a recurrent dropout mask of shape (", B, ", ", u, "), received ",
              rdm.defined() ? shape_str(rdm.shape()) : "");
}

// The gradients of every input from that of the output (T, B, k*u).
std::vector<Tensor> backward(const Saved& s, const Tensor& G, bool has_rb) {
  const std::int64_t u = s.u;
  const bool lstm = s.kind == RecurrentKind::lstm;
  Tensor Ut = transpose(s.U);  // (P, u)
  Tensor dh = zeros({s.B, u}), dc = lstm ? zeros({s.B, u}) : Tensor();
  std::vector<Tensor> dxp(s.T), drec(s.T), drh(s.kind == RecurrentKind::gru_before ? s.T : 0);
  for (std::int64_t t = s.T - 1; t >= 0; --t) {
    Tensor Gt = G[t];
    Tensor gh = (lstm ? cols(Gt, u, 0) : Gt) + dh;
    Tensor gc = lstm ? cols(Gt, u, 1) + dc : Tensor();
    Tensor carry_h, carry_c;
    if (s.mask.defined()) {
      Tensor m = s.mask[t];
      carry_h = gh * (1.0 - m);
      gh = gh * m;
      if (lstm) carry_c = gc * (1.0 - m), gc = gc * m;
    }
    StepGrads sg = step_backward(s, t, gh, gc, Ut);
    dxp[t] = sg.dxp;
    drec[t] = sg.drec;
    if (!drh.empty()) drh[t] = sg.drh_in;
    dh = carry_h.defined() ? sg.dh_prev + carry_h : sg.dh_prev;
    if (lstm) dc = carry_c.defined() ? sg.dc_prev + carry_c : sg.dc_prev;
  }
  // The recurrent kernel's gradient as one matmul over all steps.
  std::vector<Tensor> h_in(s.T);
  for (std::int64_t t = 0; t < s.T; ++t) {
    Tensor hp = t > 0 ? s.h[t - 1] : s.h0;
    h_in[t] = s.rdm.defined() ? hp * s.rdm : hp;
  }
  Tensor Hin = concatenate(h_in, 0), DR = concatenate(drec, 0);  // (T*B, u), (T*B, P')
  Tensor dU = matmul(transpose(Hin), DR);
  if (s.kind == RecurrentKind::gru_before) {
    std::vector<Tensor> rh(s.T);
    for (std::int64_t t = 0; t < s.T; ++t) rh[t] = s.gates[t][1] * h_in[t];
    dU = concatenate({dU, matmul(transpose(concatenate(rh, 0)), concatenate(drh, 0))}, 1);
  }
  Tensor drb = has_rb ? sum(DR, {0}) : Tensor();
  Tensor dX = reshape(concatenate(dxp, 0), {s.T, s.B, -1});
  return {dX, dU, drb, dh, dc};
}

}  // namespace

bool recurrent_sequence_supported(const std::string& activation, const std::string& recurrent_activation) {
  Act a;
  return act_of(activation, a) && act_of(recurrent_activation, a);
}

Tensor recurrent_sequence(const RecurrentSpec& spec, const Tensor& xp, const Tensor& recurrent_kernel,
                          const Tensor& recurrent_bias, const std::vector<Tensor>& states, const Tensor& mask,
                          const Tensor& recurrent_dropout) {
  check_args(spec, xp, recurrent_kernel, recurrent_bias, states, mask, recurrent_dropout);
  auto s = std::make_shared<Saved>();
  KERAS_CHECK(act_of(spec.activation, s->act) && act_of(spec.recurrent_activation, s->ract), ValueError,
              "recurrent_sequence: activations must be linear, tanh, sigmoid, relu or hard_sigmoid, received '", spec.activation,
              "' and '", spec.recurrent_activation, "'");
  s->kind = spec.kind;
  s->T = xp.shape(0), s->B = xp.shape(1), s->u = recurrent_kernel.shape(0), s->P = xp.shape(2);
  const bool lstm = spec.kind == RecurrentKind::lstm;
  Tensor out;
  {
    autograd::NoGradGuard ng;
    s->U = recurrent_kernel.detach();
    s->h0 = states[0].detach();
    if (lstm) s->c0 = states[1].detach();
    if (mask.defined()) s->mask = reshape(cast(mask, float32), {s->T, s->B, 1});
    if (recurrent_dropout.defined()) s->rdm = recurrent_dropout.detach();
    Tensor rb = recurrent_bias.defined() ? recurrent_bias.detach() : Tensor();
    std::vector<Tensor> steps(s->T);
    Tensor h = s->h0, c = s->c0;
    for (std::int64_t t = 0; t < s->T; ++t) {
      Tensor h_new, c_new;
      step_forward(*s, xp[t], rb, h, c, h_new, c_new);
      if (s->mask.defined()) {
        Tensor m = s->mask[t];
        h_new = h + m * (h_new - h);
        if (lstm) c_new = c + m * (c_new - c);
      }
      h = h_new, c = c_new;
      s->h.push_back(h);
      if (lstm) s->c.push_back(c);
      steps[t] = expand_dims(lstm ? concatenate({h, c}, 1) : h, 0);
    }
    out = concatenate(steps, 0);
  }
  const bool has_rb = recurrent_bias.defined();
  std::vector<Tensor> inputs{xp, recurrent_kernel, recurrent_bias, states[0], lstm ? states[1] : Tensor()};
  return autograd::record("recurrent_sequence", out, std::move(inputs),
                          [s, has_rb](const Tensor& g) { return backward(*s, g, has_rb); });
}

}  // namespace keras::ops
