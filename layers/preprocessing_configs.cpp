// from_config factories for the preprocessing layers, reading the configs
// Keras 3 and tf.keras 2 write (and get_config writes).
#include <functional>
#include <nlohmann/json.hpp>

#include "keras/layers/preprocessing.hpp"
#include "keras/layers/registry.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {
namespace {

using saving::json;

template <class L>
std::shared_ptr<Layer> finish(std::shared_ptr<L> layer, const json& c) {
  saving::apply_common(*layer, c);
  return layer;
}

[[noreturn]] void bad(const json& c, const char* cls, const char* key, const char* expected) {
  throw ValueError("Layer \"" + saving::name_of(c) + "\" (" + std::string(cls) + "): expected " + expected + " \"" +
                   key + "\" in the config, received " + (c.contains(key) ? c[key].dump() : std::string("none")));
}

double number(const json& c, const char* key, const char* cls, std::optional<double> fallback = std::nullopt) {
  if ((!c.contains(key) || c[key].is_null()) && fallback) return *fallback;
  if (!c.contains(key) || !c[key].is_number()) bad(c, cls, key, "a number");
  return c[key].get<double>();
}

int integer(const json& c, const char* key, const char* cls) {
  if (!c.contains(key) || !c[key].is_number_integer()) bad(c, cls, key, "an integer");
  return c[key].get<int>();
}

std::string text(const json& c, const char* key, const char* cls, const char* fallback) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  if (!c[key].is_string()) bad(c, cls, key, "a string");
  return c[key].get<std::string>();
}

std::optional<std::int64_t> seed_of(const json& c) {
  if (c.contains("seed") && c["seed"].is_number_integer()) return c["seed"].get<std::int64_t>();
  return std::nullopt;
}

FactorArg factor(const json& c, const char* key, const char* cls) {
  if (c.contains(key) && c[key].is_number()) return FactorArg(c[key].get<double>());
  if (c.contains(key) && c[key].is_array() && c[key].size() == 2 && c[key][0].is_number() && c[key][1].is_number())
    return FactorArg(c[key][0].get<double>(), c[key][1].get<double>());
  bad(c, cls, key, "a number or a list of two numbers");
}

std::array<double, 2> value_range(const json& c, const char* cls) {
  if (!c.contains("value_range") || c["value_range"].is_null()) return {0, 255};
  const json& v = c["value_range"];
  if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
    bad(c, cls, "value_range", "a list of two numbers");
  return {v[0].get<double>(), v[1].get<double>()};
}

// A number or a (nested) list of numbers, flattened.
std::optional<std::vector<float>> floats(const json& c, const char* key, const char* cls) {
  if (!c.contains(key) || c[key].is_null()) return std::nullopt;
  std::vector<float> out;
  std::function<void(const json&)> walk = [&](const json& j) {
    if (j.is_number()) {
      out.push_back(j.get<float>());
    } else if (j.is_array()) {
      for (const auto& e : j) walk(e);
    } else {
      bad(c, cls, key, "numbers");
    }
  };
  walk(c[key]);
  return out;
}

void check_channels_last(const json& c, const char* cls) {
  if (c.contains("data_format") && !c["data_format"].is_null() && c["data_format"] != "channels_last")
    saving::throw_unsupported(c, cls, "data_format");
}

AffineOptions affine(const json& c, const char* cls) {
  check_channels_last(c, cls);
  AffineOptions o;
  o.name = saving::name_of(c);
  o.fill_mode = text(c, "fill_mode", cls, "reflect");
  o.interpolation = text(c, "interpolation", cls, "bilinear");
  o.fill_value = number(c, "fill_value", cls, 0.0);
  o.seed = seed_of(c);
  return o;
}

std::shared_ptr<Layer> rescaling(const json& c) {
  return finish(std::make_shared<Rescaling>(number(c, "scale", "Rescaling"), number(c, "offset", "Rescaling", 0.0),
                                            saving::name_of(c)),
                c);
}

