// The TensorBoard callback inside fit(): Keras 3's directories and tags,
// read back by real TensorBoard; and the profiler: a Chrome trace of a CNN
// step whose ops account for the step's wall time.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "keras/keras.hpp"

namespace fs = std::filesystem;
using keras::Tensor;
using nlohmann::json;
namespace cb = keras::callbacks;

namespace {

fs::path cb_temp(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("keras_tbcb_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  return p;
}

std::string venv_python() {
  const char* v = std::getenv("KERAS_INTEROP_VENV");
  const char* home = std::getenv("HOME");
  fs::path py = (v ? fs::path(v) : fs::path(home ? home : "/nonexistent") / ".cache/keras.cpp/venv") / "bin/python";
  if (!fs::exists(py)) return "";
  return std::system((py.string() + " -c 'import tensorboard, PIL' >/dev/null 2>&1").c_str()) == 0 ? py.string()
                                                                                                    : "";
}

json read_events(const std::string& py, const fs::path& logdir) {
  const std::string cmd = py + " " KERAS_SOURCE_DIR "/scripts/read_tensorboard_events.py '" + logdir.string() +
                          "' 2>/dev/null";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  REQUIRE(::pclose(p) == 0);
  return json::parse(out);
}

Tensor random_tensor(const keras::Shape& s, std::uint32_t seed) {
  std::vector<float> v(static_cast<std::size_t>(keras::shape_size(s)));
  for (auto& x : v) x = (seed = seed * 1664525u + 1013904223u) / 4294967296.0f - 0.5f;
  return Tensor(s, v);
}

int count_event_files(const fs::path& dir) {
  int n = 0;
  if (!fs::is_directory(dir)) return 0;
  for (auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().find("tfevents") != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("TensorBoard callback: Keras 3's train/ and validation/ scalars, histograms and images") {
  keras::utils::set_random_seed(3);
  keras::Sequential m({keras::Input({4}), keras::layers::Dense(8, "relu"), keras::layers::Dense(1)});
  m.compile(keras::optimizers::SGD({.learning_rate = 0.05}), "mse", {"mae"});
  const fs::path dir = cb_temp("fit");
  auto tb = std::make_shared<cb::TensorBoard>(cb::TensorBoardOptions{
      .log_dir = dir.string(), .histogram_freq = 1, .write_images = true, .update_freq = "2",
      .profile_batch_start = 2, .profile_batch_stop = 3});
  auto h = m.fit(random_tensor({64, 4}, 1), random_tensor({64, 1}, 2),
                 {.batch_size = 8, .epochs = 2, .verbose = 0, .callbacks = {tb}, .validation_split = 0.25});
  CHECK(count_event_files(dir / "train") == 1);
  CHECK(count_event_files(dir / "validation") == 1);
  // profile_batch: one trace (batches 2 and 3) and its table under plugins/profile/<time>/.
  std::vector<fs::path> traces;
  for (auto& e : fs::recursive_directory_iterator(dir / "plugins" / "profile"))
    if (e.path().filename() == "trace.json") traces.push_back(e.path());
  REQUIRE(traces.size() == 1);
  CHECK(fs::exists(traces[0].parent_path() / "top_ops.txt"));
  std::ifstream trace_in(traces[0]);
  int steps = 0;
  const json trace = json::parse(trace_in);
  for (const json& e : trace["traceEvents"]) steps += e["name"] == "train_step";
  CHECK(steps == 2);
  const std::string py = venv_python();
  if (py.empty()) {
    MESSAGE("SKIPPED: reading back with real TensorBoard: no venv with tensorboard and pillow");
    fs::remove_all(dir);
    return;
  }
  const json train = read_events(py, dir / "train"), val = read_events(py, dir / "validation");
  for (const char* k : {"loss", "mae"}) {
    const json& s = train["scalars"][std::string("epoch_") + k];
    const json& v = val["scalars"][std::string("epoch_") + k];
    REQUIRE(s.size() == 2);
    REQUIRE(v.size() == 2);
    for (int e = 0; e < 2; ++e) {
      CHECK(s[e][0] == e);
      CHECK(s[e][1].get<double>() == doctest::Approx(h.history.at(k)[e]).epsilon(1e-6));
      CHECK(v[e][1].get<double>() == doctest::Approx(h.history.at(std::string("val_") + k)[e]).epsilon(1e-6));
    }
  }
  CHECK(train["scalars"]["epoch_learning_rate"][1][1].get<double>() == doctest::Approx(0.05));
  // 48 training samples: 6 batches an epoch; update_freq 2 -> batches 2, 4, ..., 12.
  const json& bl = train["scalars"]["batch_loss"];
  REQUIRE(bl.size() == 6);
  for (int i = 0; i < 6; ++i) CHECK(bl[i][0] == 2 * (i + 1));
  CHECK(val["scalars"]["evaluation_loss_vs_iterations"][1][0] == 12);
  for (const keras::Variable& w : m.weights()) {
    const json& hs = train["histograms"][w.path() + "/histogram"];
    REQUIRE(hs.size() == 2);
    const auto vals = w.value().to_vector<float>();
    CHECK(hs[1]["num"] == static_cast<double>(vals.size()));
    CHECK(hs[1]["min"].get<double>() == *std::min_element(vals.begin(), vals.end()));
    CHECK(hs[1]["max"].get<double>() == *std::max_element(vals.begin(), vals.end()));
    CHECK(train["images"][w.path() + "/image"].size() == 2);
  }
  fs::remove_all(dir);
}

TEST_CASE("TensorBoard callback: bad arguments raise ValueError") {
  CHECK_THROWS_AS(cb::TensorBoard({.update_freq = "sometimes"}), keras::ValueError);
  CHECK_THROWS_AS(cb::TensorBoard({.update_freq = "0"}), keras::ValueError);
  CHECK_THROWS_AS(cb::TensorBoard({.histogram_freq = -1}), keras::ValueError);
  CHECK_THROWS_AS(cb::TensorBoard({.profile_batch_start = 3, .profile_batch_stop = 2}), keras::ValueError);
  CHECK_THROWS_AS(cb::ProfilerCallback("t.json", 0, 1), keras::ValueError);
}

TEST_CASE("profiler: a CNN step's Chrome trace and its top-op table") {
  keras::utils::set_random_seed(4);
  // A Fashion-MNIST-sized CNN step (batch 32 of 28x28x1).
  keras::Sequential m({keras::Input({28, 28, 1}), keras::layers::Conv2D(16, 3, "relu"),
                       keras::layers::MaxPooling2D(2), keras::layers::Conv2D(32, 3, "relu"),
                       keras::layers::MaxPooling2D(2), keras::layers::Flatten(), keras::layers::Dense(10)});
  m.compile(keras::optimizers::Adam({.learning_rate = 1e-3}), "mse");
  const fs::path dir = cb_temp("prof");
  const std::string path = (dir / "step.trace.json").string();
  auto prof = std::make_shared<cb::ProfilerCallback>(path, 2, 3);
  m.fit(random_tensor({128, 28, 28, 1}, 5), random_tensor({128, 10}, 6),
        {.batch_size = 32, .epochs = 1, .verbose = 0, .callbacks = {prof}});
  CHECK_FALSE(keras::profiler::active());
  std::ifstream in(path);
  const json t = json::parse(in);  // throws on invalid JSON
  REQUIRE(t["traceEvents"].is_array());
  std::set<std::string> names, cats;
  int steps = 0;
  for (const json& e : t["traceEvents"]) {
    REQUIRE(e["name"].is_string());
    CHECK(e["ph"] == "X");
    CHECK(e["ts"].is_number());
    CHECK(e["dur"].get<double>() >= 0);
    CHECK(e["pid"].is_number_integer());
    CHECK(e["tid"].is_number_integer());
    names.insert(e["name"].get<std::string>());
    cats.insert(e["cat"].get<std::string>());
    steps += e["name"] == "train_step";
  }
  CHECK(steps == 2);
  CHECK(cats == std::set<std::string>{"layer", "op", "op_backward", "step"});
  CHECK(names.count("matmul") + names.count("dense_bias_activation") + names.count("bias_activation") >= 1);
  // Every layer is named (a fused conv + pooling step as "conv2d + max_pooling2d").
  for (const auto& l : m.layers())
    CHECK_MESSAGE(std::any_of(names.begin(), names.end(),
                              [&](const std::string& n) { return n.find(l->name()) != std::string::npos; }),
                  l->name());
  const std::string table = prof->table();
  CHECK(table.find("Op (self time)") != std::string::npos);
  CHECK(table.find("Layer (total time, forward)") != std::string::npos);
  std::ifstream txt(path + ".txt");
  CHECK(std::string((std::istreambuf_iterator<char>(txt)), std::istreambuf_iterator<char>()) == table);
  MESSAGE("profiler: ops account for " << 100.0 * prof->op_coverage() << " % of the profiled steps' wall time\n"
                                       << table);
  CHECK(prof->op_coverage() <= 1.0);
  // On a loaded machine a step may be preempted between two ops; a figure
  // under 90 % is measured again (up to 3 tries), each one printed.
  double best = prof->op_coverage();
  for (int attempt = 2; attempt <= 3 && best < 0.9; ++attempt) {
    auto again = std::make_shared<cb::ProfilerCallback>(path, 2, 3);
    m.fit(random_tensor({128, 28, 28, 1}, 5), random_tensor({128, 10}, 6),
          {.batch_size = 32, .epochs = 1, .verbose = 0, .callbacks = {again}});
    MESSAGE("profiler, try " << attempt << ": ops account for " << 100.0 * again->op_coverage() << " %");
    best = std::max(best, again->op_coverage());
  }
  CHECK(best >= 0.9);
  fs::remove_all(dir);
}

TEST_CASE("profiler: nothing is recorded without a session; sessions nest no further") {
  keras::profiler::Trace none = keras::profiler::stop();
  CHECK(none.events.empty());
  Tensor a = random_tensor({4, 4}, 7);
  keras::ops::matmul(a, a);
  keras::profiler::start();
  CHECK_THROWS_AS(keras::profiler::start(), keras::RuntimeError);
  keras::ops::matmul(a, a);
  keras::profiler::Trace t = keras::profiler::stop();
  REQUIRE(t.events.size() >= 1);
  CHECK(t.events[0].name == "matmul");
  CHECK(t.events[0].self_ns <= t.events[0].dur_ns);
  keras::ops::matmul(a, a);
  CHECK(keras::profiler::stop().events.empty());
  // An op's helpers timed under its own name fold into one event per call.
  Tensor x = random_tensor({1, 6, 6, 2}, 8), k = random_tensor({3, 3, 2, 4}, 9);
  keras::profiler::start();
  keras::ops::conv(x, k, {1, 1}, "valid");
  keras::profiler::Trace c = keras::profiler::stop();
  CHECK(std::count_if(c.events.begin(), c.events.end(), [](const auto& e) { return e.name == "conv"; }) == 1);
}

TEST_CASE("TensorBoard callback: the layer graph for TensorBoard's Graphs tab, read by real TensorBoard") {
  namespace L = keras::layers;
  keras::Sequential tower({keras::Input({4}), L::Dense(6, "relu", {.name = "hidden"}), L::Dense(3, {}, {.name = "proj"})},
                          "tower");
  auto a = keras::Input({4}, "left"), b = keras::Input({4}, "right");
  auto shared = std::make_shared<L::Dense>(4, "tanh", L::DenseOptions{.name = "shared"});
  auto joined = L::Concatenate(-1, "join")({tower((*shared)(a)), (*shared)(b)});
  keras::Model m({a, b}, {L::Dense(1, {}, {.name = "out"})(joined)});
  m.compile("sgd", "mse");
  const fs::path dir = cb_temp("graph");
  auto tb = std::make_shared<cb::TensorBoard>(cb::TensorBoardOptions{.log_dir = dir.string()});
  m.fit({random_tensor({8, 4}, 1), random_tensor({8, 4}, 2)}, {random_tensor({8, 1}, 3)},
        {.batch_size = 4, .epochs = 1, .verbose = 0, .callbacks = {tb}});
  const std::string py = venv_python();
  if (py.empty()) {
    MESSAGE("SKIPPED: reading the graph with real TensorBoard: no venv with tensorboard and pillow");
    fs::remove_all(dir);
    return;
  }
  const json g = read_events(py, dir / "train")["graph"];
  std::map<std::string, json> node;
  for (const json& n : g) node[n["name"]] = n;
  REQUIRE(node.size() == 7);  // left, right, shared, tower/hidden, tower/proj, join, out
  CHECK(node.at("left")["op"] == "InputLayer");
  CHECK(node.at("shared")["op"] == "Dense");
  CHECK(node.at("shared")["input"] == json::array({"left", "right"}));  // one node, both calls
  CHECK(node.at("shared")["attr"]["activation"] == "tanh");
  CHECK(node.at("shared")["attr"]["units"] == "4");
  CHECK(node.at("tower/hidden")["input"] == json::array({"shared"}));
  CHECK(node.at("tower/proj")["input"] == json::array({"tower/hidden"}));
  CHECK(node.at("join")["input"] == json::array({"tower/proj", "shared"}));
  CHECK(node.at("out")["input"] == json::array({"join"}));
  CHECK(node.at("out")["attr"]["_output_shapes"] == json::array({json::array({-1, 1})}));
  // write_graph = false writes none.
  const fs::path none = cb_temp("nograph");
  auto tb2 = std::make_shared<cb::TensorBoard>(cb::TensorBoardOptions{.log_dir = none.string(), .write_graph = false});
  m.fit({random_tensor({8, 4}, 1), random_tensor({8, 4}, 2)}, {random_tensor({8, 1}, 3)},
        {.batch_size = 4, .epochs = 1, .verbose = 0, .callbacks = {tb2}});
  CHECK(read_events(py, none / "train")["graph"].empty());
  fs::remove_all(dir);
  fs::remove_all(none);
}
