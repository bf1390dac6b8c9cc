// The Optimizer base class: gradient clipping, decoupled weight decay,
// learning-rate schedules, slot bookkeeping and get_config, following
// Keras 3's keras/src/optimizers/base_optimizer.py.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/autograd.hpp"
#include "keras/constraints.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"

namespace keras::optimizers {

namespace {

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json optional_int(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

void check_optional_positive(const std::optional<double>& v, const char* cls, const char* arg) {
  KERAS_CHECK(!v || (std::isfinite(*v) && *v >= 0.0), ValueError, cls, ": `", arg,
              "` must be a non-negative number. Received: ", arg, "=", *v);
}

}  // namespace

Optimizer::Optimizer(LearningRate learning_rate, BaseOptions base, const char* cls)
    : learning_rate_(learning_rate.value), schedule_(std::move(learning_rate.schedule)), base_(std::move(base)) {
  KERAS_CHECK(schedule_ || (std::isfinite(learning_rate_) && learning_rate_ >= 0.0), ValueError, cls,
              ": `learning_rate` must be a non-negative number. Received: learning_rate=", learning_rate_);
  check_optional_positive(base_.weight_decay, cls, "weight_decay");
  check_optional_positive(base_.clipnorm, cls, "clipnorm");
  check_optional_positive(base_.clipvalue, cls, "clipvalue");
  check_optional_positive(base_.global_clipnorm, cls, "global_clipnorm");
  KERAS_CHECK(!base_.loss_scale_factor || (std::isfinite(*base_.loss_scale_factor) && *base_.loss_scale_factor > 0),
              ValueError, cls, ": `loss_scale_factor` must be a positive number. Received: loss_scale_factor=",
              optional_json(base_.loss_scale_factor).dump());
  KERAS_CHECK(!base_.gradient_accumulation_steps || *base_.gradient_accumulation_steps >= 2, ValueError, cls,
              ": `gradient_accumulation_steps` must be an integer >= 2. Received: gradient_accumulation_steps=",
              base_.gradient_accumulation_steps.value_or(0));
  if (base_.use_ema) {
    KERAS_CHECK(base_.ema_momentum >= 0.0 && base_.ema_momentum <= 1.0, ValueError, cls,
                ": `ema_momentum` must be in the range [0, 1]. Received: ema_momentum=", base_.ema_momentum);
    KERAS_CHECK(!base_.ema_overwrite_frequency || *base_.ema_overwrite_frequency >= 1, ValueError, cls,
                ": `ema_overwrite_frequency` must be an integer >= 1 or None. Received: ema_overwrite_frequency=",
                base_.ema_overwrite_frequency.value_or(0));
  }
  // Keras rejects clipnorm together with global_clipnorm and silently lets
  // clipnorm win over clipvalue; we reject every combination instead, since
  // a silently ignored argument is a trap.
  const int n_clip = int(base_.clipnorm.has_value()) + int(base_.clipvalue.has_value()) +
                     int(base_.global_clipnorm.has_value());
  KERAS_CHECK(n_clip <= 1, ValueError, cls,
              ": only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
              "Received: clipnorm=",
              optional_json(base_.clipnorm).dump(), ", clipvalue=", optional_json(base_.clipvalue).dump(),
              ", global_clipnorm=", optional_json(base_.global_clipnorm).dump());
}

double Optimizer::learning_rate() const {
  return schedule_ ? (*schedule_)(iterations_) : learning_rate_;
}

void Optimizer::set_learning_rate(double lr) {
  KERAS_CHECK(!schedule_, TypeError, "This optimizer was created with a LearningRateSchedule (",
              schedule_ ? schedule_->class_name() : std::string(),
              "), hence its learning rate is not settable. Create the optimizer with a float "
              "learning_rate instead. Received: learning_rate=",
              lr);
  KERAS_CHECK(
      std::isfinite(lr) && lr >= 0.0, ValueError,
      "Optimizer: `learning_rate` must be a non-negative number. Received: learning_rate=", lr);
  learning_rate_ = lr;
}

void Optimizer::set_learning_rate_schedule(std::shared_ptr<schedules::LearningRateSchedule> s) {
  schedule_ = std::move(s);
}

std::vector<Variable> Optimizer::variables() const {
  std::vector<Variable> all = ema_;
  all.insert(all.end(), accum_.begin(), accum_.end());
  all.insert(all.end(), slots_.begin(), slots_.end());
  all.insert(all.end(), extra_.begin(), extra_.end());
  return all;
}

Variable Optimizer::add_slot(const Variable& like, const std::string& suffix) {
  // Keras: f"{reference_variable.path.replace('/', '_')}_{name}".
  std::string base = like.path().empty() ? like.name() : like.path();
  std::replace(base.begin(), base.end(), '/', '_');
  return Variable(ops::zeros_like(like.value()), base + "_" + suffix, /*trainable=*/false);
}

void Optimizer::build(const std::vector<Variable>& vars) {
  if (built_) return;
  autograd::NoGradGuard no_grad;
  slots_.clear();
  ema_.clear();
  accum_.clear();
  extra_.clear();
  // Keras's base build: every "average" (use_ema), then every
  // "gradient_accumulator", before the optimizer's own slots.
  if (base_.use_ema)
    for (const Variable& v : vars) ema_.push_back(add_slot(v, "average"));
  if (base_.gradient_accumulation_steps)
    for (const Variable& v : vars) accum_.push_back(add_slot(v, "gradient_accumulator"));
  for (std::size_t i = 0; i < vars.size(); ++i) build_slots(vars[i], i);
  // build_slots appends each variable's k slots together ([m0, v0, m1, v1]),
  // but Keras creates one kind of slot for every variable before the next
  // kind ([m0, m1, v0, v1]); regroup so variables() saves in Keras's order
  // and update_step finds slot kind j of variable i at slots_[j * n + i].
  const std::size_t n = vars.size();
  if (n > 0 && !slots_.empty()) {
    KERAS_ASSERT(slots_.size() % n == 0);
    const std::size_t k = slots_.size() / n;
    std::vector<Variable> grouped(slots_.size());
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < k; ++j) grouped[j * n + i] = slots_[i * k + j];
    slots_ = std::move(grouped);
  }
  built_for_ = vars;
  built_ = true;
}

namespace {

// Keras's _clip_gradients: the gradients clipped by norm, global norm or
// value into `clipped`, or `grads` itself when no clipping is configured
// (only the configured branch allocates).
const std::vector<Tensor>* clip_gradients(const std::vector<Tensor>& grads, const BaseOptions& o,
                                          std::vector<Tensor>& clipped) {
  if (o.clipnorm && *o.clipnorm > 0) {
    // g * c / max(||g||, c): unchanged when ||g|| <= c, computed on the device.
    const double c = *o.clipnorm;
    clipped.resize(grads.size());
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) continue;
      Tensor norm = ops::sqrt(ops::sum_squares(grads[i]));
      clipped[i] = grads[i] * (c / ops::maximum(norm, ops::full_like(norm, c)));
    }
    return &clipped;
  } else if (o.global_clipnorm && *o.global_clipnorm > 0) {
    // One joint norm over all defined gradients; scale = c / max(norm, c).
    const double c = *o.global_clipnorm;
    Tensor total;
    for (const Tensor& gi : grads) {
      if (!gi.defined()) continue;
      Tensor s = ops::sum_squares(gi);
      total = total.defined() ? total + s : s;
    }
    clipped.resize(grads.size());
    if (total.defined()) {
      Tensor norm = ops::sqrt(total);
      Tensor scale = c / ops::maximum(norm, ops::full_like(norm, c));
      for (std::size_t i = 0; i < grads.size(); ++i)
        if (grads[i].defined()) clipped[i] = grads[i] * scale;
    }
    return &clipped;
  } else if (o.clipvalue && *o.clipvalue > 0) {
    const double v = *o.clipvalue;
    clipped.resize(grads.size());
    for (std::size_t i = 0; i < grads.size(); ++i)
      if (grads[i].defined()) clipped[i] = ops::clip(grads[i], -v, v);
    return &clipped;
  }
  return &grads;
}

}  // namespace

