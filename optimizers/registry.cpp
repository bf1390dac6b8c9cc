// Optimizers by name and from their saved configs.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/optimizers.hpp"
#include "keras/optimizers/extra.hpp"
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

std::optional<std::int64_t> opt_int(const std::string& cls, const json& c, const char* key) {
  if (!c.contains(key) || c[key].is_null()) return std::nullopt;
  KERAS_CHECK(c[key].is_number_integer() || (c[key].is_number() && c[key].get<double>() == std::floor(c[key].get<double>())),
              ValueError, "Optimizer ", cls, ": `", key, "` must be an integer or null; received ", c[key].dump());
  return static_cast<std::int64_t>(c[key].get<double>());
}

// The arguments every optimizer config carries: learning rate and BaseOptions.
struct Common {
  LearningRate lr = 0.001;
  BaseOptions base;
};

// `lr`: the class's default learning rate, used when the config has none.
Common common(const std::string& cls, const json& c, LearningRate lr) {
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
  r.base.use_ema = c.contains("use_ema") && c["use_ema"].is_boolean() && c["use_ema"].get<bool>();
  if (auto m = opt(c, "ema_momentum")) r.base.ema_momentum = *m;
  r.base.ema_overwrite_frequency = opt_int(cls, c, "ema_overwrite_frequency");
  r.base.loss_scale_factor = opt(c, "loss_scale_factor");
  r.base.gradient_accumulation_steps = opt_int(cls, c, "gradient_accumulation_steps");
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

// Adadelta, Adamax, Nadam, Lion, Ftrl and Adafactor.
void add_extra_optimizers(registry::Registry<OptimizerFactory>& reg) {
  reg.add("adadelta", [](const json& c) -> std::shared_ptr<Optimizer> {
    Common m = common("Adadelta", c, AdadeltaOptions{}.learning_rate);
    return std::make_shared<Adadelta>(AdadeltaOptions{m.lr, c.value("rho", 0.95), c.value("epsilon", 1e-7), m.base});
  }, true);
  reg.add("adamax", [](const json& c) -> std::shared_ptr<Optimizer> {
    Common m = common("Adamax", c, AdamaxOptions{}.learning_rate);
    return std::make_shared<Adamax>(AdamaxOptions{m.lr, c.value("beta_1", 0.9), c.value("beta_2", 0.999),
                                                  c.value("epsilon", 1e-7), m.base});
  }, true);
  reg.add("nadam", [](const json& c) -> std::shared_ptr<Optimizer> {
    Common m = common("Nadam", c, NadamOptions{}.learning_rate);
    return std::make_shared<Nadam>(NadamOptions{m.lr, c.value("beta_1", 0.9), c.value("beta_2", 0.999),
                                                c.value("epsilon", 1e-7), m.base});
  }, true);
  reg.add("lion", [](const json& c) -> std::shared_ptr<Optimizer> {
    Common m = common("Lion", c, LionOptions{}.learning_rate);
    return std::make_shared<Lion>(LionOptions{m.lr, c.value("beta_1", 0.9), c.value("beta_2", 0.99), m.base});
  }, true);
  reg.add("ftrl", [](const json& c) -> std::shared_ptr<Optimizer> {
    Common m = common("Ftrl", c, FtrlOptions{}.learning_rate);
    return std::make_shared<Ftrl>(FtrlOptions{m.lr, c.value("learning_rate_power", -0.5),
                                              c.value("initial_accumulator_value", 0.1),
                                              c.value("l1_regularization_strength", 0.0),
                                              c.value("l2_regularization_strength", 0.0),
                                              c.value("l2_shrinkage_regularization_strength", 0.0),
                                              c.value("beta", 0.0), m.base});
  }, true);
  reg.add("adafactor", [](const json& c) -> std::shared_ptr<Optimizer> {
    Common m = common("Adafactor", c, AdafactorOptions{}.learning_rate);
    return std::make_shared<Adafactor>(AdafactorOptions{m.lr, c.value("beta_2_decay", -0.8), c.value("epsilon_1", 1e-30),
                                                        c.value("epsilon_2", 1e-3), c.value("clip_threshold", 1.0),
                                                        c.value("relative_step", true), m.base});
  }, true);
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
    add_extra_optimizers(reg);
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
