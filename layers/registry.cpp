// The layer registry behind from_config.
#include "keras/layers/registry.hpp"

#include <nlohmann/json.hpp>

#include "keras/registry.hpp"
#include "saving/config_bounds.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {
namespace {
registry::Registry<LayerFactory>& layers() {
  static auto& r = registry::make<LayerFactory>("layer class");  // used by other files' static initializers
  return r;
}
}  // namespace

void register_layer(const std::string& class_name, LayerFactory factory, bool replace) {
  layers().add_user(class_name, class_name, std::move(factory), replace);
}

void register_builtin_layer(const std::string& class_name, LayerFactory factory) {
  layers().add(class_name, std::move(factory), /*builtin=*/true);
}

bool is_registered(const std::string& class_name) { return layers().contains(class_name); }
bool is_builtin(const std::string& class_name) { return layers().is_builtin(class_name); }
std::vector<std::string> registered_layers() { return layers().names(); }

std::shared_ptr<Layer> from_config(const std::string& class_name, const nlohmann::json& config) {
  LayerFactory f = layers().at(class_name);
  saving::check_config_integers(config, class_name);
  if (layers().is_builtin(class_name)) saving::check_supported_args(config, class_name);
  try {
    return f(config);
  } catch (const nlohmann::json::exception& e) {
    throw ValueError("Invalid config for layer class '" + class_name + "': " + e.what());
  }
}

}  // namespace keras::layers
