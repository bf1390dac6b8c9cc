// Optimizers: three steps of every update rule against a plain double loop
// of Keras 3's formula, clipping and weight decay, slot order and names,
// configs, schedules, errors and convergence on a quadratic.
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/backend.hpp"  // test_helpers.hpp uses keras::backend
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
using keras::Variable;
namespace ops = keras::ops;
namespace opt = keras::optimizers;

namespace {

using Vec = std::vector<double>;

// Two variables of different sizes, so slot indexing across variables is
// exercised, and a different gradient for each of three steps.
const std::vector<Vec> kInit = {{0.5, -1.0, 2.0, 0.25, -0.75}, {1.5, -2.5, 0.1}};
const std::vector<std::vector<Vec>> kGrads = {
    {{0.1, -0.2, 0.3, -0.4, 0.5}, {1.0, -0.5, 0.25}},
    {{-0.3, 0.6, 0.05, 0.2, -0.1}, {-2.0, 0.7, 0.4}},
    {{0.8, -0.1, -0.6, 0.3, 0.0}, {0.5, 1.5, -0.9}},
};

std::vector<float> to_f(const Vec& v) { return std::vector<float>(v.begin(), v.end()); }

std::vector<Variable> make_vars() {
  return {Variable(Tensor({5}, to_f(kInit[0])), "dense/kernel"),
          Variable(Tensor({3}, to_f(kInit[1])), "dense/bias")};
}

// A reference step updates every variable given the (clipped) gradients and
// the 1-based step number, with per-variable state it keeps itself.
using RefStep = std::function<void(std::vector<Vec>& vars, const std::vector<Vec>& grads, int t)>;

struct Clip {
  double clipnorm = 0, clipvalue = 0, global_clipnorm = 0;
};

std::vector<Vec> clipped(std::vector<Vec> g, const Clip& c) {
  if (c.clipnorm > 0) {
    for (auto& gi : g) {
      double n = 0;
      for (double x : gi) n += x * x;
      n = std::sqrt(n);
      for (double& x : gi) x = x * c.clipnorm / std::max(n, c.clipnorm);
    }
  } else if (c.global_clipnorm > 0) {
    double n = 0;
    for (auto& gi : g)
      for (double x : gi) n += x * x;
    n = std::sqrt(n);
    for (auto& gi : g)
      for (double& x : gi) x = x * c.global_clipnorm / std::max(n, c.global_clipnorm);
  } else if (c.clipvalue > 0) {
    for (auto& gi : g)
      for (double& x : gi) x = std::clamp(x, -c.clipvalue, c.clipvalue);
  }
  return g;
}

// Runs a fresh optimizer from `make` for three steps on every device and
// compares with a fresh reference (decoupled weight decay var -= lr * wd * var
// applied before each step, as Keras does).
using MakeOpt = std::function<std::unique_ptr<opt::Optimizer>()>;
using MakeRef = std::function<RefStep()>;

void check_three_steps(const MakeOpt& make, const MakeRef& make_ref, double lr, double wd,
                       const Clip& clip, const std::string& what) {
  for (const keras::Device& d : testing::devices()) {
    const std::string where = what + " on " + d.str();
    INFO(where);
    auto o = make();
    RefStep ref = make_ref();
    std::vector<Variable> vars = {Variable(Tensor({5}, to_f(kInit[0])).to(d), "dense/kernel"),
                                  Variable(Tensor({3}, to_f(kInit[1])).to(d), "dense/bias")};
    std::vector<Vec> want = kInit;
    for (int step = 0; step < 3; ++step) {
      std::vector<Tensor> grads = {Tensor({5}, to_f(kGrads[step][0])).to(d),
                                   Tensor({3}, to_f(kGrads[step][1])).to(d)};
      o->apply_gradients(grads, vars);
      for (auto& v : want)
        for (double& x : v) x -= lr * wd * x;
      ref(want, clipped(kGrads[step], clip), step + 1);
      for (std::size_t i = 0; i < vars.size(); ++i)
        testing::check_close(
            vars[i].value(), to_f(want[i]), 1e-5, 1e-4,
            where + ", step " + std::to_string(step + 1) + ", variable " + std::to_string(i));
    }
    CHECK(o->iterations() == 3);
  }
}

template <class O, class Options>
MakeOpt maker(Options o) {
  return [o] { return std::unique_ptr<opt::Optimizer>(std::make_unique<O>(o)); };
}

// Per-variable state for the references.
std::vector<Vec> zeros_like(const std::vector<Vec>& v, double value = 0.0) {
  std::vector<Vec> z;
  for (auto& x : v) z.emplace_back(x.size(), value);
  return z;
}

RefStep sgd_ref(double lr, double momentum, bool nesterov) {
  auto m = std::make_shared<std::vector<Vec>>(zeros_like(kInit));
  return [=](std::vector<Vec>& vars, const std::vector<Vec>& g, int) {
    for (std::size_t i = 0; i < vars.size(); ++i)
      for (std::size_t j = 0; j < vars[i].size(); ++j) {
        if (momentum == 0) {
          vars[i][j] -= lr * g[i][j];
          continue;
        }
        double& mm = (*m)[i][j];
        mm = momentum * mm - lr * g[i][j];
        vars[i][j] += nesterov ? momentum * mm - lr * g[i][j] : mm;
      }
  };
}

RefStep adam_ref(double lr, double b1, double b2, double eps, bool amsgrad) {
  auto m = std::make_shared<std::vector<Vec>>(zeros_like(kInit));
  auto v = std::make_shared<std::vector<Vec>>(zeros_like(kInit));
  auto vh = std::make_shared<std::vector<Vec>>(zeros_like(kInit));
  return [=](std::vector<Vec>& vars, const std::vector<Vec>& g, int t) {
    const double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    for (std::size_t i = 0; i < vars.size(); ++i)
      for (std::size_t j = 0; j < vars[i].size(); ++j) {
        double& mm = (*m)[i][j];
        double& vv = (*v)[i][j];
        mm += (g[i][j] - mm) * (1 - b1);
        vv += (g[i][j] * g[i][j] - vv) * (1 - b2);
        double denom = vv;
        if (amsgrad) denom = (*vh)[i][j] = std::max((*vh)[i][j], vv);
        vars[i][j] -= alpha * mm / (std::sqrt(denom) + eps);
      }
  };
}

RefStep rmsprop_ref(double lr, double rho, double momentum, double eps, bool centered) {
  auto vel = std::make_shared<std::vector<Vec>>(zeros_like(kInit));
  auto mom = std::make_shared<std::vector<Vec>>(zeros_like(kInit));
  auto avg = std::make_shared<std::vector<Vec>>(zeros_like(kInit));
  return [=](std::vector<Vec>& vars, const std::vector<Vec>& g, int) {
    for (std::size_t i = 0; i < vars.size(); ++i)
      for (std::size_t j = 0; j < vars[i].size(); ++j) {
        double& ve = (*vel)[i][j];
        ve = rho * ve + (1 - rho) * g[i][j] * g[i][j];
        double denom = ve + eps;
        if (centered) {
          double& a = (*avg)[i][j];
          a = rho * a + (1 - rho) * g[i][j];
          denom = ve - a * a + eps;
        }
        const double inc = lr * g[i][j] / std::sqrt(denom);
        if (momentum > 0) {
          double& mo = (*mom)[i][j];
          mo = momentum * mo + inc;
          vars[i][j] -= mo;
        } else {
          vars[i][j] -= inc;
        }
      }
  };
}

RefStep adagrad_ref(double lr, double init, double eps) {
  auto acc = std::make_shared<std::vector<Vec>>(zeros_like(kInit, init));
  return [=](std::vector<Vec>& vars, const std::vector<Vec>& g, int) {
    for (std::size_t i = 0; i < vars.size(); ++i)
      for (std::size_t j = 0; j < vars[i].size(); ++j) {
        double& a = (*acc)[i][j];
        a += g[i][j] * g[i][j];
        vars[i][j] -= lr * g[i][j] / std::sqrt(a + eps);
      }
  };
}

std::vector<std::string> slot_names(const opt::Optimizer& o) {
  std::vector<std::string> n;
  for (const auto& v : o.variables()) n.push_back(v.name());
  return n;
}

}  // namespace

