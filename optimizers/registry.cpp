// Optimizers by name and from their saved configs.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/optimizers.hpp"
#include "keras/registry.hpp"

namespace keras::optimizers {
namespace {
using json = nlohmann::json;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<double> opt(const json& c, const char* key) {
  if (!c.contains(key) || c[key].is_null()) return std::nullopt;
  return c[key].get<double>();
}

// The arguments every optimizer config carries: learning rate and BaseOptions.
struct Common {
  LearningRate lr = 0.001;
  BaseOptions base;
};

// `lr`: the class's default learning rate, used when the config has none.
Common common(const std::string& cls, const json& c, LearningRate lr) {
  KERAS_CHECK(!c.value("use_ema", false), ValueError, "Optimizer ", cls, ": use_ema is not supported; received true");
  for (const char* k : {"loss_scale_factor", "gradient_accumulation_steps"})
    KERAS_CHECK(!c.contains(k) || c[k].is_null(), ValueError, "Optimizer ", cls, ": ", k,
                " is not supported; received ", c[k].dump());
  Common r;
  r.lr = lr;
  if (c.contains("learning_rate")) {
    const json& l = c["learning_rate"];
    KERAS_CHECK(l.is_number() || l.is_object(), ValueError, "Optimizer ", cls,
                ": learning_rate must be a number or a serialized schedule; received ", l.dump().substr(0, 200));
    if (l.is_number()) r.lr = l.get<double>();
    else r.lr = schedules::deserialize(l);
  }
  r.base.weight_decay = opt(c, "weight_decay");
  r.base.clipnorm = opt(c, "clipnorm");
  r.base.clipvalue = opt(c, "clipvalue");
  r.base.global_clipnorm = opt(c, "global_clipnorm");
  r.base.name = c.value("name", "");
  return r;
}

std::shared_ptr<Optimizer> adamw(const json& c) {
  Common m = common("AdamW", c, AdamWOptions{}.learning_rate);
  double wd = m.base.weight_decay.value_or(0.004);
  m.base.weight_decay.reset();
  return std::make_shared<AdamW>(AdamWOptions{m.lr, wd, c.value("beta_1", 0.9), c.value("beta_2", 0.999),
                                              c.value("epsilon", 1e-7), c.value("amsgrad", false), m.base});
}

registry::Registry<OptimizerFactory>& table() {
  static registry::Registry<OptimizerFactory>& r = []() -> registry::Registry<OptimizerFactory>& {
    auto& reg = registry::make<OptimizerFactory>("optimizer");
    reg.add("sgd", [](const json& c) -> std::shared_ptr<Optimizer> {
      Common m = common("SGD", c, SGDOptions{}.learning_rate);
      return std::make_shared<SGD>(SGDOptions{m.lr, c.value("momentum", 0.0), c.value("nesterov", false), m.base});
    }, true);
    reg.add("adam", [](const json& c) -> std::shared_ptr<Optimizer> {
      Common m = common("Adam", c, AdamOptions{}.learning_rate);
      return std::make_shared<Adam>(AdamOptions{m.lr, c.value("beta_1", 0.9), c.value("beta_2", 0.999),
                                                c.value("epsilon", 1e-7), c.value("amsgrad", false), m.base});
    }, true);
    reg.add("adamw", adamw, true);
    reg.add("rmsprop", [](const json& c) -> std::shared_ptr<Optimizer> {
      Common m = common("RMSprop", c, RMSpropOptions{}.learning_rate);
      return std::make_shared<RMSprop>(RMSpropOptions{m.lr, c.value("rho", 0.9), c.value("momentum", 0.0),
                                                      c.value("epsilon", 1e-7), c.value("centered", false), m.base});
    }, true);
    reg.add("adagrad", [](const json& c) -> std::shared_ptr<Optimizer> {
      Common m = common("Adagrad", c, AdagradOptions{}.learning_rate);
      return std::make_shared<Adagrad>(
          AdagradOptions{m.lr, c.value("initial_accumulator_value", 0.1), c.value("epsilon", 1e-7), m.base});
    }, true);
    return reg;
  }();
  return r;
}

// "keras.optimizers.Adam" -> "adam"; tf.keras 2.11+ writes "Custom>Adam".
std::string key_of(const std::string& name) {
  const auto dot = name.find_last_of(".>");
  return lower(dot == std::string::npos ? name : name.substr(dot + 1));
}
}  // namespace

std::shared_ptr<Optimizer> get(const std::string& name) {
  if (auto f = table().find(key_of(name))) return (*f)(json::object());
  throw ValueError(registry::unknown_message("optimizer", name, table().names()));
}

std::shared_ptr<Optimizer> deserialize(const json& j) {
  if (j.is_string()) return get(j.get<std::string>());
  KERAS_CHECK(j.is_object() && j.contains("class_name") && j["class_name"].is_string(), ValueError,
              "Cannot read optimizer ", j.dump().substr(0, 200));
  const std::string cls = j["class_name"].get<std::string>();
  const json c = j.contains("config") && j["config"].is_object() ? j["config"] : json::object();
  if (auto f = table().find(key_of(cls))) return (*f)(c);
  throw ValueError(registry::unknown_message("optimizer", cls, table().names()));
}

json serialize(const Optimizer& opt) {
  return registry::serialized("keras.optimizers", opt.class_name(), opt.get_config());
}

void register_optimizer(const std::string& class_name, OptimizerFactory factory, bool replace) {
  table().add_user(key_of(class_name), class_name, std::move(factory), replace);
}

std::vector<std::string> registered_optimizers() { return table().names(); }

}  // namespace keras::optimizers
