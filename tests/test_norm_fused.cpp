// The fused normalization ops (ops::batch_normalization,
// batch_normalization_training, layer_normalization) on every device:
// values and every gradient against plain double loops, central finite
// differences, the backend's composed defaults against the fused kernels,
// argument errors, and the CUDA batch-norm plan (host-side, no GPU needed).
#include <cmath>
#include <cstdint>
#include <algorithm>
#include <optional>
#include <tuple>
#include <string>
#include <vector>

#include "backends/cuda/norm_plan.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace kb = keras::backend;
using namespace testing;

namespace {

using V = std::vector<double>;

struct Dims {
  std::int64_t outer = 1, c = 1, inner = 1;
  std::int64_t at(std::int64_t o, std::int64_t ch, std::int64_t i) const { return (o * c + ch) * inner + i; }
};

Dims dims_of(const Shape& s, int axis) {
  const int a = axis < 0 ? axis + static_cast<int>(s.size()) : axis;
  Dims d;
  d.c = s[a];
  for (int i = 0; i < a; ++i) d.outer *= s[i];
  for (std::size_t i = a + 1; i < s.size(); ++i) d.inner *= s[i];
  return d;
}

V to_double(const Tensor& t) {
  auto f = t.cpu().to_vector<float>();
  return V(f.begin(), f.end());
}
std::vector<float> to_float(const V& v) { return std::vector<float>(v.begin(), v.end()); }

// y = (x - m) * inv * g + b and the gradients of sum(y * w), straight from
// the definitions, in double. stats(k) gives the (mean, inv) group of
// element k's statistics; batch: per channel (statistics over outer and
// inner), else per (outer, inner) position (layer norm).
struct Ref {
  V y, dx, dg, db, mean, var;
};

Ref reference(const V& x, const V& w, const V* g, const V* b, const Dims& d, double eps, bool batch) {
  const std::int64_t groups = batch ? d.c : d.outer * d.inner, per = batch ? d.outer * d.inner : d.c;
  V mean(groups, 0.0), var(groups, 0.0);
  auto group = [&](std::int64_t o, std::int64_t ch, std::int64_t i) { return batch ? ch : o * d.inner + i; };
  for (std::int64_t o = 0; o < d.outer; ++o)
    for (std::int64_t ch = 0; ch < d.c; ++ch)
      for (std::int64_t i = 0; i < d.inner; ++i) mean[group(o, ch, i)] += x[d.at(o, ch, i)] / per;
  for (std::int64_t o = 0; o < d.outer; ++o)
    for (std::int64_t ch = 0; ch < d.c; ++ch)
      for (std::int64_t i = 0; i < d.inner; ++i) {
        const double t = x[d.at(o, ch, i)] - mean[group(o, ch, i)];
        var[group(o, ch, i)] += t * t / per;
      }
  Ref r;
  r.mean = mean;
  r.var = var;
  r.y.resize(x.size());
  r.dx.resize(x.size());
  r.dg.assign(d.c, 0.0);
  r.db.assign(d.c, 0.0);
  // Per group: sums of gy = w * gamma and gy * xhat.
  V s1(groups, 0.0), s2(groups, 0.0);
  for (std::int64_t o = 0; o < d.outer; ++o)
    for (std::int64_t ch = 0; ch < d.c; ++ch)
      for (std::int64_t i = 0; i < d.inner; ++i) {
        const std::int64_t k = d.at(o, ch, i), q = group(o, ch, i);
        const double inv = 1 / std::sqrt(var[q] + eps), xh = (x[k] - mean[q]) * inv;
        const double gm = g ? (*g)[ch] : 1.0;
        r.y[k] = xh * gm + (b ? (*b)[ch] : 0.0);
        r.dg[ch] += w[k] * xh;
        r.db[ch] += w[k];
        s1[q] += w[k] * gm;
        s2[q] += w[k] * gm * xh;
      }
  for (std::int64_t o = 0; o < d.outer; ++o)
    for (std::int64_t ch = 0; ch < d.c; ++ch)
      for (std::int64_t i = 0; i < d.inner; ++i) {
        const std::int64_t k = d.at(o, ch, i), q = group(o, ch, i);
        const double inv = 1 / std::sqrt(var[q] + eps), xh = (x[k] - mean[q]) * inv;
        const double gy = w[k] * (g ? (*g)[ch] : 1.0);
        r.dx[k] = inv * (gy - s1[q] / per - xh * s2[q] / per);
      }
  return r;
}

struct Case {
  Shape shape;
  int axis;
  bool gamma, beta;
};

const Case kBatchCases[] = {
    {{3, 5, 7, 37}, -1, true, true},   // channels last, C not a multiple of 16
    {{3, 37, 5, 7}, 1, true, true},    // channels first: strided statistics
    {{1, 19}, -1, true, true},         // one value per channel
    {{1, 6, 4, 5}, 1, false, true},    // batch 1, no scale
    {{2, 3, 17}, -1, true, false},     // no offset
    {{64, 12, 12, 23}, -1, true, true},  // large enough to run threaded
    {{16, 23, 24, 24}, 1, false, false},
};

const Case kLayerCases[] = {
    {{6, 77}, -1, true, true},
    {{4, 37, 9, 11}, 1, true, true},  // strided channels
    {{1, 3, 1}, 1, false, false},
    {{2, 5, 1029}, -1, true, false},  // a row longer than one flush block
    {{2048, 100}, -1, true, true},    // threaded
    {{8, 50, 30, 20}, 1, false, true},
};

struct Inputs {
  Tensor x, w, g, b;
  V xv, wv, gv, bv;
};

Inputs make_inputs(const Case& c, keras::Device d, unsigned seed) {
  const Dims n = dims_of(c.shape, c.axis);
  Inputs in;
  // An offset mean (3) so that statistics are not accidentally centred.
  in.x = random_tensor(c.shape, 1.0f, 5.0f, seed, d);
  in.w = random_tensor(c.shape, -1.0f, 1.5f, seed + 1, d);
  in.xv = to_double(in.x);
  in.wv = to_double(in.w);
  if (c.gamma) {
    in.g = random_tensor({n.c}, 0.5f, 1.5f, seed + 2, d);
    in.gv = to_double(in.g);
  }
  if (c.beta) {
    in.b = random_tensor({n.c}, -1.0f, 1.0f, seed + 3, d);
    in.bv = to_double(in.b);
  }
  return in;
}

std::string describe(const Case& c, keras::Device d) {
  return keras::shape_str(c.shape) + " axis " + std::to_string(c.axis) + (c.gamma ? " scale" : "") +
         (c.beta ? " offset" : "") + " on " + d.str();
}

// The gradients of sum(y * w) with respect to x, offset and scale (those defined).
std::vector<Tensor> grads_of(const Tensor& y, Inputs& in) {
  std::vector<Tensor> wrt{in.x};
  if (in.b.defined()) wrt.push_back(in.b);
  if (in.g.defined()) wrt.push_back(in.g);
  return keras::autograd::grad(ops::sum(ops::multiply(y, in.w)), wrt);
}

void require_grad(Inputs& in) {
  in.x.requires_grad_(true);
  if (in.g.defined()) in.g.requires_grad_(true);
  if (in.b.defined()) in.b.requires_grad_(true);
}

}  // namespace

