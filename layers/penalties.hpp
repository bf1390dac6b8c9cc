// Internal: regularizer and constraint arguments in layer configs.
#pragma once
#include <nlohmann/json.hpp>

#include "keras/constraints.hpp"
#include "keras/regularizers.hpp"

namespace keras::layers::detail {

// config[key] = the serialized argument, or null when none.
inline void put(nlohmann::json& c, const char* key, const regularizers::RegularizerArg& r) {
  c[key] = regularizers::serialize_or_null(r.ptr);
}
inline void put(nlohmann::json& c, const char* key, const constraints::ConstraintArg& k) {
  c[key] = constraints::serialize_or_null(k.ptr);
}

}  // namespace keras::layers::detail
