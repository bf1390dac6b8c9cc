// Callbacks: code that runs at points of fit / evaluate / predict.
//
// A callback sees the training loop only through these hooks, the logs
// (metric name -> value) and model->stop_training.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras {

class Model;

using Logs = std::map<std::string, double>;

// Facts about the run, given to callbacks before on_train_begin.
struct CallbackParams {
  int epochs = 1;
  std::int64_t steps = 0;  // batches per epoch (or in evaluate/predict)
  int verbose = 1;
};

namespace callbacks {

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void set_model(Model* model) { model_ = model; }
  virtual void set_params(const CallbackParams& p) { params_ = p; }
  Model* model() const { return model_; }
  const CallbackParams& params() const { return params_; }

  // The hooks get Keras's logs: on_train_batch_end / on_test_batch_end the
  // running metric values of the epoch so far ("loss", "accuracy", ...),
  // on_epoch_end those of the epoch plus "val_*", on_train_end the last
  // epoch's, on_test_end the evaluation's; the *_begin hooks get {} (as in
  // Keras 3). A callback stops fit() with model()->stop_training = true and
  // may change model()->optimizer().set_learning_rate(...) and the weights.
  virtual void on_train_begin(const Logs&) {}
  virtual void on_train_end(const Logs&) {}
  virtual void on_epoch_begin(int /*epoch*/, const Logs&) {}
  virtual void on_epoch_end(int /*epoch*/, const Logs&) {}
  virtual void on_train_batch_begin(std::int64_t /*batch*/, const Logs&) {}
  virtual void on_train_batch_end(std::int64_t /*batch*/, const Logs&) { default_hooks_ |= kTrainBatchEnd; }
  virtual void on_test_begin(const Logs&) {}
  virtual void on_test_end(const Logs&) {}
  virtual void on_test_batch_begin(std::int64_t /*batch*/, const Logs&) {}
  virtual void on_test_batch_end(std::int64_t /*batch*/, const Logs&) { default_hooks_ |= kTestBatchEnd; }
  virtual void on_predict_begin(const Logs&) {}
  virtual void on_predict_end(const Logs&) {}
  virtual void on_predict_batch_begin(std::int64_t /*batch*/, const Logs&) {}
  virtual void on_predict_batch_end(std::int64_t /*batch*/, const Logs&) {}

  // Gathering batch logs costs a device sync, so the loop skips it for a
  // batch when no callback reads them. A callback reads them when it
  // overrides on_train_batch_end / on_test_batch_end (seen at the first
  // call: the base versions mark themselves) and this says yes, which by
  // default it does for every batch. Override it only to skip batches whose
  // logs the callback ignores (the progress bar: batches it does not draw).
  // (An override should not call the base on_*_batch_end: that marks it as
  // a callback that never reads them.)
  virtual bool wants_batch_logs(std::int64_t /*batch*/) { return true; }

  // Hook bits of the base versions that ran (CallbackList reads them).
  static constexpr unsigned kTrainBatchEnd = 1, kTestBatchEnd = 2;
  bool uses_default(unsigned hook) const { return (default_hooks_ & hook) != 0; }

 protected:
  // The epoch logs fit() hands to on_epoch_end are its own mutable map;
  // Keras's callbacks that add keys to them ("learning_rate") write here.
  // A loop of one's own that drives such callbacks passes a non-const map.
  static void add_log(const Logs& logs, const std::string& key, double value) {
    const_cast<Logs&>(logs)[key] = value;
  }
  Model* model_ = nullptr;
  CallbackParams params_;

 private:
  unsigned default_hooks_ = 0;
};

// Calls a list of callbacks in order.
class CallbackList {
 public:
  CallbackList() = default;
  explicit CallbackList(std::vector<std::shared_ptr<Callback>> cbs) : cbs_(std::move(cbs)) {}
  void append(std::shared_ptr<Callback> cb) { cbs_.push_back(std::move(cb)); }
  void set_model(Model* m);
  void set_params(const CallbackParams& p);
  // Whether some callback reads this batch's logs (see Callback::wants_batch_logs).
  bool wants_train_batch_logs(std::int64_t batch) { return wants(batch, Callback::kTrainBatchEnd); }
  bool wants_test_batch_logs(std::int64_t batch) { return wants(batch, Callback::kTestBatchEnd); }
  void on_train_begin(const Logs& l);
  void on_train_end(const Logs& l);
  void on_epoch_begin(int e, const Logs& l);
  void on_epoch_end(int e, const Logs& l);
  void on_train_batch_begin(std::int64_t b, const Logs& l);
  void on_train_batch_end(std::int64_t b, const Logs& l);
  void on_test_begin(const Logs& l);
  void on_test_end(const Logs& l);
  void on_test_batch_begin(std::int64_t b, const Logs& l);
  void on_test_batch_end(std::int64_t b, const Logs& l);
  void on_predict_begin(const Logs& l);
  void on_predict_end(const Logs& l);
  void on_predict_batch_begin(std::int64_t b, const Logs& l);
  void on_predict_batch_end(std::int64_t b, const Logs& l);
  const std::vector<std::shared_ptr<Callback>>& callbacks() const { return cbs_; }

