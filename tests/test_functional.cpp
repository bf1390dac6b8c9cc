// Functional API: graphs of layer calls, merge layers, several inputs and
// outputs, shared layers, nested models, custom layers and training loops.
#include <cmath>

#include "test_helpers.hpp"

using keras::KerasTensor;
using keras::Shape;
using keras::Tensor;
namespace layers = keras::layers;
namespace ops = keras::ops;
using namespace testing;

namespace {

// y = x * w + b elementwise, with w and b learned: a custom layer written
// with keras::ops only.
class Scale : public layers::Layer {
 public:
  Scale() : Layer(unique_name("scale")) {}
  KERAS_LAYER_CLASS(Scale)
  void build(const Shape& s) override {
    w_ = add_weight("w", {s.back()}, keras::initializers::RandomNormal(1.0, 0.1));
    b_ = add_weight("b", {s.back()}, "zeros");
  }
  Tensor call(const Tensor& x, bool) override { return ops::add(ops::multiply(x, w_.value()), b_.value()); }

 private:
  keras::Variable w_, b_;
};

}  // namespace

TEST_CASE("functional: merge layers compute the right values and gradients") {
  for (auto d : devices()) {
    DeviceScope scope(d);
    Tensor a = random_tensor({2, 3}, -1, 1, 1, d), b = random_tensor({2, 3}, -1, 1, 2, d),
           c = random_tensor({2, 3}, -1, 1, 3, d);
    auto av = a.cpu().to_vector<float>(), bv = b.cpu().to_vector<float>(), cv = c.cpu().to_vector<float>();
    std::vector<float> add, sub, mul, avg, mx, mn;
    for (int i = 0; i < 6; ++i) {
      add.push_back(av[i] + bv[i] + cv[i]);
      sub.push_back(av[i] - bv[i]);
      mul.push_back(av[i] * bv[i] * cv[i]);
      avg.push_back((av[i] + bv[i] + cv[i]) / 3);
      mx.push_back(std::max({av[i], bv[i], cv[i]}));
      mn.push_back(std::min({av[i], bv[i], cv[i]}));
    }
    check_close(layers::Add()({a, b, c}), add, 1e-6, 1e-6, "Add");
    check_close(layers::Subtract()({a, b}), sub, 1e-6, 1e-6, "Subtract");
    check_close(layers::Multiply()({a, b, c}), mul, 1e-6, 1e-6, "Multiply");
    check_close(layers::Average()({a, b, c}), avg, 1e-6, 1e-6, "Average");
    check_close(layers::Maximum()({a, b, c}), mx, 0, 0, "Maximum");
    check_close(layers::Minimum()({a, b, c}), mn, 0, 0, "Minimum");
    Tensor cat = layers::Concatenate(-1)({a, b});
    CHECK(cat.shape() == Shape{2, 6});
    CHECK(cat.cpu().at<float>(1, 4) == bv[4]);
    // Dot of rank-2 inputs: row-wise inner products, shape (N, 1).
    Tensor dot = layers::Dot(1)({a, b});
    CHECK(dot.shape() == Shape{2, 1});
    double want = av[3] * bv[3] + av[4] * bv[4] + av[5] * bv[5];
    CHECK(dot.cpu().at<float>(1, 0) == doctest::Approx(want).epsilon(1e-5));
    Tensor cosine = layers::Dot(1, true)({a, a});
    CHECK(cosine.cpu().at<float>(0, 0) == doctest::Approx(1).epsilon(1e-5));
    Tensor x3 = random_tensor({2, 4, 3}, -1, 1, 4, d), y3 = random_tensor({2, 5, 3}, -1, 1, 5, d);
    CHECK(layers::Dot(std::pair<int, int>{2, 2})({x3, y3}).shape() == Shape{2, 4, 5});
    gradcheck("grad Dot rank 3", [](auto& in) { return layers::Dot(std::pair<int, int>{2, 2})({in[0], in[1]}); }, {x3, y3}, 1e-2);
    gradcheck("grad Dot normalize", [](auto& in) { return layers::Dot(1, true)({in[0], in[1]}); }, {a, b}, 1e-3);
    gradcheck("grad Average", [](auto& in) { return layers::Average()({in[0], in[1]}); }, {a, b}, 1e-3);
    gradcheck("grad Concatenate", [](auto& in) { return layers::Concatenate(1)({in[0], in[1]}); }, {a, b}, 1e-3);
  }
}