TEST_CASE("norm ops: batch_normalization_training matches plain loops (values, statistics, gradients)") {
  for (auto d : devices())
    for (const Case& c : kBatchCases) {
      INFO(describe(c, d));
      Inputs in = make_inputs(c, d, 21);
      require_grad(in);
      const double eps = 1e-3;
      auto out = ops::batch_normalization_training(in.x, c.axis, in.b, in.g, eps);
      const Ref r = reference(in.xv, in.wv, c.gamma ? &in.gv : nullptr, c.beta ? &in.bv : nullptr,
                              dims_of(c.shape, c.axis), eps, true);
      check_close(out.y, to_float(r.y), 2e-5, 2e-5, "y");
      check_close(out.mean, to_float(r.mean), 1e-6, 1e-6, "mean");
      check_close(out.variance, to_float(r.var), 1e-6, 1e-5, "variance");
      CHECK(!out.mean.requires_grad());
      auto g = grads_of(out.y, in);
      check_close(g[0], to_float(r.dx), 1e-5, 1e-4, "dx");
      std::size_t k = 1;
      // Sums over up to 13k values; the float32 mean alone moves dscale by
      // |mean error| * sum(dy), about 1e-4 here.
      if (c.beta) check_close(g[k++], to_float(r.db), 1e-3, 1e-4, "doffset");
      if (c.gamma) check_close(g[k++], to_float(r.dg), 1e-3, 1e-4, "dscale");
    }
}