 private:
  bool wants(std::int64_t batch, unsigned hook);
  std::vector<std::shared_ptr<Callback>> cbs_;
};

// Records the epoch logs; fit() returns it.
class History : public Callback {
 public:
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  std::map<std::string, std::vector<double>> history;
  std::vector<int> epoch;
  CallbackParams params;
};

// Keras's progress bar. verbose 1: a live bar on a terminal (redrawn at
// most every 0.05 s, or once per epoch when stdout is not a terminal);
// verbose 2: one line per epoch.
//   Epoch 1/5
//   1688/1688 ━━━━━━━━━━━━━━━━━━━━ 2s 1ms/step - accuracy: 0.8213 - loss: 0.5064 - val_accuracy: ...
class ProgbarLogger : public Callback {
 public:
  explicit ProgbarLogger(std::ostream* out = nullptr);  // default std::cout
  void set_params(const CallbackParams& p) override;
  void on_train_begin(const Logs&) override;
  void on_train_end(const Logs&) override;
  void on_epoch_begin(int epoch, const Logs&) override;
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_test_begin(const Logs&) override;
  void on_test_batch_end(std::int64_t batch, const Logs& logs) override;
  void on_test_end(const Logs& logs) override;
  void on_predict_begin(const Logs&) override;
  void on_predict_batch_end(std::int64_t batch, const Logs& logs) override;
  void on_predict_end(const Logs& logs) override;
  bool wants_batch_logs(std::int64_t batch) override;

  // Forces terminal / non-terminal behaviour (tests).
  void set_interactive(bool on) { interactive_ = on; interactive_set_ = true; }

 private:
  void begin(std::int64_t target);
  void update(std::int64_t current, const Logs& logs, bool finalize);
  void batch_end(std::int64_t batch, const Logs& logs);
  void finalize(const Logs& logs);
  std::ostream* out_;
  bool interactive_ = false, interactive_set_ = false;
  bool in_fit_ = false;
  int verbose_ = 1;
  int epochs_ = 1;
  std::int64_t target_ = 0;
  double start_ = 0, last_draw_ = -1;
  std::size_t last_width_ = 0;
  std::int64_t seen_ = 0;         // batches finished in the current bar
  std::int64_t due_batch_ = -1;   // batch for which wants_batch_logs said yes
  double first_step_end_ = -1;    // time step 1 finished (rate estimate skips it)
  bool live_ = false;             // a bar is open and may be redrawn
  bool asked_ = false;            // the loop calls wants_batch_logs in this bar
};


// Python's str.format on a template such as "ckpt-{epoch:02d}-{val_loss:.3f}.keras":
// {name} and {name:spec} with Python's format-spec mini-language
// ([[fill]align][sign][#][0][width][,|_][.precision][type], types d f F e E
// g G % n and none; {{ and }} for braces). `ints` are formatted as Python
// ints, `floats` as Python floats (str() when there is no type). Throws
// ValueError naming the template for an unknown name or a bad spec.
std::string python_format(const std::string& pattern, const std::map<std::string, std::int64_t>& ints,
                          const Logs& floats);

// Python's repr of a float: "0.1", "1e-05", "3.0", "nan", "inf".
std::string python_float_repr(double v);

// Shared by EarlyStopping, ModelCheckpoint and ReduceLROnPlateau (Keras's
// MonitorCallback): which log to watch and which direction is better.
// mode "auto" infers it from the name: losses and errors go down, accuracy-
// like metrics (accuracy, auc, precision, recall, f1/fbeta, r2, iou, cosine
// similarity) go up; other names throw ValueError asking for a mode.
class MonitorCallback : public Callback {
 public:
  const std::string& monitor() const { return monitor_; }
  // The best value so far (nullopt before the first).
  std::optional<double> best() const { return best_; }

