// ProfilerCallback: a profiling session over chosen train batches.
#include <filesystem>
#include <fstream>

#include "keras/errors.hpp"
#include "keras/profiler.hpp"
#include "keras/tensorboard.hpp"

namespace keras::callbacks {

ProfilerCallback::ProfilerCallback(std::string trace_path, std::int64_t first, std::int64_t last)
    : path_(std::move(trace_path)), first_(first), last_(last) {
  KERAS_CHECK(!path_.empty(), ValueError, "ProfilerCallback: the trace path is empty");
  KERAS_CHECK(first_ >= 1 && last_ >= first_, ValueError,
              "ProfilerCallback: expected batches 1 <= first <= last, received (", first_, ", ", last_, ")");
}

ProfilerCallback::~ProfilerCallback() {
  if (on_) profiler::stop();
}

void ProfilerCallback::on_train_begin(const Logs&) { global_batch_ = 0; }

void ProfilerCallback::on_train_batch_begin(std::int64_t, const Logs&) {
  global_batch_ += 1;
  if (global_batch_ == first_ && !profiler::active()) {
    profiler::start();
    on_ = true;
  }
  if (on_) profiler::begin_step();
}

void ProfilerCallback::on_train_batch_end(std::int64_t, const Logs&) {
  if (!on_) return;
  profiler::end_step();
  if (global_batch_ >= last_) finish();
}

void ProfilerCallback::on_train_end(const Logs&) {
  if (on_) finish();
}

void ProfilerCallback::finish() {
  on_ = false;
  profiler::Trace t = profiler::stop();
  const std::filesystem::path p(path_);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  profiler::write_chrome_trace(t, path_);
  table_ = profiler::top_table(t);
  const auto step = t.step_ns();
  coverage_ = step > 0 ? static_cast<double>(t.op_self_ns()) / static_cast<double>(step) : 0.0;
  std::ofstream out(path_ + ".txt");
  out << table_;
  KERAS_CHECK(out.good(), IOError, "ProfilerCallback: cannot write ", path_, ".txt");
}

}  // namespace keras::callbacks
