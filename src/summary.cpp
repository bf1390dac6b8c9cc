// Model::summary(): Keras 3's table of layers, shapes and parameter counts.
#include <cstdio>
#include <iostream>
#include <sstream>

#include "executor.hpp"
#include "keras/config.hpp"
#include "keras/models.hpp"
#include "trainer_state.hpp"

namespace keras {
namespace {

// Display width of UTF-8 text (each code point counts one column).
std::size_t width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string pad_right(const std::string& s, std::size_t w) {
  std::size_t n = width(s);
  if (n > w) return s.substr(0, w - 1) + "…";
  return s + std::string(w - n, ' ');
}

std::string pad_left(const std::string& s, std::size_t w) {
  std::size_t n = width(s);
  return n >= w ? s : std::string(w - n, ' ') + s;
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string r;
  for (std::size_t i = 0; i < n; ++i) r += s;
  return r;
}

std::string with_commas(std::int64_t v) {
  std::string d = std::to_string(v), r;
  int k = 0;
  for (auto it = d.rbegin(); it != d.rend(); ++it) {
    if (k && k % 3 == 0) r.insert(r.begin(), ',');
    r.insert(r.begin(), *it);
    ++k;
  }
  return r;
}

// Keras's readable_memory_size: 1024-based units, two decimals.
std::string memory_size(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %s", bytes, units[u]);
  return buf;
}

}  // namespace

std::string Model::summary_string() const {
  // Functional models get a fourth column, "Connected to", as in Keras.
  const bool graph = is_functional();
  const std::vector<std::size_t> w = graph ? std::vector<std::size_t>{27, 20, 11, 24} : std::vector<std::size_t>{31, 22, 13};
  std::ostringstream o;
  o << "Model: \"" << name_ << "\"\n";
  auto line = [&](const char* l, const char* h, const char* m, const char* r) {
    o << l;
    for (std::size_t i = 0; i < w.size(); ++i) o << repeat(h, w[i] + 2) << (i + 1 < w.size() ? m : r);
    o << "\n";
  };
  auto row = [&](const std::vector<std::string>& cells, const char* bar) {
    o << bar;
    for (std::size_t i = 0; i < w.size(); ++i)
      o << " " << (i == 2 ? pad_left(cells[i], w[i]) : pad_right(cells[i], w[i])) << " " << bar;
    o << "\n";
  };
  line("┏", "━", "┳", "┓");
  if (graph) row({"Layer (type)", "Output Shape", "Param #", "Connected to"}, "┃");
  else row({"Layer (type)", "Output Shape", "Param #"}, "┃");
  line("┡", "━", "╇", "┩");
  if (graph) {
    // One row per call (node): input nodes first, then in execution order.
    std::vector<const GraphNode*> nodes;
    for (auto& t : inputs_) nodes.push_back(t.node().get());
    for (auto* n : executor_->nodes()) nodes.push_back(n);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const GraphNode& n = *nodes[i];
      std::vector<std::string> conn;
      for (auto& in : n.inputs)
        conn.push_back(in.source()->name() + "[" + std::to_string(in.node()->node_index) + "][" +
                       std::to_string(in.tensor_index()) + "]");
      if (conn.empty()) conn.push_back("-");
      bool first_call = n.node_index == 0;
      std::string params = n.layer->built() ? with_commas(first_call ? n.layer->count_params() : 0) : "0 (unbuilt)";
      std::string shape;
      for (auto& os : n.output_shapes) shape += (shape.empty() ? "" : ", ") + shape_str(os);
      row({n.layer->name() + " (" + n.layer->class_name() + ")", shape, params, conn[0]}, "│");
      for (std::size_t k = 1; k < conn.size(); ++k) row({"", "", "", conn[k]}, "│");
      if (i + 1 < nodes.size()) line("├", "─", "┼", "┤");
    }
  } else {
    std::vector<const GraphNode*> nodes;
    if (executor_) nodes = executor_->nodes();
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      const auto& l = layers_[i];
      std::string shape = i < nodes.size() ? shape_str(nodes[i]->output_shapes[0]) : "?";
      std::string params = l->built() ? with_commas(l->count_params()) : "0 (unbuilt)";
      row({l->name() + " (" + l->class_name() + ")", shape, params}, "│");
      if (i + 1 < layers_.size()) line("├", "─", "┼", "┤");
    }
  }
  line("└", "─", "┴", "┘");
  std::int64_t trainable = 0, non_trainable = 0;
  for (auto& w : trainable_weights()) trainable += w.value().size();
  for (auto& w : non_trainable_weights()) non_trainable += w.value().size();
  std::int64_t opt = 0;
  if (state_ && state_->optimizer && state_->optimizer->built())
    for (auto& v : state_->optimizer->variables()) opt += v.value().size();
  std::int64_t total = trainable + non_trainable + opt;
  o << " Total params: " << with_commas(total) << " (" << memory_size(4.0 * total) << ")\n";
  o << " Trainable params: " << with_commas(trainable) << " (" << memory_size(4.0 * trainable) << ")\n";
  o << " Non-trainable params: " << with_commas(non_trainable) << " (" << memory_size(4.0 * non_trainable) << ")\n";
  if (opt) o << " Optimizer params: " << with_commas(opt) << " (" << memory_size(4.0 * opt) << ")\n";
  o << " Backend: " << config::backend_info() << "\n";
  return o.str();
}

void Model::summary(std::ostream* out) const { (out ? *out : std::cout) << summary_string() << std::flush; }

}  // namespace keras
