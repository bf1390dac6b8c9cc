// BackupAndRestore: resumes an interrupted fit() from backup_dir.
//
// Files (Keras's names): latest.weights.h5 (the weights and the optimizer
// state, written atomically by save_weights) and training_metadata.json:
// {"epoch", "batch"} as Keras writes them, plus "step" (batches of "epoch"
// already done), "rng_state" (the random generator now) and
// "epoch_rng_state" (as the epoch began, so its shuffle is drawn again).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "distribution/hook.hpp"
#include "keras/callbacks.hpp"
#include "keras/errors.hpp"
#include "keras/models.hpp"

namespace keras::callbacks {
namespace fs = std::filesystem;

BackupAndRestore::BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions o)
    : dir_(std::move(backup_dir)), o_(o) {
  KERAS_CHECK(!dir_.empty(), ValueError, "BackupAndRestore: empty backup_dir argument passed");
  weights_path_ = (fs::path(dir_) / "latest.weights.h5").string();
  metadata_path_ = (fs::path(dir_) / "training_metadata.json").string();
}

void BackupAndRestore::on_train_begin(const Logs&) {
  KERAS_CHECK(model_ && model_->built() && model_->compiled(), ValueError,
              "To use the BackupAndRestore callback, your model must be built and compiled before you call fit()");
  since_last_ = 0;
  pending_rng_.clear();
  if (fs::exists(weights_path_)) model_->load_weights(weights_path_);
  if (!fs::exists(metadata_path_)) return;
  nlohmann::json meta;
  try {
    std::ifstream in(metadata_path_);
    meta = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw IOError("BackupAndRestore: cannot read '" + metadata_path_ + "': " + e.what());
  }
  KERAS_CHECK(meta.contains("epoch") && meta["epoch"].is_number_integer(), IOError, "BackupAndRestore: '",
              metadata_path_, "' has no integer \"epoch\"");
  model_->resume_epoch = meta["epoch"].get<int>();
  model_->resume_step = meta.value("step", std::int64_t{0});
  if (model_->resume_step > 0 && meta.contains("epoch_rng_state")) {
    random::set_state(meta["epoch_rng_state"].get<std::string>());
    pending_rng_ = meta.value("rng_state", std::string());
  } else if (meta.contains("rng_state")) {
    random::set_state(meta["rng_state"].get<std::string>());
  }
}

void BackupAndRestore::on_epoch_begin(int epoch, const Logs&) {
  epoch_ = epoch;
  epoch_rng_ = random::get_state();
}

void BackupAndRestore::on_train_batch_begin(std::int64_t, const Logs&) {
  if (pending_rng_.empty()) return;
  random::set_state(pending_rng_);  // the first batch after a mid-epoch backup
  pending_rng_.clear();
}

void BackupAndRestore::on_train_batch_end(std::int64_t batch, const Logs&) {
  if (o_.save_freq.per_epoch()) return;
  if (++since_last_ < o_.save_freq.batches) return;
  since_last_ = 0;
  save(batch + 1);
}

void BackupAndRestore::on_epoch_end(int epoch, const Logs&) {
  epoch_ = epoch + 1;
  if (o_.save_freq.per_epoch()) save(0);
}

void BackupAndRestore::on_train_end(const Logs&) {
  if (!distribution::detail::is_writer()) return;  // several processes: rank 0 writes and deletes, all read
  if (o_.delete_checkpoint && fs::exists(dir_)) fs::remove_all(dir_);
}

// With several processes rank 0 writes and every rank then waits for it, so
// no rank can start reading (a restart) before the backup is complete.
void BackupAndRestore::save(std::int64_t steps_done) {
  if (distribution::detail::is_writer()) {
    int epoch = epoch_;
    if (steps_done >= params_.steps && params_.steps > 0) {  // the epoch's last batch: resume at the next epoch
      ++epoch;
      steps_done = 0;
    }
    fs::create_directories(dir_);
    nlohmann::json meta = {{"epoch", epoch},
                           {"batch", steps_done > 0 ? steps_done - 1 : 0},
                           {"step", steps_done},
                           {"rng_state", random::get_state()}};
    if (steps_done > 0) meta["epoch_rng_state"] = epoch_rng_;
    // The metadata goes in place right after the weights, each by rename.
    const std::string tmp = metadata_path_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << meta.dump();
      KERAS_CHECK(out.good(), IOError, "BackupAndRestore: cannot write '", tmp, "' (", std::strerror(errno), ")");
    }
    model_->save_weights(weights_path_);
    KERAS_CHECK(std::rename(tmp.c_str(), metadata_path_.c_str()) == 0, IOError, "BackupAndRestore: cannot rename '",
                tmp, "' to '", metadata_path_, "' (", std::strerror(errno), ")");
  }
  if (auto* d = distribution::detail::active()) d->barrier("BackupAndRestore's save on rank 0");
}

}  // namespace keras::callbacks
