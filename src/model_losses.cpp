// The extra losses of a training step (see model_losses.hpp).
#include "model_losses.hpp"

#include <set>

#include "keras/models.hpp"
#include "keras/ops.hpp"

namespace keras::detail {

namespace {
void flatten(layers::Layer& l, std::set<const layers::Layer*>& seen, std::vector<layers::Layer*>& out) {
  if (!seen.insert(&l).second) return;
  out.push_back(&l);
  for (const auto& sub : l.sublayers()) flatten(*sub.layer, seen, out);
}
}  // namespace

void ModelLosses::init(const Model& model) {
  layers_.clear();
  regularized_.clear();
  std::set<const layers::Layer*> seen;
  flatten(const_cast<Model&>(model), seen, layers_);
  for (const Variable& v : model.trainable_weights())
    if (v.regularizer()) regularized_.push_back(v);
  initialized_ = true;
}

void ModelLosses::begin_step() const {
  for (layers::Layer* l : layers_) l->clear_own_losses();
}

Tensor ModelLosses::total() const {
  Tensor sum;
  auto add = [&](const Tensor& t) { sum = sum.defined() ? ops::add(sum, t) : t; };
  for (const layers::Layer* l : layers_)
    for (const Tensor& t : l->own_losses()) add(t);
  for (const Variable& v : regularized_) add((*v.regularizer())(v.value()));
  return sum;
}

}  // namespace keras::detail
