// Recurrent layers against independent references: the fused time loop
// (ops::recurrent_sequence) against the same cell run step by step with
// plain ops, finite differences through the op and the layers, a plain-loop
// user cell, stateful runs, initial states, Embedding and Masking, and the
// bad-input errors.
#include <cmath>

#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;
namespace ops = keras::ops;
using namespace testing;

namespace {

// The same activation as a user's callable: the layer then runs step by step.
keras::activations::Activation unfused(const std::string& name) {
  auto builtin = keras::activations::get(name);
  return keras::activations::Activation(name, [builtin](const Tensor& x) { return builtin(x); });
}

std::shared_ptr<layers::RNN> make_rnn(const std::string& kind, bool fused, layers::RNNOptions o,
                                      bool reset_after = true) {
  layers::CellOptions c;
  c.reset_after = reset_after;
  if (!fused) {
    c.activation = unfused("tanh");
    c.recurrent_activation = unfused("sigmoid");
  }
  if (kind == "lstm") return std::make_shared<layers::LSTM>(3, c, o);
  if (kind == "gru") return std::make_shared<layers::GRU>(3, c, o);
  return std::make_shared<layers::SimpleRNN>(3, c, o);
}

Tensor mask_bt() {  // (2, 5): a padded row and an interior gap
  return ops::cast(Tensor({2, 5}, std::vector<float>{1, 1, 1, 0, 0, 1, 0, 1, 1, 1}), keras::bool_);
}

}  // namespace

TEST_CASE("recurrent: the fused loop matches the cell run step by step (values and gradients)") {
  keras::random::set_seed(3);
  for (std::string kind : {"simple", "lstm", "gru", "gru_before"})
    for (bool backwards : {false, true})
      for (bool masked : {false, true}) {
        INFO(kind, " backwards=", backwards, " masked=", masked);
        layers::RNNOptions o;
        o.return_sequences = true;
        o.return_state = true;
        o.go_backwards = backwards;
        const std::string k = kind == "gru_before" ? "gru" : kind;
        auto a = make_rnn(k, true, o, kind != "gru_before"), b = make_rnn(k, false, o, kind != "gru_before");
        Tensor x = random_tensor({2, 5, 4}, -1, 1, 11);
        a->call_all({x});
        b->call_all({x});
        b->set_weights(a->get_weights());
        std::vector<Tensor> m = masked ? std::vector<Tensor>{mask_bt()} : std::vector<Tensor>{};
        auto run = [&](layers::RNN& l, const Tensor& xin) {
          auto ys = l.call_masked({xin}, m, false);
          Tensor loss = ops::sum(ys[0] * random_tensor(ys[0].shape(), -1, 1, 5));
          for (std::size_t i = 1; i < ys.size(); ++i) loss = loss + ops::sum(ys[i] * 0.7);
          auto ws = l.trainable_weights();
          std::vector<Tensor> wrt{xin};
          for (auto& w : ws) wrt.push_back(w.value());
          return std::make_pair(ys, keras::autograd::grad(loss, wrt));
        };
        Tensor xa = x.detach(), xb = x.detach();
        xa.requires_grad_(true);
        xb.requires_grad_(true);
        auto [ya, ga] = run(*a, xa);
        auto [yb, gb] = run(*b, xb);
        REQUIRE(ya.size() == yb.size());
        for (std::size_t i = 0; i < ya.size(); ++i) check_close(ya[i], yb[i].to_vector<float>(), 1e-5, 1e-5, "output");
        for (std::size_t i = 0; i < ga.size(); ++i) check_close(ga[i], gb[i].to_vector<float>(), 1e-5, 1e-4, "gradient");
      }
}

