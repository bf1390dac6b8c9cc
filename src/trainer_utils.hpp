// Internal: helpers of the training loops (src/trainer.cpp): argument
// checks, class weights, batch slicing and the callback list.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "keras/models.hpp"

namespace keras::detail::trainer_utils {

using Tensors = std::vector<Tensor>;

// Throws ValueError naming `fn` for empty, mismatched or non-finite data.
void check_data(const Model& m, const char* fn, const Tensors& x, const Tensors& y, bool need_y);
// Per-sample weights from class_weight (labels as integers or one-hot rows).
Tensor class_weights(const std::map<int, double>& cw, const Tensor& y);
// Rows b..e of t, through the permutation idx when defined.
Tensor rows(const Tensor& t, const Tensor& idx, std::int64_t b, std::int64_t e);
void rows(const Tensors& ts, const Tensor& idx, std::int64_t b, std::int64_t e, Tensors& out);
Tensors slice_all(const Tensors& ts, std::int64_t b, std::int64_t e);
int resolve_verbose(int v);
callbacks::CallbackList make_callbacks(Model* m, const std::vector<std::shared_ptr<callbacks::Callback>>& user,
                                       int verbose, std::shared_ptr<History> history);

}  // namespace keras::detail::trainer_utils
