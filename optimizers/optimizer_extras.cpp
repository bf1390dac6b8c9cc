// The base optimizer's gradient accumulation, exponential moving average of
// the variables, loss scaling and Keras's saved variable order, following
// Keras 3's base_optimizer.py and its JAX backend's apply.
#include <nlohmann/json.hpp>

#include "keras/autograd.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"

namespace keras::optimizers {

Tensor Optimizer::scale_loss(const Tensor& loss) const {
  if (!base_.loss_scale_factor) return loss;
  return loss * Tensor::scalar(*base_.loss_scale_factor, loss.dtype(), loss.device());
}

bool Optimizer::accumulate_gradients(const std::vector<Tensor>& grads, const std::vector<std::size_t>* slot_index,
                                     std::vector<Tensor>& averaged) {
  const std::int64_t steps = *base_.gradient_accumulation_steps;
  const bool update = (iterations_ + 1) % steps == 0;
  if (update) averaged.resize(grads.size());
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) continue;
    Tensor acc = accum_[slot_index ? (*slot_index)[i] : i].value();
    if (update) {
      averaged[i] = (grads[i] + acc) / Tensor::scalar(static_cast<double>(steps), acc.dtype(), acc.device());
      ops::assign(acc, ops::zeros_like(acc));
    } else {
      ops::assign(acc, acc + grads[i]);
    }
  }
  return update;
}

void Optimizer::update_moving_averages() {
  // Keras: momentum is 0 while update_iterations() is 0 (the average starts
  // as the variable), ema_momentum afterwards; every built variable moves.
  const float m = update_iterations() != 0 ? static_cast<float>(base_.ema_momentum) : 0.0f;
  const float one_minus = 1.0f - m;
  for (std::size_t i = 0; i < built_for_.size(); ++i) {
    Tensor avg = ema_[i].value();
    Tensor var = built_for_[i].value();
    ops::assign(avg, avg * Tensor::scalar(m, avg.dtype(), avg.device()) +
                         var * Tensor::scalar(one_minus, var.dtype(), var.device()));
  }
  if (base_.ema_overwrite_frequency && (update_iterations() + 1) % *base_.ema_overwrite_frequency == 0)
    for (std::size_t i = 0; i < built_for_.size(); ++i) built_for_[i].assign(ema_[i].value());
}

void Optimizer::finalize_variable_values(const std::vector<Variable>& vars) {
  if (!base_.use_ema || !built_) return;
  autograd::NoGradGuard no_grad;
  KERAS_CHECK(vars.size() == ema_.size(), ValueError, class_name(), ".finalize_variable_values: received ",
              vars.size(), " variables, but the optimizer keeps moving averages of ", ema_.size());
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i].assign(ema_[i].value());
}

std::vector<Variable> Optimizer::saved_variables() const {
  std::vector<Variable> out = ema_;
  out.insert(out.end(), accum_.begin(), accum_.end());
  const std::size_t n = built_for_.size();
  if (n > 0 && !slots_.empty()) {
    const std::size_t kinds = slots_.size() / n;
    std::vector<std::size_t> groups = slot_groups();
    std::size_t covered = 0;
    for (std::size_t w : groups) covered += w;
    for (; covered < kinds; ++covered) groups.push_back(1);
    // Each group: kinds k..k+w-1 interleaved per variable (slots_ holds kind
    // j of variable i at j * n + i).
    std::size_t k = 0;
    for (std::size_t w : groups) {
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < w && k + j < kinds; ++j) out.push_back(slots_[(k + j) * n + i]);
      k += w;
    }
  }
  out.insert(out.end(), extra_.begin(), extra_.end());
  return out;
}

}  // namespace keras::optimizers
