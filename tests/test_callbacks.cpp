// CallbackList, History and ProgbarLogger driven by a fake training loop.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "keras/callbacks.hpp"

using keras::CallbackParams;
using keras::Logs;
using keras::callbacks::CallbackList;
using keras::callbacks::History;
using keras::callbacks::ProgbarLogger;

namespace {

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Drops ANSI style sequences ("\x1b[1m") so lines can be matched as text.
std::string strip_ansi(const std::string& s) {
  return std::regex_replace(s, std::regex("\x1b\\[[0-9;]*m"), "");
}

int count_of(const std::string& s, const std::string& what) {
  int n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

// One fit() as the trainer drives it: ask for batch logs, then hand them
// over (empty unless asked), then the epoch logs.
void fake_fit(keras::callbacks::Callback& cb, int epochs, std::int64_t steps, int verbose,
              const std::vector<Logs>& epoch_logs) {
  cb.set_params(CallbackParams{epochs, steps, verbose});
  cb.on_train_begin({});
  for (int e = 0; e < epochs; ++e) {
    cb.on_epoch_begin(e, {});
    for (std::int64_t b = 0; b < steps; ++b) {
      cb.on_train_batch_begin(b, {});
      const bool want = cb.wants_batch_logs(b);
      cb.on_train_batch_end(b, want ? Logs{{"loss", 1.0 / double(b + 1)}} : Logs{});
    }
    cb.on_epoch_end(e, epoch_logs[e]);
  }
  cb.on_train_end({});
}

// "━" done, "─" to go: a full bar of 20.
const std::string kFullBar = "(?:━){20}";
const std::string kTime = "\\d+s \\d+(?:us|ms|s)/step";

}  // namespace

TEST_CASE("callbacks: progbar non-interactive prints one final line per epoch") {
  std::ostringstream os;
  ProgbarLogger bar(&os);
  bar.set_interactive(false);
  std::vector<Logs> logs = {
      {{"loss", 0.123456}, {"accuracy", 0.5}, {"val_loss", 0.2}, {"val_accuracy", 0.0001}},
      {{"loss", 0.0}, {"accuracy", 0.75}, {"val_loss", 0.19}, {"val_accuracy", 0.25}},
      {{"loss", -0.5}, {"accuracy", 1.0}, {"val_loss", 12.0}, {"val_accuracy", 0.00099}},
  };
  fake_fit(bar, 3, 1688, 1, logs);
  const std::string out = os.str();
  CHECK(out.find('\r') == std::string::npos);
  CHECK(out.find('\x1b') == std::string::npos);
  const auto lines = split_lines(out);
  REQUIRE(lines.size() == 6);
  CHECK(lines[0] == "Epoch 1/3");
  CHECK(lines[2] == "Epoch 2/3");
  CHECK(lines[4] == "Epoch 3/3");
  // Metrics sorted, val_ keys last, 4 decimals; |v| <= 1e-3 in scientific.
  CHECK(std::regex_match(lines[1], std::regex("1688/1688 " + kFullBar + " " + kTime +
                                              " - accuracy: 0\\.5000 - loss: 0\\.1235"
                                              " - val_accuracy: 1\\.0000e-04 - val_loss: 0\\.2000")));
  CHECK(std::regex_match(lines[3], std::regex("1688/1688 " + kFullBar + " " + kTime +
                                              " - accuracy: 0\\.7500 - loss: 0\\.0000e\\+00"
                                              " - val_accuracy: 0\\.2500 - val_loss: 0\\.1900")));
  CHECK(std::regex_match(lines[5], std::regex("1688/1688 " + kFullBar + " " + kTime +
                                              " - accuracy: 1\\.0000 - loss: -0\\.5000"
                                              " - val_accuracy: 9\\.9000e-04 - val_loss: 12\\.0000")));
}

TEST_CASE("callbacks: progbar never asks for batch logs off a terminal") {
  std::ostringstream os;
  ProgbarLogger bar(&os);  // a stream that is not stdout: non-interactive
  bar.set_params(CallbackParams{1, 10, 1});
  bar.on_train_begin({});
  bar.on_epoch_begin(0, {});
  for (int b = 0; b < 10; ++b) CHECK_FALSE(bar.wants_batch_logs(b));
  bar.on_epoch_end(0, {{"loss", 1.0}});
  // One epoch: no "Epoch 1/1" line.
  const auto lines = split_lines(os.str());
  REQUIRE(lines.size() == 1);
  CHECK(std::regex_match(lines[0], std::regex("10/10 " + kFullBar + " " + kTime + " - loss: 1\\.0000")));
}

TEST_CASE("callbacks: progbar interactive redraws in place at most every 0.05 s") {
  std::ostringstream os;
  ProgbarLogger bar(&os);
  bar.set_interactive(true);
  bar.set_params(CallbackParams{2, 10, 1});
  bar.on_train_begin({});
  bar.on_epoch_begin(0, {});

  // The first batch is always drawn; the next ones within the interval not.
  REQUIRE(bar.wants_batch_logs(0));
  bar.on_train_batch_end(0, {{"loss", 2.0}});
  for (int b = 1; b < 4; ++b) {
    CHECK_FALSE(bar.wants_batch_logs(b));
    bar.on_train_batch_end(b, {});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  REQUIRE(bar.wants_batch_logs(4));
  bar.on_train_batch_end(4, {{"loss", 1.25}});
  for (int b = 5; b < 10; ++b) {
    CHECK_FALSE(bar.wants_batch_logs(b));
    bar.on_train_batch_end(b, {});
  }
  bar.on_epoch_end(0, {{"loss", 1.0}, {"val_loss", 1.5}});

  const std::string raw = os.str();
  CHECK(raw.find("\x1b[1m") != std::string::npos);  // bold count, like Keras
  CHECK(raw.find("\x1b[32m") != std::string::npos);  // green done part
  CHECK(count_of(raw, "\r") == 3);                    // two redraws + the final bar
  const std::string out = strip_ansi(raw);
  const auto lines = split_lines(out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "Epoch 1/2");
  // Draws of one line, separated by '\r'.
  std::vector<std::string> draws;
  std::istringstream in(lines[1]);
  for (std::string d; std::getline(in, d, '\r');)
    if (!d.empty()) draws.push_back(d);
  REQUIRE(draws.size() == 3);
  const std::string eta = "(?:\\d+s|\\d+:\\d\\d(?::\\d\\d)?)";
  // 1/10: 2 of 20 done, ETA while running, count right-aligned to "10".
  CHECK(std::regex_match(draws[0], std::regex(" 1/10 (?:━){2}(?:─){18} " + eta +
                                              " \\d+(?:us|ms|s)/step - loss: 2\\.0000")));
  CHECK(std::regex_match(draws[1], std::regex(" 5/10 (?:━){10}(?:─){10} " + eta +
                                              " \\d+(?:us|ms|s)/step - loss: 1\\.2500")));
  // The final bar: elapsed time, epoch logs with val_ keys.
  CHECK(std::regex_match(draws[2], std::regex("10/10 " + kFullBar + " " + kTime +
                                              " - loss: 1\\.0000 - val_loss: 1\\.5000 *")));

  // Epoch 2 starts a fresh bar, drawn again at its first batch.
  os.str("");
  bar.on_epoch_begin(1, {});
  CHECK(bar.wants_batch_logs(0));
  CHECK(split_lines(os.str()).at(0) == "Epoch 2/2");
}

TEST_CASE("callbacks: progbar pads a shorter redraw over the previous one") {
  std::ostringstream os;
  ProgbarLogger bar(&os);
  bar.set_interactive(true);
  bar.set_params(CallbackParams{1, 3, 1});
  bar.on_train_begin({});
  bar.on_epoch_begin(0, {});
  REQUIRE(bar.wants_batch_logs(0));
  bar.on_train_batch_end(0, {{"loss", 1.0}, {"a_very_long_metric_name", 1.0}});
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  REQUIRE(bar.wants_batch_logs(1));
  bar.on_train_batch_end(1, {{"loss", 1.0}});
  const std::string out = strip_ansi(os.str());
  const auto first = out.substr(1, out.rfind('\r') - 1);
  const auto second = out.substr(out.rfind('\r') + 1);
  CHECK(first.find("a_very_long_metric_name: 1.0000") != std::string::npos);
  // The shorter second draw is blanked out to the first one's width.
  auto columns = [](const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  CHECK(columns(second) >= columns(first));
  CHECK(second.back() == ' ');
}

TEST_CASE("callbacks: progbar verbose 2 prints one summary line per epoch") {
  std::ostringstream os;
  ProgbarLogger bar(&os);
  bar.set_interactive(true);  // verbose 2 never redraws, even on a terminal
  std::vector<Logs> logs = {{{"loss", 0.5}}, {{"loss", 0.25}, {"val_loss", 0.3}}};
  fake_fit(bar, 2, 100, 2, logs);
  const auto lines = split_lines(os.str());
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "Epoch 1/2");
  CHECK(std::regex_match(lines[1], std::regex("100/100 - \\d+s - \\d+(?:us|ms|s)/step - loss: 0\\.5000")));
  CHECK(std::regex_match(lines[3], std::regex("100/100 - \\d+s - \\d+(?:us|ms|s)/step"
                                              " - loss: 0\\.2500 - val_loss: 0\\.3000")));
  CHECK(os.str().find('\r') == std::string::npos);
}

TEST_CASE("callbacks: progbar verbose 0 prints nothing") {
  std::ostringstream os;
  ProgbarLogger bar(&os);
  bar.set_interactive(true);
  fake_fit(bar, 3, 5, 0, {{{"loss", 1.0}}, {{"loss", 1.0}}, {{"loss", 1.0}}});
  CHECK(os.str().empty());
}

TEST_CASE("callbacks: progbar evaluate shows its own bar, silent inside fit") {
  std::ostringstream os;
  ProgbarLogger bar(&os);
  bar.set_interactive(false);
  // Inside fit: validation batches print nothing and ask for nothing.
  bar.set_params(CallbackParams{1, 4, 1});
  bar.on_train_begin({});
  bar.on_epoch_begin(0, {});
  for (int b = 0; b < 4; ++b) bar.on_train_batch_end(b, {});
  bar.on_test_begin({});
  for (int b = 0; b < 2; ++b) {
    CHECK_FALSE(bar.wants_batch_logs(b));
    bar.on_test_batch_end(b, {{"loss", 9.0}});
  }
  bar.on_test_end({{"loss", 9.0}});
  bar.on_epoch_end(0, {{"loss", 1.0}, {"val_loss", 9.0}});
  bar.on_train_end({});
  auto lines = split_lines(os.str());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("4/4 ") == 0);

  // evaluate() afterwards: its own bar over its own steps.
  os.str("");
  bar.set_params(CallbackParams{1, 313, 1});
  bar.on_test_begin({});
  for (int b = 0; b < 313; ++b) bar.on_test_batch_end(b, {});
  bar.on_test_end({{"accuracy", 0.875}, {"loss", 0.34567}});
  lines = split_lines(os.str());
  REQUIRE(lines.size() == 1);
  CHECK(std::regex_match(lines[0], std::regex("313/313 " + kFullBar + " " + kTime +
                                              " - accuracy: 0\\.8750 - loss: 0\\.3457")));
}

TEST_CASE("callbacks: progbar predict and unknown step counts") {
  std::ostringstream os;
  ProgbarLogger bar(&os);
  bar.set_interactive(true);
  bar.set_params(CallbackParams{1, 0, 1});  // steps unknown
  bar.on_predict_begin({});
  for (int b = 0; b < 7; ++b) bar.on_predict_batch_end(b, {{"ignored", 1.0}});
  bar.on_predict_end({});
  const std::string out = strip_ansi(os.str());
  // The predict loop does not ask; the bar paces itself and drew batch 1.
  CHECK(out.find("      1/Unknown ") != std::string::npos);
  CHECK(out.find("ignored") == std::string::npos);
  const auto final_draw = out.substr(out.rfind('\r') + 1);
  CHECK(std::regex_match(final_draw, std::regex("7/7 " + kFullBar + " " + kTime + " *\n")));
}

TEST_CASE("callbacks: history records epoch logs and params") {
  History h;
  std::vector<Logs> logs = {{{"loss", 0.9}, {"accuracy", 0.5}},
                            {{"loss", 0.6}, {"accuracy", 0.7}},
                            {{"loss", 0.4}, {"accuracy", 0.8}}};
  fake_fit(h, 3, 10, 1, logs);
  CHECK(h.epoch == std::vector<int>{0, 1, 2});
  CHECK(h.history.size() == 2);
  CHECK(h.history["loss"] == std::vector<double>{0.9, 0.6, 0.4});
  CHECK(h.history["accuracy"] == std::vector<double>{0.5, 0.7, 0.8});
  CHECK(h.params.epochs == 3);
  CHECK(h.params.steps == 10);
  // History keeps the base on_train_batch_end: it never reads batch logs.
  CHECK(h.uses_default(keras::callbacks::Callback::kTrainBatchEnd));
  // A second fit starts a fresh record.
  fake_fit(h, 1, 10, 1, {{{"loss", 0.3}}});
  CHECK(h.epoch == std::vector<int>{0});
  CHECK(h.history["loss"] == std::vector<double>{0.3});
}

namespace {
// Records every hook it sees as "<tag>:<hook>".
class Recorder : public keras::callbacks::Callback {
 public:
  Recorder(std::string tag, std::vector<std::string>* log, bool want = false)
      : tag_(std::move(tag)), log_(log), want_(want) {}
  void set_params(const CallbackParams& p) override { rec("params" + std::to_string(p.steps)); }
  void on_train_begin(const Logs&) override { rec("train_begin"); }
  void on_train_end(const Logs&) override { rec("train_end"); }
  void on_epoch_begin(int e, const Logs&) override { rec("epoch_begin" + std::to_string(e)); }
  void on_epoch_end(int e, const Logs& l) override {
    rec("epoch_end" + std::to_string(e) + "=" + std::to_string(l.at("loss")));
  }
  void on_train_batch_begin(std::int64_t b, const Logs&) override { rec("tbb" + std::to_string(b)); }
  void on_train_batch_end(std::int64_t b, const Logs&) override { rec("tbe" + std::to_string(b)); }
  void on_test_begin(const Logs&) override { rec("test_begin"); }
  void on_test_end(const Logs&) override { rec("test_end"); }
  void on_test_batch_begin(std::int64_t b, const Logs&) override { rec("vbb" + std::to_string(b)); }
  void on_test_batch_end(std::int64_t b, const Logs&) override { rec("vbe" + std::to_string(b)); }
  void on_predict_begin(const Logs&) override { rec("predict_begin"); }
  void on_predict_end(const Logs&) override { rec("predict_end"); }
  void on_predict_batch_begin(std::int64_t b, const Logs&) override { rec("pbb" + std::to_string(b)); }
  void on_predict_batch_end(std::int64_t b, const Logs&) override { rec("pbe" + std::to_string(b)); }
  bool wants_batch_logs(std::int64_t b) override {
    rec("wants" + std::to_string(b));
    return want_;
  }

