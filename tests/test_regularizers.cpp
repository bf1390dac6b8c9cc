// Learning-rate schedules, regularizers and constraints against real
// Keras 3 (tests/fixtures/reg/goldens.json, from scripts/make_reg_fixtures.py):
// schedule values, penalties, projections, and a few regularized,
// constrained training steps with a schedule.
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/constraints.hpp"
#include "keras/optimizers/schedules.hpp"
#include "keras/regularizers.hpp"
#include "test_helpers.hpp"

using keras::Tensor;
using nlohmann::json;
namespace layers = keras::layers;
namespace ops = keras::ops;
namespace sch = keras::optimizers::schedules;
namespace reg = keras::regularizers;
namespace con = keras::constraints;

namespace {

const json& goldens() {
  static const json g = [] {
    std::ifstream f(std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/reg/goldens.json");
    REQUIRE(f.good());
    return json::parse(f);
  }();
  return g;
}

Tensor tensor_of(const json& j) {
  return Tensor(j["shape"].get<keras::Shape>(), j["values"].get<std::vector<float>>());
}

// |got - want| <= rtol * |want| + atol.
void check_near(double got, double want, double rtol, double atol, const std::string& what) {
  INFO(what, ": got ", got, ", want ", want);
  CHECK(std::abs(got - want) <= rtol * std::abs(want) + atol);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const keras::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("schedules: values at several steps match Keras 3 for non-default arguments") {
  for (const json& c : goldens()["schedules"]) {
    auto s = sch::deserialize(c["schedule"]);
    const std::string cls = c["schedule"]["class_name"];
    auto steps = c["steps"].get<std::vector<std::int64_t>>();
    auto want = c["values"].get<std::vector<double>>();
    for (std::size_t i = 0; i < steps.size(); ++i)
      // Keras computes in float32: a few ulps, and absolute error where the cosine reaches 0.
      check_near((*s)(steps[i]), want[i], 1e-6, 1e-8, cls + " step " + std::to_string(steps[i]));
    // get_config round-trips Keras's own config.
    CHECK(sch::serialize(*s) == c["schedule"]);
  }
}

TEST_CASE("schedules: options, bad arguments and unknown names") {
  sch::CosineDecay cd({.initial_learning_rate = 0.0, .decay_steps = 10, .warmup_target = 1.0, .warmup_steps = 4});
  CHECK(cd(2) == doctest::Approx(0.5));
  CHECK(cd(4) == doctest::Approx(1.0));
  CHECK(cd(14) == doctest::Approx(0.0));
  CHECK(message_of([] { sch::ExponentialDecay({.initial_learning_rate = 0.1, .decay_steps = 0, .decay_rate = 0.5}); })
            .find("decay_steps") != std::string::npos);
  CHECK(message_of([] { sch::CosineDecayRestarts({.initial_learning_rate = 0.1, .first_decay_steps = -1}); })
            .find("first_decay_steps") != std::string::npos);
  CHECK(message_of([] { sch::PiecewiseConstantDecay({{1, 2}, {0.1, 0.2}}); }).find("length") != std::string::npos);
  std::string msg = message_of([] { sch::deserialize({{"class_name", "ExponentalDecay"}, {"config", json::object()}}); });
  CHECK(msg.find("'ExponentalDecay'") != std::string::npos);
  CHECK(msg.find("Did you mean 'ExponentialDecay'") != std::string::npos);
  CHECK_THROWS_AS(sch::deserialize({{"class_name", "ExponentialDecay"}, {"config", {{"decay_steps", 3}}}}),
                  keras::ValueError);  // no initial_learning_rate
  // tf.keras 2's form: no module, "Custom>"-style prefixes tolerated.
  auto s = sch::deserialize({{"class_name", "keras.optimizers.schedules.InverseTimeDecay"},
                             {"config", {{"initial_learning_rate", 1.0}, {"decay_steps", 1}, {"decay_rate", 1.0}}}});
  CHECK((*s)(3) == doctest::Approx(0.25));
}

namespace {
// A user schedule: lr0 for `hold` steps, then half of it.
struct HoldThenHalf : sch::LearningRateSchedule {
  double lr0 = 0.1;
  int hold = 2;
  double operator()(std::int64_t step) const override { return step < hold ? lr0 : lr0 / 2; }
  std::string class_name() const override { return "HoldThenHalf"; }
  json get_config() const override { return {{"lr0", lr0}, {"hold", hold}}; }
};
}  // namespace

TEST_CASE("schedules: a user schedule registers, serializes and drives an optimizer") {
  sch::register_schedule("HoldThenHalf", [](const json& c) {
    auto s = std::make_shared<HoldThenHalf>();
    s->lr0 = c.at("lr0").get<double>();
    s->hold = c.at("hold").get<int>();
    return s;
  }, /*replace=*/true);
  CHECK_THROWS_AS(sch::register_schedule("CosineDecay", [](const json&) { return nullptr; }), keras::ValueError);
  HoldThenHalf h;
  h.lr0 = 0.4;
  keras::optimizers::SGD sgd({.learning_rate = h});
  json cfg = keras::optimizers::serialize(sgd);
  CHECK(cfg["config"]["learning_rate"]["registered_name"] == "HoldThenHalf");
  auto back = keras::optimizers::deserialize(cfg);
  REQUIRE(back->learning_rate_schedule() != nullptr);
  CHECK(back->learning_rate() == doctest::Approx(0.4));
  back->set_iterations(5);
  CHECK(back->learning_rate() == doctest::Approx(0.2));
  CHECK_THROWS_AS(back->set_learning_rate(0.1), keras::TypeError);
}

TEST_CASE("regularizers: penalties on a fixed input match Keras 3") {
  Tensor x = tensor_of(goldens()["regularizer_input"]);
  for (const json& c : goldens()["regularizers"]) {
    auto r = reg::deserialize(c["regularizer"]);
    REQUIRE(r != nullptr);
    const std::string what = c["regularizer"].dump();
    check_near((*r)(x).item(), c["value"].get<double>(), 1e-6, 0.0, what);
    CHECK(reg::serialize(*r) == c["regularizer"]);
  }
  CHECK((*reg::get("l2"))(x).item() == doctest::Approx(0.01 * ops::sum(ops::square(x)).item()));
  CHECK(reg::deserialize(nullptr) == nullptr);
}

TEST_CASE("regularizers: bad arguments and unknown names are rejected as Keras does") {
  CHECK(message_of([] { reg::L2(-0.1); }).find("l2=-0.1") != std::string::npos);
  CHECK(message_of([] { reg::L1L2(0.1, std::nan("")); }).find("non-negative") != std::string::npos);
  CHECK(message_of([] { reg::OrthogonalRegularizer(0.1, "diagonal"); }).find("mode") != std::string::npos);
  CHECK(message_of([] { reg::OrthogonalRegularizer()(ops::ones({2, 2, 2})); }).find("rank 2") != std::string::npos);
  std::string msg = message_of([] { reg::get("l3"); });
  CHECK(msg.find("Unknown regularizer: 'l3'") != std::string::npos);
  CHECK(msg.find("'l1'") != std::string::npos);
  CHECK(message_of([] { reg::deserialize({{"class_name", "L2"}, {"config", {{"l2", -1}}}}); }).find("l2") !=
        std::string::npos);
}

TEST_CASE("constraints: projections of fixed weights match Keras 3") {
  const json& in = goldens()["constraint_inputs"];
  for (const json& c : goldens()["constraints"]) {
    auto k = con::deserialize(c["constraint"]);
    REQUIRE(k != nullptr);
    Tensor w = tensor_of(in[c["input"].get<std::string>()]);
    testing::check_close((*k)(w), c["output"].get<std::vector<float>>(), 1e-7, 1e-6, c["constraint"].dump());
    CHECK(con::serialize(*k) == c["constraint"]);
  }
  std::string msg = message_of([] { con::get("max_nrom"); });
  CHECK(msg.find("'max_nrom'") != std::string::npos);
  CHECK(msg.find("Did you mean 'max_norm'") != std::string::npos);
  CHECK(message_of([] { con::MaxNorm(1.0, 3)(ops::ones({2, 2})); }).find("axis 3") != std::string::npos);
}

namespace {

keras::Sequential training_model() {
  return keras::Sequential({keras::Input({3}),
                            layers::Dense(4, "tanh",
                                          {.kernel_regularizer = reg::L2(0.01),
                                           .bias_regularizer = reg::L1(0.005),
                                           .activity_regularizer = reg::L2(0.001),
                                           .kernel_constraint = con::MaxNorm(0.9),
                                           .bias_constraint = con::NonNeg()}),
                            layers::Dense(2, {}, {.kernel_regularizer = reg::L1L2(0.001, 0.002),
                                                  .kernel_constraint = con::UnitNorm(0)})});
}

}  // namespace

TEST_CASE("fit: regularized, constrained Dense layers with a schedule follow Keras 3 step by step") {
  const json& t = goldens()["training"];
  Tensor x({8, 3}, t["x"].get<std::vector<float>>());
  Tensor y({8, 2}, t["y"].get<std::vector<float>>());
  std::vector<Tensor> w0;
  for (std::size_t i = 0; i < t["weights"].size(); ++i)
    w0.emplace_back(t["shapes"][i].get<keras::Shape>(), t["weights"][i].get<std::vector<float>>());
  for (const json& run : t["runs"]) {
    const std::string opt = run["optimizer"]["class_name"];
    INFO(opt);
    auto m = training_model();
    m.set_weights(w0);
    m.compile(keras::optimizers::deserialize(run["optimizer"]), "mse");
    REQUIRE(m.optimizer().learning_rate_schedule() != nullptr);
    // The penalties and the activity loss are part of Keras's "loss".
    auto ev = m.evaluate(x, y, {.batch_size = 8, .verbose = 0});
    check_near(ev["loss"], run["evaluate_before"].get<double>(), 1e-6, 0.0, opt + " evaluate");
    auto h = m.fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .shuffle = false});
    // SGD matches float32 Keras within 1e-6 relative. Adam divides by sqrt(v)
    // and so magnifies float32 rounding: float32 Keras itself differs from
    // float64 Keras by up to 2.9e-5 relative (2e-6 absolute) on these weights
    // after 4 steps, and our values lie as close to either.
    const bool adam = opt == "Adam";
    const double rtol = adam ? 1e-5 : 1e-6, atol = adam ? 2e-6 : 1e-7;
    auto want_loss = run["loss"].get<std::vector<double>>();
    for (std::size_t e = 0; e < want_loss.size(); ++e)
      check_near(h.history["loss"][e], want_loss[e], rtol, 0.0, opt + " loss of epoch " + std::to_string(e));
    auto got = m.get_weights();
    REQUIRE(got.size() == run["weights"].size());
    for (std::size_t i = 0; i < got.size(); ++i)
      testing::check_close(got[i], run["weights"][i].get<std::vector<float>>(), atol, rtol,
                           opt + " weight " + std::to_string(i));
    CHECK(m.optimizer().iterations() == 4);
  }
}

TEST_CASE("layers: add_loss and losses() as Keras's layer.losses") {
  layers::Dense d(2, {}, {.kernel_regularizer = reg::L1(0.5), .activity_regularizer = reg::L1(1.0)});
  Tensor x = ops::ones({4, 3});
  Tensor y = d(x);
  auto ls = d.losses();
  REQUIRE(ls.size() == 2);  // the activity loss of the call, then the kernel penalty
  CHECK(ls[0].item() == doctest::Approx(ops::sum(ops::abs(y)).item() / 4));
  CHECK(ls[1].item() == doctest::Approx(0.5 * ops::sum(ops::abs(d.kernel().value())).item()));
  d(x);  // a new outer call starts afresh
  CHECK(d.losses().size() == 2);
  d.set_trainable(false);  // frozen weights carry no penalty
  CHECK(d.losses().size() == 1);
  d.add_loss(ops::ones({3}));  // summed to a scalar
  CHECK(d.own_losses().back().item() == doctest::Approx(3.0));
  d.clear_losses();
  CHECK(d.own_losses().empty());
}

TEST_CASE("layers: regularizers and constraints round-trip through every layer config that has them") {
  auto check_roundtrip = [](layers::Layer& l, const keras::Shape& in, const std::vector<std::string>& keys) {
    INFO(l.class_name());
    l.ensure_built(in);
    json c = l.get_config();
    auto back = layers::from_config(l.class_name(), c);
    json c2 = back->get_config();
    for (const auto& k : keys) {
      INFO(k);
      CHECK(!c[k].is_null());
      CHECK(c2[k] == c[k]);
    }
    back->ensure_built(in);
    int regularized = 0, constrained = 0;
    for (auto& v : back->weights()) regularized += v.regularizer() != nullptr, constrained += v.constraint() != nullptr;
    CHECK(regularized > 0);
    CHECK(constrained > 0);
  };
  layers::Conv2D conv(2, 3, {}, {.kernel_regularizer = "l2", .activity_regularizer = reg::L1(0.1),
                                 .kernel_constraint = con::MaxNorm(2, {0, 1, 2}), .bias_constraint = "non_neg"});
  check_roundtrip(conv, {-1, 5, 5, 2}, {"kernel_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"});
  layers::Conv1D c1(2, 2, {}, {.bias_regularizer = reg::L1L2(0.1, 0.2), .kernel_constraint = con::UnitNorm()});
  check_roundtrip(c1, {-1, 5, 2}, {"bias_regularizer", "kernel_constraint"});
  layers::Conv2DTranspose ct(2, 2, {}, {.kernel_regularizer = reg::L2(0.3), .bias_constraint = con::NonNeg()});
  check_roundtrip(ct, {-1, 4, 4, 2}, {"kernel_regularizer", "bias_constraint"});
  layers::DepthwiseConv2D dw(2, {}, {.depthwise_regularizer = "l1", .depthwise_constraint = con::NonNeg()});
  check_roundtrip(dw, {-1, 4, 4, 2}, {"depthwise_regularizer", "depthwise_constraint"});
  layers::SeparableConv2D sc(3, 2, {}, {.pointwise_regularizer = reg::L2(0.1), .depthwise_constraint = con::UnitNorm(),
                                        .pointwise_constraint = con::MaxNorm(1.0)});
  check_roundtrip(sc, {-1, 4, 4, 2}, {"pointwise_regularizer", "depthwise_constraint", "pointwise_constraint"});
  layers::BatchNormalization bn({.gamma_regularizer = reg::L2(0.1), .beta_constraint = con::NonNeg()});
  check_roundtrip(bn, {-1, 3}, {"gamma_regularizer", "beta_constraint"});
  layers::LayerNormalization ln({.beta_regularizer = reg::L1(0.1), .gamma_constraint = con::MinMaxNorm(0.1, 0.5)});
  check_roundtrip(ln, {-1, 3}, {"beta_regularizer", "gamma_constraint"});
  layers::Dense d(2, {}, {.bias_regularizer = "l1", .activity_regularizer = "l2", .kernel_constraint = "unit_norm"});
  check_roundtrip(d, {-1, 3}, {"bias_regularizer", "activity_regularizer", "kernel_constraint"});
}

namespace {
// A user regularizer and constraint, as a Keras user subclasses them.
struct SumPenalty : reg::Regularizer {
  double k = 1.0;
  Tensor operator()(const Tensor& x) const override { return ops::sum(x) * k; }
  std::string class_name() const override { return "SumPenalty"; }
  json get_config() const override { return {{"k", k}}; }
};
struct ClipAt : con::Constraint {
  double v = 0.1;
  Tensor operator()(const Tensor& w) const override { return ops::clip(w, -v, v); }
  std::string class_name() const override { return "ClipAt"; }
  json get_config() const override { return {{"v", v}}; }
};

// A layer that adds a loss in call(), as Keras's add_loss example does.
class ActivityMean : public layers::Layer {
 public:
  ActivityMean() : Layer(unique_name("activity_mean")) {}
  KERAS_LAYER_CLASS(ActivityMean)
  Tensor call(const Tensor& x, bool) override {
    add_loss(ops::mean(ops::square(x)) * 0.5);
    return x;
  }
};
}  // namespace

TEST_CASE("regularizers and constraints: user classes register and round-trip through layer configs") {
  reg::register_regularizer("SumPenalty", [](const json& c) {
    auto r = std::make_shared<SumPenalty>();
    r->k = c.at("k").get<double>();
    return r;
  }, /*replace=*/true);
  con::register_constraint("ClipAt", [](const json& c) {
    auto k = std::make_shared<ClipAt>();
    k->v = c.at("v").get<double>();
    return k;
  }, /*replace=*/true);
  CHECK_THROWS_AS(reg::register_regularizer("L2", [](const json&) { return nullptr; }), keras::ValueError);
  CHECK_THROWS_AS(con::register_constraint("non_neg", [](const json&) { return nullptr; }), keras::ValueError);
  SumPenalty p;
  p.k = 0.25;
  ClipAt clip;
  clip.v = 0.05;
  layers::Dense d(3, {}, {.kernel_regularizer = p, .kernel_constraint = clip});
  d.ensure_built({-1, 2});
  json c = d.get_config();
  CHECK(c["kernel_regularizer"]["registered_name"] == "SumPenalty");
  auto back = layers::from_config("Dense", c);
  back->ensure_built({-1, 2});
  auto ls = back->losses();
  REQUIRE(ls.size() == 1);
  CHECK(ls[0].item() == doctest::Approx(0.25 * ops::sum(back->weights()[0].value()).item()));
  // The constraint projects after an optimizer step.
  keras::optimizers::SGD sgd({.learning_rate = 1.0});
  auto w = back->trainable_weights();
  sgd.apply_gradients({ops::full(w[0].shape(), -1.0), ops::zeros(w[1].shape())}, w);
  CHECK(ops::max(w[0].value()).item() == doctest::Approx(0.05));
  CHECK(ops::max(w[1].value()).item() == 0.0);  // no constraint on the bias
}

TEST_CASE("fit: losses a layer adds in call() join the reported loss, as in Keras") {
  Tensor x = testing::random_tensor({6, 2}, -1, 1, 3), y = testing::random_tensor({6, 2}, -1, 1, 4);
  keras::Sequential plain({keras::Input({2}), layers::Dense(2, {}, {.kernel_initializer = "ones"})});
  auto act = std::make_shared<ActivityMean>();
  keras::Sequential with({keras::Input({2}), act, layers::Dense(2, {}, {.kernel_initializer = "ones"})});
  plain.compile(keras::optimizers::SGD(), "mse");
  with.compile(keras::optimizers::SGD(), "mse");
  const double extra = 0.5 * ops::mean(ops::square(x)).item();
  CHECK(with.evaluate(x, y, {.batch_size = 6, .verbose = 0})["loss"] ==
        doctest::Approx(plain.evaluate(x, y, {.batch_size = 6, .verbose = 0})["loss"] + extra));
  // The loss adds no gradient to the weights here (it depends on x only): the steps agree.
  plain.fit(x, y, {.batch_size = 6, .epochs = 1, .verbose = 0});
  auto h = with.fit(x, y, {.batch_size = 6, .epochs = 1, .verbose = 0});
  testing::check_close(with.get_weights()[0], plain.get_weights()[0].to_vector<float>(), 1e-7, 1e-6, "weights");
  CHECK(h.history["loss"][0] > extra);
  CHECK(act->own_losses().size() == 1);  // the latest step's, not accumulated
}

TEST_CASE("schedules: every optimizer takes one as learning_rate and round-trips it through its config") {
  auto s = std::make_shared<sch::PolynomialDecay>(
      sch::PolynomialDecayOptions{.initial_learning_rate = 0.1, .decay_steps = 4, .end_learning_rate = 0.02});
  namespace opt = keras::optimizers;
  std::vector<std::shared_ptr<opt::Optimizer>> all{
      std::make_shared<opt::SGD>(opt::SGDOptions{.learning_rate = s}),
      std::make_shared<opt::Adam>(opt::AdamOptions{.learning_rate = s}),
      std::make_shared<opt::AdamW>(opt::AdamWOptions{.learning_rate = s}),
      std::make_shared<opt::RMSprop>(opt::RMSpropOptions{.learning_rate = s}),
      std::make_shared<opt::Adagrad>(opt::AdagradOptions{.learning_rate = s})};
  for (auto& o : all) {
    INFO(o->class_name());
    json cfg = opt::serialize(*o);
    CHECK(cfg["config"]["learning_rate"]["module"] == "keras.optimizers.schedules");
    CHECK(cfg["config"]["learning_rate"]["class_name"] == "PolynomialDecay");
    auto back = opt::deserialize(cfg);
    CHECK(opt::serialize(*back) == cfg);
    keras::Variable v(ops::ones({2}), "v");
    back->apply_gradients({ops::ones({2})}, {v});
    back->apply_gradients({ops::ones({2})}, {v});
    CHECK(back->learning_rate() == doctest::Approx((*s)(2)));
  }
  // A malformed schedule in a saved optimizer names the problem.
  json bad = {{"class_name", "Adam"}, {"config", {{"learning_rate", {{"class_name", "CosineDecay"}, {"config", {{"decay_steps", 3}}}}}}}};
  CHECK(message_of([&] { opt::deserialize(bad); }).find("initial_learning_rate") != std::string::npos);
}