TEST_CASE("optimizers: SGD, momentum and nesterov match Keras's formula over 3 steps") {
  check_three_steps(
      maker<opt::SGD>(opt::SGDOptions{.learning_rate = 0.1}), [] { return sgd_ref(0.1, 0, false); },
      0.1, 0, {}, "SGD");
  check_three_steps(
      maker<opt::SGD>(opt::SGDOptions{.learning_rate = 0.05, .momentum = 0.9}),
      [] { return sgd_ref(0.05, 0.9, false); }, 0.05, 0, {}, "SGD momentum");
  check_three_steps(
      maker<opt::SGD>(opt::SGDOptions{.learning_rate = 0.05, .momentum = 0.8, .nesterov = true}),
      [] { return sgd_ref(0.05, 0.8, true); }, 0.05, 0, {}, "SGD nesterov");
}

TEST_CASE("optimizers: Adam and AMSGrad match Keras's formula over 3 steps") {
  check_three_steps(
      maker<opt::Adam>(opt::AdamOptions{.learning_rate = 0.01}),
      [] { return adam_ref(0.01, 0.9, 0.999, 1e-7, false); }, 0.01, 0, {}, "Adam");
  check_three_steps(
      maker<opt::Adam>(
          opt::AdamOptions{.learning_rate = 0.02, .beta_1 = 0.8, .beta_2 = 0.95, .epsilon = 1e-3}),
      [] { return adam_ref(0.02, 0.8, 0.95, 1e-3, false); }, 0.02, 0, {}, "Adam custom");
  // The gradient sizes shrink and grow between steps, so vhat differs from v.
  check_three_steps(
      maker<opt::Adam>(opt::AdamOptions{.learning_rate = 0.01, .beta_2 = 0.5, .amsgrad = true}),
      [] { return adam_ref(0.01, 0.9, 0.5, 1e-7, true); }, 0.01, 0, {}, "AMSGrad");
}

