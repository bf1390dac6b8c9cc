// CSVLogger and TerminateOnNaN.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>

#include "distribution/hook.hpp"
#include "keras/callbacks.hpp"
#include "keras/errors.hpp"
#include "keras/models.hpp"

namespace keras::callbacks {
namespace {

// Python's csv module, excel dialect: quotes a field holding the
// separator, a quote or a line break; "\r\n" ends a row.
std::string csv_field(const std::string& v, const std::string& sep) {
  if (v.find(sep) == std::string::npos && v.find_first_of("\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

CSVLogger::CSVLogger(std::string filename, std::string separator, bool append)
    : filename_(std::move(filename)), sep_(std::move(separator)), append_(append) {
  KERAS_CHECK(!filename_.empty(), ValueError, "CSVLogger: the filename is empty");
  KERAS_CHECK(sep_.size() == 1, ValueError, "CSVLogger: separator must be a 1-character string, received \"", sep_,
              "\"");
}

CSVLogger::~CSVLogger() {
  if (file_) std::fclose(file_);
}

void CSVLogger::on_train_begin(const Logs&) {
  if (!distribution::detail::is_writer()) return;  // several processes: rank 0 writes
  write_header_ = true;
  if (append_) {
    std::ifstream in(filename_);
    std::string first;
    if (in && std::getline(in, first)) write_header_ = first.empty();
  }
  if (file_) std::fclose(file_);
  file_ = std::fopen(filename_.c_str(), append_ ? "a" : "w");
  KERAS_CHECK(file_ != nullptr, IOError, "CSVLogger: cannot open '", filename_, "' for writing (",
              std::strerror(errno), ")");
  keys_.clear();
}

void CSVLogger::on_epoch_end(int epoch, const Logs& logs) {
  if (!distribution::detail::is_writer()) return;
  KERAS_CHECK(file_ != nullptr, ValueError, "CSVLogger: on_epoch_end before on_train_begin ('", filename_, "')");
  bool first_row = keys_.empty();
  if (first_row) {
    for (auto& [k, v] : logs) keys_.push_back(k);  // a std::map: sorted, as Keras sorts them
    bool has_val = std::any_of(keys_.begin(), keys_.end(), [](auto& k) { return k.rfind("val_", 0) == 0; });
    if (!has_val) {
      std::size_t n = keys_.size();
      for (std::size_t i = 0; i < n; ++i) keys_.push_back("val_" + keys_[i]);
    }
  }
  std::string line;
  if (first_row && write_header_) {
    line = "epoch";
    for (auto& k : keys_) line += sep_ + csv_field(k, sep_);
    line += "\r\n";
  }
  line += std::to_string(epoch);
  for (auto& k : keys_) {
    auto it = logs.find(k);
    line += sep_ + csv_field(it == logs.end() ? "NA" : python_float_repr(it->second), sep_);
  }
  line += "\r\n";
  KERAS_CHECK(std::fputs(line.c_str(), file_) >= 0 && std::fflush(file_) == 0, IOError, "CSVLogger: writing '",
              filename_, "' failed (", std::strerror(errno), ")");
}

void CSVLogger::on_train_end(const Logs&) {
  if (file_) std::fclose(file_);
  file_ = nullptr;
}

void TerminateOnNaN::on_train_batch_end(std::int64_t batch, const Logs& logs) {
  auto it = logs.find("loss");
  if (it == logs.end() || std::isfinite(it->second)) return;
  KERAS_CHECK(!raise_error_, RuntimeError, "NaN or Inf loss encountered at batch ", batch,
              ". Loss value: ", python_float_repr(it->second), ". Terminating training immediately.");
  std::cout << "Batch " << batch << ": Invalid loss, terminating training\n";
  if (model_) model_->stop_training = true;
}

}  // namespace keras::callbacks
