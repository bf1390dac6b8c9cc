// Weight regularizers with Keras 3's formulas, names and configs
// (keras/src/regularizers/regularizers.py), written with keras::ops.
#include "keras/regularizers.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/ops.hpp"
#include "keras/registry.hpp"

namespace keras::regularizers {

using json = nlohmann::json;

json Regularizer::get_config() const { return json::object(); }

namespace {

// Keras's validate_float_arg: a finite number >= 0.
double checked(double v, const char* cls, const char* arg) {
  KERAS_CHECK(std::isfinite(v) && v >= 0, ValueError, cls, ": invalid value for argument ", arg,
              ": expected a non-negative float. Received: ", arg, "=", v);
  return v;
}

// Keras keeps L1's and OrthogonalRegularizer's factor as a float32 tensor,
// so their configs carry the float32 value.
double as_float32(double v) { return static_cast<double>(static_cast<float>(v)); }

Tensor scalar_like(double v, const Tensor& x) { return Tensor::scalar(v, float32, x.device()); }

}  // namespace

L1::L1(double l1) : l1_(checked(l1, "L1", "l1")) {}
Tensor L1::operator()(const Tensor& x) const { return ops::sum(ops::abs(x)) * l1_; }
json L1::get_config() const { return {{"l1", as_float32(l1_)}}; }

L2::L2(double l2) : l2_(checked(l2, "L2", "l2")) {}
Tensor L2::operator()(const Tensor& x) const { return ops::sum(ops::square(x)) * l2_; }
json L2::get_config() const { return {{"l2", l2_}}; }

L1L2::L1L2(double l1, double l2) : l1_(checked(l1, "L1L2", "l1")), l2_(checked(l2, "L1L2", "l2")) {}
Tensor L1L2::operator()(const Tensor& x) const {
  Tensor r;
  if (l1_ != 0.0) r = ops::sum(ops::abs(x)) * l1_;
  if (l2_ != 0.0) {
    Tensor p = ops::sum(ops::square(x)) * l2_;
    r = r.defined() ? r + p : p;
  }
  return r.defined() ? r : scalar_like(0.0, x);
}
json L1L2::get_config() const { return {{"l1", l1_}, {"l2", l2_}}; }

OrthogonalRegularizer::OrthogonalRegularizer(double factor, std::string mode)
    : factor_(checked(factor, "OrthogonalRegularizer", "factor")), mode_(std::move(mode)) {
  KERAS_CHECK(mode_ == "rows" || mode_ == "columns", ValueError,
              "OrthogonalRegularizer: invalid value for argument `mode`. Expected one of {\"rows\", \"columns\"}. "
              "Received: mode=",
              mode_);
}

Tensor OrthogonalRegularizer::operator()(const Tensor& x) const {
  KERAS_CHECK(x.ndim() == 2, ValueError, "Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape=",
              shape_str(x.shape()));
  const bool rows = mode_ == "rows";
  const int axis = rows ? 1 : 0;
  // L2-normalize each row (column) as Keras's normalize: x * min(rsqrt(sum x^2), 1/eps).
  Tensor inv = ops::minimum(ops::rsqrt(ops::sum(ops::square(x), {axis}, true)), scalar_like(1e7, x));
  Tensor n = x * inv;
  Tensor product = rows ? ops::matmul(n, ops::transpose(n)) : ops::matmul(ops::transpose(n), n);
  const std::int64_t size = x.shape()[rows ? 0 : 1];
  // Zero the diagonal: multiply by (1 - eye).
  std::vector<float> off(static_cast<std::size_t>(size * size), 1.0f);
  for (std::int64_t i = 0; i < size; ++i) off[static_cast<std::size_t>(i * size + i)] = 0.0f;
  Tensor mask = Tensor({size, size}, off).to(x.device());
  const double pairs = static_cast<double>(size) * (static_cast<double>(size) - 1.0) / 2.0;
  return ops::sum(ops::abs(product * mask)) * (as_float32(factor_) * 0.5 / pairs);
}

json OrthogonalRegularizer::get_config() const { return {{"factor", as_float32(factor_)}, {"mode", mode_}}; }

namespace {

double arg(const json& c, const char* key, double fallback, const char* cls) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  KERAS_CHECK(c[key].is_number(), ValueError, cls, ": argument ", key, " must be a number; received ",
              c[key].dump().substr(0, 200));
  return c[key].get<double>();
}

registry::Registry<RegularizerFactory>& table() {
  static registry::Registry<RegularizerFactory>& r = []() -> registry::Registry<RegularizerFactory>& {
    auto& reg = registry::make<RegularizerFactory>("regularizer");
    RegularizerFactory l1 = [](const json& c) { return std::make_shared<L1>(arg(c, "l1", 0.01, "L1")); };
    RegularizerFactory l2 = [](const json& c) { return std::make_shared<L2>(arg(c, "l2", 0.01, "L2")); };
    RegularizerFactory l1l2 = [](const json& c) {
      return std::make_shared<L1L2>(arg(c, "l1", 0.0, "L1L2"), arg(c, "l2", 0.0, "L1L2"));
    };
    RegularizerFactory orth = [](const json& c) {
      KERAS_CHECK(!c.contains("mode") || c["mode"].is_string(), ValueError,
                  "OrthogonalRegularizer: argument mode must be \"rows\" or \"columns\"; received ", c["mode"].dump());
      return std::make_shared<OrthogonalRegularizer>(arg(c, "factor", 0.01, "OrthogonalRegularizer"),
                                                     c.value("mode", std::string("rows")));
    };
    // Keras's names: the class names and their snake_case forms (tf.keras 2 also knew l1_l2).
    for (const char* n : {"L1", "l1"}) reg.add(n, l1, true);
    for (const char* n : {"L2", "l2"}) reg.add(n, l2, true);
    for (const char* n : {"L1L2", "l1l2", "l1_l2"}) reg.add(n, l1l2, true);
    for (const char* n : {"OrthogonalRegularizer", "orthogonal_regularizer"}) reg.add(n, orth, true);
    return reg;
  }();
  return r;
}

// "keras.regularizers.L2" or "Custom>L2" -> "L2".
std::string key_of(const std::string& name) {
  const auto cut = name.find_last_of(".>");
  return cut == std::string::npos ? name : name.substr(cut + 1);
}

}  // namespace

