#include "saving/config_bounds.hpp"

#include <cstdint>
#include <limits>

#include "keras/errors.hpp"

namespace keras::saving {
namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();

// Keys whose integers are 64-bit in Keras: random seeds and the ids Keras
// gives shared initializers and regularizers (object addresses).
bool wide_key(const std::string& key) { return key == "seed" || key == "shared_object_id"; }

struct Where {
  const std::string& layer;
  const std::string& class_name;
};

[[noreturn]] void out_of_range(const Where& w, const std::string& key, const std::string& value) {
  throw ValueError("Invalid config for layer '" + w.layer + "' (class " + w.class_name + "): '" + key + "' = " + value +
                   " is out of range (expected an integer between " + std::to_string(kMin) + " and " +
                   std::to_string(kMax) + ")");
}

void check(const nlohmann::json& v, const std::string& key, const Where& w, bool wide) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(wide ? std::numeric_limits<std::int64_t>::max() : kMax))
      out_of_range(w, key, std::to_string(u));
  } else if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (!wide && (i < kMin || i > kMax)) out_of_range(w, key, std::to_string(i));
  } else if (v.is_array()) {
    for (const auto& e : v) check(e, key, w, wide);
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) check(it.value(), it.key(), w, wide || wide_key(it.key()));
  }
}

}  // namespace

void check_config_integers(const nlohmann::json& config, const std::string& class_name) {
  if (!config.is_object()) return;
  std::string layer = config.contains("name") && config["name"].is_string() ? config["name"].get<std::string>() : "?";
  Where w{layer, class_name};
  for (auto it = config.begin(); it != config.end(); ++it) {
    // A nested model's layers are checked when each is built.
    if (it.key() == "layers") continue;
    check(it.value(), it.key(), w, wide_key(it.key()));
  }
}

}  // namespace keras::saving
