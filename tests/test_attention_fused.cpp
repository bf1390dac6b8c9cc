// ops::dot_product_attention (the fused blockwise op) against plain loops,
// against the same attention composed of ops (gradients), and finite
// differences; sizes span several query and key blocks.
#include <cmath>
#include <limits>

#include "test_helpers.hpp"

using keras::Tensor;
namespace ops = keras::ops;
using namespace testing;

namespace {

// softmax over kept keys (probability 0 elsewhere; a row with none kept is 0) times v.
std::vector<float> reference(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& keep, float scale,
                             bool causal, std::int64_t rep) {
  const auto b = q.shape(0), tq = q.shape(1), tk = k.shape(1), dk = q.shape(2), dv = v.shape(2);
  auto Q = q.to_vector<float>(), K = k.to_vector<float>(), V = v.to_vector<float>();
  std::vector<float> M = keep.defined() ? ops::cast(keep, keras::float32).to_vector<float>() : std::vector<float>();
  std::vector<float> out(static_cast<std::size_t>(b * tq * dv), 0.0f);
  for (std::int64_t n = 0; n < b; ++n)
    for (std::int64_t i = 0; i < tq; ++i) {
      std::vector<double> s(static_cast<std::size_t>(tk));
      double mx = -1e300;
      std::vector<bool> kept(static_cast<std::size_t>(tk));
      for (std::int64_t j = 0; j < tk; ++j) {
        kept[j] = !(causal && j > i) && (M.empty() || M[((n / rep) * tq + i) * tk + j] != 0);
        double acc = 0;
        for (std::int64_t c = 0; c < dk; ++c) acc += Q[(n * tq + i) * dk + c] * K[(n * tk + j) * dk + c];
        s[j] = acc * scale;
        if (kept[j]) mx = std::max(mx, s[j]);
      }
      double sum = 0;
      for (std::int64_t j = 0; j < tk; ++j) sum += kept[j] ? std::exp(s[j] - mx) : 0.0;
      if (sum == 0) continue;
      for (std::int64_t j = 0; j < tk; ++j) {
        if (!kept[j]) continue;
        double p = std::exp(s[j] - mx) / sum;
        for (std::int64_t c = 0; c < dv; ++c) out[(n * tq + i) * dv + c] += static_cast<float>(p * V[(n * tk + j) * dv + c]);
      }
    }
  return out;
}

// The same attention from ops (matmul, where, softmax), for gradients.
Tensor composed(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& keep_full, float scale) {
  Tensor s = ops::multiply(ops::matmul(q, ops::transpose(k, {0, 2, 1})), ops::full({}, scale));
  Tensor p = ops::where(keep_full, ops::softmax(ops::where(keep_full, s, ops::full({}, -1e9)), -1), ops::zeros({}));
  return ops::matmul(p, v);
}

Tensor full_mask(const Tensor& keep, std::int64_t b, std::int64_t tq, std::int64_t tk, bool causal, std::int64_t rep) {
  Tensor m = keep.defined() ? ops::reshape(ops::broadcast_to(ops::reshape(keep, {b / rep, 1, tq, tk}),
                                                             {b / rep, rep, tq, tk}), {b, tq, tk})
                            : ops::ones({b, tq, tk}, keras::bool_);
  if (causal)
    m = ops::logical_and(m, ops::greater_equal(ops::reshape(ops::arange(tq), {1, tq, 1}),
                                               ops::reshape(ops::arange(tk), {1, 1, tk})));
  return m;
}

}  // namespace