TEST_CASE("norm ops: layer_normalization matches plain loops (values and gradients)") {
  for (auto d : devices())
    for (const Case& c : kLayerCases) {
      INFO(describe(c, d));
      Inputs in = make_inputs(c, d, 31);
      require_grad(in);
      const double eps = 1e-3;
      Tensor y = ops::layer_normalization(in.x, in.g, in.b, c.axis, eps);
      const Ref r = reference(in.xv, in.wv, c.gamma ? &in.gv : nullptr, c.beta ? &in.bv : nullptr,
                              dims_of(c.shape, c.axis), eps, false);
      check_close(y, to_float(r.y), 2e-5, 2e-5, "y");
      auto g = grads_of(y, in);
      check_close(g[0], to_float(r.dx), 1e-5, 1e-4, "dx");
      std::size_t k = 1;
      if (c.beta) check_close(g[k++], to_float(r.db), 1e-3, 1e-4, "dbeta");
      if (c.gamma) check_close(g[k++], to_float(r.dg), 1e-3, 1e-4, "dgamma");
    }
}

TEST_CASE("norm ops: batch_normalization (inference form) matches plain loops, all five gradients") {
  for (auto d : devices())
    for (const Case& c : kBatchCases) {
      INFO(describe(c, d));
      Inputs in = make_inputs(c, d, 41);
      const Dims n = dims_of(c.shape, c.axis);
      Tensor mean = random_tensor({n.c}, 2.0f, 4.0f, 5, d), var = random_tensor({n.c}, 0.2f, 2.0f, 6, d);
      require_grad(in);
      mean.requires_grad_(true);
      var.requires_grad_(true);
      const double eps = 1e-3;
      Tensor y = ops::batch_normalization(in.x, mean, var, c.axis, in.b, in.g, eps);
      const V mv = to_double(mean), vv = to_double(var);
      V want(in.xv.size()), dx(in.xv.size()), dm(n.c, 0.0), dv(n.c, 0.0), db(n.c, 0.0), dg(n.c, 0.0);
      for (std::int64_t o = 0; o < n.outer; ++o)
        for (std::int64_t ch = 0; ch < n.c; ++ch)
          for (std::int64_t i = 0; i < n.inner; ++i) {
            const std::int64_t k = n.at(o, ch, i);
            const double inv = 1 / std::sqrt(vv[ch] + eps), xh = (in.xv[k] - mv[ch]) * inv;
            const double gm = c.gamma ? in.gv[ch] : 1.0, w = in.wv[k];
            want[k] = xh * gm + (c.beta ? in.bv[ch] : 0.0);
            dx[k] = w * gm * inv;
            dm[ch] -= w * gm * inv;
            dv[ch] -= 0.5 * w * gm * xh * inv * inv;
            db[ch] += w;
            dg[ch] += w * xh;
          }
      check_close(y, to_float(want), 2e-5, 2e-5, "y");
      std::vector<Tensor> wrt{in.x, mean, var};
      if (c.beta) wrt.push_back(in.b);
      if (c.gamma) wrt.push_back(in.g);
      auto g = keras::autograd::grad(ops::sum(ops::multiply(y, in.w)), wrt);
      check_close(g[0], to_float(dx), 1e-5, 1e-5, "dx");
      check_close(g[1], to_float(dm), 1e-3, 1e-4, "dmean");
      check_close(g[2], to_float(dv), 1e-3, 1e-4, "dvariance");
      std::size_t k = 3;
      if (c.beta) check_close(g[k++], to_float(db), 1e-3, 1e-4, "doffset");
      if (c.gamma) check_close(g[k++], to_float(dg), 1e-3, 1e-4, "dscale");
    }
}

