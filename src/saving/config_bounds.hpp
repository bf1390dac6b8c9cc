// Internal: checks on layer configs read from files before anything is
// built from them.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace keras::saving {

// Every integer in `config` (nested too) must fit a 32-bit int, the type
// layer arguments are narrowed to; "seed" and "shared_object_id" values may
// use 64 bits. Throws
// ValueError naming the layer, its class, the key and the value.
void check_config_integers(const nlohmann::json& config, const std::string& class_name);

}  // namespace keras::saving
