// keras.models.clone_model: a model with the same structure and config as
// another, with new (freshly initialized) weights.
#pragma once
#include <functional>
#include <memory>

#include "keras/models.hpp"

namespace keras::models {

// Makes the copy of one layer; the default rebuilds it from its config
// (new weights). A clone_function may return the layer itself to share it.
using CloneFunction = std::function<std::shared_ptr<layers::Layer>(const layers::Layer&)>;

// Functional and Sequential models (src/clone_model.cpp). Throws ValueError
// for a model that has no layers, or a layer whose class cannot be rebuilt
// from its config (give a clone_function for it).
Model clone_model(const Model& model, const CloneFunction& clone_function = nullptr);

}  // namespace keras::models