TEST_CASE("norm ops: gradients match central finite differences") {
  for (auto d : devices()) {
    INFO(d.str());
    for (int axis : {-1, 1}) {
      Tensor x = random_tensor({3, 4, 5}, -2, 2, 51, d);
      Tensor g = random_tensor({axis == -1 ? 5 : 4}, 0.5f, 1.5f, 52, d);
      Tensor b = random_tensor({axis == -1 ? 5 : 4}, -1, 1, 53, d);
      Tensor m = random_tensor({axis == -1 ? 5 : 4}, -0.5f, 0.5f, 54, d);
      Tensor v = random_tensor({axis == -1 ? 5 : 4}, 0.5f, 1.5f, 55, d);
      gradcheck("batch_normalization_training axis " + std::to_string(axis),
                [&](auto& in) { return ops::batch_normalization_training(in[0], axis, in[1], in[2]).y; }, {x, b, g},
                1e-2, 3e-2);
      gradcheck("layer_normalization axis " + std::to_string(axis),
                [&](auto& in) { return ops::layer_normalization(in[0], in[1], in[2], axis); }, {x, g, b}, 1e-2, 3e-2);
      gradcheck("batch_normalization axis " + std::to_string(axis),
                [&](auto& in) { return ops::batch_normalization(in[0], in[1], in[2], axis, in[3], in[4]); },
                {x, m, v, b, g}, 1e-2, 3e-2);
    }
  }
}