TEST_CASE("functional: merge layers reject bad inputs with the layer's name and the shapes") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({2, 4});
  CHECK_THROWS_WITH_AS(layers::Add("adder")({a, b}), doctest::Contains("\"adder\""), keras::ValueError);
  CHECK_THROWS_WITH_AS(layers::Add()({a, b}), doctest::Contains("(2, 4)"), keras::ValueError);
  CHECK_THROWS_AS(layers::Subtract()({a, a, a}), keras::ValueError);
  CHECK_THROWS_AS(layers::Add()(a), keras::ValueError);
  CHECK_THROWS_WITH_AS(layers::Concatenate(1)({Tensor::zeros({2, 3, 4}), Tensor::zeros({2, 2, 5})}),
                       doctest::Contains("concatenation axis"), keras::ValueError);
  auto i1 = keras::Input({3}), i2 = keras::Input({4});
  CHECK_THROWS_WITH_AS(layers::Add()({i1, i2}), doctest::Contains("(None, 4)"), keras::ValueError);
}

TEST_CASE("functional: a two-input, two-output model trains with per-output losses and metrics") {
  keras::utils::set_random_seed(5);
  // Image-like features and a numeric feature -> a class and a regression target.
  const std::int64_t n = 600;
  std::mt19937 g(3);
  std::normal_distribution<float> nd(0, 1);
  std::vector<float> img, num, reg;
  std::vector<std::int64_t> cls;
  for (std::int64_t i = 0; i < n; ++i) {
    int c = static_cast<int>(i % 2);
    for (int k = 0; k < 8; ++k) img.push_back(nd(g) * 0.3f + (c ? 1.0f : -1.0f) * (k % 2 ? 1 : -1));
    float z = nd(g);
    num.push_back(z);
    reg.push_back(2 * z + (c ? 0.5f : -0.5f));
    cls.push_back(c);
  }
  Tensor x_img({n, 8}, img), x_num({n, 1}, num), y_cls({n}, cls), y_reg({n, 1}, reg);

  auto image = keras::Input({8}, "image");
  auto number = keras::Input({1}, "number");
  auto h = layers::Dense(16, "relu")(image);
  auto joined = layers::Concatenate()({h, number});
  auto cls_out = layers::Dense(2, "softmax", {.name = "class_output"})(joined);
  auto reg_out = layers::Dense(1, {}, {.name = "value_output"})(joined);
  keras::Model model({image, number}, {cls_out, reg_out}, "two_heads");
  CHECK(model.output_names() == std::vector<std::string>{"class_output", "value_output"});
  model.compile(keras::optimizers::Adam({.learning_rate = 0.02}), {"sparse_categorical_crossentropy", "mse"},
                {{"accuracy"}, {"mae"}}, {1.0, 0.5});
  keras::History hist = model.fit({x_img, x_num}, {y_cls, y_reg}, {.batch_size = 32, .epochs = 8, .verbose = 0});
  for (auto key : {"loss", "class_output_loss", "value_output_loss", "class_output_accuracy", "value_output_mae"})
    CHECK_MESSAGE(hist.history.count(key) == 1, key);
  CHECK(hist.history["loss"].back() < hist.history["loss"].front());
  // The total is the weighted sum of the parts.
  auto scores = model.evaluate({x_img, x_num}, {y_cls, y_reg}, {.verbose = 0});
  CHECK(scores["loss"] == doctest::Approx(scores["class_output_loss"] + 0.5 * scores["value_output_loss"]).epsilon(1e-4));
  CHECK(scores["class_output_accuracy"] > 0.95);
  CHECK(scores["value_output_mae"] < 0.3);
  auto preds = model.predict({x_img, x_num});
  REQUIRE(preds.size() == 2);
  CHECK(preds[0].shape() == Shape{n, 2});
  CHECK(preds[1].shape() == Shape{n, 1});
  std::string s = model.summary_string();
  CHECK(s.find("Connected to") != std::string::npos);
  CHECK(s.find("image[0][0]") != std::string::npos);
  CHECK(s.find("number[0][0]") != std::string::npos);
  CHECK_THROWS_WITH_AS(model.fit({x_img}, {y_cls, y_reg}, {.verbose = 0}), doctest::Contains("expects 2 inputs"),
                       keras::ValueError);
  CHECK_THROWS_AS(model.compile("adam", std::vector<keras::LossArg>{"mse"}), keras::ValueError);
}