RegularizerPtr get(const std::string& name) {
  if (auto f = table().find(key_of(name))) return (*f)(json::object());
  throw ValueError(registry::unknown_message("regularizer", name, table().names()));
}

RegularizerPtr deserialize(const json& j) {
  if (j.is_null()) return nullptr;
  if (j.is_string()) return get(j.get<std::string>());
  KERAS_CHECK(j.is_object() && j.contains("class_name") && j["class_name"].is_string(), ValueError,
              "Cannot read a regularizer from ", j.dump().substr(0, 200),
              ": expected a name or {\"class_name\": ..., \"config\": {...}}");
  const std::string cls = j["class_name"].get<std::string>();
  const json c = j.contains("config") && j["config"].is_object() ? j["config"] : json::object();
  if (j.contains("registered_name") && j["registered_name"].is_string())
    if (auto f = table().find(key_of(j["registered_name"].get<std::string>()))) return (*f)(c);
  if (auto f = table().find(key_of(cls))) return (*f)(c);
  throw ValueError(registry::unknown_message("regularizer", cls, table().names()));
}

json serialize(const Regularizer& r) {
  const std::string cls = r.class_name();
  json j = registry::serialized("keras.regularizers", cls, r.get_config());
  if (!table().is_builtin(cls)) {
    j["module"] = nullptr;
    j["registered_name"] = cls;
  }
  return j;
}

json serialize_or_null(const RegularizerPtr& r) { return r ? serialize(*r) : json(nullptr); }

void register_regularizer(const std::string& class_name, RegularizerFactory factory, bool replace) {
  table().add_user(key_of(class_name), class_name, std::move(factory), replace);
}

std::vector<std::string> registered_regularizers() { return table().names(); }

}  // namespace keras::regularizers
