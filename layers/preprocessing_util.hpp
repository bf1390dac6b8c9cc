// Helpers shared by the preprocessing layers (internal).
#pragma once
#include <string>

#include "keras/layers/preprocessing.hpp"

namespace keras::layers::preprocessing {

// Keras's encode_categorical_inputs for integer indices: "one_hot" (a last
// axis of 1 is squeezed first), "multi_hot" (max over axis 1 of the one-hot
// codes, or axis 0 for rank 1) or "count" (their sum), float32.
Tensor encode_categorical(const Tensor& indices, const std::string& mode, std::int64_t depth,
                          const std::string& layer);
Shape encoded_shape(const Shape& s, const std::string& mode, std::int64_t depth);

// ValueError naming the layer unless x is rank 3 or 4.
void check_image(const Tensor& x, const std::string& layer);
Tensor as_float(const Tensor& x);

}  // namespace keras::layers::preprocessing

namespace keras::layers {
// Keras's base-layer factor with bounds [lo, hi] (ValueError naming the layer).
Factor make_bounded_factor(const FactorArg& f, double lo, double hi, const std::string& layer);

}  // namespace keras::layers