TEST_CASE("recurrent: recurrent_sequence gradients match finite differences") {
  using ops::RecurrentKind;
  const std::int64_t T = 4, B = 2, u = 3;
  for (auto kind : {RecurrentKind::simple, RecurrentKind::lstm, RecurrentKind::gru, RecurrentKind::gru_before}) {
    const int g = kind == RecurrentKind::simple ? 1 : kind == RecurrentKind::lstm ? 4 : 3;
    ops::RecurrentSpec spec;
    spec.kind = kind;
    if (kind == RecurrentKind::gru) spec.recurrent_activation = "hard_sigmoid";
    if (kind == RecurrentKind::simple) spec.activation = "linear";  // relu: the Keras golden (a kink defeats differences)
    Tensor mask = ops::cast(Tensor({T, B}, std::vector<float>{1, 1, 0, 1, 1, 0, 1, 1}), keras::bool_);
    Tensor rdm = random_tensor({B, u}, 0.5, 1.5, 8);
    std::vector<Tensor> in{random_tensor({T, B, g * u}, -1, 1, 1), random_tensor({u, g * u}, -0.8f, 0.8f, 2),
                           random_tensor({B, u}, -0.5, 0.5, 3)};
    const bool lstm = kind == RecurrentKind::lstm, rb = kind == RecurrentKind::gru;
    if (lstm) in.push_back(random_tensor({B, u}, -0.5, 0.5, 4));
    if (rb) in.push_back(random_tensor({3 * u}, -0.5, 0.5, 6));
    gradcheck("recurrent_sequence kind " + std::to_string(static_cast<int>(kind)),
              [&](std::vector<Tensor>& v) {
                std::vector<Tensor> st{v[2]};
                if (lstm) st.push_back(v[3]);
                return ops::recurrent_sequence(spec, v[0], v[1], rb ? v[3] : Tensor(), st, mask, rdm);
              },
              in, 1e-2, 2e-2);
  }
}

TEST_CASE("recurrent: layer gradients through masks, go_backwards and states match finite differences") {
  keras::random::set_seed(5);
  for (std::string kind : {"lstm", "gru", "simple"}) {
    layers::RNNOptions o;
    o.go_backwards = kind != "simple";
    o.return_sequences = kind == "lstm";
    auto l = make_rnn(kind, true, o);
    Tensor x = random_tensor({2, 5, 2}, -1, 1, 21);
    l->call_all({x});
    std::vector<Tensor> in{x, random_tensor({2, 3}, -0.5, 0.5, 22)};
    if (kind == "lstm") in.push_back(random_tensor({2, 3}, -0.5, 0.5, 23));
    gradcheck("layer " + kind, [&](std::vector<Tensor>& v) { return l->call_masked(v, {mask_bt()}, false)[0]; }, in);
  }
}

TEST_CASE("recurrent: RNN(cell) runs a user cell as a plain loop computes it") {
  struct MinimalCell : layers::RecurrentCell {
    MinimalCell() : RecurrentCell(unique_name("minimal_cell")) {}
    KERAS_LAYER_CLASS(MinimalCell)
    std::vector<std::int64_t> state_size() const override { return {2}; }
    void build(const Shape& s) override { w = add_weight("kernel", {s.back(), 2}, "glorot_uniform"); }
    std::vector<Tensor> step(const Tensor& x, const std::vector<Tensor>& st, bool) override {
      Tensor h = ops::tanh(ops::matmul(x, w.value()) + st[0] * 0.5);
      return {h, h};
    }
    keras::Variable w;
  };
  auto cell = std::make_shared<MinimalCell>();
  layers::RNNOptions o;
  o.return_sequences = true;
  layers::RNN rnn(cell, o);
  Tensor x = random_tensor({2, 4, 3}, -1, 1, 31);
  Tensor y = rnn(x);
  REQUIRE(y.shape() == Shape{2, 4, 2});
  auto w = cell->w.value().to_vector<float>();
  for (int b = 0; b < 2; ++b) {
    float h[2] = {0, 0};
    for (int t = 0; t < 4; ++t) {
      float n[2];
      for (int j = 0; j < 2; ++j) {
        double a = 0.5 * h[j];
        for (int k = 0; k < 3; ++k) a += x.at<float>(b, t, k) * w[k * 2 + j];
        n[j] = static_cast<float>(std::tanh(a));
      }
      for (int j = 0; j < 2; ++j) {
        h[j] = n[j];
        CHECK(y.at<float>(b, t, j) == doctest::Approx(h[j]).epsilon(1e-5));
      }
    }
  }
  CHECK(rnn.weights().size() == 1);
  CHECK(rnn.weights()[0].path() == rnn.name() + "/" + cell->name() + "/kernel");
}

