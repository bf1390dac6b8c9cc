// Weight initializers with Keras 3's semantics, names and configs.
//
// Random draws go through keras::ops::random_* so they follow the global
// seed (keras::random::set_seed) and run on the default device.
#include "keras/initializers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "keras/config.hpp"
#include "keras/errors.hpp"
#include "keras/ops.hpp"
#include "keras/registry.hpp"

namespace keras::initializers {
namespace {

using json = nlohmann::json;

// The random initializers produce floating point values only.
void check_float(const Initializer& init, DType dtype) {
  KERAS_CHECK(is_floating(dtype), TypeError, init.class_name(),
              ": expected a floating dtype, received ", dtype_name(dtype));
}

Tensor to_dtype(Tensor t, DType dtype) { return t.dtype() == dtype ? t : ops::cast(t, dtype); }

}  // namespace

json Initializer::get_config() const { return json::object(); }

std::pair<double, double> compute_fans(const Shape& shape) {
  if (shape.empty()) return {1.0, 1.0};
  if (shape.size() == 1) return {double(shape[0]), double(shape[0])};
  if (shape.size() == 2) return {double(shape[0]), double(shape[1])};
  // Conv kernels (..spatial.., in_channels, out_channels): each output sees
  // in_channels * receptive field inputs.
  double receptive_field = 1;
  for (std::size_t i = 0; i + 2 < shape.size(); ++i) receptive_field *= double(shape[i]);
  return {double(shape[shape.size() - 2]) * receptive_field,
          double(shape[shape.size() - 1]) * receptive_field};
}

// ---- VarianceScaling (glorot / he / lecun) ----

VarianceScaling::VarianceScaling(double scale, std::string mode, std::string distribution,
                                 std::string class_name)
    : scale_(scale), mode_(std::move(mode)), distribution_(std::move(distribution)),
      class_name_(std::move(class_name)) {
  KERAS_CHECK(scale_ > 0, ValueError,
              "VarianceScaling: argument `scale` must be a positive float. Received: scale=",
              scale_);
  KERAS_CHECK(mode_ == "fan_in" || mode_ == "fan_out" || mode_ == "fan_avg", ValueError,
              "VarianceScaling: invalid `mode` argument: expected one of fan_in, fan_out, "
              "fan_avg. Received: mode=",
              mode_);
  std::transform(distribution_.begin(), distribution_.end(), distribution_.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  if (distribution_ == "normal") distribution_ = "truncated_normal";  // as Keras 3
  KERAS_CHECK(distribution_ == "truncated_normal" || distribution_ == "untruncated_normal" ||
                  distribution_ == "uniform",
              ValueError,
              "VarianceScaling: invalid `distribution` argument: expected one of "
              "truncated_normal, untruncated_normal, uniform (or normal). Received: "
              "distribution=",
              distribution_);
}

Tensor VarianceScaling::operator()(const Shape& shape, DType dtype) const {
  check_float(*this, dtype);
  const auto [fan_in, fan_out] = compute_fans(shape);
  double n = mode_ == "fan_in" ? fan_in : mode_ == "fan_out" ? fan_out : (fan_in + fan_out) / 2;
  const double variance = scale_ / std::max(1.0, n);
  Tensor t;
  if (distribution_ == "truncated_normal") {
    // Stddev of a unit normal truncated to [-2, 2]; dividing by it makes the
    // truncated draw's variance come out at `variance`.
    t = ops::truncated_normal(shape, 0.0, std::sqrt(variance) / 0.87962566103423978);
  } else if (distribution_ == "untruncated_normal") {
    t = ops::random_normal(shape, 0.0, std::sqrt(variance));
  } else {
    const double limit = std::sqrt(3.0 * variance);  // U(-l, l) has variance l^2/3
    t = ops::random_uniform(shape, -limit, limit);
  }
  return to_dtype(t, dtype);
}

json VarianceScaling::get_config() const {
  // The named subclasses (GlorotUniform, ...) fix scale/mode/distribution.
  if (class_name_ != "VarianceScaling") return {{"seed", nullptr}};
  return {{"scale", scale_}, {"mode", mode_}, {"distribution", distribution_}, {"seed", nullptr}};
}

InitializerPtr GlorotUniform() {
  return std::make_shared<VarianceScaling>(1.0, "fan_avg", "uniform", "GlorotUniform");
}
InitializerPtr GlorotNormal() {
  return std::make_shared<VarianceScaling>(1.0, "fan_avg", "truncated_normal", "GlorotNormal");
}
InitializerPtr HeUniform() {
  return std::make_shared<VarianceScaling>(2.0, "fan_in", "uniform", "HeUniform");
}
InitializerPtr HeNormal() {
  return std::make_shared<VarianceScaling>(2.0, "fan_in", "truncated_normal", "HeNormal");
}
InitializerPtr LecunUniform() {
  return std::make_shared<VarianceScaling>(1.0, "fan_in", "uniform", "LecunUniform");
}
InitializerPtr LecunNormal() {
  return std::make_shared<VarianceScaling>(1.0, "fan_in", "truncated_normal", "LecunNormal");
}

// ---- constants ----

Constant::Constant(double value, std::string class_name)
    : value_(value), class_name_(std::move(class_name)) {}

Tensor Constant::operator()(const Shape& shape, DType dtype) const {
  return ops::full(shape, value_, dtype);
}

json Constant::get_config() const {
  if (class_name_ != "Constant") return json::object();  // Zeros / Ones
  return {{"value", value_}};
}

InitializerPtr Zeros() { return std::make_shared<Constant>(0.0, "Zeros"); }
InitializerPtr Ones() { return std::make_shared<Constant>(1.0, "Ones"); }

// ---- plain random ----

RandomNormal::RandomNormal(double mean, double stddev) : mean_(mean), stddev_(stddev) {
  KERAS_CHECK(stddev_ >= 0, ValueError, "RandomNormal: expected stddev >= 0. Received: stddev=",
              stddev_);
}
Tensor RandomNormal::operator()(const Shape& shape, DType dtype) const {
  check_float(*this, dtype);
  return to_dtype(ops::random_normal(shape, mean_, stddev_), dtype);
}
json RandomNormal::get_config() const {
  return {{"mean", mean_}, {"stddev", stddev_}, {"seed", nullptr}};
}

RandomUniform::RandomUniform(double minval, double maxval) : minval_(minval), maxval_(maxval) {
  KERAS_CHECK(minval_ <= maxval_, ValueError,
              "RandomUniform: expected minval <= maxval. Received: minval=", minval_,
              ", maxval=", maxval_);
}
Tensor RandomUniform::operator()(const Shape& shape, DType dtype) const {
  check_float(*this, dtype);
  return to_dtype(ops::random_uniform(shape, minval_, maxval_), dtype);
}
json RandomUniform::get_config() const {
  return {{"minval", minval_}, {"maxval", maxval_}, {"seed", nullptr}};
}

TruncatedNormal::TruncatedNormal(double mean, double stddev) : mean_(mean), stddev_(stddev) {
  KERAS_CHECK(stddev_ >= 0, ValueError,
              "TruncatedNormal: expected stddev >= 0. Received: stddev=", stddev_);
}
Tensor TruncatedNormal::operator()(const Shape& shape, DType dtype) const {
  check_float(*this, dtype);
  return to_dtype(ops::truncated_normal(shape, mean_, stddev_), dtype);
}
json TruncatedNormal::get_config() const {
  return {{"mean", mean_}, {"stddev", stddev_}, {"seed", nullptr}};
}

// ---- Orthogonal / Identity ----

Orthogonal::Orthogonal(double gain) : gain_(gain) {}

Tensor Orthogonal::operator()(const Shape& shape, DType dtype) const {
  check_float(*this, dtype);
  KERAS_CHECK(shape.size() >= 2, ValueError,
              "OrthogonalInitializer: the tensor to initialize must be at least "
              "two-dimensional. Received: shape=",
              shape_str(shape), " of rank ", shape.size());
  const std::int64_t cols = shape.back();
  const std::int64_t rows = shape_size(shape) / std::max<std::int64_t>(cols, 1);
  const std::int64_t m = std::max(rows, cols), n = std::min(rows, cols);
  std::vector<float> a = ops::random_normal({m, n}).to_vector<float>();

  // Q of a = QR by modified Gram-Schmidt (run twice per column for accuracy)
  // in double. Its R has a positive diagonal, which is what Keras's
  // q * sign(diag(r)) normalization produces. Columns are stored
  // contiguously (q[j*m + i]) so each dot product reads memory in order.
  std::vector<double> q(static_cast<std::size_t>(m * n));
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) q[j * m + i] = a[i * n + j];
  for (std::int64_t j = 0; j < n; ++j) {
    double* qj = &q[j * m];
    for (int pass = 0; pass < 2; ++pass)
      for (std::int64_t k = 0; k < j; ++k) {
        const double* qk = &q[k * m];
        double dot = 0;
        for (std::int64_t i = 0; i < m; ++i) dot += qk[i] * qj[i];
        for (std::int64_t i = 0; i < m; ++i) qj[i] -= dot * qk[i];
      }
    double norm = 0;
    for (std::int64_t i = 0; i < m; ++i) norm += qj[i] * qj[i];
    norm = std::sqrt(norm);
    KERAS_ASSERT(norm > 0);  // a normal sample is full rank with probability 1
    for (std::int64_t i = 0; i < m; ++i) qj[i] /= norm;
  }
  // (rows, cols) = q, or q transposed when the matrix is wide.
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = float(gain_ * (rows >= cols ? q[c * m + r] : q[r * m + c]));
  return to_dtype(Tensor(shape, out).to(config::device()), dtype);
}

json Orthogonal::get_config() const { return {{"gain", gain_}, {"seed", nullptr}}; }

Identity::Identity(double gain) : gain_(gain) {}

Tensor Identity::operator()(const Shape& shape, DType dtype) const {
  KERAS_CHECK(shape.size() == 2, ValueError,
              "IdentityInitializer: the identity matrix initializer can only be used for 2D "
              "matrices. Received: shape=",
              shape_str(shape), " of rank ", shape.size());
  std::vector<float> out(static_cast<std::size_t>(shape_size(shape)), 0.0f);
  for (std::int64_t i = 0; i < std::min(shape[0], shape[1]); ++i)
    out[i * shape[1] + i] = float(gain_);
  return to_dtype(Tensor(shape, out).to(config::device()), dtype);
}

json Identity::get_config() const { return {{"gain", gain_}}; }

// ---- lookup by name / config ----

namespace {

// Builds an initializer from Keras's config dict (missing keys: defaults).
using Factory = InitializerFactory;

double num(const json& c, const char* key, double dflt) {
  return c.contains(key) && c[key].is_number() ? c[key].get<double>() : dflt;
}
std::string str(const json& c, const char* key, const char* dflt) {
  return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : dflt;
}

// Snake-case names; CamelCase forms are derived, aliases listed separately.
registry::Registry<Factory>& table() {
  static registry::Registry<Factory>& r = [] () -> registry::Registry<Factory>& {
  auto& reg = registry::make<Factory>("initializer");
  const std::pair<const char*, Factory> builtins[] = {
      {"glorot_uniform", [](const json&) { return GlorotUniform(); }},
      {"glorot_normal", [](const json&) { return GlorotNormal(); }},
      {"he_uniform", [](const json&) { return HeUniform(); }},
      {"he_normal", [](const json&) { return HeNormal(); }},
      {"lecun_uniform", [](const json&) { return LecunUniform(); }},
      {"lecun_normal", [](const json&) { return LecunNormal(); }},
      {"zeros", [](const json&) { return Zeros(); }},
      {"ones", [](const json&) { return Ones(); }},
      {"constant",
       [](const json& c) { return std::make_shared<Constant>(num(c, "value", 0.0)); }},
      {"random_normal",
       [](const json& c) {
         return std::make_shared<RandomNormal>(num(c, "mean", 0.0), num(c, "stddev", 0.05));
       }},
      {"random_uniform",
       [](const json& c) {
         return std::make_shared<RandomUniform>(num(c, "minval", -0.05), num(c, "maxval", 0.05));
       }},
      {"truncated_normal",
       [](const json& c) {
         return std::make_shared<TruncatedNormal>(num(c, "mean", 0.0), num(c, "stddev", 0.05));
       }},
      {"variance_scaling",
       [](const json& c) {
         return std::make_shared<VarianceScaling>(num(c, "scale", 1.0),
                                                  str(c, "mode", "fan_in"),
                                                  str(c, "distribution", "truncated_normal"));
       }},
      {"orthogonal",
       [](const json& c) { return std::make_shared<Orthogonal>(num(c, "gain", 1.0)); }},
      {"identity", [](const json& c) { return std::make_shared<Identity>(num(c, "gain", 1.0)); }},
  };
  for (const auto& [name, f] : builtins) reg.add(name, f, /*builtin=*/true);
  return reg;
  }();
  return r;
}

// Keras's extra spellings.
const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> a = {
      {"zero", "zeros"},           {"one", "ones"},
      {"normal", "random_normal"}, {"uniform", "random_uniform"},
      {"OrthogonalInitializer", "orthogonal"}, {"IdentityInitializer", "identity"},
  };
  return a;
}

// "GlorotUniform" -> "glorot_uniform".
std::string to_snake(const std::string& name) {
  std::string s;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (i > 0) s += '_';
      s += char(std::tolower(static_cast<unsigned char>(c)));
    } else {
      s += c;
    }
  }
  return s;
}

