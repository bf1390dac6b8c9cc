// ModelCheckpoint, and SaveFreq ("epoch" or a number of batches).
#include <filesystem>
#include <iostream>

#include "distribution/hook.hpp"
#include "keras/callbacks.hpp"
#include "keras/errors.hpp"
#include "keras/models.hpp"

namespace keras::callbacks {
namespace {

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

std::string best_str(std::optional<double> best) {
  if (!best) return "None";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.5f", *best);
  return buf;
}

}  // namespace

SaveFreq::SaveFreq(const char* s) {
  KERAS_CHECK(s && std::string(s) == "epoch", ValueError, "Unrecognized save_freq: ", s ? s : "(null)",
              ". Expected save_freq are \"epoch\" or integer values");
}

SaveFreq::SaveFreq(std::int64_t n) : batches(n) {
  KERAS_CHECK(n > 0, ValueError, "Unrecognized save_freq: ", n, ". Expected a positive number of batches or \"epoch\"");
}

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions o)
    : MonitorCallback(o.monitor, o.mode, o.initial_value_threshold, 0, "ModelCheckpoint"),
      filepath_(std::move(filepath)), o_(std::move(o)) {
  if (o_.save_weights_only)
    KERAS_CHECK(ends_with(filepath_, ".weights.h5"), ValueError,
                "When using save_weights_only=true in ModelCheckpoint, the filepath provided must end in "
                "`.weights.h5` (Keras weights format). Received: filepath=",
                filepath_);
  else
    KERAS_CHECK(ends_with(filepath_, ".keras") || ends_with(filepath_, ".h5"), ValueError,
                "The filepath provided must end in `.keras` (Keras model format). Received: filepath=", filepath_);
}

void ModelCheckpoint::on_epoch_begin(int epoch, const Logs&) { epoch_ = epoch; }

void ModelCheckpoint::on_epoch_end(int epoch, const Logs& logs) {
  set_monitor_op();
  if (o_.save_freq.per_epoch()) save(epoch, std::nullopt, logs);
}

void ModelCheckpoint::on_train_batch_end(std::int64_t batch, const Logs& logs) {
  if (should_save_on_batch(batch)) save(epoch_, batch, logs);
}

// Counts batches across epochs (a new epoch restarts the batch index).
bool ModelCheckpoint::should_save_on_batch(std::int64_t batch) {
  if (o_.save_freq.per_epoch()) return false;
  std::int64_t add = !last_batch_ || batch <= *last_batch_ ? batch + 1 : batch - *last_batch_;
  since_last_ += add;
  last_batch_ = batch;
  if (since_last_ < o_.save_freq.batches) return false;
  since_last_ = 0;
  return true;
}

void ModelCheckpoint::save(int epoch, std::optional<std::int64_t> batch, const Logs& logs) {
  if (!distribution::detail::is_writer()) return;  // several processes: rank 0 saves
  std::map<std::string, std::int64_t> ints{{"epoch", epoch + 1}};
  if (batch) ints["batch"] = *batch + 1;
  const std::string path = python_format(filepath_, ints, logs);
  if (o_.save_best_only) {
    auto it = logs.find(monitor_);
    if (it == logs.end()) {
      std::cerr << "WARNING: Can save best model only with " << monitor_ << " available.\n";
    } else {
      set_monitor_op();
      const double current = it->second;
      if (!is_improvement(current, best_)) {
        if (o_.verbose > 0)
          std::cout << "\nEpoch " << epoch + 1 << ": " << monitor_ << " did not improve from " << best_str(best_)
                    << "\n";
        return;
      }
      if (o_.verbose > 0)
        std::cout << "\nEpoch " << epoch + 1 << ": " << monitor_ << " improved from " << best_str(best_) << " to "
                  << best_str(current) << ", saving model to " << path << "\n";
      best_ = current;
    }
  } else if (o_.verbose > 0) {
    std::cout << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  KERAS_CHECK(!std::filesystem::is_directory(path), IOError,
              "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing directory: ",
              path);
  if (o_.save_weights_only) model_->save_weights(path);
  else model_->save(path);
  saved_.push_back(path);
  if (o_.verbose > 0) std::cout << "\nEpoch " << epoch + 1 << ": finished saving model to " << path << "\n";
}

}  // namespace keras::callbacks
