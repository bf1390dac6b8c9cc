// The profiler's sessions, per-thread event buffers, Chrome trace and table.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "profiler/scope.hpp"

namespace keras::profiler {
namespace detail {
std::atomic<bool> g_on{false};
}

namespace {

struct Frame {
  const char* name;
  std::string owned;
  Category category;
  std::int64_t start, child;
};

// An event as recorded: op names stay string literals until stop().
struct Raw {
  const char* name;
  std::string owned;
  Category category;
  std::int64_t start, dur, self;
};

struct Buffer {
  std::mutex m;
  std::vector<Raw> events;
  std::vector<Frame> stack;
  std::uint64_t session = 0;
  int tid = 0;
};

std::mutex g_mutex;
std::vector<std::shared_ptr<Buffer>> g_buffers;
std::atomic<std::uint64_t> g_session{0};
std::chrono::steady_clock::time_point g_t0;
thread_local std::shared_ptr<Buffer> tl_buffer;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - g_t0).count();
}

// Ops and their backward count as one kind; a frame's self time leaves out
// the frames of its own kind inside it.
int kind(Category c) { return c == Category::backward ? static_cast<int>(Category::op) : static_cast<int>(c); }

Buffer& buffer() {
  const std::uint64_t s = g_session.load(std::memory_order_acquire);
  if (!tl_buffer || tl_buffer->session != s) {
    auto b = std::make_shared<Buffer>();
    b->session = s;
    b->events.reserve(4096);
    b->stack.reserve(64);
    std::lock_guard<std::mutex> lock(g_mutex);
    b->tid = static_cast<int>(g_buffers.size()) + 1;
    g_buffers.push_back(b);
    tl_buffer = std::move(b);
  }
  return *tl_buffer;
}

}  // namespace

bool detail::push(const char* name, const std::string* owned, Category c) {
  Buffer& b = buffer();
  std::lock_guard<std::mutex> lock(b.m);
  if (name && c == Category::op && !b.stack.empty()) {
    const Frame& top = b.stack.back();
    if (top.category == Category::op && top.name && std::strcmp(top.name, name) == 0) return false;
  }
  b.stack.push_back(Frame{name, owned ? *owned : std::string(), c, now_ns(), 0});
  return true;
}

void detail::pop(Category c) {
  const std::int64_t end = now_ns();
  if (!tl_buffer) return;
  Buffer& b = *tl_buffer;
  std::lock_guard<std::mutex> lock(b.m);
  if (b.stack.empty()) return;
  Frame f = std::move(b.stack.back());
  b.stack.pop_back();
  if (!active() || b.session != g_session.load(std::memory_order_acquire)) return;
  const std::int64_t dur = end - f.start;
  for (auto it = b.stack.rbegin(); it != b.stack.rend(); ++it) {
    if (kind(it->category) == kind(f.category)) {
      it->child += dur;
      break;
    }
  }
  b.events.push_back(Raw{f.name, std::move(f.owned), f.category, f.start, dur, dur - f.child});
}

void start() {
  std::lock_guard<std::mutex> lock(g_mutex);
  KERAS_CHECK(!active(), RuntimeError, "profiler.start: a profiling session is already on");
  g_buffers.clear();
  g_t0 = std::chrono::steady_clock::now();
  g_session.fetch_add(1, std::memory_order_acq_rel);
  detail::g_on.store(true, std::memory_order_release);
}

Trace stop() {
  Trace t;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!active()) return t;
  detail::g_on.store(false, std::memory_order_release);
  for (auto& b : g_buffers) {
    std::lock_guard<std::mutex> bl(b->m);
    for (Raw& r : b->events)
      t.events.push_back(Event{r.name ? std::string(r.name) : std::move(r.owned), r.category, r.start, r.dur, r.self,
                               b->tid});
  }
  g_buffers.clear();
  g_session.fetch_add(1, std::memory_order_acq_rel);
  std::sort(t.events.begin(), t.events.end(), [](const Event& a, const Event& b) {
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.dur_ns > b.dur_ns;
  });
  return t;
}

void begin_step(const std::string& name) {
  if (active()) detail::push(nullptr, &name, Category::step);
}

void end_step() {
  if (tl_buffer && !tl_buffer->stack.empty() && tl_buffer->stack.back().category == Category::step)
    detail::pop(Category::step);
}

std::int64_t Trace::step_ns() const {
  std::int64_t n = 0;
  for (auto& e : events) n += e.category == Category::step ? e.dur_ns : 0;
  return n;
}

std::int64_t Trace::op_self_ns() const {
  std::int64_t n = 0;
  for (auto& e : events) n += (e.category == Category::op || e.category == Category::backward) ? e.self_ns : 0;
  return n;
}

namespace {

const char* category_name(Category c) {
  switch (c) {
    case Category::op: return "op";
    case Category::backward: return "op_backward";
    case Category::layer: return "layer";
    default: return "step";
  }
}

}  // namespace

std::string chrome_trace_json(const Trace& t) {
  nlohmann::json events = nlohmann::json::array();
  for (auto& e : t.events) {
    const std::string name = e.category == Category::backward ? e.name + " (backward)" : e.name;
    events.push_back({{"name", name}, {"cat", category_name(e.category)}, {"ph", "X"},
                      {"ts", static_cast<double>(e.start_ns) / 1000.0}, {"dur", static_cast<double>(e.dur_ns) / 1000.0},
                      {"pid", 1}, {"tid", e.tid}});
  }
  return nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump();
}

void write_chrome_trace(const Trace& t, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  KERAS_CHECK(out.good(), IOError, "profiler.write_chrome_trace: cannot open ", path, " for writing");
  out << chrome_trace_json(t);
  KERAS_CHECK(out.good(), IOError, "profiler.write_chrome_trace: cannot write ", path);
}

}  // namespace keras::profiler
