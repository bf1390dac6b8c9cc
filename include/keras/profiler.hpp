// keras::profiler: where the time of chosen training steps goes.
//
// While a session is on, every op (forward and backward) and every layer
// call is timed on the thread that runs it; stop() returns the events, which
// write as a Chrome trace (open it in https://ui.perfetto.dev or
// chrome://tracing) and as a table of the top ops and layers by time.
// When no session is on, the instrumentation costs one relaxed atomic load
// per op. Usually driven by callbacks::ProfilerCallback or
// callbacks::TensorBoard(profile_batch); by hand:
//
//   keras::profiler::start();
//   model.train_on_batch(x, y);
//   auto trace = keras::profiler::stop();
//   keras::profiler::write_chrome_trace(trace, "step.trace.json");
//   std::cout << keras::profiler::top_table(trace);
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace keras::profiler {

enum class Category : char { op = 'o', backward = 'b', layer = 'l', step = 's' };

struct Event {
  std::string name;        // op name ("matmul"), layer name ("conv2d"), "train_step"
  Category category;
  std::int64_t start_ns;   // since the session started
  std::int64_t dur_ns;     // wall time, nested events included
  std::int64_t self_ns;    // dur_ns less the events of the same kind inside it
  int tid;                 // 1, 2, ... in the order threads first recorded
};

struct Trace {
  std::vector<Event> events;
  // Sum of the "step" events' durations (0 when there are none).
  std::int64_t step_ns() const;
  // Sum of the ops' self times (forward and backward): the time spent in ops.
  std::int64_t op_self_ns() const;
};

namespace detail {
extern std::atomic<bool> g_on;
}
inline bool active() { return detail::g_on.load(std::memory_order_relaxed); }

// Starts a session; throws keras::RuntimeError when one is on.
void start();
// Ends the session and returns what it recorded (empty when none was on).
Trace stop();

// Marks a region (a training step) from begin_step() to end_step() on the
// calling thread as an event of category step.
void begin_step(const std::string& name = "train_step");
void end_step();

// The trace as Chrome trace JSON: {"traceEvents": [{"name", "cat", "ph": "X",
// "ts", "dur" (µs), "pid", "tid"}...], "displayTimeUnit": "ms"}.
std::string chrome_trace_json(const Trace& t);
void write_chrome_trace(const Trace& t, const std::string& path);
// The top `rows` ops by self time and layers by total time, each with its
// call count, milliseconds and share of the profiled steps' wall time.
std::string top_table(const Trace& t, int rows = 20);

}  // namespace keras::profiler
