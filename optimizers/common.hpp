// Internal helpers shared by the optimizer implementations.
#pragma once
#include "keras/optimizers.hpp"

namespace keras::optimizers::detail {

// The options with Keras's default name ("adam", "sgd", ...) when none is given.
inline BaseOptions named(BaseOptions b, const char* default_name) {
  if (b.name.empty()) b.name = default_name;
  return b;
}

}  // namespace keras::optimizers::detail
