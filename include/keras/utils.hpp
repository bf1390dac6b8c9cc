// keras.utils helpers.
#pragma once
#include <cstdint>

#include "keras/tensor.hpp"
#include "keras/variable.hpp"

namespace keras::utils {

// Integer labels (any shape, any integer dtype) -> float32 one-hot with a
// trailing axis of num_classes (inferred as max + 1 when -1). Throws
// ValueError naming the first label out of range.
Tensor to_categorical(const Tensor& y, std::int64_t num_classes = -1);

}  // namespace keras::utils
