// ReduceLROnPlateau and LearningRateScheduler. The learning rate is read and
// written as Keras's float32 variable holds it, so logs and CSV files show
// the values Keras shows.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "keras/callbacks.hpp"
#include "keras/errors.hpp"
#include "keras/models.hpp"

namespace keras::callbacks {
namespace {

double as_float32(double v) { return static_cast<double>(static_cast<float>(v)); }

double current_lr(Model* m) {
  KERAS_CHECK(m != nullptr, ValueError, "learning-rate callback: no model set (use it in fit())");
  return as_float32(m->optimizer().learning_rate());
}

}  // namespace

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions o)
    : MonitorCallback(o.monitor, o.mode, std::nullopt, o.min_delta, "ReduceLROnPlateau"), o_(std::move(o)) {
  KERAS_CHECK(o_.factor < 1.0, ValueError, "ReduceLROnPlateau does not support a factor >= 1.0. Received factor=",
              o_.factor);
}

void ReduceLROnPlateau::on_train_begin(const Logs&) {
  best_.reset();
  cooldown_counter_ = 0;
  wait_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(int epoch, const Logs& logs) {
  set_monitor_op();
  add_log(logs, "learning_rate", current_lr(model_));
  auto current = monitor_value(logs, "Learning rate reduction");
  if (!current) return;
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (is_improvement(*current, best_)) {
    best_ = current;
    wait_ = 0;
    return;
  }
  if (cooldown_counter_ > 0) return;
  if (++wait_ < o_.patience) return;
  double old_lr = current_lr(model_);
  if (old_lr <= as_float32(o_.min_lr)) return;
  double new_lr = std::max(old_lr * o_.factor, o_.min_lr);
  model_->optimizer().set_learning_rate(as_float32(new_lr));
  if (o_.verbose > 0)
    std::cout << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to "
              << python_float_repr(new_lr) << ".\n";
  cooldown_counter_ = o_.cooldown;
  wait_ = 0;
}

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  KERAS_CHECK(static_cast<bool>(schedule_), ValueError, "LearningRateScheduler: the schedule is empty");
}

void LearningRateScheduler::on_epoch_begin(int epoch, const Logs&) {
  double lr = schedule_(epoch, current_lr(model_));
  KERAS_CHECK(std::isfinite(lr), ValueError, "LearningRateScheduler: the schedule returned ", lr, " for epoch ",
              epoch, "; expected a finite float");
  model_->optimizer().set_learning_rate(as_float32(lr));
  if (verbose_ > 0)
    std::cout << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to "
              << python_float_repr(lr) << ".\n";
}

void LearningRateScheduler::on_epoch_end(int, const Logs& logs) { add_log(logs, "learning_rate", current_lr(model_)); }

}  // namespace keras::callbacks
