// from_config factories for the small layers and the activation layers,
// reading the configs Keras 3 and tf.keras 2 write (and get_config writes).
#include "keras/layers/activation_layers.hpp"
#include "keras/layers/misc.hpp"
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

// config[key] as a number; ValueError naming the layer and class otherwise.
double number(const json& c, const char* key, const char* cls, std::optional<double> fallback = std::nullopt) {
  if ((!c.contains(key) || c[key].is_null()) && fallback) return *fallback;
  KERAS_CHECK(c.contains(key) && c[key].is_number(), ValueError, "Layer \"", saving::name_from_config(c), "\" (", cls,
              "): expected a number \"", key, "\" in the config, received ", c.dump());
  return c[key].get<double>();
}

std::optional<std::int64_t> seed_of(const json& c) {
  if (c.contains("seed") && c["seed"].is_number_integer()) return c["seed"].get<std::int64_t>();
  return std::nullopt;
}

// An int or a list of ints (Keras accepts both for shared_axes and dims).
std::vector<int> ints(const json& j, const json& c, const char* key, const char* cls) {
  if (j.is_null()) return {};
  if (j.is_number_integer()) return {j.get<int>()};
  KERAS_CHECK(j.is_array(), ValueError, "Layer \"", saving::name_from_config(c), "\" (", cls, "): ", key,
              " must be an integer or a list of integers, received ", j.dump());
  std::vector<int> r;
  for (auto& v : j) {
    KERAS_CHECK(v.is_number_integer(), ValueError, "Layer \"", saving::name_from_config(c), "\" (", cls, "): ", key,
                " must be a list of integers, received ", j.dump());
    r.push_back(v.get<int>());
  }
  return r;
}

std::shared_ptr<Layer> identity(const json& c) { return finish(std::make_shared<Identity>(saving::name_of(c)), c); }

std::shared_ptr<Layer> permute(const json& c) {
  KERAS_CHECK(c.contains("dims"), ValueError, "Layer \"", saving::name_of(c), "\" (Permute): the config has no \"dims\"");
  return finish(std::make_shared<Permute>(ints(c["dims"], c, "dims", "Permute"), saving::name_of(c)), c);
}

std::shared_ptr<Layer> repeat_vector(const json& c) {
  KERAS_CHECK(c.contains("n") && c["n"].is_number_integer(), ValueError, "Layer \"", saving::name_of(c),
              "\" (RepeatVector): expected an integer \"n\" in the config, received ", c.dump());
  return finish(std::make_shared<RepeatVector>(c["n"].get<int>(), saving::name_of(c)), c);
}

std::shared_ptr<Layer> gaussian_noise(const json& c) {
  double s = number(c, "stddev", "GaussianNoise");
  return finish(std::make_shared<GaussianNoise>(s, seed_of(c), saving::name_of(c)), c);
}

std::shared_ptr<Layer> gaussian_dropout(const json& c) {
  double r = number(c, "rate", "GaussianDropout");
  return finish(std::make_shared<GaussianDropout>(r, seed_of(c), saving::name_of(c)), c);
}

std::shared_ptr<Layer> group_normalization(const json& c) {
  GroupNormalizationOptions o;
  o.name = saving::name_of(c);
  o.groups = saving::value_or(c, "groups", 32);
  o.axis = saving::value_or(c, "axis", -1);
  o.epsilon = saving::value_or(c, "epsilon", 1e-3);
  o.center = saving::value_or(c, "center", true);
  o.scale = saving::value_or(c, "scale", true);
  o.beta_initializer = saving::read_init(c, "beta_initializer", "zeros");
  o.gamma_initializer = saving::read_init(c, "gamma_initializer", "ones");
  return finish(std::make_shared<GroupNormalization>(o), c);
}

std::shared_ptr<Layer> relu(const json& c) {
  ReLUOptions o;
  o.name = saving::name_of(c);
  if (c.contains("max_value") && !c["max_value"].is_null()) o.max_value = number(c, "max_value", "ReLU");
  o.negative_slope = number(c, "negative_slope", "ReLU", 0.0);
  o.threshold = number(c, "threshold", "ReLU", 0.0);
  return finish(std::make_shared<ReLU>(o), c);
}

std::shared_ptr<Layer> leaky_relu(const json& c) {
  // Keras 3 writes negative_slope; tf.keras 2 wrote alpha.
  double s = c.contains("negative_slope") ? number(c, "negative_slope", "LeakyReLU", 0.3)
                                          : number(c, "alpha", "LeakyReLU", 0.3);
  return finish(std::make_shared<LeakyReLU>(s, saving::name_of(c)), c);
}

std::shared_ptr<Layer> prelu(const json& c) {
  PReLUOptions o;
  o.name = saving::name_of(c);
  o.alpha_initializer = saving::read_init(c, "alpha_initializer", "zeros");
  if (c.contains("shared_axes")) o.shared_axes = ints(c["shared_axes"], c, "shared_axes", "PReLU");
  return finish(std::make_shared<PReLU>(o), c);
}

std::shared_ptr<Layer> elu(const json& c) {
  return finish(std::make_shared<ELU>(number(c, "alpha", "ELU", 1.0), saving::name_of(c)), c);
}

std::shared_ptr<Layer> softmax(const json& c) {
  int axis = -1;
  if (c.contains("axis")) {
    auto a = ints(c["axis"], c, "axis", "Softmax");
    KERAS_CHECK(a.size() <= 1, ValueError, "Layer \"", saving::name_of(c),
                "\" (Softmax): only a single axis is supported; received axis=", c["axis"].dump());
    if (!a.empty()) axis = a[0];
  }
  return finish(std::make_shared<Softmax>(axis, saving::name_of(c)), c);
}

}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(Identity, identity);
KERAS_REGISTER_BUILTIN_LAYER(Permute, permute);
KERAS_REGISTER_BUILTIN_LAYER(RepeatVector, repeat_vector);
KERAS_REGISTER_BUILTIN_LAYER(GaussianNoise, gaussian_noise);
KERAS_REGISTER_BUILTIN_LAYER(GaussianDropout, gaussian_dropout);
KERAS_REGISTER_BUILTIN_LAYER(GroupNormalization, group_normalization);
KERAS_REGISTER_BUILTIN_LAYER(ReLU, relu);
KERAS_REGISTER_BUILTIN_LAYER(LeakyReLU, leaky_relu);
KERAS_REGISTER_BUILTIN_LAYER(PReLU, prelu);
KERAS_REGISTER_BUILTIN_LAYER(ELU, elu);
KERAS_REGISTER_BUILTIN_LAYER(Softmax, softmax);

}  // namespace keras::layers
