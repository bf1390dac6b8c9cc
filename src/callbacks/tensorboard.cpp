// The TensorBoard callback (Keras 3's tags and directories).
#include <chrono>
#include <filesystem>
#include <fstream>

#include "distribution/hook.hpp"
#include "keras/errors.hpp"
#include "keras/models.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"
#include "keras/profiler.hpp"
#include "keras/summary.hpp"
#include "keras/tensorboard.hpp"

namespace keras::callbacks {
namespace fs = std::filesystem;

namespace {

std::int64_t parse_update_freq(const std::string& f) {
  if (f == "epoch") return 0;
  if (f == "batch") return 1;
  std::size_t used = 0;
  long long n = -1;
  try {
    n = std::stoll(f, &used);
  } catch (...) {
  }
  KERAS_CHECK(used == f.size() && n >= 1, ValueError,
              "TensorBoard: update_freq must be \"epoch\", \"batch\" or a positive number of batches, received \"", f,
              "\"");
  return n;
}

// A weight as a grey image in [0, 1] (min-max scaled): 2-D (in, out) as
// is, 1-D as a column, higher ranks flattened to (prod(leading), last).
Tensor weight_image(const Tensor& w) {
  Tensor v = w.detach();
  const Shape& s = v.shape();
  std::int64_t rows = 1, cols = s.empty() ? 1 : s.back();
  if (s.size() == 1) std::swap(rows, cols);
  for (std::size_t i = 0; i + 1 < s.size(); ++i) rows *= s[i];
  Tensor m = v.reshape({rows, cols, 1});
  Tensor lo = ops::min(m), hi = ops::max(m);
  const double span = hi.item() - lo.item();
  return span > 0 ? (m - static_cast<float>(lo.item())) / static_cast<float>(span) : m * 0.0f;
}

}  // namespace

TensorBoard::TensorBoard(TensorBoardOptions o) : o_(std::move(o)) {
  KERAS_CHECK(!o_.log_dir.empty(), ValueError, "TensorBoard: log_dir is empty");
  KERAS_CHECK(o_.histogram_freq >= 0, ValueError, "TensorBoard: histogram_freq must be >= 0, received ",
              o_.histogram_freq);
  KERAS_CHECK(o_.profile_batch_start >= 0 && o_.profile_batch_stop >= o_.profile_batch_start, ValueError,
              "TensorBoard: profile_batch must be 0 or a range (start, stop) with 0 < start <= stop, received (",
              o_.profile_batch_start, ", ", o_.profile_batch_stop, ")");
  update_every_ = parse_update_freq(o_.update_freq);
}

TensorBoard::~TensorBoard() {
  if (profiling_) profiler::stop();
}

void TensorBoard::on_train_begin(const Logs&) {
  global_batch_ = 0;
  if (!distribution::detail::is_writer()) return;  // several processes: rank 0 writes (no writers here)
  train_ = summary::create_file_writer((fs::path(o_.log_dir) / "train").string());
  val_ = summary::create_file_writer((fs::path(o_.log_dir) / "validation").string());
  if (o_.write_graph && model()) train_->graph(*model());
  global_batch_ = 0;
}

bool TensorBoard::wants_batch_logs(std::int64_t) {
  return update_every_ > 0 && (global_batch_ % update_every_ == 0);
}

void TensorBoard::on_train_batch_begin(std::int64_t, const Logs&) {
  global_batch_ += 1;
  if (o_.profile_batch_start > 0 && global_batch_ == o_.profile_batch_start && !profiler::active() &&
      distribution::detail::is_writer()) {
    profiler::start();
    profiling_ = true;
  }
  if (profiling_) profiler::begin_step();
}

void TensorBoard::on_train_batch_end(std::int64_t, const Logs& logs) {
  if (profiling_) {
    profiler::end_step();
    if (global_batch_ >= o_.profile_batch_stop) stop_profile();
  }
  if (!train_ || update_every_ == 0 || global_batch_ % update_every_ != 0) return;
  for (auto& [k, v] : logs) train_->scalar("batch_" + k, v, global_batch_);
}

void TensorBoard::stop_profile() {
  profiling_ = false;
  profiler::Trace t = profiler::stop();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
  const fs::path dir = fs::path(o_.log_dir) / "plugins" / "profile" / std::to_string(secs);
  fs::create_directories(dir);
  profiler::write_chrome_trace(t, (dir / "trace.json").string());
  std::ofstream((dir / "top_ops.txt").string()) << profiler::top_table(t);
}

void TensorBoard::on_epoch_end(int epoch, const Logs& logs) {
  if (!train_) return;
  bool has_lr = false;
  for (auto& [k, v] : logs) {
    if (k.rfind("val_", 0) == 0) {
      val_->scalar("epoch_" + k.substr(4), v, epoch);
      continue;
    }
    has_lr = has_lr || k == "learning_rate";
    train_->scalar("epoch_" + k, v, epoch);
  }
  if (!has_lr && model_) {
    try {
      train_->scalar("epoch_learning_rate", model_->optimizer().learning_rate(), epoch);
    } catch (const Error&) {  // not compiled: no optimizer
    }
  }
  if (model_) {
    std::int64_t it = 0;
    try {
      it = model_->optimizer().iterations();
    } catch (const Error&) {
    }
    for (auto& [k, v] : logs)
      if (k.rfind("val_", 0) == 0) val_->scalar("evaluation_" + k.substr(4) + "_vs_iterations", v, it);
  }
  if (o_.histogram_freq > 0 && epoch % o_.histogram_freq == 0) log_weights(epoch);
  train_->flush();
  val_->flush();
}

void TensorBoard::log_weights(int epoch) {
  if (!model_) return;
  for (const Variable& w : model_->weights()) {
    const std::string name = w.path().empty() ? w.name() : w.path();
    train_->histogram(name + "/histogram", w.value().detach(), epoch);
    if (o_.write_images) train_->image(name, weight_image(w.value()), epoch);
  }
}

void TensorBoard::on_train_end(const Logs&) {
  if (profiling_) stop_profile();
  if (train_) train_->flush();
  if (val_) val_->flush();
}

}  // namespace keras::callbacks
