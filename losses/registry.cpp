// Losses by Keras name or class name, and from their saved configs.
#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/losses.hpp"
#include "keras/registry.hpp"

namespace keras::losses {
using json = nlohmann::json;

LossOptions loss_options_from(const json& c) {
  LossOptions o;
  o.name = c.value("name", json("")).is_string() ? c.value("name", std::string()) : "";
  // Keras writes null for reduction=None, which means "none".
  const json r = c.value("reduction", json("sum_over_batch_size"));
  KERAS_CHECK(r.is_string() || r.is_null(), ValueError, "Loss ", o.name, ": `reduction` must be a string; received ",
              r.dump());
  o.reduction = r.is_null() ? Reduction::none : parse_reduction(r.get<std::string>(), o.name.empty() ? "loss" : o.name);
  return o;
}

namespace {

LossOptions loss_options(const json& c) { return loss_options_from(c); }

CrossentropyOptions xent_options(const json& c) {
  LossOptions b = loss_options(c);
  CrossentropyOptions o;
  o.from_logits = c.value("from_logits", false);
  o.label_smoothing = c.value("label_smoothing", 0.0);
  o.axis = c.value("axis", -1);
  o.reduction = b.reduction;
  o.name = b.name;
  return o;
}

// Registers the losses of losses_more.hpp (registry_more.cpp).
}  // namespace
void add_more_losses(registry::Registry<LossFactory>& reg);
namespace {

registry::Registry<LossFactory>& table() {
  static registry::Registry<LossFactory>& r = []() -> registry::Registry<LossFactory>& {
    auto& reg = registry::make<LossFactory>("loss");
    const std::pair<const char*, LossFactory> builtins[] = {
        {"MeanSquaredError", [](const json& c) { return std::make_shared<MeanSquaredError>(loss_options(c)); }},
        {"MeanAbsoluteError", [](const json& c) { return std::make_shared<MeanAbsoluteError>(loss_options(c)); }},
        {"BinaryCrossentropy", [](const json& c) { return std::make_shared<BinaryCrossentropy>(xent_options(c)); }},
        {"CategoricalCrossentropy",
         [](const json& c) { return std::make_shared<CategoricalCrossentropy>(xent_options(c)); }},
        {"SparseCategoricalCrossentropy",
         [](const json& c) {
           KERAS_CHECK(!c.contains("ignore_class") || c["ignore_class"].is_null(), ValueError,
                       "SparseCategoricalCrossentropy: ignore_class is not supported; received ",
                       c["ignore_class"].dump());
           return std::make_shared<SparseCategoricalCrossentropy>(xent_options(c));
         }},
    };
    for (const auto& [name, f] : builtins) reg.add(name, f, /*builtin=*/true);
    add_more_losses(reg);
    return reg;
  }();
  return r;
}

// Keras's function names and short aliases -> class names.
std::string class_of(const std::string& name) {
  static const std::pair<const char*, const char*> aliases[] = {
      {"mse", "MeanSquaredError"},
      {"MSE", "MeanSquaredError"},
      {"mean_squared_error", "MeanSquaredError"},
      {"mae", "MeanAbsoluteError"},
      {"MAE", "MeanAbsoluteError"},
      {"mean_absolute_error", "MeanAbsoluteError"},
      {"binary_crossentropy", "BinaryCrossentropy"},
      {"categorical_crossentropy", "CategoricalCrossentropy"},
      {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"},
      {"mape", "MeanAbsolutePercentageError"},
      {"MAPE", "MeanAbsolutePercentageError"},
      {"mean_absolute_percentage_error", "MeanAbsolutePercentageError"},
      {"msle", "MeanSquaredLogarithmicError"},
      {"MSLE", "MeanSquaredLogarithmicError"},
      {"mean_squared_logarithmic_error", "MeanSquaredLogarithmicError"},
      {"huber", "Huber"},
      {"huber_loss", "Huber"},
      {"log_cosh", "LogCosh"},
      {"logcosh", "LogCosh"},
      {"hinge", "Hinge"},
      {"squared_hinge", "SquaredHinge"},
      {"categorical_hinge", "CategoricalHinge"},
      {"kl_divergence", "KLDivergence"},
      {"kld", "KLDivergence"},
      {"KLD", "KLDivergence"},
      {"kullback_leibler_divergence", "KLDivergence"},
      {"poisson", "Poisson"},
      {"cosine_similarity", "CosineSimilarity"},
      {"binary_focal_crossentropy", "BinaryFocalCrossentropy"},
      {"categorical_focal_crossentropy", "CategoricalFocalCrossentropy"},
      {"dice", "Dice"},
      {"tversky", "Tversky"},
      {"ctc", "CTC"},
  };
  const auto dot = name.rfind('.');  // "keras.losses.mse"
  const std::string key = dot == std::string::npos ? name : name.substr(dot + 1);
  for (const auto& [alias, cls] : aliases)
    if (key == alias) return cls;
  return key;
}

std::vector<std::string> known_names() {
  std::vector<std::string> names = table().names();
  for (const char* a : {"mse", "mae", "mean_squared_error", "mean_absolute_error", "binary_crossentropy",
                        "categorical_crossentropy", "sparse_categorical_crossentropy", "mape", "msle", "huber",
                        "log_cosh", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "kld", "poisson",
                        "cosine_similarity", "binary_focal_crossentropy", "categorical_focal_crossentropy", "dice",
                        "tversky", "ctc"})
    names.push_back(a);
  return names;
}

LossFactory factory(const std::string& name) {
  if (auto f = table().find(class_of(name))) return *f;
  throw ValueError(registry::unknown_message("loss", name, known_names()));
}
}  // namespace

std::shared_ptr<Loss> get(const std::string& name) {
  // Keras names a loss given by its function name after the function
  // ("huber"), where that differs from the class's default ("huber_loss").
  const auto dot = name.rfind('.');
  if ((dot == std::string::npos ? name : name.substr(dot + 1)) == "huber")
    return factory(name)(json{{"name", "huber"}});
  return factory(name)(json::object());
}

std::shared_ptr<Loss> deserialize(const json& j) {
  if (j.is_string()) return get(j.get<std::string>());
  KERAS_CHECK(j.is_object() && j.contains("class_name") && j["class_name"].is_string(), ValueError,
              "Cannot read loss ", j.dump().substr(0, 200), ": expected a name or {\"class_name\": ..., \"config\": ...}");
  const std::string cls = j["class_name"].get<std::string>();
  const json c = j.contains("config") ? j["config"] : json::object();
  if (cls == "function" && c.is_string()) return get(c.get<std::string>());
  return factory(cls)(c.is_object() ? c : json::object());
}

json serialize(const Loss& loss) {
  return registry::serialized("keras.losses", loss.class_name(), loss.get_config());
}

void register_loss(const std::string& class_name, LossFactory factory, bool replace) {
  if (table().is_builtin(class_of(class_name))) registry::throw_builtin("loss", class_name);
  table().add_user(class_name, class_name, std::move(factory), replace);
}

std::vector<std::string> registered_losses() { return table().names(); }

}  // namespace keras::losses
