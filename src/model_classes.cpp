// Sequential and functional models as layer classes, so that a model nested
// in another model's config is rebuilt like any layer.
#include "keras/layers/registry.hpp"
#include "saving/internal.hpp"

namespace keras::saving {

KERAS_REGISTER_BUILTIN_LAYER(Sequential, [](const json& c) -> std::shared_ptr<layers::Layer> { return sequential_from_config(c); });
KERAS_REGISTER_BUILTIN_LAYER(Functional, [](const json& c) -> std::shared_ptr<layers::Layer> { return functional_from_config(c); });
KERAS_REGISTER_BUILTIN_LAYER(Model, [](const json& c) -> std::shared_ptr<layers::Layer> { return functional_from_config(c); });

}  // namespace keras::saving