TEST_CASE("optimizers: decoupled weight decay (AdamW, Adam, SGD) is applied before the step") {
  check_three_steps(
      maker<opt::AdamW>(opt::AdamWOptions{.learning_rate = 0.01, .weight_decay = 0.1}),
      [] { return adam_ref(0.01, 0.9, 0.999, 1e-7, false); }, 0.01, 0.1, {}, "AdamW");
  opt::AdamW adamw_default;
  CHECK(adamw_default.get_config()["weight_decay"].get<double>() == doctest::Approx(0.004));
  check_three_steps(
      maker<opt::Adam>(
          opt::AdamOptions{.learning_rate = 0.01, .amsgrad = true, .base = {.weight_decay = 0.2}}),
      [] { return adam_ref(0.01, 0.9, 0.999, 1e-7, true); }, 0.01, 0.2, {},
      "Adam amsgrad + weight_decay");
  check_three_steps(
      maker<opt::SGD>(
          opt::SGDOptions{.learning_rate = 0.1, .momentum = 0.5, .base = {.weight_decay = 0.3}}),
      [] { return sgd_ref(0.1, 0.5, false); }, 0.1, 0.3, {}, "SGD + weight_decay");
  check_three_steps(
      maker<opt::RMSprop>(
          opt::RMSpropOptions{.learning_rate = 0.01, .base = {.weight_decay = 0.5}}),
      [] { return rmsprop_ref(0.01, 0.9, 0, 1e-7, false); }, 0.01, 0.5, {},
      "RMSprop + weight_decay");
}