TEST_CASE("attention fused: forward matches plain loops (blocks, causal, shared masks, fully masked rows)") {
  struct Case {
    std::int64_t b, tq, tk, dk, dv, rep;
    bool causal, masked;
  };
  for (Case c : {Case{2, 5, 7, 3, 2, 1, false, false}, Case{4, 70, 130, 8, 5, 2, true, true},
                 Case{3, 33, 65, 4, 4, 3, false, true}, Case{2, 100, 100, 6, 3, 1, true, false}}) {
    INFO(c.tq, "x", c.tk, " causal ", c.causal, " masked ", c.masked);
    Tensor q = random_tensor({c.b, c.tq, c.dk}, -1, 1, 1), k = random_tensor({c.b, c.tk, c.dk}, -1, 1, 2);
    Tensor v = random_tensor({c.b, c.tk, c.dv}, -1, 1, 3);
    Tensor keep;
    if (c.masked) {
      keep = ops::greater(random_tensor({c.b / c.rep, c.tq, c.tk}, 0, 1, 4), ops::full({}, 0.4));
      // Query row 1 of the first mask sees nothing: its output is 0.
      Tensor row = ops::not_equal(ops::reshape(ops::arange(c.tq), {1, c.tq, 1}), ops::full({}, 1, keras::int64));
      Tensor first = ops::greater(ops::reshape(ops::arange(c.b / c.rep), {c.b / c.rep, 1, 1}),
                                  ops::full({}, 0, keras::int64));
      keep = ops::logical_and(keep, ops::logical_or(row, first));
    }
    float scale = 0.7f;
    Tensor y = ops::dot_product_attention(q, k, v, keep, scale, c.causal, c.rep);
    REQUIRE(y.shape() == keras::Shape{c.b, c.tq, c.dv});
    check_close(y, reference(q, k, v, keep, scale, c.causal, c.rep), 1e-5, 1e-4, "fused forward");
  }
}

TEST_CASE("attention fused: gradients match the composed ops and finite differences") {
  const std::int64_t b = 4, tq = 40, tk = 70, dk = 5, dv = 3, rep = 2;
  Tensor q = random_tensor({b, tq, dk}, -1, 1, 5), k = random_tensor({b, tk, dk}, -1, 1, 6);
  Tensor v = random_tensor({b, tk, dv}, -1, 1, 7);
  Tensor keep = ops::greater(random_tensor({b / rep, tq, tk}, 0, 1, 8), ops::full({}, 0.3));
  Tensor r = random_tensor({b, tq, dv}, -1, 1, 9);
  for (bool causal : {false, true}) {
    INFO("causal ", causal);
    std::vector<Tensor> in1{q.detach(), k.detach(), v.detach()}, in2{q.detach(), k.detach(), v.detach()};
    for (auto& t : in1) t.requires_grad_(true);
    for (auto& t : in2) t.requires_grad_(true);
    Tensor y1 = ops::dot_product_attention(in1[0], in1[1], in1[2], keep, 0.5, causal, rep);
    Tensor y2 = composed(in2[0], in2[1], in2[2], full_mask(keep, b, tq, tk, causal, rep), 0.5f);
    auto g1 = keras::autograd::grad(ops::sum(ops::multiply(y1, r)), in1);
    auto g2 = keras::autograd::grad(ops::sum(ops::multiply(y2, r)), in2);
    for (int i = 0; i < 3; ++i) check_close(g1[i], g2[i].to_vector<float>(), 1e-5, 1e-4, "gradient " + std::to_string(i));
  }
  Tensor qs = random_tensor({2, 3, 2}, -1, 1, 10), ks = random_tensor({2, 4, 2}, -1, 1, 11);
  Tensor vs = random_tensor({2, 4, 2}, -1, 1, 12);
  gradcheck("fused attention", [](std::vector<Tensor>& in) {
    return ops::dot_product_attention(in[0], in[1], in[2], {}, 0.8, true);
  }, {qs, ks, vs}, 1e-2, 2e-2);
}

TEST_CASE("attention fused: bad shapes raise ValueError naming the op and the shapes") {
  auto msg = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const keras::ValueError& e) {
      return e.what();
    }
    return "(no ValueError)";
  };
  Tensor q = ops::ones({2, 3, 4}), k = ops::ones({2, 5, 4}), v = ops::ones({2, 5, 6});
  std::string m = msg([&] { ops::dot_product_attention(q, ops::ones({2, 5, 3}), v); });
  CHECK(m.find("dot_product_attention") != std::string::npos);
  CHECK(m.find("(2, 5, 3)") != std::string::npos);
  m = msg([&] { ops::dot_product_attention(q, k, v, ops::ones({2, 3, 4}, keras::bool_)); });
  CHECK(m.find("(2, 3, 5)") != std::string::npos);
  CHECK(m.find("(2, 3, 4)") != std::string::npos);
}