void Optimizer::apply_gradients(const std::vector<Tensor>& grads,
                                const std::vector<Variable>& vars) {
  KERAS_CHECK(grads.size() == vars.size(), ValueError, class_name(),
              ".apply_gradients: expected one gradient per variable; received ", grads.size(),
              " gradients for ", vars.size(), " variables");
  if (grads.empty()) return;  // Keras: an empty list is a no-op
  autograd::NoGradGuard no_grad;
  if (!built_) build(vars);
  // Slot index of each variable. The usual call passes exactly the variables
  // the optimizer was built for, in order; like Keras, a subset (e.g. after
  // freezing a layer) is also accepted, found by identity, not by name.
  const bool same_vars =
      vars.size() == built_for_.size() && std::equal(vars.begin(), vars.end(), built_for_.begin());
  std::vector<std::size_t> slot_index;
  if (!same_vars) {
    slot_index.resize(vars.size());
    for (std::size_t i = 0; i < vars.size(); ++i) {
      auto it = std::find(built_for_.begin(), built_for_.end(), vars[i]);
      KERAS_CHECK(it != built_for_.end(), ValueError, class_name(),
                  ".apply_gradients: unknown variable '", vars[i].path(), "' at position ", i,
                  "; this optimizer was built for ", built_for_.size(),
                  " other variables. Create a new optimizer for a new set of variables");
      slot_index[i] = static_cast<std::size_t>(it - built_for_.begin());
    }
  }
  for (std::size_t i = 0; i < vars.size(); ++i)
    if (grads[i].defined())
      KERAS_CHECK(grads[i].shape() == vars[i].shape(), ValueError, class_name(),
                  ".apply_gradients: gradient for '", vars[i].path(), "' has shape ",
                  shape_str(grads[i].shape()), " but the variable has shape ",
                  shape_str(vars[i].shape()));

  // Keras divides the gradients by loss_scale_factor first.
  std::vector<Tensor> unscaled;
  const std::vector<Tensor>* in = &grads;
  if (base_.loss_scale_factor) {
    unscaled.resize(grads.size());
    const double f = *base_.loss_scale_factor;
    for (std::size_t i = 0; i < grads.size(); ++i)
      if (grads[i].defined()) unscaled[i] = grads[i] / Tensor::scalar(f, grads[i].dtype(), grads[i].device());
    in = &unscaled;
  }
  std::vector<Tensor> averaged;
  const bool update = !base_.gradient_accumulation_steps ||
                      accumulate_gradients(*in, same_vars ? nullptr : &slot_index, averaged);
  if (update) update_all(averaged.empty() ? *in : averaged, vars, same_vars ? nullptr : &slot_index);
  if (base_.use_ema) update_moving_averages();
  // Keras projects every constrained variable after the step.
  for (const Variable& var : vars)
    if (const auto& c = var.constraint()) var.assign((*c)(var.value()));
  ++iterations_;
}