TEST_CASE("recurrent: stateful layers carry states between calls; reset_states starts again") {
  layers::RNNOptions so, o;
  so.stateful = true;
  so.return_sequences = o.return_sequences = true;
  layers::LSTM a(3, {}, so), b(3, {}, o);
  Tensor x = random_tensor({2, 6, 2}, -1, 1, 41);
  a(ops::slice_axis(x, 1, 0, 1));
  b(ops::slice_axis(x, 1, 0, 1));
  b.set_weights(a.get_weights());
  a.reset_states();
  Tensor y1 = a(ops::slice_axis(x, 1, 0, 3)), y2 = a(ops::slice_axis(x, 1, 3, 6));
  Tensor full = b(x);
  check_close(ops::concatenate({y1, y2}, 1), full.to_vector<float>(), 1e-5, 1e-5, "two halves = one sequence");
  a.reset_states();
  check_close(a(ops::slice_axis(x, 1, 0, 3)), y1.to_vector<float>(), 1e-6, 1e-6, "after reset_states");
  layers::Bidirectional bi(std::make_shared<layers::GRU>(2, layers::CellOptions{}, so));
  Tensor b1 = bi(x);
  CHECK(bi.forward_layer()->states().size() == 1);
  bi.reset_states();
  check_close(bi(x), b1.to_vector<float>(), 1e-6, 1e-6, "Bidirectional after reset_states");
}

TEST_CASE("recurrent: initial_state starts the loop (functional API, several outputs)") {
  auto x = keras::Input({5, 2});
  auto h = keras::Input({3});
  auto c = keras::Input({3});
  layers::RNNOptions o;
  o.return_state = true;
  auto lstm = std::make_shared<layers::LSTM>(3, layers::CellOptions{}, o);
  auto outs = lstm->call_all({x, h, c});
  REQUIRE(outs.size() == 3);
  keras::Model m({x, h, c}, outs);
  Tensor xv = random_tensor({2, 5, 2}, -1, 1, 51), hv = random_tensor({2, 3}, -1, 1, 52),
         cv = random_tensor({2, 3}, -1, 1, 53);
  auto ys = m.predict({xv, hv, cv});
  // The same as running the first step by hand from (h, c), then the rest from its states.
  auto first = lstm->call_all({ops::slice_axis(xv, 1, 0, 1), hv, cv});
  auto rest = lstm->call_all({ops::slice_axis(xv, 1, 1, 5), first[1], first[2]});
  for (int i = 0; i < 3; ++i) check_close(ys[i], rest[i].to_vector<float>(), 1e-5, 1e-5, "from the states");
  auto zero = lstm->call_all({xv, ops::zeros({2, 3}), ops::zeros({2, 3})});
  check_close(zero[0], (*lstm)(xv).to_vector<float>(), 1e-6, 1e-6, "zero states = none");
}

