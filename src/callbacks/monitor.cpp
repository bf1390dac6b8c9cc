// MonitorCallback (the watched log and its direction) and EarlyStopping.
#include <cmath>
#include <iostream>

#include "keras/callbacks.hpp"
#include "keras/errors.hpp"
#include "keras/models.hpp"

namespace keras::callbacks {
namespace {

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

// +1 for metrics Keras marks "up", -1 for losses and errors, 0 unknown.
int direction_of(std::string name) {
  if (name.rfind("val_", 0) == 0) name = name.substr(4);
  if (ends_with(name, "loss")) return -1;
  for (const char* up : {"accuracy", "acc", "auc", "precision", "recall", "f1_score", "fbeta_score", "r2_score",
                         "iou", "cosine_similarity"})
    if (name == up || ends_with(name, std::string("_") + up)) return +1;
  for (const char* down : {"error", "mse", "mae", "mape", "msle", "crossentropy", "hinge", "poisson",
                           "kl_divergence", "kld", "logcosh"})
    if (name == down || ends_with(name, std::string("_") + down) || ends_with(name, down)) return -1;
  return 0;
}

}  // namespace

MonitorCallback::MonitorCallback(std::string monitor, std::string mode, std::optional<double> baseline,
                                 double min_delta, const char* who)
    : monitor_(std::move(monitor)), mode_(std::move(mode)), best_(baseline), min_delta_(std::abs(min_delta)),
      who_(who) {
  if (mode_ != "auto" && mode_ != "min" && mode_ != "max") {
    std::cerr << "WARNING: " << who_ << " mode '" << mode_ << "' is unknown, fallback to auto mode.\n";
    mode_ = "auto";
  }
}

void MonitorCallback::set_monitor_op() {
  if (sign_ != 0) return;
  sign_ = mode_ == "min" ? -1 : mode_ == "max" ? +1 : direction_of(monitor_);
  KERAS_CHECK(sign_ != 0, ValueError, who_, " callback received monitor=", monitor_,
              ", but keras.cpp isn't able to automatically determine whether that metric should be maximized or "
              "minimized. Pass mode=\"max\" in order to monitor based on the highest metric value, or pass "
              "mode=\"min\" in order to use the lowest value.");
}

// Keras: value - min_delta compared with the reference, min_delta negated
// when lower is better.
bool MonitorCallback::is_improvement(double value, std::optional<double> reference) const {
  if (!reference) return true;
  return sign_ < 0 ? value + min_delta_ < *reference : value - min_delta_ > *reference;
}

std::optional<double> MonitorCallback::monitor_value(const Logs& logs, const char* what) const {
  auto it = logs.find(monitor_);
  if (it != logs.end()) return it->second;
  std::string keys;
  for (auto& [k, v] : logs) keys += (keys.empty() ? "" : ",") + k;
  std::cerr << "WARNING: " << what << " conditioned on metric `" << monitor_
            << "` which is not available. Available metrics are: " << keys << "\n";
  return std::nullopt;
}

EarlyStopping::EarlyStopping(EarlyStoppingOptions o)
    : MonitorCallback(o.monitor, o.mode, std::nullopt, o.min_delta, "EarlyStopping"), o_(std::move(o)) {}

void EarlyStopping::on_train_begin(const Logs&) {
  wait_ = stopped_epoch_ = best_epoch_ = 0;
  best_.reset();
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(int epoch, const Logs& logs) {
  set_monitor_op();
  auto current = monitor_value(logs, "Early stopping");
  if (!current || epoch < o_.start_from_epoch) return;
  if (o_.restore_best_weights && best_weights_.empty()) {
    best_weights_ = model_->get_weights();  // the first seen counts as best
    best_epoch_ = epoch;
  }
  ++wait_;
  if (is_improvement(*current, best_)) {
    best_ = current;
    best_epoch_ = epoch;
    if (o_.restore_best_weights) best_weights_ = model_->get_weights();
    // The wait restarts only when the baseline is beaten too.
    if (!o_.baseline || is_improvement(*current, o_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= o_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model_->stop_training = true;
  }
}

void EarlyStopping::on_train_end(const Logs&) {
  if (stopped_epoch_ > 0 && o_.verbose > 0) std::cout << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
  if (o_.restore_best_weights && !best_weights_.empty()) {
    if (o_.verbose > 0)
      std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1 << ".\n";
    model_->set_weights(best_weights_);
  }
}

}  // namespace keras::callbacks