TEST_CASE("norm ops: the backend's composed defaults agree with the fused kernels") {
  for (auto d : devices())
    for (const Case& c : kBatchCases) {
      INFO(describe(c, d));
      Inputs in = make_inputs(c, d, 61);
      const Dims n = dims_of(c.shape, c.axis);
      const kb::NormDims nd{n.outer, n.c, n.inner};
      kb::Backend& be = kb::get(d);
      const Tensor* g = c.gamma ? &in.g : nullptr;
      const Tensor* b = c.beta ? &in.b : nullptr;
      auto run = [&](bool fused) {
        const Shape pc{n.c}, pp{n.outer * n.inner};
        std::vector<Tensor> o;
        for (int k = 0; k < 4; ++k) o.push_back(Tensor::empty(k == 0 ? c.shape : pc, keras::float32, d));
        Tensor dx = Tensor::empty(c.shape, keras::float32, d), dg = Tensor::empty(pc, keras::float32, d),
               db = Tensor::empty(pc, keras::float32, d), dxi = Tensor::empty(c.shape, keras::float32, d);
        Tensor yl = Tensor::empty(c.shape, keras::float32, d), ml = Tensor::empty(pp, keras::float32, d),
               il = Tensor::empty(pp, keras::float32, d), dxl = Tensor::empty(c.shape, keras::float32, d),
               dgl = Tensor::empty(pc, keras::float32, d), dbl = Tensor::empty(pc, keras::float32, d),
               yi = Tensor::empty(c.shape, keras::float32, d);
        if (fused) {
          be.batch_norm_training(in.x, g, b, 1e-3f, nd, o[0], o[1], o[2], o[3]);
          be.batch_norm_backward(in.x, in.w, g, o[1], o[3], nd, true, &dx, &dg, &db);
          be.batch_norm_backward(in.x, in.w, g, o[1], o[3], nd, false, &dxi, nullptr, nullptr);
          be.batch_norm_inference(in.x, g, b, o[1], o[2], 1e-3f, nd, yi);
          be.layer_norm_forward(in.x, g, b, 1e-3f, nd, yl, ml, il);
          be.layer_norm_backward(in.x, in.w, g, ml, il, nd, &dxl, &dgl, &dbl);
        } else {
          be.kb::Backend::batch_norm_training(in.x, g, b, 1e-3f, nd, o[0], o[1], o[2], o[3]);
          be.kb::Backend::batch_norm_backward(in.x, in.w, g, o[1], o[3], nd, true, &dx, &dg, &db);
          be.kb::Backend::batch_norm_backward(in.x, in.w, g, o[1], o[3], nd, false, &dxi, nullptr, nullptr);
          be.kb::Backend::batch_norm_inference(in.x, g, b, o[1], o[2], 1e-3f, nd, yi);
          be.kb::Backend::layer_norm_forward(in.x, g, b, 1e-3f, nd, yl, ml, il);
          be.kb::Backend::layer_norm_backward(in.x, in.w, g, ml, il, nd, &dxl, &dgl, &dbl);
        }
        for (Tensor t : {dx, dg, db, dxi, yi, yl, ml, il, dxl, dgl, dbl}) o.push_back(t);
        return o;
      };
      auto fused = run(true), composed = run(false);
      const char* names[] = {"bn y",    "bn mean", "bn var",  "bn inv_std", "bn dx",   "bn dgamma",
                             "bn dbeta", "bn dx (constant statistics)", "bn inference y", "ln y",
                             "ln mean", "ln inv_std", "ln dx", "ln dgamma", "ln dbeta"};
      // The parameter gradients are sums over up to 13k values, which the
      // composed path adds with the generic reduce (in float): compared
      // loosely; the loop references above hold the fused ones tightly.
      for (std::size_t k = 0; k < fused.size(); ++k) {
        const std::string name = names[k];
        const bool sum = name.find("dgamma") != std::string::npos || name.find("dbeta") != std::string::npos;
        check_close(fused[k], composed[k].cpu().to_vector<float>(), sum ? 2e-2 : 1e-4, sum ? 1e-2 : 1e-4, name);
      }
    }
}

TEST_CASE("norm ops: argument errors name the op, the expectation and what was received") {
  Tensor x = ops::ones({2, 3, 4});
  auto message = [](auto f) {
    try {
      f();
    } catch (const keras::ValueError& e) {
      return std::string(e.what());
    }
    return std::string("no ValueError");
  };
  auto m = message([&] { ops::batch_normalization(x, ops::zeros({4}), ops::ones({4}), 1); });
  CHECK(m.find("batch_normalization") != std::string::npos);
  CHECK(m.find("(3,)") != std::string::npos);
  m = message([&] { ops::batch_normalization_training(x, -1, ops::zeros({3})); });
  CHECK(m.find("batch_normalization_training") != std::string::npos);
  CHECK(m.find("offset") != std::string::npos);
  m = message([&] { ops::layer_normalization(x, ops::ones({4}), Tensor(), 3); });
  CHECK(m.find("layer_normalization") != std::string::npos);
  CHECK(m.find("axis 3") != std::string::npos);
  m = message([&] { ops::layer_normalization(x, Tensor(), Tensor(), -1, 0.0); });
  CHECK(m.find("epsilon") != std::string::npos);
  CHECK_THROWS_AS(ops::layer_normalization(ops::ones({2, 3}, keras::int32)), keras::TypeError);
}

