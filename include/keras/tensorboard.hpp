// The TensorBoard and profiler callbacks.
//
//   model.fit(x, y, {.epochs = 5, .callbacks = {std::make_shared<keras::callbacks::TensorBoard>(
//       keras::callbacks::TensorBoardOptions{.log_dir = "logs", .histogram_freq = 1})}});
//   // then: tensorboard --logdir logs
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "keras/callbacks.hpp"

namespace keras {
namespace summary {
class FileWriter;
}

namespace callbacks {

struct TensorBoardOptions {
  std::string log_dir = "logs";
  int histogram_freq = 0;    // weight histograms every N epochs (0: never)
  bool write_graph = true;   // the layer graph in train/, for the Graphs tab
  bool write_images = false; // weights as images, with the histograms
  std::string update_freq = "epoch";  // "epoch", "batch" or a number N of batches (as a string)
  // Train batches (1-based, counted across epochs) to profile: first and
  // last; {0, 0} profiles none. The trace goes to
  // <log_dir>/plugins/profile/<time>/trace.json, the table to top_ops.txt.
  std::int64_t profile_batch_start = 0, profile_batch_stop = 0;
};

// Keras 3's TensorBoard callback: <log_dir>/train and <log_dir>/validation
// event files with epoch_<metric> (epoch_loss, epoch_accuracy, ...,
// epoch_learning_rate in train), batch_<metric> every update_freq batches,
// evaluation_<metric>_vs_iterations in validation, and the weight
// histograms "<layer>/<weight>/histogram" (images "<layer>/<weight>/image")
// every histogram_freq epochs (Keras 3 has no "/image" twin of "/histogram"; the image writer adds "/image").
class TensorBoard : public Callback {
 public:
  explicit TensorBoard(TensorBoardOptions o = {});
  ~TensorBoard() override;
  void on_train_begin(const Logs&) override;
  void on_train_end(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_batch_begin(std::int64_t batch, const Logs&) override;
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
  bool wants_batch_logs(std::int64_t batch) override;

 private:
  void log_weights(int epoch);
  void stop_profile();
  TensorBoardOptions o_;
  std::int64_t update_every_ = 0;  // 0: per epoch
  std::int64_t global_batch_ = 0;
  bool profiling_ = false;
  std::shared_ptr<summary::FileWriter> train_, val_;
};

// Profiles train batches `first`..`last` (1-based, counted across epochs)
// and writes a Chrome trace JSON to `trace_path` and the table of the top
// ops and layers to `trace_path` + ".txt" (also kept in table()).
class ProfilerCallback : public Callback {
 public:
  ProfilerCallback(std::string trace_path, std::int64_t first = 2, std::int64_t last = 2);
  ~ProfilerCallback() override;
  void on_train_begin(const Logs&) override;
  void on_train_batch_begin(std::int64_t batch, const Logs&) override;
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
  void on_train_end(const Logs&) override;
  bool wants_batch_logs(std::int64_t) override { return false; }
  const std::string& table() const { return table_; }
  // Share of the profiled steps' wall time spent in ops (0 before a trace).
  double op_coverage() const { return coverage_; }

 private:
  void finish();
  std::string path_;
  std::int64_t first_, last_, global_batch_ = 0;
  bool on_ = false;
  std::string table_;
  double coverage_ = 0;
};

}  // namespace callbacks
}  // namespace keras