TEST_CASE("optimizers: RMSprop plain, with momentum and centered match Keras's formula") {
  check_three_steps(
      maker<opt::RMSprop>(opt::RMSpropOptions{.learning_rate = 0.01}),
      [] { return rmsprop_ref(0.01, 0.9, 0, 1e-7, false); }, 0.01, 0, {}, "RMSprop");
  check_three_steps(
      maker<opt::RMSprop>(opt::RMSpropOptions{.learning_rate = 0.01, .rho = 0.8, .momentum = 0.7}),
      [] { return rmsprop_ref(0.01, 0.8, 0.7, 1e-7, false); }, 0.01, 0, {}, "RMSprop momentum");
  check_three_steps(
      maker<opt::RMSprop>(opt::RMSpropOptions{
          .learning_rate = 0.01, .momentum = 0.5, .epsilon = 1e-4, .centered = true}),
      [] { return rmsprop_ref(0.01, 0.9, 0.5, 1e-4, true); }, 0.01, 0, {}, "RMSprop centered");
}

TEST_CASE("optimizers: Adagrad matches Keras's formula, accumulators start at 0.1") {
  check_three_steps(
      maker<opt::Adagrad>(opt::AdagradOptions{.learning_rate = 0.1}),
      [] { return adagrad_ref(0.1, 0.1, 1e-7); }, 0.1, 0, {}, "Adagrad");
  check_three_steps(
      maker<opt::Adagrad>(opt::AdagradOptions{
          .learning_rate = 0.05, .initial_accumulator_value = 0.5, .epsilon = 1e-3}),
      [] { return adagrad_ref(0.05, 0.5, 1e-3); }, 0.05, 0, {}, "Adagrad custom");
}

TEST_CASE("optimizers: clipnorm (per gradient), global_clipnorm and clipvalue") {
  // Gradient norms are about 0.74 / 1.14 (step 1) and 0.71 / 2.16 (step 2),
  // so clipping at 0.9 changes some gradients and leaves others.
  check_three_steps(
      maker<opt::SGD>(opt::SGDOptions{.learning_rate = 0.1, .base = {.clipnorm = 0.9}}),
      [] { return sgd_ref(0.1, 0, false); }, 0.1, 0, {.clipnorm = 0.9}, "SGD clipnorm");
  check_three_steps(
      maker<opt::SGD>(
          opt::SGDOptions{.learning_rate = 0.1, .momentum = 0.9, .base = {.global_clipnorm = 1.0}}),
      [] { return sgd_ref(0.1, 0.9, false); }, 0.1, 0, {.global_clipnorm = 1.0},
      "SGD global_clipnorm");
  check_three_steps(
      maker<opt::SGD>(opt::SGDOptions{.learning_rate = 0.1, .base = {.clipvalue = 0.35}}),
      [] { return sgd_ref(0.1, 0, false); }, 0.1, 0, {.clipvalue = 0.35}, "SGD clipvalue");
  check_three_steps(
      maker<opt::Adam>(opt::AdamOptions{.learning_rate = 0.01, .base = {.clipnorm = 0.5}}),
      [] { return adam_ref(0.01, 0.9, 0.999, 1e-7, false); }, 0.01, 0, {.clipnorm = 0.5},
      "Adam clipnorm");
  // A zero gradient stays zero under clipnorm (no 0/0).
  opt::SGD z({.learning_rate = 0.1, .base = {.clipnorm = 1.0}});
  Variable v(Tensor({2}, std::vector<float>{1, 2}), "v");
  z.apply_gradients({Tensor::zeros({2})}, {v});
  testing::check_close(v.value(), {1, 2}, 0, 0, "zero gradient under clipnorm");
}

