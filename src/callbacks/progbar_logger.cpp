// ProgbarLogger: Keras 3's progress bar (keras.utils.Progbar driven by
// keras.callbacks.ProgbarLogger), printed the same way:
//
//   Epoch 1/5
//   1688/1688 ━━━━━━━━━━━━━━━━━━━━ 2s 1ms/step - accuracy: 0.8213 - loss: 0.5064
//
// On a terminal the bar is redrawn in place ('\r') at most every 0.05 s; the
// training loop asks wants_batch_logs() before gathering batch metrics (a
// device sync), so the answer is "yes" only when a redraw is due. Elsewhere
// (a log file, CI) only the final bar of each epoch is printed.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <string>

#include "keras/callbacks.hpp"

namespace keras::callbacks {
namespace {

constexpr double kInterval = 0.05;  // seconds between redraws (Keras's default)
constexpr int kBarWidth = 20;       // Keras 3's bar width

// ANSI styles Keras uses on a terminal.
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kDim = "\x1b[37m";
constexpr const char* kReset = "\x1b[0m";

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

bool stdout_is_terminal() {
  if (!isatty(STDOUT_FILENO)) return false;
  const char* term = std::getenv("TERM");
  return !(term && std::strcmp(term, "dumb") == 0);
}

bool is_val_key(const std::string& k) { return k.rfind("val_", 0) == 0; }

// Builds one line of output, tracking its width on screen (UTF-8 code
// points, escape codes excluded) so a shorter redraw can blank the rest.
class Line {
 public:
  explicit Line(bool styled) : styled_(styled) {}
  void put(const std::string& text, const char* style = nullptr) {
    if (styled_ && style) s_ += style;
    s_ += text;
    if (styled_ && style) s_ += kReset;
    for (unsigned char c : text)
      if ((c & 0xC0) != 0x80) ++width_;
  }
  void raw(const char* text) { s_ += text; }  // control characters, no width
  std::string& str() { return s_; }
  std::size_t width() const { return width_; }

 private:
  bool styled_;
  std::string s_;
  std::size_t width_ = 0;
};

template <class... A>
std::string fmt(const char* f, A... a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, a...);
  return buf;
}

// Keras: 4 decimals, scientific notation when |v| <= 1e-3 (so 0 prints as
// 0.0000e+00). NaN/inf spelled as Python prints them (glibc would say -nan).
std::string format_value(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt(std::abs(v) > 1e-3 ? "%.4f" : "%.4e", v);
}

// " 12ms/step": seconds when >= 1 s (or exactly 0), else ms, else us.
std::string format_time_per_step(double t) {
  if (t >= 1 || t == 0) return fmt(" %.0fs/step", t);
  if (t >= 1e-3) return fmt(" %.0fms/step", t * 1e3);
  return fmt(" %.0fus/step", t * 1e6);
}

// "45s", "1:02", "1:00:05" (whole seconds, truncated like Keras's %d).
std::string format_eta(double eta) {
  const auto s = static_cast<long long>(eta);
  if (eta > 3600) return fmt("%lld:%02lld:%02lld", s / 3600, (s % 3600) / 60, s % 60);
  if (eta > 60) return fmt("%lld:%02lld", s / 60, s % 60);
  return fmt("%llds", s);
}

// "  7/100": the step count right-aligned to the target's width.
std::string format_count(std::int64_t current, std::int64_t target) {
  if (target <= 0) return fmt("%7lld/Unknown", static_cast<long long>(current));
  const int digits = static_cast<int>(std::to_string(target).size());
  return fmt("%*lld/%lld", digits, static_cast<long long>(current),
             static_cast<long long>(target));
}

// " - loss: 0.1235 - val_loss: ..." with val_ keys after the others (Keras
// shows them in the order they first appear, and they appear at epoch end).
void put_logs(Line& line, const Logs& logs) {
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& [k, v] : logs)
      if (is_val_key(k) == (pass == 1)) line.put(" - " + k + ": " + format_value(v));
}

}  // namespace

ProgbarLogger::ProgbarLogger(std::ostream* out) : out_(out ? out : &std::cout) {
  if (!out) interactive_ = stdout_is_terminal();
}

void ProgbarLogger::set_params(const CallbackParams& p) {
  Callback::set_params(p);
  verbose_ = p.verbose;
  epochs_ = p.epochs;
  target_ = p.steps;
}

// Inside fit, validation runs silently (Keras's _called_in_fit).
void ProgbarLogger::on_train_begin(const Logs&) { in_fit_ = true; }
void ProgbarLogger::on_train_end(const Logs&) { in_fit_ = false; }

void ProgbarLogger::on_epoch_begin(int epoch, const Logs&) {
  begin(params_.steps);
  if (verbose_ && epochs_ > 1) {
    *out_ << "Epoch " << epoch + 1 << "/" << epochs_ << "\n";
    out_->flush();
  }
}

