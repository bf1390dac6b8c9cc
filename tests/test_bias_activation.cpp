// ops::bias_activation (the fused bias + activation of Dense and Conv) on
// every available backend: values and gradients against plain loops, and
// against central finite differences.
#include <algorithm>
#include <cmath>

#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
using namespace testing;

namespace {

struct Act {
  const char* name;
  double (*f)(double);
  double (*df)(double);  // derivative at the pre-activation value
};

const Act kActs[] = {
    {"linear", [](double z) { return z; }, [](double) { return 1.0; }},
    {"relu", [](double z) { return std::max(z, 0.0); }, [](double z) { return z > 0 ? 1.0 : 0.0; }},
    {"relu6", [](double z) { return std::min(std::max(z, 0.0), 6.0); },
     [](double z) { return z > 0 && z < 6 ? 1.0 : 0.0; }},
    {"sigmoid", [](double z) { return 1 / (1 + std::exp(-z)); },
     [](double z) {
       double s = 1 / (1 + std::exp(-z));
       return s * (1 - s);
     }},
    {"tanh", [](double z) { return std::tanh(z); },
     [](double z) { return 1 - std::tanh(z) * std::tanh(z); }},
    {"elu", [](double z) { return z > 0 ? z : std::expm1(z); }, [](double z) { return z > 0 ? 1.0 : std::exp(z); }},
};

// x = z - bias for z away from the kinks at 0 and 6, so finite differences
// with eps = 1e-2 never straddle one.
void make_inputs(const Shape& s, unsigned seed, std::vector<float>& x, std::vector<float>& b) {
  const std::int64_t c = s.back();
  b = random_vector(c, -0.5f, 0.5f, seed);
  x = random_vector(keras::shape_size(s), -3.0f, 5.0f, seed + 1);
  for (std::size_t i = 0; i < x.size(); ++i) {
    float z = x[i];
    if (std::fabs(z) < 0.05f) z += z < 0 ? -0.05f : 0.05f;
    x[i] = z - b[i % c];
  }
}

// Checks y, dx and dbias of sum(bias_activation(x, b) * w) against loops.
void check_against_loops(const Act& a, const Shape& s, keras::Device d, double tol) {
  INFO(a.name << " on " << d.str() << " shape " << keras::shape_str(s));
  std::vector<float> xv, bv;
  make_inputs(s, 7, xv, bv);
  const std::int64_t c = s.back();
  auto wv = random_vector(xv.size(), 0.5f, 1.5f, 11);
  Tensor x = Tensor(s, xv).to(d), b = Tensor({c}, bv).to(d), w = Tensor(s, wv).to(d);
  x.requires_grad_(true);
  b.requires_grad_(true);
  Tensor y = ops::bias_activation(x, b, a.name);
  auto grads = keras::autograd::grad(ops::sum(ops::multiply(y, w)), {x, b});
  std::vector<float> want_y(xv.size()), want_dx(xv.size()), want_db(c, 0.0f);
  std::vector<double> db(c, 0.0);
  for (std::size_t i = 0; i < xv.size(); ++i) {
    double z = static_cast<double>(xv[i]) + bv[i % c];
    want_y[i] = static_cast<float>(a.f(z));
    want_dx[i] = static_cast<float>(wv[i] * a.df(z));
    db[i % c] += want_dx[i];
  }
  for (std::int64_t j = 0; j < c; ++j) want_db[j] = static_cast<float>(db[j]);
  check_close(y, want_y, tol, tol, "y");
  check_close(grads[0], want_dx, tol, tol, "dx");
  check_close(grads[1], want_db, tol, tol, "dbias");
}

}  // namespace

TEST_CASE("ops: bias_activation values and gradients match plain loops") {
  for (auto d : devices()) {
    for (const Act& a : kActs) {
      // C = 21 exercises the ragged tail of a SIMD batch; the large shape
      // runs the CPU kernels on several threads and several blocks.
      check_against_loops(a, {4, 3, 21}, d, 1e-5);
      check_against_loops(a, {20000, 8}, d, 1e-4);
      check_against_loops(a, {5, 64}, d, 1e-5);
    }
  }
}

TEST_CASE("ops: bias_activation gradients match finite differences") {
  for (auto d : devices()) {
    for (const Act& a : kActs) {
      std::vector<float> xv, bv;
      Shape s{3, 2, 19};
      make_inputs(s, 3, xv, bv);
      gradcheck(std::string("bias_activation ") + a.name + " on " + d.str(),
                [&](std::vector<Tensor>& in) { return ops::bias_activation(in[0], in[1], a.name); },
                {Tensor(s, xv).to(d), Tensor({19}, bv).to(d)});
    }
  }
}

TEST_CASE("ops: bias_activation checks its arguments") {
  Tensor x = Tensor::zeros({2, 3}), b = Tensor::zeros({3});
  CHECK(ops::bias_activation_supported("relu"));
  CHECK(ops::bias_activation_supported("linear"));
  CHECK_FALSE(ops::bias_activation_supported("softmax"));
  CHECK_THROWS_AS(ops::bias_activation(x, Tensor::zeros({4}), "relu"), keras::ValueError);
  CHECK_THROWS_AS(ops::bias_activation(x, b, "softmax"), keras::ValueError);
}

TEST_CASE("layers: Dense and Conv2D with a fused activation equal the unfused composition") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    for (const char* act : {"relu", "tanh", "sigmoid"}) {
      INFO(act << " on " << d.str());
      keras::layers::Dense dense(6, act);
      Tensor x = random_tensor({4, 5}, -1, 1, 5, d);
      Tensor y = dense(x);
      Tensor want = keras::activations::get(act)(
          ops::add(ops::matmul(x, dense.weights()[0].value()), dense.weights()[1].value()));
      check_close(y, want.cpu().to_vector<float>(), 1e-5, 1e-5, "dense");
    }
  }
}

TEST_CASE("backend: the default bias_activation (unfused, what other backends inherit) equals the CPU kernels") {
  auto& be = keras::backend::get(keras::Device::cpu());
  using keras::backend::Unary;
  const Shape s{37, 21};
  std::vector<float> xv, bv;
  make_inputs(s, 5, xv, bv);
  Tensor x(s, xv), b({21}, bv), dy = random_tensor(s, -1, 1, 9);
  for (Unary act : {Unary::relu, Unary::relu6, Unary::sigmoid, Unary::tanh, Unary::elu}) {
    INFO("unary op " << static_cast<int>(act));
    Tensor y1 = Tensor::empty(s), y2 = Tensor::empty(s);
    be.bias_activation(x, b, act, 1.0f, y1);
    be.Backend::bias_activation(x, b, act, 1.0f, y2);  // the base class's composition
    check_close(y1, y2.to_vector<float>(), 1e-6, 1e-5, "y");
    Tensor dx1 = Tensor::empty(s), dx2 = Tensor::empty(s), db1 = Tensor::empty({1, 21}), db2 = Tensor::empty({1, 21});
    be.bias_activation_backward(act, y1, dy, 1.0f, dx1, db1);
    be.Backend::bias_activation_backward(act, y1, dy, 1.0f, dx2, db2);
    check_close(dx1, dx2.to_vector<float>(), 1e-6, 1e-5, "dx");
    check_close(db1, db2.to_vector<float>(), 1e-5, 1e-5, "dbias");
  }
}