TEST_CASE("optimizers: slots follow Keras's order and names") {
  auto vars = make_vars();
  std::vector<Tensor> g = {Tensor::zeros({5}), Tensor::zeros({3})};

  opt::SGD sgd;
  sgd.apply_gradients(g, vars);
  CHECK(sgd.variables().empty());  // no momentum: no slot
  opt::SGD sgdm({.momentum = 0.9});
  sgdm.apply_gradients(g, vars);
  CHECK(slot_names(sgdm) ==
        std::vector<std::string>{"dense_kernel_momentum", "dense_bias_momentum"});

  opt::Adam adam({.amsgrad = true});
  CHECK_FALSE(adam.built());
  adam.apply_gradients(g, vars);
  CHECK(adam.built());
  CHECK(slot_names(adam) == std::vector<std::string>{"dense_kernel_momentum", "dense_bias_momentum",
                                                     "dense_kernel_velocity", "dense_bias_velocity",
                                                     "dense_kernel_velocity_hat",
                                                     "dense_bias_velocity_hat"});
  CHECK(adam.variables()[1].shape() == Shape{3});
  CHECK_FALSE(adam.variables()[0].trainable());

  opt::RMSprop rms({.momentum = 0.5, .centered = true});
  rms.build(vars);
  CHECK(slot_names(rms) == std::vector<std::string>{"dense_kernel_velocity", "dense_bias_velocity",
                                                    "dense_kernel_momentum", "dense_bias_momentum",
                                                    "dense_kernel_average_gradient",
                                                    "dense_bias_average_gradient"});
  opt::Adagrad ada;
  ada.build(vars);
  CHECK(slot_names(ada) ==
        std::vector<std::string>{"dense_kernel_accumulator", "dense_bias_accumulator"});
  testing::check_close(ada.variables()[1].value(), {0.1f, 0.1f, 0.1f}, 1e-7, 0, "accumulator init");
}

TEST_CASE("optimizers: restoring slots and iterations resumes the same trajectory") {
  // Save Adam's state after one step, restore it into a fresh optimizer, and
  // check the next step matches the uninterrupted run.
  auto v1 = make_vars();
  auto v2 = make_vars();
  auto grads = [](int s) {
    return std::vector<Tensor>{Tensor({5}, to_f(kGrads[s][0])), Tensor({3}, to_f(kGrads[s][1]))};
  };
  opt::Adam a({.learning_rate = 0.01});
  a.apply_gradients(grads(0), v1);
  opt::Adam b({.learning_rate = 0.01});
  b.build(v2);
  for (std::size_t i = 0; i < v2.size(); ++i) v2[i].assign(v1[i].value());
  for (std::size_t i = 0; i < a.variables().size(); ++i)
    b.variables()[i].assign(a.variables()[i].value());
  b.set_iterations(a.iterations());
  a.apply_gradients(grads(1), v1);
  b.apply_gradients(grads(1), v2);
  for (std::size_t i = 0; i < v1.size(); ++i)
    testing::check_close(v2[i].value(), v1[i].value().to_vector<float>(), 1e-7, 0, "resumed");
}

TEST_CASE("optimizers: a subset of the built variables updates the right slots") {
  // Built on both variables, then (as after freezing a layer) given only the
  // second: its momentum continues, the first variable is left alone.
  auto vars = make_vars();
  opt::SGD sgd({.learning_rate = 0.1, .momentum = 0.5});
  auto grads = [](int s) {
    return std::vector<Tensor>{Tensor({5}, to_f(kGrads[s][0])), Tensor({3}, to_f(kGrads[s][1]))};
  };
  sgd.apply_gradients(grads(0), vars);
  sgd.apply_gradients({grads(1)[1]}, {vars[1]});
  std::vector<Vec> want = kInit;
  RefStep ref = sgd_ref(0.1, 0.5, false);
  ref(want, kGrads[0], 1);
  const Vec kernel_after_1 = want[0];
  ref(want, {Vec(5, 0.0), kGrads[1][1]}, 2);
  testing::check_close(vars[1].value(), to_f(want[1]), 1e-6, 1e-5, "bias, 2 steps");
  testing::check_close(vars[0].value(), to_f(kernel_after_1), 1e-6, 1e-5, "kernel, 1 step");
  CHECK(sgd.iterations() == 2);
}