TEST_CASE("recurrent: bad input raises ValueError naming the layer and the shapes") {
  layers::LSTM lstm(4, {}, {.name = "my_lstm"});
  CHECK_THROWS_WITH_AS(lstm(random_tensor({2, 3}, 0, 1, 1)), doctest::Contains("my_lstm"), keras::ValueError);
  CHECK_THROWS_WITH_AS(lstm(random_tensor({2, 3}, 0, 1, 1)), doctest::Contains("found ndim=2"), keras::ValueError);
  Tensor x = random_tensor({2, 5, 3}, 0, 1, 2);
  lstm(x);
  CHECK_THROWS_WITH_AS(lstm.call_all({x, ops::zeros({2, 3}), ops::zeros({2, 4})}), doctest::Contains("(2, 3)"),
                       keras::ValueError);
  CHECK_THROWS_WITH_AS(lstm.call_all({x, ops::zeros({2, 4})}), doctest::Contains("my_lstm"), keras::ValueError);
  Tensor bad_mask = ops::cast(ops::ones({2, 4}), keras::bool_);
  CHECK_THROWS_WITH_AS(lstm.call_masked({x}, {bad_mask}, false), doctest::Contains("(2, 4)"), keras::ValueError);
  CHECK_THROWS_WITH_AS(lstm.call_masked({x}, {bad_mask}, false), doctest::Contains("my_lstm"), keras::ValueError);
  CHECK_THROWS_AS(lstm(random_tensor({2, 5, 2}, 0, 1, 1)), keras::ValueError);  // wrong features
}

TEST_CASE("recurrent: Embedding gathers rows, masks zeros, and checks its indices") {
  layers::Embedding e(5, 3, {.mask_zero = true, .name = "emb"});
  Tensor idx({2, 3}, std::vector<std::int32_t>{1, 0, 4, 2, 2, 0});
  Tensor y = e(idx);
  REQUIRE(y.shape() == Shape{2, 3, 3});
  auto w = e.embeddings().value().to_vector<float>();
  for (int i = 0; i < 3; ++i) CHECK(y.at<float>(0, 2, i) == w[4 * 3 + i]);
  auto m = e.compute_mask({idx}, {})[0].to_vector<std::uint8_t>();
  CHECK(m == std::vector<std::uint8_t>{1, 0, 1, 1, 1, 0});
  check_close(e(ops::cast(idx, keras::float32)), y.to_vector<float>(), 0, 0, "whole floats");
  CHECK_THROWS_WITH_AS(e(Tensor({1, 2}, std::vector<std::int32_t>{1, 5})), doctest::Contains("value 5"),
                       keras::ValueError);
  CHECK_THROWS_WITH_AS(e(Tensor({1, 2}, std::vector<std::int64_t>{-1, 0})), doctest::Contains("emb"),
                       keras::ValueError);
  CHECK_THROWS_WITH_AS(e(Tensor({1, 2}, std::vector<float>{1.5f, 0})), doctest::Contains("value 1.5"),
                       keras::ValueError);
}

TEST_CASE("recurrent: Masking zeroes and masks the steps equal to mask_value") {
  layers::Masking mk(-1.0);
  Tensor x({1, 3, 2}, std::vector<float>{1, 2, -1, -1, -1, 3});
  Tensor y = mk(x);
  CHECK(y.to_vector<float>() == std::vector<float>{1, 2, 0, 0, -1, 3});
  CHECK(mk.compute_mask({x}, {})[0].to_vector<std::uint8_t>() == std::vector<std::uint8_t>{1, 0, 1});
}

TEST_CASE("recurrent: dropout applies in training only; the fused loop and the steps agree under dropout") {
  layers::CellOptions c;
  c.dropout = 0.3;
  c.recurrent_dropout = 0.3;
  layers::LSTM l(4, c);
  Tensor x = random_tensor({3, 5, 2}, -1, 1, 61);
  Tensor inf1 = l(x, false), inf2 = l(x, false);
  check_close(inf1, inf2.to_vector<float>(), 0, 0, "inference is deterministic");
  keras::random::set_seed(9);
  Tensor t1 = l(x, true);
  bool differs = false;
  auto a = t1.to_vector<float>(), b = inf1.to_vector<float>();
  for (std::size_t i = 0; i < a.size(); ++i) differs = differs || std::fabs(a[i] - b[i]) > 1e-6;
  CHECK(differs);
  layers::CellOptions cu = c;
  cu.activation = unfused("tanh");
  layers::LSTM s(4, cu);
  s(x);
  s.set_weights(l.get_weights());
  keras::random::set_seed(9);
  check_close(s(x, true), a, 1e-5, 1e-5, "the same masks step by step");
}

