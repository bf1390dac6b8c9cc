// ops::conv_bias_activation_max_pool (a Conv2D layer followed by
// MaxPooling2D, as one op) against the two ops it replaces, values and
// gradients, on every available backend; a Sequential model that fuses the
// pair against one that cannot; central finite differences.
#include <string>

#include "conv_reference.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace L = keras::layers;
using namespace testing;

namespace {

struct Case {
  long n, h, w, cin, kh, kw, cout, sh, sw, dh, dw;
  std::string padding;
  std::vector<int> pool;
};

std::vector<Case> cases() {
  //  n   h   w cin kh kw cout sh sw dh dw padding  pool
  return {
      {4, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, "valid", {2}},     // the Fashion-MNIST CNN's first layer
      {2, 9, 8, 3, 3, 3, 20, 1, 1, 1, 1, "same", {2}},        // odd rows dropped, ragged channels
      {3, 11, 11, 2, 3, 3, 16, 1, 1, 1, 1, "valid", {3}},     // 3x3 windows
      {2, 12, 10, 1, 2, 2, 5, 1, 1, 1, 1, "same", {2, 3}},    // non-square window, Cout < one vector
      {2, 13, 13, 3, 3, 3, 16, 2, 2, 1, 1, "valid", {2}},     // strided convolution
      {1, 12, 12, 2, 3, 3, 8, 1, 1, 2, 2, "valid", {2}},      // dilation, batch 1
      {16, 14, 14, 1, 3, 3, 32, 1, 1, 1, 1, "valid", {2}},    // batch split over threads
      {3, 13, 13, 32, 3, 3, 64, 1, 1, 1, 1, "valid", {2}},    // the CNN's second layer (Winograd on the CPU)
      {2, 12, 10, 16, 3, 3, 20, 1, 1, 1, 1, "same", {2}},     // Winograd, ragged channels
      {2, 10, 13, 16, 3, 3, 16, 1, 1, 1, 1, "same", {4}},     // Winograd, 4x4 windows, dropped columns
      {2, 9, 9, 16, 3, 3, 17, 1, 1, 1, 1, "valid", {2, 1}},   // Winograd, 2x1 windows
      {2, 9, 9, 16, 3, 3, 16, 1, 1, 1, 1, "valid", {3}},      // Winograd shape, 3x3 windows: composed by the op
      {2, 9, 9, 8, 3, 3, 16, 1, 1, 1, 1, "valid", {2}},       // patch 72: composed by the op
  };
}

std::string describe(const Case& c) {
  return "n=" + std::to_string(c.n) + " " + std::to_string(c.h) + "x" + std::to_string(c.w) + "x" +
         std::to_string(c.cin) + " k=" + std::to_string(c.kh) + "x" + std::to_string(c.kw) + " cout=" +
         std::to_string(c.cout) + " strides=" + std::to_string(c.sh) + "," + std::to_string(c.sw) + " dil=" +
         std::to_string(c.dh) + "," + std::to_string(c.dw) + " " + c.padding + " pool=" + std::to_string(c.pool[0]) +
         (c.pool.size() > 1 ? "," + std::to_string(c.pool[1]) : "");
}

}  // namespace

TEST_CASE("conv_pool_fused: conv_bias_activation_max_pool equals max_pool(conv_bias_activation)") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    unsigned seed = 1;
    for (const auto& c : cases()) {
      Tensor x = random_tensor({c.n, c.h, c.w, c.cin}, -1.0f, 1.0f, seed++, d);
      Tensor w = random_tensor({c.kh, c.kw, c.cin, c.cout}, -0.5f, 0.5f, seed++, d);
      Tensor b = random_tensor({c.cout}, -0.3f, 0.3f, seed++, d);
      const std::vector<int> s{int(c.sh), int(c.sw)}, dil{int(c.dh), int(c.dw)};
      for (const char* act : {"relu", "relu6", "sigmoid", "tanh", "elu", "linear"}) {
        for (bool grad_x : {false, true}) {
          INFO(act << " on " << d.str() << " " << describe(c) << (grad_x ? "" : " (no dx)"));
          auto fused = value_and_grads([&](const Tensor& xi, const Tensor& wi, const Tensor& bi) {
            return ops::conv_bias_activation_max_pool(xi, wi, bi, act, s, c.padding, dil, c.pool);
          }, x, w, b, grad_x);
          auto plain = value_and_grads([&](const Tensor& xi, const Tensor& wi, const Tensor& bi) {
            return ops::max_pool(ops::conv_bias_activation(xi, wi, bi, act, s, c.padding, dil), c.pool, {}, "valid");
          }, x, w, b, grad_x);
          REQUIRE(fused.y.shape() == plain.y.shape());
          check_close(fused.y, plain.y.cpu().to_vector<float>(), 1e-6, 1e-6, "y");
          REQUIRE(fused.grads.size() == plain.grads.size());
          const char* names[] = {"dx", "dkernel", "dbias"};
          for (std::size_t i = 0; i < fused.grads.size(); ++i)
            check_close(fused.grads[i], plain.grads[i].cpu().to_vector<float>(), 1e-4, 1e-4,
                        names[i + (grad_x ? 0 : 1)]);
        }
      }
    }
  }
}

