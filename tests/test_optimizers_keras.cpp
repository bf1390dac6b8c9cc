// Every optimizer (old and new) against real Keras 3: four steps on a Dense
// layer's kernel and bias for each option set (plain, weight_decay, EMA
// with overwrite, gradient accumulation, loss_scale_factor, clipnorm, a
// schedule), the optimizer variables in Keras's order with Keras's names,
// and the configs; goldens from scripts/make_optimizer_goldens.py
// (tests/fixtures/optimizers/). Also bad arguments.
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/backend.hpp"  // test_helpers.hpp uses keras::backend
#include "keras/optimizers/extra.hpp"
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
using keras::Variable;
using json = nlohmann::json;
namespace opt = keras::optimizers;

namespace {

const json& goldens() {
  static const json j = [] {
    std::ifstream in(std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/optimizers/optimizer_goldens.json");
    REQUIRE(in.good());
    return json::parse(in);
  }();
  return j;
}

// |got - want| <= rtol * |want| + atol elementwise (atol: a float32 ulp of
// the values' scale, for elements that pass through zero).
void check_values(const Tensor& got, const json& want, double rtol, double atol, const std::string& what) {
  auto g = got.astype(keras::float32).to_vector<float>();
  auto w = want.get<std::vector<double>>();
  REQUIRE_MESSAGE(g.size() == w.size(), what);
  for (std::size_t i = 0; i < g.size(); ++i)
    CHECK_MESSAGE(std::fabs(g[i] - w[i]) <= rtol * std::fabs(w[i]) + atol,
                  what << "[" << i << "]: got " << g[i] << ", Keras " << w[i]);
}

std::vector<Variable> dense_vars() {
  const json& j = goldens();
  std::vector<Variable> vars;
  const char* names[] = {"kernel", "bias"};
  for (int i = 0; i < 2; ++i) {
    Variable v(Tensor(j["shapes"][i].get<Shape>(), j["init"][i].get<std::vector<float>>()), names[i]);
    v.set_path(std::string("dense/") + names[i]);
    vars.push_back(v);
  }
  return vars;
}

void run_case(const json& c) {
  const std::string name = c["name"];
  const json& j = goldens();
  const double rtol = 1e-6, atol = 1e-7;
  auto o = opt::deserialize(c["config"]);
  CHECK(o->class_name() == c["config"]["class_name"].get<std::string>());
  auto vars = dense_vars();
  for (std::size_t s = 0; s < j["grads"].size(); ++s) {
    std::vector<Tensor> g;
    for (std::size_t i = 0; i < vars.size(); ++i)
      g.push_back(Tensor(vars[i].shape(), j["grads"][s][i].get<std::vector<float>>()));
    o->apply_gradients(g, vars);
    for (std::size_t i = 0; i < vars.size(); ++i)
      check_values(vars[i].value(), c["after"][s][i], rtol, atol,
                   name + " step " + std::to_string(s + 1) + " " + vars[i].path());
  }
  // Keras's variables: iteration, learning_rate (unless a schedule), then
  // what saved_variables() returns, in that order.
  const json& st = c["state"];
  const std::size_t head = o->learning_rate_schedule() ? 1 : 2;
  auto saved = o->saved_variables();
  REQUIRE_MESSAGE(saved.size() + head == st.size(), name);
  CHECK(o->iterations() == static_cast<std::int64_t>(st[0]["value"][0].get<double>()));
  for (std::size_t k = 0; k < saved.size(); ++k) {
    const json& w = st[k + head];
    const std::string kn = w["name"];
    if (kn.rfind("variable", 0) != 0) CHECK_MESSAGE(saved[k].name() == kn, name);  // Keras numbers "variable_N"
    CHECK_MESSAGE(saved[k].shape() == w["shape"].get<Shape>(), name << " " << kn);
    CHECK_MESSAGE(keras::dtype_name(saved[k].value().dtype()) == w["dtype"].get<std::string>(), name << " " << kn);
    // Slots such as Ftrl's "linear" accumulate differences of nearby values;
    // the floor is relative to the slot's largest element.
    double scale = 0;
    for (const auto& x : w["value"]) scale = std::max(scale, std::fabs(x.get<double>()));
    check_values(saved[k].value(), w["value"], 2 * rtol, 2 * rtol * scale + atol, name + " optimizer variable " + kn);
  }
  // The config round-trips (keys and values; the name is Keras's counter).
  json ours = o->get_config(), theirs = c["config"]["config"];
  for (auto& [k, v] : theirs.items()) {
    REQUIRE_MESSAGE(ours.contains(k), name << " config key " << k);
    if (k == "learning_rate" && v.is_number())
      CHECK(ours[k].get<double>() == doctest::Approx(v.get<double>()).epsilon(1e-7));
    else if (k == "learning_rate")
      CHECK(ours[k]["class_name"] == v["class_name"]);
    else
      CHECK_MESSAGE(ours[k] == v, name << " config " << k << ": ours " << ours[k].dump() << ", Keras " << v.dump());
  }
  CHECK_MESSAGE(ours.size() == theirs.size(), name);
}

}  // namespace

TEST_CASE("optimizers vs Keras: every optimizer and base option, four steps, state and config") {
  const json& cases = goldens()["cases"];
  REQUIRE(cases.size() >= 77);
  for (const json& c : cases) {
    INFO(c["name"].get<std::string>());
    run_case(c);
  }
}

TEST_CASE("optimizers vs Keras: bad arguments name the optimizer and the argument") {
  auto throws = [](auto make, const char* who, const char* arg) {
    try {
      make();
      FAIL("expected ValueError for " << who << " " << arg);
    } catch (const keras::ValueError& e) {
      std::string m = e.what();
      CHECK_MESSAGE(m.find(who) != std::string::npos, m);
      CHECK_MESSAGE(m.find(arg) != std::string::npos, m);
    }
  };
  throws([] { opt::Adadelta({.learning_rate = -0.1}); }, "Adadelta", "learning_rate");
  throws([] { opt::Adadelta({.rho = 1.5}); }, "Adadelta", "rho");
  throws([] { opt::Adamax({.beta_1 = -0.1}); }, "Adamax", "beta_1");
  throws([] { opt::Nadam({.epsilon = -1}); }, "Nadam", "epsilon");
  throws([] { opt::Lion({.beta_1 = 0.0}); }, "Lion", "beta_1");
  throws([] { opt::Ftrl({.learning_rate_power = 0.5}); }, "Ftrl", "learning_rate_power");
  throws([] { opt::Ftrl({.l1_regularization_strength = -1}); }, "Ftrl", "l1_regularization_strength");
  throws([] { opt::Adafactor({.clip_threshold = 0}); }, "Adafactor", "clip_threshold");
  throws([] { opt::Adafactor({.base = {.weight_decay = -1.0}}); }, "Adafactor", "weight_decay");
  throws([] { opt::SGD({.base = {.gradient_accumulation_steps = 1}}); }, "SGD", "gradient_accumulation_steps");
  throws([] { opt::Adam({.base = {.use_ema = true, .ema_momentum = 1.5}}); }, "Adam", "ema_momentum");
  throws([] { opt::RMSprop({.base = {.use_ema = true, .ema_overwrite_frequency = 0}}); }, "RMSprop",
         "ema_overwrite_frequency");
  throws([] { opt::Adagrad({.base = {.loss_scale_factor = -2.0}}); }, "Adagrad", "loss_scale_factor");
  throws([] { opt::get("adamaxx"); }, "adamaxx", "adamax");
  throws([] { opt::deserialize(json{{"class_name", "Lion"}, {"config", {{"ema_overwrite_frequency", 1.5}}}}); },
         "Lion", "ema_overwrite_frequency");
}

TEST_CASE("optimizers vs Keras: EMA finalize, scale_loss and update_iterations") {
  auto vars = dense_vars();
  opt::SGD sgd({.learning_rate = 0.1, .base = {.use_ema = true, .loss_scale_factor = 2.0,
                                               .gradient_accumulation_steps = 2}});
  Tensor loss = Tensor::scalar(3.0, keras::float32);
  CHECK(sgd.scale_loss(loss).item() == doctest::Approx(6.0));
  std::vector<Tensor> g{keras::ops::ones_like(vars[0].value()), keras::ops::ones_like(vars[1].value())};
  Tensor before = vars[0].value().clone();
  sgd.apply_gradients(g, vars);
  CHECK(sgd.iterations() == 1);
  CHECK(sgd.update_iterations() == 0);
  testing::check_close(vars[0].value(), before.to_vector<float>(), 0, 0, "no update on an accumulating step");
  sgd.apply_gradients(g, vars);
  CHECK(sgd.update_iterations() == 1);
  // One update with the mean of the two unscaled gradients (1 / 2 each).
  auto b = before.to_vector<float>();
  for (auto& x : b) x -= 0.1f * 0.5f;
  testing::check_close(vars[0].value(), b, 1e-6, 0, "accumulated update");
  // The average trails the variable; finalize copies it.
  Tensor avg = sgd.saved_variables()[0].value().clone();
  sgd.finalize_variable_values(vars);
  testing::check_close(vars[0].value(), avg.to_vector<float>(), 0, 0, "finalized to the average");
}