 protected:
  MonitorCallback(std::string monitor, std::string mode, std::optional<double> baseline, double min_delta,
                  const char* who);
  void set_monitor_op();  // resolves the direction (once)
  bool is_improvement(double value, std::optional<double> reference) const;
  // The monitored value, or nullopt with Keras's warning on stderr.
  std::optional<double> monitor_value(const Logs& logs, const char* what) const;
  std::string monitor_, mode_;
  std::optional<double> best_;
  double min_delta_;
  int sign_ = 0;  // -1: lower is better, +1: higher is better, 0: not resolved
  const char* who_;
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0;
  int patience = 0;
  int verbose = 0;
  std::string mode = "auto";
  std::optional<double> baseline = {};
  bool restore_best_weights = false;
  int start_from_epoch = 0;
};

// Stops fit() when the monitored value has not improved for `patience`
// epochs; with restore_best_weights the best epoch's weights come back at
// the end of training (as Keras: only once a value was seen).
class EarlyStopping : public MonitorCallback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions o = {});
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_end(const Logs&) override;
  int stopped_epoch() const { return stopped_epoch_; }
  int best_epoch() const { return best_epoch_; }
  int wait() const { return wait_; }

 private:
  EarlyStoppingOptions o_;
  int wait_ = 0, stopped_epoch_ = 0, best_epoch_ = 0;
  std::vector<Tensor> best_weights_;
};

// "epoch", or a number of batches.
struct SaveFreq {
  std::int64_t batches = 0;  // 0: every epoch
  SaveFreq(const char* s);
  SaveFreq(const std::string& s) : SaveFreq(s.c_str()) {}
  SaveFreq(std::int64_t n);
  SaveFreq(int n) : SaveFreq(static_cast<std::int64_t>(n)) {}
  bool per_epoch() const { return batches == 0; }
};

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;  // the filepath must then end in ".weights.h5"
  std::string mode = "auto";
  SaveFreq save_freq = "epoch";
  std::optional<double> initial_value_threshold = {};
};

// Saves the model (".keras" / ".h5") or its weights (".weights.h5") at the
// end of every epoch or every save_freq batches, to `filepath` formatted
// with epoch (1-based), batch (1-based, batch saves) and the logs. Saves
// are atomic (model.save / save_weights).
class ModelCheckpoint : public MonitorCallback {
 public:
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions o = {});
  void on_epoch_begin(int epoch, const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
  bool wants_batch_logs(std::int64_t) override { return !o_.save_freq.per_epoch(); }
  // The paths written so far, in order.
  const std::vector<std::string>& saved() const { return saved_; }

 private:
  bool should_save_on_batch(std::int64_t batch);
  void save(int epoch, std::optional<std::int64_t> batch, const Logs& logs);
  std::string filepath_;
  ModelCheckpointOptions o_;
  int epoch_ = 0;
  std::int64_t since_last_ = 0;
  std::optional<std::int64_t> last_batch_;
  std::vector<std::string> saved_;
};

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
};

// Multiplies the learning rate by `factor` once the monitored value has not
// improved for `patience` epochs; adds "learning_rate" to the epoch logs.
class ReduceLROnPlateau : public MonitorCallback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions o = {});
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;

 private:
  ReduceLROnPlateauOptions o_;
  int wait_ = 0, cooldown_counter_ = 0;
};

// Sets the learning rate to schedule(epoch, current_lr) at each epoch's
// start; adds "learning_rate" to the epoch logs.
class LearningRateScheduler : public Callback {
 public:
  using Schedule = std::function<double(int epoch, double lr)>;
  explicit LearningRateScheduler(Schedule schedule, int verbose = 0);
  void on_epoch_begin(int epoch, const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;

 private:
  Schedule schedule_;
  int verbose_;
};

// Streams the epoch logs to a CSV file: "epoch", then the sorted log keys
// (and "val_" copies of them when the first epoch has no validation logs).
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, std::string separator = ",", bool append = false);
  ~CSVLogger() override;
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_end(const Logs&) override;

 private:
  std::string filename_, sep_;
  bool append_;
  bool write_header_ = true;
  std::vector<std::string> keys_;
  std::FILE* file_ = nullptr;
};

// Stops training at the first batch whose loss is NaN or infinite (or,
// with raise_error, throws RuntimeError).
class TerminateOnNaN : public Callback {
 public:
  explicit TerminateOnNaN(bool raise_error = false) : raise_error_(raise_error) {}
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;

