// The profiler's text table: top ops by self time, top layers by total time.
#include <algorithm>
#include <cstdio>
#include <map>

#include "keras/profiler.hpp"

namespace keras::profiler {
namespace {

struct Row {
  std::string name;
  std::int64_t calls = 0, ns = 0;
};

std::vector<Row> top_rows(const Trace& t, bool ops) {
  std::map<std::string, Row> by;
  for (auto& e : t.events) {
    const bool is_op = e.category == Category::op || e.category == Category::backward;
    if (ops ? !is_op : e.category != Category::layer) continue;
    const std::string key = e.category == Category::backward ? e.name + " (backward)" : e.name;
    Row& r = by[key];
    r.name = key;
    r.calls += 1;
    r.ns += ops ? e.self_ns : e.dur_ns;
  }
  std::vector<Row> rows;
  for (auto& [k, r] : by) rows.push_back(r);
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ns > b.ns; });
  return rows;
}

void print_rows(std::string& out, const char* title, const std::vector<Row>& rows, int limit, double total_ns) {
  char line[256];
  std::snprintf(line, sizeof line, "%-44s %8s %12s %8s\n", title, "calls", "time (ms)", "% step");
  out += line;
  std::int64_t shown = 0, rest = 0, rest_calls = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<int>(i) >= limit) {
      rest += rows[i].ns;
      rest_calls += rows[i].calls;
      continue;
    }
    shown += rows[i].ns;
    std::snprintf(line, sizeof line, "%-44.44s %8lld %12.3f %7.1f%%\n", rows[i].name.c_str(),
                  static_cast<long long>(rows[i].calls), rows[i].ns / 1e6, 100.0 * rows[i].ns / total_ns);
    out += line;
  }
  if (rest > 0) {
    std::snprintf(line, sizeof line, "%-44s %8lld %12.3f %7.1f%%\n", "(others)", static_cast<long long>(rest_calls),
                  rest / 1e6, 100.0 * rest / total_ns);
    out += line;
  }
  std::snprintf(line, sizeof line, "%-44s %8s %12.3f %7.1f%%\n\n", "total", "", (shown + rest) / 1e6,
                100.0 * (shown + rest) / total_ns);
  out += line;
}

}  // namespace

std::string top_table(const Trace& t, int rows) {
  double total = static_cast<double>(t.step_ns());
  std::string out;
  if (total <= 0) {  // no step marks: the span of the events
    std::int64_t lo = 0, hi = 0;
    for (std::size_t i = 0; i < t.events.size(); ++i) {
      lo = i == 0 ? t.events[i].start_ns : std::min(lo, t.events[i].start_ns);
      hi = std::max(hi, t.events[i].start_ns + t.events[i].dur_ns);
    }
    total = static_cast<double>(hi - lo);
  }
  if (total <= 0) return "profiler: no events recorded\n";
  char line[160];
  std::snprintf(line, sizeof line, "Profiled wall time: %.3f ms (%s)\n\n", total / 1e6,
                t.step_ns() > 0 ? "the marked steps" : "first to last event");
  out += line;
  print_rows(out, "Op (self time)", top_rows(t, true), rows, total);
  print_rows(out, "Layer (total time, forward)", top_rows(t, false), rows, total);
  return out;
}

}  // namespace keras::profiler
