// Layer losses, as Keras's Layer.add_loss / Layer.losses: tensors recorded
// during a call, activity regularization and weight regularization.
#include <set>

#include "keras/layers/layer.hpp"
#include "keras/ops.hpp"

namespace keras::layers {

namespace {
thread_local int g_loss_scope_depth = 0;

void collect_call_losses(const Layer& layer, std::set<const Layer*>& seen, std::vector<Tensor>& out) {
  if (!seen.insert(&layer).second) return;
  out.insert(out.end(), layer.own_losses().begin(), layer.own_losses().end());
  for (const auto& sub : layer.sublayers()) collect_call_losses(*sub.layer, seen, out);
}
}  // namespace

LossScope::LossScope() { ++g_loss_scope_depth; }
LossScope::~LossScope() { --g_loss_scope_depth; }
bool LossScope::active() { return g_loss_scope_depth > 0; }

void Layer::add_loss(const Tensor& loss) {
  KERAS_CHECK(loss.defined(), ValueError, "Layer \"", name_, "\": add_loss received an undefined tensor");
  Tensor l = loss.dtype() == float32 ? loss : ops::cast(loss, float32);
  call_losses_.push_back(l.ndim() == 0 ? l : ops::sum(l));
}

void Layer::clear_losses() {
  call_losses_.clear();
  for (const auto& sub : sublayers()) sub.layer->clear_losses();
}

std::vector<Tensor> Layer::losses() const {
  std::vector<Tensor> out;
  std::set<const Layer*> seen;
  collect_call_losses(*this, seen, out);
  for (const Variable& v : trainable_weights())
    if (const auto& r = v.regularizer()) out.push_back((*r)(v.value()));
  return out;
}

void Layer::record_activity(const std::vector<Tensor>& outputs) {
  if (!activity_regularizer_) return;
  for (const Tensor& y : outputs) {
    if (!y.defined() || y.dtype() != float32) continue;
    Tensor loss = (*activity_regularizer_)(y);
    // Keras normalizes by the batch size (divide_no_nan: an empty batch adds 0).
    if (y.ndim() > 0) {
      const std::int64_t batch = y.shape()[0];
      loss = batch > 0 ? loss / static_cast<double>(batch) : ops::zeros_like(loss);
    }
    add_loss(loss);
  }
}

}  // namespace keras::layers