TEST_CASE("functional: shared layers share weights, nested models act as layers") {
  auto a = keras::Input({4}), b = keras::Input({4});
  auto shared = std::make_shared<layers::Dense>(3, "tanh");
  auto ha = (*shared)(a), hb = (*shared)(b);
  keras::Model siamese({a, b}, {layers::Subtract()({ha, hb})});
  CHECK(siamese.weights().size() == 2);  // one kernel, one bias
  Tensor x = random_tensor({5, 4}, -1, 1, 9);
  // Identical inputs through the same weights give exactly zero.
  CHECK(ops::max(ops::abs(siamese.call_all({x, x}, false)[0])).item() == 0);
  CHECK(shared->num_nodes() == 2);
  // A layer object (not a shared_ptr) called twice is shared too.
  layers::Dense dense(2);
  auto c1 = dense(a), c2 = dense(b);
  keras::Model two({a, b}, {c1, c2});
  CHECK(two.weights().size() == 2);

  keras::Sequential inner({keras::Input({4}), layers::Dense(6, "relu"), layers::Dense(2)}, "inner");
  auto in = keras::Input({4});
  auto out = layers::Dense(1)(inner(in));
  keras::Model outer(in, out);
  CHECK(outer.weights().size() == 6);
  CHECK(outer.predict(x).shape() == Shape{5, 1});
  // The nested model's weights are the same variables as the original's.
  CHECK(outer.get_layer("inner")->weights()[0] == inner.weights()[0]);
  outer.compile("sgd", "mse");
  auto before = inner.get_weights()[0].to_vector<float>();
  outer.fit(x, Tensor::ones({5, 1}), {.epochs = 1, .verbose = 0});
  CHECK(inner.get_weights()[0].to_vector<float>() != before);
}

TEST_CASE("functional: a residual network trains") {
  keras::utils::set_random_seed(11);
  auto in = keras::Input({2});
  auto h = layers::Dense(16, "relu")(in);
  auto r = layers::Dense(16, "relu")(h);
  auto skip = layers::Add()({h, r});
  auto out = layers::Dense(3, "softmax")(skip);
  keras::Model model(in, out, "resnet");
  std::vector<float> xv;
  std::vector<std::int64_t> yv;
  std::mt19937 g(1);
  std::normal_distribution<float> nd(0, 0.4f);
  for (int i = 0; i < 600; ++i) {
    int c = i % 3;
    xv.push_back((c - 1) * 2.0f + nd(g));
    xv.push_back((c == 1 ? 2.0f : 0.0f) + nd(g));
    yv.push_back(c);
  }
  Tensor x({600, 2}, xv), y({600}, yv);
  model.compile(keras::optimizers::Adam({.learning_rate = 0.01}), "sparse_categorical_crossentropy", {"accuracy"});
  model.fit(x, y, {.epochs = 10, .verbose = 0});
  CHECK(model.evaluate(x, y, {.verbose = 0})["accuracy"] > 0.95);
}

TEST_CASE("functional: graph errors name the layers") {
  auto a = keras::Input({3}, "a"), b = keras::Input({3}, "b");
  auto s = layers::Add()({a, b});
  CHECK_THROWS_WITH_AS(keras::Model(a, s), doctest::Contains("Graph disconnected"), keras::ValueError);
  CHECK_THROWS_WITH_AS(keras::Model(a, s), doctest::Contains("\"b\""), keras::ValueError);
  auto c = keras::Input({3}, "c");
  CHECK_THROWS_WITH_AS(keras::Model({a, c}, {layers::Dense(2)(a)}), doctest::Contains("not connected"),
                       keras::ValueError);
  auto h = layers::Dense(2, {}, {.name = "same"})(a);
  auto h2 = layers::Dense(2, {}, {.name = "same"})(h);
  CHECK_THROWS_WITH_AS(keras::Model(a, h2), doctest::Contains("\"same\" is used 2 times"), keras::ValueError);
  CHECK_THROWS_AS(keras::Model(h, h2), keras::ValueError);  // input must be a keras::Input
}

