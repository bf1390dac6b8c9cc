// Internal helpers shared by losses and metrics (not installed).
#pragma once
#include <utility>

#include "keras/tensor.hpp"

namespace keras::losses::detail {

// Keras's squeeze_or_expand_to_same_rank: when the ranks differ by one and
// the longer tensor ends in a unit dimension, squeeze it away — or, if the
// shorter one is 1-D and expand_rank_1, add a trailing unit dimension to it.
// Otherwise both come back unchanged. Uses reshape, so it is differentiable.
std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& x1, const Tensor& x2,
                                                         bool expand_rank_1 = true);

// x without its last (unit) dimension / with a trailing unit dimension.
Tensor drop_last_dim(const Tensor& x);
Tensor add_last_dim(const Tensor& x);

// x cast to float32 unless it already is.
Tensor as_float(const Tensor& x);

}  // namespace keras::losses::detail
