// Factories of the losses in keras/losses_more.hpp, from Keras's configs.
#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/losses.hpp"
#include "keras/losses_ctc.hpp"
#include "keras/registry.hpp"

namespace keras::losses {

LossOptions loss_options_from(const nlohmann::json& c);

namespace {
using json = nlohmann::json;

template <class T>
T number(const json& c, const char* key, T fallback, const char* loss) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  KERAS_CHECK(c[key].is_number() || c[key].is_boolean(), ValueError, loss, ": `", key,
              "` must be a number; received ", c[key].dump());
  return c[key].get<T>();
}

FocalOptions focal(const json& c, const char* loss) {
  LossOptions b = loss_options_from(c);
  FocalOptions o;
  o.apply_class_balancing = number<bool>(c, "apply_class_balancing", false, loss);
  o.alpha = number<double>(c, "alpha", 0.25, loss);
  o.gamma = number<double>(c, "gamma", 2.0, loss);
  o.from_logits = number<bool>(c, "from_logits", false, loss);
  o.label_smoothing = number<double>(c, "label_smoothing", 0.0, loss);
  o.axis = number<int>(c, "axis", -1, loss);
  o.reduction = b.reduction;
  o.name = b.name;
  return o;
}

OverlapOptions overlap(const json& c, const char* loss) {
  LossOptions b = loss_options_from(c);
  OverlapOptions o;
  o.alpha = number<double>(c, "alpha", 0.5, loss);
  o.beta = number<double>(c, "beta", 0.5, loss);
  if (c.contains("axis") && !c["axis"].is_null()) {
    const json& a = c["axis"];
    KERAS_CHECK(a.is_number_integer() || a.is_array(), ValueError, loss,
                ": `axis` must be null, an integer or a list of integers; received ", a.dump());
    o.axis = a.is_array() ? a.get<std::vector<int>>() : std::vector<int>{a.get<int>()};
  }
  o.reduction = b.reduction;
  o.name = b.name;
  return o;
}

template <class L>
std::shared_ptr<Loss> plain(const json& c) {
  return std::make_shared<L>(loss_options_from(c));
}

}  // namespace

void add_more_losses(registry::Registry<LossFactory>& reg) {
  const std::pair<const char*, LossFactory> more[] = {
      {"MeanAbsolutePercentageError", plain<MeanAbsolutePercentageError>},
      {"MeanSquaredLogarithmicError", plain<MeanSquaredLogarithmicError>},
      {"LogCosh", plain<LogCosh>},
      {"Hinge", plain<Hinge>},
      {"SquaredHinge", plain<SquaredHinge>},
      {"CategoricalHinge", plain<CategoricalHinge>},
      {"KLDivergence", plain<KLDivergence>},
      {"Poisson", plain<Poisson>},
      {"Huber",
       [](const json& c) {
         LossOptions b = loss_options_from(c);
         return std::make_shared<Huber>(HuberOptions{number<double>(c, "delta", 1.0, "Huber"), b.reduction, b.name});
       }},
      {"CosineSimilarity",
       [](const json& c) {
         LossOptions b = loss_options_from(c);
         return std::make_shared<CosineSimilarity>(
             CosineSimilarityOptions{number<int>(c, "axis", -1, "CosineSimilarity"), b.reduction, b.name});
       }},
      {"BinaryFocalCrossentropy",
       [](const json& c) { return std::make_shared<BinaryFocalCrossentropy>(focal(c, "BinaryFocalCrossentropy")); }},
      {"CategoricalFocalCrossentropy",
       [](const json& c) {
         return std::make_shared<CategoricalFocalCrossentropy>(focal(c, "CategoricalFocalCrossentropy"));
       }},
      {"Dice", [](const json& c) { return std::make_shared<Dice>(overlap(c, "Dice")); }},
      {"Tversky", [](const json& c) { return std::make_shared<Tversky>(overlap(c, "Tversky")); }},
      {"CTC", plain<CTC>},
  };
  for (const auto& [name, f] : more) reg.add(name, f, /*builtin=*/true);
}

}  // namespace keras::losses