 private:
  void rec(const std::string& what) { log_->push_back(tag_ + ":" + what); }
  std::string tag_;
  std::vector<std::string>* log_;
  bool want_;
};
}  // namespace

TEST_CASE("callbacks: callback list forwards every hook in order") {
  std::vector<std::string> log;
  CallbackList list;
  list.append(std::make_shared<Recorder>("A", &log));
  list.append(std::make_shared<Recorder>("B", &log));
  REQUIRE(list.callbacks().size() == 2);

  list.set_params(CallbackParams{1, 2, 1});
  list.on_train_begin({});
  list.on_epoch_begin(0, {});
  list.on_train_batch_begin(0, {});
  list.on_train_batch_end(0, {});
  list.on_test_begin({});
  list.on_test_batch_begin(0, {});
  list.on_test_batch_end(0, {});
  list.on_test_end({});
  list.on_epoch_end(0, {{"loss", 0.5}});
  list.on_train_end({});
  list.on_predict_begin({});
  list.on_predict_batch_begin(3, {});
  list.on_predict_batch_end(3, {});
  list.on_predict_end({});

  const std::vector<std::string> hooks = {
      "params2",   "train_begin", "epoch_begin0", "tbb0",          "tbe0",
      "test_begin", "vbb0",       "vbe0",         "test_end",      "epoch_end0=0.500000",
      "train_end", "predict_begin", "pbb3",       "pbe3",          "predict_end"};
  std::vector<std::string> expected;
  for (const auto& h : hooks) {
    expected.push_back("A:" + h);
    expected.push_back("B:" + h);
  }
  CHECK(log == expected);

  // No callback wants batch logs: false. Any one does: true, and every
  // callback is still asked (no short-circuit).
  log.clear();
  CHECK_FALSE(list.wants_train_batch_logs(5));
  CHECK(log == std::vector<std::string>{"A:wants5", "B:wants5"});
  CallbackList list2({std::make_shared<Recorder>("C", &log, true),
                      std::make_shared<Recorder>("D", &log, false)});
  log.clear();
  CHECK(list2.wants_train_batch_logs(7));
  CHECK(log == std::vector<std::string>{"C:wants7", "D:wants7"});
  CHECK_FALSE(CallbackList().wants_train_batch_logs(0));
}

namespace {
struct EpochOnly : keras::callbacks::Callback {
  void on_epoch_end(int, const Logs&) override {}
};
struct BatchReader : keras::callbacks::Callback {
  std::vector<Logs> seen;
  void on_train_batch_end(std::int64_t, const Logs& l) override { seen.push_back(l); }
};
}  // namespace

TEST_CASE("callbacks: a callback that overrides a batch hook gets logs at every batch, by default") {
  auto quiet = std::make_shared<EpochOnly>();
  CallbackList only_quiet({quiet});
  // Unknown before the first call: assumed to read them.
  CHECK(only_quiet.wants_train_batch_logs(0));
  only_quiet.on_train_batch_end(0, {{"loss", 1.0}});
  for (int b = 1; b < 5; ++b) CHECK_FALSE(only_quiet.wants_train_batch_logs(b));
  CHECK(only_quiet.wants_test_batch_logs(0));  // the test hook is not known yet

  auto reader = std::make_shared<BatchReader>();
  CallbackList both({quiet, reader});
  for (int b = 0; b < 5; ++b) {
    CHECK(both.wants_train_batch_logs(b));
    both.on_train_batch_end(b, {{"loss", 1.0 / (b + 1)}});
  }
  REQUIRE(reader->seen.size() == 5);
  CHECK(reader->seen[4].at("loss") == doctest::Approx(0.2));
}
