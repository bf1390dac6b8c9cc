// Learning-rate schedules by class name and from their saved configs, in
// the forms Keras 3 and tf.keras 2 write inside optimizer configs.
#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/optimizers/schedules.hpp"
#include "keras/registry.hpp"

namespace keras::optimizers::schedules {
namespace {
using json = nlohmann::json;

// A number argument: required when `fallback` is absent.
double num(const json& c, const char* key, const std::string& cls, std::optional<double> fallback = std::nullopt) {
  if (!c.contains(key) || c[key].is_null()) {
    KERAS_CHECK(fallback.has_value(), ValueError, "Learning-rate schedule ", cls, ": the config has no \"", key,
                "\"; received ", c.dump().substr(0, 200));
    return *fallback;
  }
  KERAS_CHECK(c[key].is_number(), ValueError, "Learning-rate schedule ", cls, ": \"", key,
              "\" must be a number; received ", c[key].dump().substr(0, 200));
  return c[key].get<double>();
}

std::vector<double> nums(const json& c, const char* key, const std::string& cls) {
  KERAS_CHECK(c.contains(key) && c[key].is_array(), ValueError, "Learning-rate schedule ", cls, ": \"", key,
              "\" must be a list of numbers; received ", c.value(key, json(nullptr)).dump().substr(0, 200));
  std::vector<double> r;
  for (const json& v : c[key]) {
    KERAS_CHECK(v.is_number(), ValueError, "Learning-rate schedule ", cls, ": \"", key,
                "\" must be a list of numbers; received ", c[key].dump().substr(0, 200));
    r.push_back(v.get<double>());
  }
  return r;
}

std::string name(const json& c, const char* fallback) {
  return c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>() : fallback;
}

SchedulePtr exponential(const json& c) {
  const std::string k = "ExponentialDecay";
  return std::make_shared<ExponentialDecay>(ExponentialDecayOptions{
      num(c, "initial_learning_rate", k), num(c, "decay_steps", k), num(c, "decay_rate", k),
      c.value("staircase", false), name(c, "ExponentialDecay")});
}

SchedulePtr piecewise(const json& c) {
  const std::string k = "PiecewiseConstantDecay";
  return std::make_shared<PiecewiseConstantDecay>(
      PiecewiseConstantDecayOptions{nums(c, "boundaries", k), nums(c, "values", k), name(c, "PiecewiseConstant")});
}

SchedulePtr polynomial(const json& c) {
  const std::string k = "PolynomialDecay";
  return std::make_shared<PolynomialDecay>(PolynomialDecayOptions{
      num(c, "initial_learning_rate", k), num(c, "decay_steps", k), num(c, "end_learning_rate", k, 0.0001),
      num(c, "power", k, 1.0), c.value("cycle", false), name(c, "PolynomialDecay")});
}

SchedulePtr inverse_time(const json& c) {
  const std::string k = "InverseTimeDecay";
  return std::make_shared<InverseTimeDecay>(InverseTimeDecayOptions{
      num(c, "initial_learning_rate", k), num(c, "decay_steps", k), num(c, "decay_rate", k),
      c.value("staircase", false), name(c, "InverseTimeDecay")});
}

SchedulePtr cosine(const json& c) {
  const std::string k = "CosineDecay";
  CosineDecayOptions o{num(c, "initial_learning_rate", k), num(c, "decay_steps", k), num(c, "alpha", k, 0.0),
                       name(c, "CosineDecay")};
  if (c.contains("warmup_target") && !c["warmup_target"].is_null()) o.warmup_target = num(c, "warmup_target", k);
  o.warmup_steps = num(c, "warmup_steps", k, 0.0);
  return std::make_shared<CosineDecay>(o);
}

SchedulePtr cosine_restarts(const json& c) {
  const std::string k = "CosineDecayRestarts";
  return std::make_shared<CosineDecayRestarts>(CosineDecayRestartsOptions{
      num(c, "initial_learning_rate", k), num(c, "first_decay_steps", k), num(c, "t_mul", k, 2.0),
      num(c, "m_mul", k, 1.0), num(c, "alpha", k, 0.0), name(c, "SGDRDecay")});
}

registry::Registry<ScheduleFactory>& table() {
  static registry::Registry<ScheduleFactory>& r = []() -> registry::Registry<ScheduleFactory>& {
    auto& reg = registry::make<ScheduleFactory>("learning-rate schedule");
    reg.add("ExponentialDecay", exponential, true);
    reg.add("PiecewiseConstantDecay", piecewise, true);
    reg.add("PolynomialDecay", polynomial, true);
    reg.add("InverseTimeDecay", inverse_time, true);
    reg.add("CosineDecay", cosine, true);
    reg.add("CosineDecayRestarts", cosine_restarts, true);
    return reg;
  }();
  return r;
}

// "keras.optimizers.schedules.ExponentialDecay" or "Custom>MySchedule" -> the class name.
std::string key_of(const std::string& name) {
  const auto cut = name.find_last_of(".>");
  return cut == std::string::npos ? name : name.substr(cut + 1);
}
}  // namespace

json serialize(const LearningRateSchedule& s) {
  const std::string cls = s.class_name();
  json j = registry::serialized("keras.optimizers.schedules", cls, s.get_config());
  if (!is_builtin(cls)) {  // a user class: Keras finds it by registered name
    j["module"] = nullptr;
    j["registered_name"] = cls;
  }
  return j;
}

SchedulePtr deserialize(const json& j) {
  KERAS_CHECK(j.is_object() && j.contains("class_name") && j["class_name"].is_string(), ValueError,
              "Cannot read a learning-rate schedule from ", j.dump().substr(0, 200),
              ": expected {\"class_name\": ..., \"config\": {...}}");
  const std::string cls = j["class_name"].get<std::string>();
  const json c = j.contains("config") && j["config"].is_object() ? j["config"] : json::object();
  // A user class may be saved under its registered name ("package>Name").
  if (j.contains("registered_name") && j["registered_name"].is_string())
    if (auto f = table().find(key_of(j["registered_name"].get<std::string>()))) return (*f)(c);
  if (auto f = table().find(key_of(cls))) return (*f)(c);
  throw ValueError(registry::unknown_message("learning-rate schedule", cls, table().names()));
}

void register_schedule(const std::string& class_name, ScheduleFactory factory, bool replace) {
  table().add_user(key_of(class_name), class_name, std::move(factory), replace);
}

std::vector<std::string> registered_schedules() { return table().names(); }

bool is_builtin(const std::string& class_name) { return table().is_builtin(key_of(class_name)); }

}  // namespace keras::optimizers::schedules