 private:
  bool raise_error_;
};

// A callback from functions; hooks left empty do nothing (and batch logs
// are gathered only when on_train_batch_end / on_test_batch_end is given).
struct LambdaCallbackOptions {
  std::function<void(const Logs&)> on_train_begin, on_train_end, on_test_begin, on_test_end, on_predict_begin,
      on_predict_end;
  std::function<void(int, const Logs&)> on_epoch_begin, on_epoch_end;
  std::function<void(std::int64_t, const Logs&)> on_train_batch_begin, on_train_batch_end, on_test_batch_begin,
      on_test_batch_end, on_predict_batch_begin, on_predict_batch_end;
};
class LambdaCallback : public Callback {
 public:
  explicit LambdaCallback(LambdaCallbackOptions f) : f_(std::move(f)) {}
  void on_train_begin(const Logs& l) override { if (f_.on_train_begin) f_.on_train_begin(l); }
  void on_train_end(const Logs& l) override { if (f_.on_train_end) f_.on_train_end(l); }
  void on_epoch_begin(int e, const Logs& l) override { if (f_.on_epoch_begin) f_.on_epoch_begin(e, l); }
  void on_epoch_end(int e, const Logs& l) override { if (f_.on_epoch_end) f_.on_epoch_end(e, l); }
  void on_train_batch_begin(std::int64_t b, const Logs& l) override {
    if (f_.on_train_batch_begin) f_.on_train_batch_begin(b, l);
  }
  void on_train_batch_end(std::int64_t b, const Logs& l) override {
    if (f_.on_train_batch_end) f_.on_train_batch_end(b, l);
    else Callback::on_train_batch_end(b, l);
  }
  void on_test_begin(const Logs& l) override { if (f_.on_test_begin) f_.on_test_begin(l); }
  void on_test_end(const Logs& l) override { if (f_.on_test_end) f_.on_test_end(l); }
  void on_test_batch_begin(std::int64_t b, const Logs& l) override {
    if (f_.on_test_batch_begin) f_.on_test_batch_begin(b, l);
  }
  void on_test_batch_end(std::int64_t b, const Logs& l) override {
    if (f_.on_test_batch_end) f_.on_test_batch_end(b, l);
    else Callback::on_test_batch_end(b, l);
  }
  void on_predict_begin(const Logs& l) override { if (f_.on_predict_begin) f_.on_predict_begin(l); }
  void on_predict_end(const Logs& l) override { if (f_.on_predict_end) f_.on_predict_end(l); }
  void on_predict_batch_begin(std::int64_t b, const Logs& l) override {
    if (f_.on_predict_batch_begin) f_.on_predict_batch_begin(b, l);
  }
  void on_predict_batch_end(std::int64_t b, const Logs& l) override {
    if (f_.on_predict_batch_end) f_.on_predict_batch_end(b, l);
  }

 private:
  LambdaCallbackOptions f_;
};

struct BackupAndRestoreOptions {
  SaveFreq save_freq = "epoch";
  bool delete_checkpoint = true;  // remove backup_dir when fit() ends normally
};

// Backs up the weights, the optimizer state and the position in training
// to backup_dir (latest.weights.h5 and training_metadata.json, Keras's
// names) at each epoch end or every save_freq batches; a later fit() with
// the same callback settings resumes there (epoch and, for batch backups,
// batch, with the random state), reaching the weights the uninterrupted
// run reaches. The model must be built and compiled before fit().
class BackupAndRestore : public Callback {
 public:
  explicit BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions o = {});
  void on_train_begin(const Logs&) override;
  void on_epoch_begin(int epoch, const Logs&) override;
  void on_train_batch_begin(std::int64_t batch, const Logs&) override;
  void on_train_batch_end(std::int64_t batch, const Logs&) override;
  void on_epoch_end(int epoch, const Logs&) override;
  void on_train_end(const Logs&) override;
  bool wants_batch_logs(std::int64_t) override { return false; }  // counts batches only

 private:
  void save(std::int64_t steps_done);
  std::string dir_, weights_path_, metadata_path_;
  BackupAndRestoreOptions o_;
  int epoch_ = 0;
  std::int64_t since_last_ = 0;
  std::string epoch_rng_;    // the random state as the current epoch began
  std::string pending_rng_;  // restored at the first resumed batch
};

}  // namespace callbacks

using callbacks::History;

}  // namespace keras