std::shared_ptr<Layer> normalization(const json& c) {
  NormalizationOptions o;
  o.name = saving::name_of(c);
  if (c.contains("axis")) {
    const json& a = c["axis"];
    if (a.is_null()) {
      o.axis = {};
    } else if (a.is_number_integer()) {
      o.axis = {a.get<int>()};
    } else if (a.is_array()) {
      o.axis = a.get<std::vector<int>>();
    } else {
      bad(c, "Normalization", "axis", "an integer, a list of integers or null");
    }
  }
  o.mean = floats(c, "mean", "Normalization");
  o.variance = floats(c, "variance", "Normalization");
  o.invert = saving::value_or(c, "invert", false);
  return finish(std::make_shared<Normalization>(o), c);
}

std::shared_ptr<Layer> discretization(const json& c) {
  DiscretizationOptions o;
  o.name = saving::name_of(c);
  o.bin_boundaries = floats(c, "bin_boundaries", "Discretization");
  if (c.contains("num_bins") && !c["num_bins"].is_null()) o.num_bins = integer(c, "num_bins", "Discretization");
  o.epsilon = number(c, "epsilon", "Discretization", 0.01);
  o.output_mode = text(c, "output_mode", "Discretization", "int");
  if (saving::value_or(c, "sparse", false)) saving::throw_unsupported(c, "Discretization", "sparse");
  return finish(std::make_shared<Discretization>(o), c);
}

std::shared_ptr<Layer> category_encoding(const json& c) {
  if (saving::value_or(c, "sparse", false)) saving::throw_unsupported(c, "CategoryEncoding", "sparse");
  return finish(std::make_shared<CategoryEncoding>(integer(c, "num_tokens", "CategoryEncoding"),
                                                   text(c, "output_mode", "CategoryEncoding", "multi_hot"),
                                                   saving::name_of(c)),
                c);
}

std::shared_ptr<Layer> hashing(const json& c) {
  HashingOptions o;
  o.name = saving::name_of(c);
  o.num_bins = integer(c, "num_bins", "Hashing");
  if (c.contains("mask_value") && !c["mask_value"].is_null()) {
    if (!c["mask_value"].is_number_integer()) bad(c, "Hashing", "mask_value", "an integer (string masks are not supported)");
    o.mask_value = c["mask_value"].get<std::int64_t>();
  }
  if (c.contains("salt") && !c["salt"].is_null()) {
    const json& s = c["salt"];
    if (s.is_number_integer()) {
      o.salt = std::array<std::int64_t, 2>{s.get<std::int64_t>(), s.get<std::int64_t>()};
    } else if (s.is_array() && s.size() == 2 && s[0].is_number_integer() && s[1].is_number_integer()) {
      o.salt = std::array<std::int64_t, 2>{s[0].get<std::int64_t>(), s[1].get<std::int64_t>()};
    } else {
      bad(c, "Hashing", "salt", "an integer or a list of two integers");
    }
  }
  o.output_mode = text(c, "output_mode", "Hashing", "int");
  if (saving::value_or(c, "sparse", false)) saving::throw_unsupported(c, "Hashing", "sparse");
  return finish(std::make_shared<Hashing>(o), c);
}

std::shared_ptr<Layer> resizing(const json& c) {
  check_channels_last(c, "Resizing");
  ResizingOptions o;
  o.name = saving::name_of(c);
  o.height = integer(c, "height", "Resizing");
  o.width = integer(c, "width", "Resizing");
  o.interpolation = text(c, "interpolation", "Resizing", "bilinear");
  o.crop_to_aspect_ratio = saving::value_or(c, "crop_to_aspect_ratio", false);
  o.pad_to_aspect_ratio = saving::value_or(c, "pad_to_aspect_ratio", false);
  if (text(c, "fill_mode", "Resizing", "constant") != "constant") saving::throw_unsupported(c, "Resizing", "fill_mode");
  o.fill_value = number(c, "fill_value", "Resizing", 0.0);
  o.antialias = saving::value_or(c, "antialias", false);
  return finish(std::make_shared<Resizing>(o), c);
}