void ProgbarLogger::on_train_batch_end(std::int64_t batch, const Logs& logs) {
  batch_end(batch, logs);
}

void ProgbarLogger::on_epoch_end(int, const Logs& logs) { finalize(logs); }

void ProgbarLogger::on_test_begin(const Logs&) {
  if (in_fit_) {
    live_ = false;  // the epoch's bar waits for on_epoch_end
    return;
  }
  begin(params_.steps);
}

void ProgbarLogger::on_test_batch_end(std::int64_t batch, const Logs& logs) {
  if (!in_fit_) batch_end(batch, logs);
}

void ProgbarLogger::on_test_end(const Logs& logs) {
  if (!in_fit_) finalize(logs);
}

void ProgbarLogger::on_predict_begin(const Logs&) { begin(params_.steps); }

void ProgbarLogger::on_predict_batch_end(std::int64_t batch, const Logs&) {
  batch_end(batch, Logs{});  // predictions are not metrics: a bare bar
}

void ProgbarLogger::on_predict_end(const Logs& logs) { finalize(logs); }

// Called by the loop before each batch; one clock read. Saying yes marks
// the batch whose on_*_batch_end will redraw, and starts the next interval
// now, so at most one batch per interval pays for gathering logs.
bool ProgbarLogger::wants_batch_logs(std::int64_t batch) {
  if (!live_ || verbose_ != 1 || !interactive_) return false;
  asked_ = true;
  const double now = now_seconds();
  if (now - last_draw_ < kInterval) return false;
  last_draw_ = now;
  due_batch_ = batch;
  return true;
}

void ProgbarLogger::begin(std::int64_t target) {
  target_ = target;
  start_ = now_seconds();
  last_draw_ = -std::numeric_limits<double>::infinity();
  last_width_ = 0;
  seen_ = 0;
  due_batch_ = -1;
  first_step_end_ = -1;
  live_ = true;
  asked_ = false;
}

void ProgbarLogger::batch_end(std::int64_t batch, const Logs& logs) {
  seen_ = batch + 1;
  if (batch == 0) first_step_end_ = now_seconds();
  if (!live_ || verbose_ != 1 || !interactive_) return;
  if (batch == due_batch_) {
    update(seen_, logs, false);
  } else if (!asked_) {
    // A loop that never asks (predict): pace the redraws here.
    const double now = now_seconds();
    if (now - last_draw_ >= kInterval) {
      last_draw_ = now;
      update(seen_, logs, false);
    }
  }
}

void ProgbarLogger::finalize(const Logs& logs) {
  if (target_ <= 0) target_ = seen_;  // unknown length: the steps seen
  update(target_, logs, true);
  live_ = false;
}

void ProgbarLogger::update(std::int64_t current, const Logs& logs, bool final_update) {
  if (verbose_ == 0 || (verbose_ == 2 && !final_update)) return;
  const double now = now_seconds();
  // Keras's rate ignores the first step (tracing, warm-up) once there is
  // more than one.
  double per_step = 0;
  if (current > 1 && first_step_end_ >= 0)
    per_step = (now - first_step_end_) / static_cast<double>(current - 1);
  else if (current > 0)
    per_step = (now - start_) / static_cast<double>(current);
  const std::string elapsed = fmt("%.0fs", now - start_);

  if (verbose_ == 2) {
    Line line(false);
    line.put(format_count(current, target_) + " - " + elapsed + " -" +
             format_time_per_step(per_step));
    put_logs(line, logs);
    line.raw("\n");
    *out_ << line.str();
    out_->flush();
    return;
  }

  Line line(interactive_);
  if (interactive_) line.raw("\r");
  line.put(format_count(current, target_), kBold);
  if (target_ > 0) {
    line.put(" ");
    int done = static_cast<int>(kBarWidth * static_cast<double>(current) /
                                static_cast<double>(target_));
    done = done < 0 ? 0 : (done > kBarWidth ? kBarWidth : done);
    std::string bar;
    for (int i = 0; i < done; ++i) bar += "━";
    if (done > 0) line.put(bar, kGreen);
    bar.clear();
    for (int i = done; i < kBarWidth; ++i) bar += "─";
    if (done < kBarWidth) line.put(bar, kDim);
  }
  line.put(" ");
  if (target_ > 0 && !final_update)
    line.put(format_eta(per_step * static_cast<double>(target_ - current)), kBold);
  else
    line.put(elapsed, kBold);
  line.put(format_time_per_step(per_step));
  put_logs(line, logs);

  const std::size_t width = line.width();
  if (interactive_ && last_width_ > width) line.str().append(last_width_ - width, ' ');
  if (final_update || !interactive_) line.raw("\n");
  *out_ << line.str();
  out_->flush();
  last_width_ = final_update ? 0 : width;
  last_draw_ = now;
}

}  // namespace keras::callbacks
