// The layer registry behind from_config.
#include "keras/layers/registry.hpp"

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

namespace keras::layers {
namespace {
struct Registry {
  std::mutex mu;
  std::map<std::string, LayerFactory> factories;
};
Registry& registry() {
  static Registry* r = new Registry();  // used by static initializers of other files
  return *r;
}
}  // namespace

void register_layer(const std::string& class_name, LayerFactory factory) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.factories[class_name] = std::move(factory);
}

bool is_registered(const std::string& class_name) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.factories.count(class_name) > 0;
}

std::vector<std::string> registered_layers() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> names;
  for (auto& [k, v] : r.factories) names.push_back(k);
  return names;
}

std::shared_ptr<Layer> from_config(const std::string& class_name, const nlohmann::json& config) {
  LayerFactory f;
  {
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.factories.find(class_name);
    if (it == r.factories.end()) {
      std::string known;
      for (auto& [k, v] : r.factories) known += (known.empty() ? "" : ", ") + k;
      throw ValueError("Unknown layer class '" + class_name + "'. Known layer classes: " + known +
                       ". Register custom layers with KERAS_REGISTER_LAYER.");
    }
    f = it->second;
  }
  try {
    return f(config);
  } catch (const nlohmann::json::exception& e) {
    throw ValueError("Invalid config for layer class '" + class_name + "': " + e.what());
  }
}

}  // namespace keras::layers