TEST_CASE("optimizers: undefined gradients are skipped but iterations advance") {
  auto vars = make_vars();
  opt::SGD sgd({.learning_rate = 1.0});
  sgd.apply_gradients({Tensor(), Tensor({3}, std::vector<float>{1, 1, 1})}, vars);
  testing::check_close(vars[0].value(), to_f(kInit[0]), 0, 0, "untouched");
  testing::check_close(vars[1].value(), {0.5f, -3.5f, -0.9f}, 1e-6, 0, "updated");
  CHECK(sgd.iterations() == 1);
  // global_clipnorm ignores the missing gradient when computing the norm.
  opt::SGD g({.learning_rate = 1.0, .base = {.global_clipnorm = 1.0}});
  auto v2 = make_vars();
  g.apply_gradients({Tensor(), Tensor({3}, std::vector<float>{3, 0, 4})}, v2);
  testing::check_close(v2[1].value(), {1.5f - 0.6f, -2.5f, 0.1f - 0.8f}, 1e-6, 0, "global clip");
}

namespace {
// lr = 0.1 / (1 + step): a schedule evaluated at iterations().
struct InverseTime : opt::schedules::LearningRateSchedule {
  double operator()(std::int64_t step) const override { return 0.1 / (1.0 + double(step)); }
  std::string class_name() const override { return "InverseTimeDecay"; }
  nlohmann::json get_config() const override { return {{"initial_learning_rate", 0.1}}; }
};
}  // namespace

TEST_CASE("optimizers: a learning-rate schedule is evaluated at each step") {
  opt::SGD sgd({.learning_rate = 0.5});
  CHECK(sgd.learning_rate() == doctest::Approx(0.5));
  sgd.set_learning_rate(0.25);
  CHECK(sgd.learning_rate() == doctest::Approx(0.25));
  sgd.set_learning_rate_schedule(std::make_shared<InverseTime>());
  Variable v(Tensor({1}, std::vector<float>{0}), "v");
  double want = 0;
  for (int step = 0; step < 3; ++step) {
    CHECK(sgd.learning_rate() == doctest::Approx(0.1 / (1 + step)));
    sgd.apply_gradients({Tensor({1}, std::vector<float>{1})}, {v});
    want -= 0.1 / (1 + step);
  }
  CHECK(v.value().item() == doctest::Approx(want).epsilon(1e-6));
  auto cfg = sgd.get_config();
  CHECK(cfg["learning_rate"]["class_name"] == "InverseTimeDecay");
  CHECK(cfg["learning_rate"]["module"] == "keras.optimizers.schedules");
  CHECK(cfg["learning_rate"]["config"]["initial_learning_rate"] == 0.1);
  CHECK_THROWS_AS(sgd.set_learning_rate(0.1), keras::TypeError);
}

TEST_CASE("optimizers: get_config has Keras's keys and defaults") {
  auto c = opt::Adam().get_config();
  CHECK(c["name"] == "adam");
  CHECK(c["learning_rate"].get<double>() == doctest::Approx(0.001));
  CHECK(c["beta_1"].get<double>() == doctest::Approx(0.9));
  CHECK(c["beta_2"].get<double>() == doctest::Approx(0.999));
  CHECK(c["epsilon"].get<double>() == doctest::Approx(1e-7));
  CHECK(c["amsgrad"] == false);
  for (const char* k :
       {"weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "ema_overwrite_frequency",
        "loss_scale_factor", "gradient_accumulation_steps"})
    CHECK_MESSAGE(c[k].is_null(), k);
  CHECK(c["use_ema"] == false);
  CHECK(c["ema_momentum"].get<double>() == doctest::Approx(0.99));

  auto s = opt::SGD({.momentum = 0.9, .nesterov = true, .base = {.clipnorm = 1.0}}).get_config();
  CHECK(s["name"] == "SGD");
  CHECK(s["learning_rate"].get<double>() == doctest::Approx(0.01));
  CHECK(s["momentum"].get<double>() == doctest::Approx(0.9));
  CHECK(s["nesterov"] == true);
  CHECK(s["clipnorm"].get<double>() == doctest::Approx(1.0));

  auto r = opt::RMSprop().get_config();
  CHECK(r["name"] == "rmsprop");
  CHECK(r["rho"].get<double>() == doctest::Approx(0.9));
  CHECK(r["centered"] == false);
  auto a = opt::Adagrad().get_config();
  CHECK(a["name"] == "adagrad");
  CHECK(a["initial_accumulator_value"].get<double>() == doctest::Approx(0.1));
  auto w = opt::AdamW().get_config();
  CHECK(w["name"] == "adamw");
  CHECK(w["weight_decay"].get<double>() == doctest::Approx(0.004));
  CHECK(opt::Adam({.base = {.name = "mine"}}).get_config()["name"] == "mine");
}

