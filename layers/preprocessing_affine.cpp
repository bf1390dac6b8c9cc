// RandomRotation, RandomZoom and RandomTranslation: Keras 3's affine
// matrices, sampled with ops::image::affine_transform.
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/ops.hpp"
#include "keras/ops_image.hpp"
#include "layers/preprocessing_util.hpp"

namespace keras::layers {

using namespace preprocessing;

namespace {

void check_affine(const AffineOptions& o, const std::string& layer) {
  const auto& f = o.fill_mode;
  KERAS_CHECK(f == "reflect" || f == "wrap" || f == "constant" || f == "nearest", ValueError, "Layer \"", layer,
              "\": unknown fill_mode \"", f, "\"; expected one of \"reflect\", \"wrap\", \"constant\", \"nearest\"");
  KERAS_CHECK(o.interpolation == "bilinear" || o.interpolation == "nearest", ValueError, "Layer \"", layer,
              "\": unknown interpolation \"", o.interpolation, "\"; expected \"nearest\" or \"bilinear\"");
}

// A factor whose numbers must each lie in [lo, hi] (hi_open: (lo, hi] for
// RandomZoom); a number f gives (-|f|, |f|).
Factor ranged_factor(const FactorArg& f, double lo, double hi, bool lo_open, const std::string& layer,
                     const char* arg) {
  const auto& v = f.values;
  std::string got;
  for (double d : v) got += (got.empty() ? "" : ", ") + std::to_string(d);
  KERAS_CHECK(v.size() == 1 || v.size() == 2, ValueError, "Layer \"", layer, "\": ", arg,
              " should be a number or a list of two numbers; received (", got, ")");
  for (double d : v)
    KERAS_CHECK((lo_open ? d > lo : d >= lo) && d <= hi, ValueError, "Layer \"", layer, "\": ", arg,
                " should be a number (or a list of two numbers) in the range ", lo_open ? "(" : "[", lo, ", ", hi,
                "]. Received: ", arg, "=(", got, ")");
  Factor r;
  r.given = v;
  r.lower = v.size() == 2 ? std::min(v[0], v[1]) : -std::fabs(v[0]);
  r.upper = v.size() == 2 ? std::max(v[0], v[1]) : std::fabs(v[0]);
  return r;
}

nlohmann::json given_json(const Factor& f) {
  if (f.given.size() == 1) return f.given[0];
  return f.given;
}

nlohmann::json affine_config(nlohmann::json c, const AffineOptions& o) {
  c["data_format"] = "channels_last";
  c["fill_mode"] = o.fill_mode;
  c["fill_value"] = o.fill_value;
  c["interpolation"] = o.interpolation;
  c["seed"] = o.seed ? nlohmann::json(*o.seed) : nlohmann::json();
  return c;
}

std::int64_t images_of(const Tensor& x) { return x.ndim() == 4 ? x.shape(0) : 1; }

Tensor apply(const Tensor& x, const std::vector<ops::image::AffineTransform>& t, const AffineOptions& o) {
  return ops::image::affine_transform(as_float(x), t, o.interpolation, o.fill_mode, o.fill_value);
}

}  // namespace

// ---------------------------------------------------------- RandomRotation

RandomRotation::RandomRotation(FactorArg factor, AffineOptions o)
    : Layer(o.name.empty() ? unique_name("random_rotation") : o.name), o_(std::move(o)), rng_(o_.seed) {
  factor_ = make_bounded_factor(factor, -1.0, 1.0, name_);
  check_affine(o_, name_);
}

std::array<float, 8> RandomRotation::rotation_matrix(double degrees, std::int64_t h, std::int64_t w) {
  const double a = degrees * (3.14159265358979323846 / 180.0);
  const double cx = 0.5 * static_cast<double>(w - 1), cy = 0.5 * static_cast<double>(h - 1);
  const double c = std::cos(a), s = std::sin(a);
  const double a0 = c, a1 = -s, b0 = s, b1 = c;
  const double a2 = cx - cx * a0 - cy * a1, b2 = cy - cx * b0 - cy * b1;
  return {static_cast<float>(a0), static_cast<float>(a1), static_cast<float>(a2), static_cast<float>(b0),
          static_cast<float>(b1), static_cast<float>(b2), 0.0f, 0.0f};
}

Tensor RandomRotation::call(const Tensor& x, bool training) {
  check_image(x, name_);
  if (!training) return x;
  const int ha = x.ndim() - 3;
  const auto n = static_cast<std::size_t>(images_of(x));
  const auto deg = uniform_draws(rng_.next(), n, factor_.lower * 360.0, factor_.upper * 360.0);
  std::vector<ops::image::AffineTransform> t;
  for (double d : deg) t.push_back(rotation_matrix(d, x.shape(ha), x.shape(ha + 1)));
  return apply(x, t, o_);
}

nlohmann::json RandomRotation::get_config() const {
  auto c = Layer::get_config();
  c["factor"] = {factor_.lower, factor_.upper};
  return affine_config(c, o_);
}

// -------------------------------------------------------------- RandomZoom

RandomZoom::RandomZoom(FactorArg height_factor, std::optional<FactorArg> width_factor, AffineOptions o)
    : Layer(o.name.empty() ? unique_name("random_zoom") : o.name),
      has_width_(width_factor.has_value()),
      o_(std::move(o)),
      rng_(o_.seed) {
  height_ = ranged_factor(height_factor, -1.0, 1.0, true, name_, "height_factor");
  if (width_factor) width_ = ranged_factor(*width_factor, -1.0, 1.0, true, name_, "width_factor");
  check_affine(o_, name_);
}

std::array<float, 8> RandomZoom::zoom_matrix(double zoom_h, double zoom_w, std::int64_t h, std::int64_t w) {
  const auto zw = static_cast<float>(zoom_w), zh = static_cast<float>(zoom_h);
  const float xo = (static_cast<float>(w) - 1.0f) / 2.0f * (1.0f - zw);
  const float yo = (static_cast<float>(h) - 1.0f) / 2.0f * (1.0f - zh);
  return {zw, 0.0f, xo, 0.0f, zh, yo, 0.0f, 0.0f};
}

Tensor RandomZoom::call(const Tensor& x, bool training) {
  check_image(x, name_);
  if (!training) return x;
  const int ha = x.ndim() - 3;
  const auto n = static_cast<std::size_t>(images_of(x));
  const std::uint64_t seed = rng_.next();
  const auto zh = uniform_draws(seed, n, 1.0 + height_.lower, 1.0 + height_.upper);
  const auto zw = has_width_ ? uniform_draws(seed ^ 0x5bd1e995ULL, n, 1.0 + width_.lower, 1.0 + width_.upper) : zh;
  std::vector<ops::image::AffineTransform> t;
  for (std::size_t i = 0; i < n; ++i) t.push_back(zoom_matrix(zh[i], zw[i], x.shape(ha), x.shape(ha + 1)));
  return apply(x, t, o_);
}

nlohmann::json RandomZoom::get_config() const {
  auto c = Layer::get_config();
  c["height_factor"] = given_json(height_);
  c["width_factor"] = has_width_ ? given_json(width_) : nlohmann::json();
  return affine_config(c, o_);
}

// ------------------------------------------------------- RandomTranslation

RandomTranslation::RandomTranslation(FactorArg height_factor, FactorArg width_factor, AffineOptions o)
    : Layer(o.name.empty() ? unique_name("random_translation") : o.name), o_(std::move(o)), rng_(o_.seed) {
  height_ = ranged_factor(height_factor, -1.0, 1.0, false, name_, "height_factor");
  width_ = ranged_factor(width_factor, -1.0, 1.0, false, name_, "width_factor");
  check_affine(o_, name_);
}

std::array<float, 8> RandomTranslation::translation_matrix(double dy, double dx) {
  return {1.0f, 0.0f, -static_cast<float>(dx), 0.0f, 1.0f, -static_cast<float>(dy), 0.0f, 0.0f};
}

Tensor RandomTranslation::call(const Tensor& x, bool training) {
  check_image(x, name_);
  if (!training) return x;
  const int ha = x.ndim() - 3;
  const auto n = static_cast<std::size_t>(images_of(x));
  const std::uint64_t seed = rng_.next();
  const auto dy = uniform_draws(seed, n, height_.lower, height_.upper);
  const auto dx = uniform_draws(seed ^ 0x5bd1e995ULL, n, width_.lower, width_.upper);
  std::vector<ops::image::AffineTransform> t;
  for (std::size_t i = 0; i < n; ++i)
    t.push_back(translation_matrix(static_cast<float>(dy[i]) * static_cast<float>(x.shape(ha)),
                                   static_cast<float>(dx[i]) * static_cast<float>(x.shape(ha + 1))));
  return apply(x, t, o_);
}

nlohmann::json RandomTranslation::get_config() const {
  auto c = Layer::get_config();
  c["height_factor"] = given_json(height_);
  c["width_factor"] = given_json(width_);
  return affine_config(c, o_);
}

}  // namespace keras::layers