Factory find(const std::string& name) {
  std::string key = name;
  if (auto a = aliases().find(key); a != aliases().end()) key = a->second;
  if (auto f = table().find(key)) return *f;
  // Only genuine CamelCase falls back to conversion ("Glorot_Uniform" does not).
  if (!name.empty() && std::isupper(static_cast<unsigned char>(name[0])) && name.find('_') == std::string::npos)
    if (auto f = table().find(to_snake(name))) return *f;
  return table().at(name);  // raises with the closest names
}

}  // namespace

InitializerPtr get(const std::string& name) { return find(name)(json::object()); }

void register_initializer(const std::string& class_name, InitializerFactory factory, bool replace) {
  if (table().is_builtin(to_snake(class_name))) registry::throw_builtin("initializer", class_name);
  table().add_user(class_name, class_name, std::move(factory), replace);
}

std::vector<std::string> registered_initializers() { return table().names(); }

json serialize(const Initializer& init) {
  return registry::serialized("keras.initializers", init.class_name(), init.get_config());
}

InitializerPtr deserialize(const json& config) {
  if (config.is_string()) return get(config.get<std::string>());
  KERAS_CHECK(config.is_object() && config.contains("class_name") &&
                  config["class_name"].is_string(),
              ValueError,
              "initializers::deserialize: expected a name or {\"class_name\": ..., \"config\": "
              "{...}}. Received: ",
              config.dump());
  const json inner = config.contains("config") && config["config"].is_object()
                         ? config["config"]
                         : json::object();
  return find(config["class_name"].get<std::string>())(inner);
}

}  // namespace keras::initializers