std::shared_ptr<Layer> center_crop(const json& c) {
  check_channels_last(c, "CenterCrop");
  return finish(std::make_shared<CenterCrop>(integer(c, "height", "CenterCrop"), integer(c, "width", "CenterCrop"),
                                             saving::name_of(c)),
                c);
}

std::shared_ptr<Layer> random_crop(const json& c) {
  check_channels_last(c, "RandomCrop");
  return finish(std::make_shared<RandomCrop>(integer(c, "height", "RandomCrop"), integer(c, "width", "RandomCrop"),
                                             seed_of(c), saving::name_of(c)),
                c);
}

std::shared_ptr<Layer> random_flip(const json& c) {
  check_channels_last(c, "RandomFlip");
  RandomFlipOptions o;
  o.name = saving::name_of(c);
  o.mode = text(c, "mode", "RandomFlip", "horizontal_and_vertical");
  o.seed = seed_of(c);
  return finish(std::make_shared<RandomFlip>(o), c);
}

std::shared_ptr<Layer> random_rotation(const json& c) {
  return finish(std::make_shared<RandomRotation>(factor(c, "factor", "RandomRotation"), affine(c, "RandomRotation")),
                c);
}

std::shared_ptr<Layer> random_zoom(const json& c) {
  std::optional<FactorArg> w;
  if (c.contains("width_factor") && !c["width_factor"].is_null()) w = factor(c, "width_factor", "RandomZoom");
  return finish(std::make_shared<RandomZoom>(factor(c, "height_factor", "RandomZoom"), w, affine(c, "RandomZoom")), c);
}

std::shared_ptr<Layer> random_translation(const json& c) {
  return finish(std::make_shared<RandomTranslation>(factor(c, "height_factor", "RandomTranslation"),
                                                    factor(c, "width_factor", "RandomTranslation"),
                                                    affine(c, "RandomTranslation")),
                c);
}

std::shared_ptr<Layer> random_contrast(const json& c) {
  check_channels_last(c, "RandomContrast");
  return finish(std::make_shared<RandomContrast>(factor(c, "factor", "RandomContrast"),
                                                 value_range(c, "RandomContrast"), seed_of(c), saving::name_of(c)),
                c);
}

std::shared_ptr<Layer> random_brightness(const json& c) {
  check_channels_last(c, "RandomBrightness");
  return finish(std::make_shared<RandomBrightness>(factor(c, "factor", "RandomBrightness"),
                                                   value_range(c, "RandomBrightness"), seed_of(c), saving::name_of(c)),
                c);
}

}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(Rescaling, rescaling);
KERAS_REGISTER_BUILTIN_LAYER(Normalization, normalization);
KERAS_REGISTER_BUILTIN_LAYER(Discretization, discretization);
KERAS_REGISTER_BUILTIN_LAYER(CategoryEncoding, category_encoding);
KERAS_REGISTER_BUILTIN_LAYER(Hashing, hashing);
KERAS_REGISTER_BUILTIN_LAYER(Resizing, resizing);
KERAS_REGISTER_BUILTIN_LAYER(CenterCrop, center_crop);
KERAS_REGISTER_BUILTIN_LAYER(RandomCrop, random_crop);
KERAS_REGISTER_BUILTIN_LAYER(RandomFlip, random_flip);
KERAS_REGISTER_BUILTIN_LAYER(RandomRotation, random_rotation);
KERAS_REGISTER_BUILTIN_LAYER(RandomZoom, random_zoom);
KERAS_REGISTER_BUILTIN_LAYER(RandomTranslation, random_translation);
KERAS_REGISTER_BUILTIN_LAYER(RandomContrast, random_contrast);
KERAS_REGISTER_BUILTIN_LAYER(RandomBrightness, random_brightness);

}  // namespace keras::layers