TEST_CASE("functional: a custom layer trains, with gradients from ops only") {
  keras::utils::set_random_seed(2);
  Scale probe;
  probe(Tensor::ones({1, 3}));
  Tensor x = random_tensor({4, 3}, -1, 1, 7);
  auto w = probe.weights();
  gradcheck("grad custom layer wrt input", [&](auto& in) { return probe(in[0]); }, {x}, 1e-3);
  auto loss = ops::sum(ops::square(probe(x)));
  keras::GradientTape tape;
  auto grads = tape.gradient(loss, probe.trainable_weights());
  REQUIRE(grads.size() == 2);
  // d/dw sum((x w + b)^2) = sum_rows 2 (x w + b) x
  auto xv = x.to_vector<float>(), wv = w[0].value().to_vector<float>();
  for (int j = 0; j < 3; ++j) {
    double want = 0;
    for (int i = 0; i < 4; ++i) want += 2 * (xv[i * 3 + j] * wv[j]) * xv[i * 3 + j];
    CHECK(grads[0].to_vector<float>()[j] == doctest::Approx(want).epsilon(1e-4));
  }
  // In a model, through fit.
  auto in = keras::Input({3});
  keras::Model m(in, layers::Dense(1)(Scale()(in)));
  m.compile("adam", "mse");
  Tensor y = ops::sum(x, {1}, true);
  double first = m.fit(x, y, {.epochs = 1, .verbose = 0}).history["loss"][0];
  double last = m.fit(x, y, {.epochs = 200, .verbose = 0}).history["loss"].back();
  CHECK(last < first);
}

TEST_CASE("functional: a custom training loop with GradientTape and apply_gradients") {
  keras::utils::set_random_seed(4);
  keras::Sequential model({keras::Input({1}), layers::Dense(1)});
  keras::optimizers::SGD opt({.learning_rate = 0.05});
  Tensor x({8, 1}, std::vector<float>{-2, -1, 0, 1, 2, 3, 4, 5});
  Tensor y = x * 3.0 - 2.0;
  for (int step = 0; step < 300; ++step) {
    keras::GradientTape tape;
    Tensor pred = model(x, true);
    Tensor loss = ops::mean(ops::square(ops::subtract(pred, y)));
    auto vars = model.trainable_weights();
    opt.apply_gradients(tape.gradient(loss, vars), vars);
  }
  auto w = model.get_weights();
  CHECK(w[0].item() == doctest::Approx(3).epsilon(0.01));
  CHECK(w[1].item() == doctest::Approx(-2).epsilon(0.02));
}

TEST_CASE("functional: inputs, outputs and losses by name") {
  keras::utils::set_random_seed(8);
  auto a = keras::Input({3}, "a"), b = keras::Input({2}, "b");
  auto j = layers::Concatenate()({a, b});
  auto p = layers::Dense(2, "softmax", {.name = "p"})(j);
  auto q = layers::Dense(1, {}, {.name = "q"})(j);
  keras::Model m({a, b}, {p, q});
  CHECK(m.input_names() == std::vector<std::string>{"a", "b"});
  m.compile("adam", {{"q", "mse"}, {"p", "sparse_categorical_crossentropy"}}, {{"p", {"accuracy"}}}, {{"q", 0.5}});
  Tensor xa = random_tensor({16, 3}, -1, 1, 1), xb = random_tensor({16, 2}, -1, 1, 2);
  Tensor yp = Tensor::zeros({16}, keras::int64), yq = random_tensor({16, 1}, -1, 1, 3);
  auto h = m.fit({{"b", xb}, {"a", xa}}, {{"q", yq}, {"p", yp}}, {.epochs = 2, .verbose = 0});
  CHECK(h.history.count("p_accuracy") == 1);
  CHECK(h.history.count("q_loss") == 1);
  auto byname = m.evaluate({{"a", xa}, {"b", xb}}, {{"p", yp}, {"q", yq}}, {.verbose = 0});
  auto bylist = m.evaluate({xa, xb}, {yp, yq}, {.verbose = 0});
  CHECK(byname["loss"] == doctest::Approx(bylist["loss"]));
  CHECK(byname["loss"] == doctest::Approx(byname["p_loss"] + 0.5 * byname["q_loss"]).epsilon(1e-4));
  keras::TensorMap out = m.predict(keras::TensorMap{{"a", xa}, {"b", xb}});
  CHECK(out.at("p").shape() == Shape{16, 2});
  CHECK(out.at("q").shape() == Shape{16, 1});
  CHECK_THROWS_WITH_AS(m.fit({{"a", xa}, {"c", xb}}, {{"p", yp}, {"q", yq}}, {.verbose = 0}),
                       doctest::Contains("missing: [\"b\"]; unknown: [\"c\"]"), keras::ValueError);
  CHECK_THROWS_WITH_AS(m.compile("adam", {{"p", "mse"}, {"r", "mse"}}), doctest::Contains("unknown: [\"r\"]"),
                       keras::ValueError);
}