TEST_CASE("cuda batch-norm plan: cuDNN's 4-D view is the (outer, C, inner) memory") {
  namespace kc = keras::backend::cuda;
  for (auto [o, c, i] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{128 * 26 * 26, 32, 1}, {7, 5, 9}, {1, 3, 4}}) {
    const kb::NormDims n{o, c, i};
    const auto l = kc::bn_cudnn_layout(n, 1e-3, 0.0, true);
    REQUIRE(l.usable);
    CHECK(l.nhwc == (i == 1));
    CHECK(l.n == o);
    CHECK(l.c == c);
    CHECK(static_cast<std::int64_t>(l.h) * l.w == i);
    // Walk cuDNN's element (n, c, h, w) through its packed strides and
    // compare with the (o, c, i) offset it must address.
    for (std::int64_t a = 0; a < std::min<std::int64_t>(o, 3); ++a)
      for (std::int64_t ch = 0; ch < c; ++ch)
        for (std::int64_t h = 0; h < l.h; ++h) {
          const std::int64_t off = l.nhwc ? ((a * l.h + h) * l.w) * l.c + ch  // NHWC, w = 0
                                          : ((a * l.c + ch) * l.h + h) * l.w;
          CHECK(off == (a * c + ch) * i + h);
        }
  }
  CHECK_FALSE(kc::bn_cudnn_layout({1, 4, 1}, 1e-3, 0.0, true).usable);  // one value per channel
  CHECK(kc::bn_cudnn_layout({1, 4, 1}, 1e-3, 0.0, false).usable);
  CHECK_FALSE(kc::bn_cudnn_layout({1 << 20, 4096, 1}, 1e-3, 0.0, false).usable);  // past INT_MAX
  CHECK_FALSE(kc::bn_cudnn_layout({4, 4, 4}, 1e-6, 1e-5, false).usable);
  CHECK_FALSE(kc::bn_cudnn_layout({0, 4, 4}, 1e-3, 0.0, false).usable);
  // Unbiased running variance times the factor is the biased variance.
  const std::vector<double> v{1, 2, 4, 7};
  double mean = 0, ss = 0;
  for (double t : v) mean += t / 4;
  for (double t : v) ss += (t - mean) * (t - mean);
  CHECK(ss / 3 * kc::bn_biased_factor({2, 1, 2}) == doctest::Approx(ss / 4));
  CHECK(kc::norm_chunks({3, 2, 100}) == (300 + kc::kNormChunk - 1) / kc::kNormChunk);
}

TEST_CASE("norm ops: statistics stay accurate for a large mean, and repeated calls agree bitwise") {
  for (auto d : devices()) {
    INFO(d.str());
    // Values 1000 +- 0.5: a one-pass E[x^2] - E[x]^2 in float would lose the
    // variance (about 0.08) entirely.
    const Shape s{64, 12, 12, 23};
    Tensor x = ops::add(random_tensor(s, -0.5f, 0.5f, 71, d), Tensor::scalar(1000.0, keras::float32, d));
    const V xv = to_double(x), w(xv.size(), 1.0);
    const Dims n = dims_of(s, -1);
    const Ref bn = reference(xv, w, nullptr, nullptr, n, 1e-3, true);
    auto out = ops::batch_normalization_training(x, -1);
    check_close(out.mean, to_float(bn.mean), 0, 1e-6, "batch mean");
    check_close(out.variance, to_float(bn.var), 0, 1e-3, "batch variance");
    check_close(out.y, to_float(bn.y), 1e-3, 1e-3, "batch-normalized y");
    const Ref ln = reference(xv, w, nullptr, nullptr, n, 1e-3, false);
    check_close(ops::layer_normalization(x), to_float(ln.y), 1e-3, 1e-3, "layer-normalized y");

    auto again = ops::batch_normalization_training(x, -1);
    CHECK(again.y.cpu().to_vector<float>() == out.y.cpu().to_vector<float>());
    CHECK(again.variance.cpu().to_vector<float>() == out.variance.cpu().to_vector<float>());
  }
}