TEST_CASE("conv_pool_fused: gradients match finite differences") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    // Values away from the kinks and ties of relu and max (random draws).
    Tensor x = random_tensor({2, 7, 6, 1}, -1.0f, 1.0f, 3, d);
    Tensor w = random_tensor({3, 3, 1, 4}, -0.8f, 0.8f, 4, d);
    Tensor b = random_tensor({4}, -0.2f, 0.2f, 5, d);
    for (const char* act : {"tanh", "sigmoid", "elu"})
      gradcheck(std::string("conv_bias_activation_max_pool ") + act + " on " + d.str(),
                [&](auto& in) { return ops::conv_bias_activation_max_pool(in[0], in[1], in[2], act, {1}, "valid", {1}, {2}); },
                {x, w, b}, 2e-3, 2e-2);
  }
}

TEST_CASE("conv_pool_fused: a Sequential model fuses Conv2D + MaxPooling2D with unchanged results") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    INFO("on " << d.str());
    auto make = [](bool fusable) {
      keras::utils::set_random_seed(3);
      keras::Sequential m;
      m.add(keras::Input({12, 11, 1}));
      m.add(L::Conv2D(8, 3, "relu"));
      if (!fusable) m.add(L::Activation("linear"));  // keeps the pair apart
      m.add(L::MaxPooling2D(2));
      m.add(L::Conv2D(16, 3, "tanh", {.padding = "same"}));
      if (!fusable) m.add(L::Activation("linear"));
      m.add(L::MaxPooling2D(2, {.strides = {2, 2}}));
      m.add(L::Flatten());
      m.add(L::Dense(5, "softmax"));
      m.compile("adam", "sparse_categorical_crossentropy");
      return m;
    };
    keras::Sequential fused = make(true), plain = make(false);
    // Random weights, biases included (they start at zero).
    std::vector<Tensor> weights;
    unsigned seed = 20;
    for (const auto& t : fused.get_weights()) weights.push_back(random_tensor(t.shape(), -0.5f, 0.5f, seed++, d));
    fused.set_weights(weights);
    plain.set_weights(weights);
    Tensor x = random_tensor({6, 12, 11, 1}, 0.0f, 1.0f, 11, d);
    Tensor y = Tensor({6}, std::vector<float>{0, 1, 2, 3, 4, 0}).astype(keras::int64).to(d);
    check_close(fused.predict(x), plain.predict(x).cpu().to_vector<float>(), 1e-6, 1e-6, "predict");
    for (int step = 0; step < 3; ++step) {
      const double lf = fused.train_on_batch(x, y)["loss"], lp = plain.train_on_batch(x, y)["loss"];
      CHECK(lf == doctest::Approx(lp).epsilon(1e-5));
    }
    auto wf = fused.get_weights(), wp = plain.get_weights();
    REQUIRE(wf.size() == wp.size());
    for (std::size_t i = 0; i < wf.size(); ++i)
      check_close(wf[i], wp[i].cpu().to_vector<float>(), 1e-5, 1e-4, "weight " + std::to_string(i) + " after 3 steps");
  }
}

TEST_CASE("conv_pool_fused: functional models fuse a Conv2D whose only consumer is the next MaxPooling2D") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    INFO("on " << d.str());
    Tensor x = random_tensor({5, 10, 9, 2}, 0.0f, 1.0f, 31, d);
    auto check_pair = [&](keras::Model& a, keras::Model& b, const std::string& what) {
      std::vector<Tensor> weights;
      unsigned seed = 40;
      for (const auto& t : a.get_weights()) weights.push_back(random_tensor(t.shape(), -0.5f, 0.5f, seed++, d));
      a.set_weights(weights);
      b.set_weights(weights);
      auto ya = a.predict(std::vector<Tensor>{x}), yb = b.predict(std::vector<Tensor>{x});
      REQUIRE(ya.size() == yb.size());
      for (std::size_t i = 0; i < ya.size(); ++i)
        check_close(ya[i], yb[i].cpu().to_vector<float>(), 1e-6, 1e-6, what + " output " + std::to_string(i));
      // Gradients of the weights through both models.
      auto grads = [&](keras::Model& m) {
        keras::GradientTape tape;
        auto ys = m.call_all({x}, true);
        Tensor loss = ops::sum(ys[0]);
        for (std::size_t i = 1; i < ys.size(); ++i) loss = ops::add(loss, ops::sum(ys[i]));
        return tape.gradient(loss, m.trainable_weights());
      };
      auto ga = grads(a), gb = grads(b);
      for (std::size_t i = 0; i < ga.size(); ++i)
        check_close(ga[i], gb[i].cpu().to_vector<float>(), 1e-4, 1e-4, what + " gradient " + std::to_string(i));
    };
    auto build = [](bool apart, bool conv_is_output) {
      keras::utils::set_random_seed(5);
      auto in = keras::Input({10, 9, 2});
      auto c = L::Conv2D(6, 3, "elu")(in);
      auto p = L::MaxPooling2D(2)(apart ? L::Activation("linear")(c) : c);
      auto out = L::Dense(3)(L::Flatten()(p));
      return conv_is_output ? keras::Model({in}, {out, c}) : keras::Model({in}, {out});
    };
    keras::Model fused = build(false, false), plain = build(true, false);
    check_pair(fused, plain, "chain");
    // The convolution's value is also an output: nothing may skip it.
    keras::Model shared = build(false, true), shared_plain = build(true, true);
    check_pair(shared, shared_plain, "conv output also returned");
  }
}