TEST_CASE("recurrent: a masked text model (Embedding -> Bidirectional(LSTM) -> GRU -> Dense) trains with fit") {
  keras::random::set_seed(21);
  keras::Sequential m;
  m.add(keras::Input({6}, "", keras::int32));
  m.add(std::make_shared<layers::Embedding>(12, 8, layers::EmbeddingOptions{.mask_zero = true}));
  layers::RNNOptions seq;
  seq.return_sequences = true;
  m.add(std::make_shared<layers::Bidirectional>(std::make_shared<layers::LSTM>(8, layers::CellOptions{}, seq)));
  m.add(std::make_shared<layers::GRU>(8));
  m.add(std::make_shared<layers::Dense>(2));
  m.compile(keras::optimizers::Adam({.learning_rate = 0.01}),
            keras::losses::SparseCategoricalCrossentropy({.from_logits = true}));
  // Class 1 iff token 1 occurs; zeros pad the end.
  std::vector<std::int32_t> tok;
  std::vector<std::int32_t> lab;
  std::mt19937 g(3);
  for (int i = 0; i < 64; ++i) {
    int len = 2 + static_cast<int>(g() % 5), cls = static_cast<int>(g() % 2);
    for (int t = 0; t < 6; ++t) tok.push_back(t < len ? 2 + static_cast<int>(g() % 10) : 0);
    if (cls) tok[static_cast<std::size_t>(i * 6 + static_cast<int>(g() % len))] = 1;
    lab.push_back(cls);
  }
  Tensor x({64, 6}, tok), y({64}, lab);
  auto h = m.fit(x, y, {.batch_size = 16, .epochs = 20, .verbose = 0});
  auto& loss = h.history.at("loss");
  INFO("first loss ", loss.front(), ", last ", loss.back());
  CHECK(loss.back() < 0.5 * loss.front());
  CHECK(m.count_params() == 12 * 8 + 2 * (8 * 32 + 8 * 32 + 32) + (16 * 24 + 8 * 24 + 2 * 24) + (8 * 2 + 2));
}

TEST_CASE("recurrent: Bidirectional checks its layers and gives Keras's outputs") {
  layers::RNNOptions o;
  o.return_state = true;
  auto fw = std::make_shared<layers::LSTM>(3, layers::CellOptions{}, o);
  CHECK_THROWS_WITH_AS(layers::Bidirectional(fw, "concat", fw, "bi_same"), doctest::Contains("go_backwards"),
                       keras::ValueError);
  CHECK_THROWS_WITH_AS(layers::Bidirectional(fw, "max"), doctest::Contains("merge_mode"), keras::ValueError);
  layers::Bidirectional none(fw, "");
  Tensor x = random_tensor({2, 4, 3}, -1, 1, 71);
  auto ys = none.call_all({x});
  REQUIRE(ys.size() == 6);  // forward and backward outputs, then h, c of each
  CHECK(none.forward_layer()->name() == "forward_" + fw->name());
  CHECK(none.backward_layer()->rnn_options().go_backwards);
  check_close(ys[0], ys[2].to_vector<float>(), 0, 0, "forward output = its h");
  check_close(ys[1], ys[4].to_vector<float>(), 0, 0, "backward output = its h");
  auto shapes = none.compute_output_shapes({{-1, 4, 3}});
  REQUIRE(shapes.size() == 6);
  CHECK(shapes[0] == Shape{-1, 3});
  CHECK(none.weights().size() == 6);
  CHECK(none.weights()[0].path() == none.name() + "/forward_" + fw->name() + "/lstm_cell/kernel");
}
