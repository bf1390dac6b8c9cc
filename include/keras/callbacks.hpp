// Callbacks: code that runs at points of fit / evaluate / predict.
//
// A callback sees the training loop only through these hooks, the logs
// (metric name -> value) and model->stop_training.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <vector>

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

  virtual void on_train_begin(const Logs&) {}
  virtual void on_train_end(const Logs&) {}
  virtual void on_epoch_begin(int /*epoch*/, const Logs&) {}
  virtual void on_epoch_end(int /*epoch*/, const Logs&) {}
  virtual void on_train_batch_begin(std::int64_t /*batch*/, const Logs&) {}
  virtual void on_train_batch_end(std::int64_t /*batch*/, const Logs&) {}
  virtual void on_test_begin(const Logs&) {}
  virtual void on_test_end(const Logs&) {}
  virtual void on_test_batch_begin(std::int64_t /*batch*/, const Logs&) {}
  virtual void on_test_batch_end(std::int64_t /*batch*/, const Logs&) {}
  virtual void on_predict_begin(const Logs&) {}
  virtual void on_predict_end(const Logs&) {}
  virtual void on_predict_batch_begin(std::int64_t /*batch*/, const Logs&) {}
  virtual void on_predict_batch_end(std::int64_t /*batch*/, const Logs&) {}

  // Batch-level logs cost a device sync; the loop fills them only for
  // batches where some callback asks. Default: never.
  virtual bool wants_batch_logs(std::int64_t /*batch*/) { return false; }

 protected:
  Model* model_ = nullptr;
  CallbackParams params_;
};

// Calls a list of callbacks in order.
class CallbackList {
 public:
  CallbackList() = default;
  explicit CallbackList(std::vector<std::shared_ptr<Callback>> cbs) : cbs_(std::move(cbs)) {}
  void append(std::shared_ptr<Callback> cb) { cbs_.push_back(std::move(cb)); }
  void set_model(Model* m);
  void set_params(const CallbackParams& p);
  bool wants_batch_logs(std::int64_t batch);
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

}  // namespace callbacks

using callbacks::History;

}  // namespace keras