TEST_CASE("optimizers: get() by name, case-insensitive") {
  CHECK(opt::get("adam")->class_name() == "Adam");
  CHECK(opt::get("Adam")->class_name() == "Adam");
  CHECK(opt::get("SGD")->class_name() == "SGD");
  CHECK(opt::get("AdamW")->class_name() == "AdamW");
  CHECK(opt::get("rmsprop")->class_name() == "RMSprop");
  CHECK(opt::get("adagrad")->class_name() == "Adagrad");
  try {
    opt::get("adamax2");
    FAIL("expected ValueError");
  } catch (const keras::ValueError& e) {
    std::string m = e.what();
    CHECK(m.find("adamax2") != std::string::npos);
    CHECK(m.find("rmsprop") != std::string::npos);
  }
}

TEST_CASE("optimizers: errors name what was expected and received") {
  auto vars = make_vars();
  opt::Adam adam;
  try {
    adam.apply_gradients({Tensor::zeros({5})}, vars);
    FAIL("expected ValueError");
  } catch (const keras::ValueError& e) {
    std::string m = e.what();
    CHECK(m.find("1 gradients") != std::string::npos);
    CHECK(m.find("2 variables") != std::string::npos);
  }
  CHECK_THROWS_AS(adam.apply_gradients({Tensor::zeros({5}), Tensor::zeros({4})}, vars),
                  keras::ValueError);
  adam.apply_gradients({Tensor::zeros({5}), Tensor::zeros({3})}, vars);
  // A different set of variables after building.
  auto others = make_vars();
  CHECK_THROWS_AS(adam.apply_gradients({Tensor::zeros({5}), Tensor::zeros({3})}, others),
                  keras::ValueError);
  CHECK_THROWS_AS(adam.apply_gradients({Tensor::zeros({3})}, {others[1]}), keras::ValueError);
  CHECK_THROWS_AS((opt::SGD({.momentum = 1.5})), keras::ValueError);
  CHECK_THROWS_AS((opt::SGD({.learning_rate = -1})), keras::ValueError);
  CHECK_THROWS_AS((opt::Adam({.beta_1 = 1.0})), keras::ValueError);
  CHECK_THROWS_AS((opt::SGD({.base = {.clipnorm = 1.0, .global_clipnorm = 1.0}})),
                  keras::ValueError);
  CHECK_THROWS_AS((opt::SGD({.base = {.clipnorm = 1.0, .clipvalue = 1.0}})), keras::ValueError);
}

TEST_CASE("optimizers: SGD and Adam minimise a quadratic through autograd") {
  // f(x) = sum(c * (x - target)^2) with different curvatures per element.
  const Tensor target({4}, std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f});
  const Tensor curv({4}, std::vector<float>{1.0f, 4.0f, 0.5f, 2.0f});
  auto run = [&](opt::Optimizer& o, int steps) {
    Variable x(Tensor::zeros({4}), "x");
    double first = 0, last = 0;
    for (int s = 0; s < steps; ++s) {
      Tensor loss = ops::sum(curv * ops::square(x.value() - target));
      if (s == 0) first = loss.item();
      last = loss.item();
      auto g = keras::autograd::grad(loss, {x.value()});
      o.apply_gradients(g, {x});
    }
    CHECK(last < 1e-3 * first);
    testing::check_close(x.value(), target.to_vector<float>(), 2e-2, 0, o.class_name());
  };
  opt::SGD sgd({.learning_rate = 0.05, .momentum = 0.9});
  run(sgd, 300);
  opt::Adam adam({.learning_rate = 0.1});
  run(adam, 500);
}
