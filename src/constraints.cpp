// Weight constraints with Keras 3's formulas, names and configs
// (keras/src/constraints/constraints.py), written with keras::ops.
#include "keras/constraints.hpp"

#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/ops.hpp"
#include "keras/registry.hpp"

namespace keras::constraints {

using json = nlohmann::json;

json Constraint::get_config() const { return json::object(); }

namespace {

constexpr double kEpsilon = 1e-7;  // Keras's backend.epsilon()

json axes_json(const Axes& a) { return a.is_list ? json(a.v) : json(a.v.at(0)); }

// sqrt(sum(w^2)) over the axes, kept for broadcasting.
Tensor norms(const Tensor& w, const Axes& a, const char* cls) {
  std::vector<int> axes;
  for (int ax : a.v) {
    const int r = ax < 0 ? ax + w.ndim() : ax;
    KERAS_CHECK(r >= 0 && r < w.ndim(), ValueError, cls, ": axis ", ax, " is out of range for a weight of shape ",
                shape_str(w.shape()));
    axes.push_back(r);
  }
  return ops::sqrt(ops::sum(ops::square(w), axes, true));
}

Tensor scalar_like(double v, const Tensor& x) { return Tensor::scalar(v, float32, x.device()); }

}  // namespace

MaxNorm::MaxNorm(double max_value, Axes axis) : max_value_(max_value), axis_(std::move(axis)) {}

Tensor MaxNorm::operator()(const Tensor& w) const {
  Tensor n = norms(w, axis_, "MaxNorm");
  Tensor desired = ops::clip(n, 0.0, max_value_);
  return w * (desired / (n + kEpsilon));
}

json MaxNorm::get_config() const { return {{"max_value", max_value_}, {"axis", axes_json(axis_)}}; }

MinMaxNorm::MinMaxNorm(double min_value, double max_value, double rate, Axes axis)
    : min_value_(min_value), max_value_(max_value), rate_(rate), axis_(std::move(axis)) {}

Tensor MinMaxNorm::operator()(const Tensor& w) const {
  Tensor n = norms(w, axis_, "MinMaxNorm");
  Tensor desired = ops::clip(n, min_value_, max_value_) * rate_ + n * (1.0 - rate_);
  return w * (desired / (n + kEpsilon));
}

json MinMaxNorm::get_config() const {
  return {{"min_value", min_value_}, {"max_value", max_value_}, {"rate", rate_}, {"axis", axes_json(axis_)}};
}

Tensor NonNeg::operator()(const Tensor& w) const { return ops::maximum(w, scalar_like(0.0, w)); }

UnitNorm::UnitNorm(Axes axis) : axis_(std::move(axis)) {}

Tensor UnitNorm::operator()(const Tensor& w) const { return w / (norms(w, axis_, "UnitNorm") + kEpsilon); }

json UnitNorm::get_config() const { return {{"axis", axes_json(axis_)}}; }

namespace {

double arg(const json& c, const char* key, double fallback, const char* cls) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  KERAS_CHECK(c[key].is_number(), ValueError, cls, ": argument ", key, " must be a number; received ",
              c[key].dump().substr(0, 200));
  return c[key].get<double>();
}

Axes axis_arg(const json& c, const char* cls) {
  if (!c.contains("axis") || c["axis"].is_null()) return 0;
  const json& a = c["axis"];
  if (a.is_number_integer()) return a.get<int>();
  KERAS_CHECK(a.is_array() && !a.empty(), ValueError, cls, ": axis must be an integer or a list of integers; received ",
              a.dump());
  std::vector<int> v;
  for (const json& x : a) {
    KERAS_CHECK(x.is_number_integer(), ValueError, cls, ": axis must be an integer or a list of integers; received ",
                a.dump());
    v.push_back(x.get<int>());
  }
  return Axes(std::move(v));
}

registry::Registry<ConstraintFactory>& table() {
  static registry::Registry<ConstraintFactory>& r = []() -> registry::Registry<ConstraintFactory>& {
    auto& reg = registry::make<ConstraintFactory>("constraint");
    ConstraintFactory max_norm = [](const json& c) {
      return std::make_shared<MaxNorm>(arg(c, "max_value", 2.0, "MaxNorm"), axis_arg(c, "MaxNorm"));
    };
    ConstraintFactory min_max = [](const json& c) {
      const char* k = "MinMaxNorm";
      return std::make_shared<MinMaxNorm>(arg(c, "min_value", 0.0, k), arg(c, "max_value", 1.0, k),
                                          arg(c, "rate", 1.0, k), axis_arg(c, k));
    };
    ConstraintFactory non_neg = [](const json&) { return std::make_shared<NonNeg>(); };
    ConstraintFactory unit = [](const json& c) { return std::make_shared<UnitNorm>(axis_arg(c, "UnitNorm")); };
    for (const char* n : {"MaxNorm", "max_norm"}) reg.add(n, max_norm, true);
    for (const char* n : {"MinMaxNorm", "min_max_norm"}) reg.add(n, min_max, true);
    for (const char* n : {"NonNeg", "non_neg"}) reg.add(n, non_neg, true);
    for (const char* n : {"UnitNorm", "unit_norm"}) reg.add(n, unit, true);
    return reg;
  }();
  return r;
}

std::string key_of(const std::string& name) {
  const auto cut = name.find_last_of(".>");
  return cut == std::string::npos ? name : name.substr(cut + 1);
}

}  // namespace

ConstraintPtr get(const std::string& name) {
  if (auto f = table().find(key_of(name))) return (*f)(json::object());
  throw ValueError(registry::unknown_message("constraint", name, table().names()));
}

ConstraintPtr deserialize(const json& j) {
  if (j.is_null()) return nullptr;
  if (j.is_string()) return get(j.get<std::string>());
  KERAS_CHECK(j.is_object() && j.contains("class_name") && j["class_name"].is_string(), ValueError,
              "Cannot read a constraint from ", j.dump().substr(0, 200),
              ": expected a name or {\"class_name\": ..., \"config\": {...}}");
  const std::string cls = j["class_name"].get<std::string>();
  const json c = j.contains("config") && j["config"].is_object() ? j["config"] : json::object();
  if (j.contains("registered_name") && j["registered_name"].is_string())
    if (auto f = table().find(key_of(j["registered_name"].get<std::string>()))) return (*f)(c);
  if (auto f = table().find(key_of(cls))) return (*f)(c);
  throw ValueError(registry::unknown_message("constraint", cls, table().names()));
}

json serialize(const Constraint& c) {
  const std::string cls = c.class_name();
  json j = registry::serialized("keras.constraints", cls, c.get_config());
  if (!table().is_builtin(cls)) {
    j["module"] = nullptr;
    j["registered_name"] = cls;
  }
  return j;
}

json serialize_or_null(const ConstraintPtr& c) { return c ? serialize(*c) : json(nullptr); }

void register_constraint(const std::string& class_name, ConstraintFactory factory, bool replace) {
  table().add_user(key_of(class_name), class_name, std::move(factory), replace);
}

std::vector<std::string> registered_constraints() { return table().names(); }

}  // namespace keras::constraints