void Optimizer::update_all(const std::vector<Tensor>& grads, const std::vector<Variable>& vars,
                           const std::vector<std::size_t>* slot_index) {
  std::vector<Tensor> clipped;
  const std::vector<Tensor>* g = clip_gradients(grads, base_, clipped);
  const double lr = learning_rate();
  const double wd = base_.weight_decay.value_or(0.0);
  const bool decay_here = wd > 0.0 && !update_applies_weight_decay_;
  before_updates();
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const Tensor& gi = (*g)[i];
    if (!gi.defined()) continue;  // Keras filters empty gradients
    Variable var = vars[i];
    if (decay_here) {
      // Decoupled weight decay, var -= lr * wd * var, done in place by an SGD
      // step whose "gradient" is the variable itself (elementwise, so the
      // aliasing is safe). Applying it per variable right before its update
      // equals Keras's decay-all-then-update-all: each touches one variable.
      Tensor v = var.value();
      ops::sgd_update(v, v, nullptr, lr * wd, 0.0, false);
    }
    update_step(gi, var, slot_index ? (*slot_index)[i] : i, lr);
  }
}

nlohmann::json Optimizer::get_config() const {
  const nlohmann::json lr = schedule_ ? schedules::serialize(*schedule_) : nlohmann::json(learning_rate_);
  // Keras's base keys, in Keras's order (nlohmann::json sorts keys anyway).
  return {{"name", base_.name},
          {"learning_rate", lr},
          {"weight_decay", optional_json(base_.weight_decay)},
          {"clipnorm", optional_json(base_.clipnorm)},
          {"global_clipnorm", optional_json(base_.global_clipnorm)},
          {"clipvalue", optional_json(base_.clipvalue)},
          {"use_ema", base_.use_ema},
          {"ema_momentum", base_.ema_momentum},
          {"ema_overwrite_frequency", optional_int(base_.ema_overwrite_frequency)},
          {"loss_scale_factor", optional_json(base_.loss_scale_factor)},
          {"gradient_accumulation_steps", optional_int(base_.gradient_accumulation_steps)}};
}

}  // namespace keras::optimizers
