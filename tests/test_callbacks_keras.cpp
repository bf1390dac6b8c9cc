// Keras's callbacks against real Keras 3 on the same scripted logs: the
// cases and Keras's results come from scripts/make_callback_fixtures.py
// (tests/fixtures/callbacks/keras_callbacks.json); the fake fit loop here
// is the one that script drives Keras's callbacks with.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

#include "keras/keras.hpp"

using json = nlohmann::json;
using keras::Logs;
namespace cb = keras::callbacks;
namespace fs = std::filesystem;

namespace {

const json& fixtures() {
  static json j = [] {
    std::ifstream in(std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/callbacks/keras_callbacks.json");
    REQUIRE(in.good());
    return json::parse(in);
  }();
  return j;
}

double number(const json& v) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    return s == "nan" ? NAN : s == "inf" ? INFINITY : -INFINITY;
  }
  return v.get<double>();
}

Logs to_logs(const json& j) {
  Logs l;
  for (auto& [k, v] : j.items()) l[k] = number(v);
  return l;
}

template <class T>
T opt(const json& a, const char* key, T fallback) {
  return a.contains(key) ? a[key].get<T>() : fallback;
}

std::optional<double> opt_number(const json& a, const char* key) {
  if (!a.contains(key) || a[key].is_null()) return std::nullopt;
  return a[key].get<double>();
}

std::shared_ptr<cb::Callback> make_callback(const std::string& kind, const json& a, const std::string& dir) {
  if (kind == "EarlyStopping")
    return std::make_shared<cb::EarlyStopping>(cb::EarlyStoppingOptions{
        .monitor = opt<std::string>(a, "monitor", "val_loss"), .min_delta = opt(a, "min_delta", 0.0),
        .patience = opt(a, "patience", 0), .mode = opt<std::string>(a, "mode", "auto"),
        .baseline = opt_number(a, "baseline"), .restore_best_weights = opt(a, "restore_best_weights", false),
        .start_from_epoch = opt(a, "start_from_epoch", 0)});
  if (kind == "ReduceLROnPlateau")
    return std::make_shared<cb::ReduceLROnPlateau>(cb::ReduceLROnPlateauOptions{
        .monitor = opt<std::string>(a, "monitor", "val_loss"), .factor = opt(a, "factor", 0.1),
        .patience = opt(a, "patience", 10), .mode = opt<std::string>(a, "mode", "auto"),
        .min_delta = opt(a, "min_delta", 1e-4), .cooldown = opt(a, "cooldown", 0), .min_lr = opt(a, "min_lr", 0.0)});
  if (kind == "LearningRateScheduler") {
    std::string s = a["schedule"];
    if (s == "halve_from_2")
      return std::make_shared<cb::LearningRateScheduler>([](int e, double lr) { return e >= 2 ? lr * 0.5 : lr; });
    return std::make_shared<cb::LearningRateScheduler>([](int e, double) { return 0.1 / (e + 1); });
  }
  if (kind == "ModelCheckpoint") {
    cb::ModelCheckpointOptions o{.monitor = opt<std::string>(a, "monitor", "val_loss"),
                                 .save_best_only = opt(a, "save_best_only", false),
                                 .save_weights_only = opt(a, "save_weights_only", false),
                                 .mode = opt<std::string>(a, "mode", "auto"),
                                 .initial_value_threshold = opt_number(a, "initial_value_threshold")};
    if (a.contains("save_freq")) o.save_freq = cb::SaveFreq(a["save_freq"].get<std::int64_t>());
    return std::make_shared<cb::ModelCheckpoint>(dir + "/" + a["filepath"].get<std::string>(), o);
  }
  if (kind == "CSVLogger")
    return std::make_shared<cb::CSVLogger>(dir + "/log.csv", opt<std::string>(a, "separator", ","),
                                           opt(a, "append", false));
  if (kind == "TerminateOnNaN") return std::make_shared<cb::TerminateOnNaN>();
  FAIL("unknown callback " << kind);
  return nullptr;
}

keras::Sequential make_model(double lr) {
  keras::Sequential m({keras::Input({2}), keras::layers::Dense(1)});
  m.compile(keras::optimizers::SGD({.learning_rate = lr}), "mse", {"accuracy"});
  return m;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The script's loop: the kernel is set to epoch + 1 before each epoch end.
json run_case(const json& c) {
  fs::path dir = fs::temp_directory_path() / ("keras_cb_" + std::to_string(::getpid()) + "_" + c["name"].get<std::string>());
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto model = make_model(opt(c, "lr", 0.01));
  json out = {{"epochs_run", json::array()}, {"lr", json::array()}, {"logs_learning_rate", json::array()},
              {"csv", json::array()}};
  std::shared_ptr<cb::Callback> callback;
  const json& epochs = c["epoch_logs"];
  for (int run = 0; run < opt(c, "runs", 1); ++run) {
    callback = make_callback(c["callback"], c["args"], dir.string());
    callback->set_model(&model);
    callback->set_params({static_cast<int>(epochs.size()), opt<std::int64_t>(c, "steps", 1), 0});
    model.stop_training = false;
    callback->on_train_begin({});
    for (std::size_t e = 0; e < epochs.size(); ++e) {
      const int epoch = static_cast<int>(e);
      out["epochs_run"].push_back(epoch);
      callback->on_epoch_begin(epoch, {});
      if (c.contains("batch_logs"))
        for (std::size_t b = 0; b < c["batch_logs"][e].size(); ++b) {
          callback->on_train_batch_begin(b, {});
          callback->on_train_batch_end(b, to_logs(c["batch_logs"][e][b]));
          if (model.stop_training) break;
        }
      std::vector<keras::Tensor> w;
      for (auto& t : model.get_weights()) w.push_back(keras::ops::full(t.shape(), epoch + 1.0));
      model.set_weights(w);
      Logs logs = to_logs(epochs[e]);
      callback->on_epoch_end(epoch, logs);
      out["lr"].push_back(static_cast<double>(static_cast<float>(model.optimizer().learning_rate())));
      out["logs_learning_rate"].push_back(logs.count("learning_rate") ? json(logs["learning_rate"]) : json());
      if (model.stop_training) break;
    }
    callback->on_train_end({});
    if (c["callback"] == "CSVLogger") out["csv"].push_back(read_file((dir / "log.csv").string()));
  }
  std::vector<std::string> files;
  for (auto& f : fs::directory_iterator(dir)) files.push_back(f.path().filename().string());
  std::sort(files.begin(), files.end());
  out["files"] = files;
  out["restored_epoch"] = model.get_weights()[0].to_vector<float>()[0] - 1.0;
  if (auto es = std::dynamic_pointer_cast<cb::EarlyStopping>(callback)) {
    out["stopped_epoch"] = es->stopped_epoch();
    out["best_epoch"] = es->best_epoch();
  }
  fs::remove_all(dir);
  return out;
}

}  // namespace

TEST_CASE("callbacks: Keras's callbacks and ours do the same on scripted logs") {
  for (const json& c : fixtures()["cases"]) {
    const std::string name = c["name"];
    INFO("case ", name, " (", c["callback"].get<std::string>(), ")");
    json got = run_case(c);
    const json& want = c["expected"];
    CHECK(got["epochs_run"] == want["epochs_run"]);
    CHECK(got["files"] == want["files"]);
    CHECK(got["csv"] == want["csv"]);
    CHECK(got["restored_epoch"].get<double>() == want["restored_epoch"].get<double>());
    if (got.contains("stopped_epoch")) {
      CHECK(got["stopped_epoch"] == want["stopped_epoch"]);
      CHECK(got["best_epoch"] == want["best_epoch"]);
    }
    REQUIRE(got["lr"].size() == want["lr"].size());
    for (std::size_t i = 0; i < want["lr"].size(); ++i) {
      INFO("epoch ", i);
      CHECK(got["lr"][i].get<double>() == want["lr"][i].get<double>());
      if (want["logs_learning_rate"][i].is_null()) CHECK(got["logs_learning_rate"][i].is_null());
      else CHECK(got["logs_learning_rate"][i].get<double>() == want["logs_learning_rate"][i].get<double>());
    }
  }
}

TEST_CASE("callbacks: file-name templates format as Python's str.format") {
  for (const json& f : fixtures()["formats"]) {
    std::map<std::string, std::int64_t> ints;
    for (auto& [k, v] : f["ints"].items()) ints[k] = v.get<std::int64_t>();
    INFO("template ", f["pattern"].get<std::string>());
    CHECK(cb::python_format(f["pattern"], ints, to_logs(f["floats"])) == f["expected"].get<std::string>());
  }
  for (const json& r : fixtures()["reprs"]) CHECK(cb::python_float_repr(r["value"]) == r["expected"].get<std::string>());
  CHECK_THROWS_AS(cb::python_format("{nope}.keras", {{"epoch", 1}}, {}), keras::ValueError);
  CHECK_THROWS_AS(cb::python_format("{epoch:.2d}", {{"epoch", 1}}, {}), keras::ValueError);
  CHECK_THROWS_AS(cb::python_format("{loss:d}", {}, {{"loss", 1.0}}), keras::ValueError);
  CHECK_THROWS_AS(cb::python_format("{epoch", {{"epoch", 1}}, {}), keras::ValueError);
}

TEST_CASE("callbacks: bad arguments raise clear errors") {
  CHECK_THROWS_AS(cb::ModelCheckpoint("model.txt"), keras::ValueError);
  CHECK_THROWS_AS(cb::ModelCheckpoint("w.h5", {.save_weights_only = true}), keras::ValueError);
  CHECK_THROWS_AS(cb::ReduceLROnPlateau({.factor = 1.0}), keras::ValueError);
  CHECK_THROWS_AS(cb::SaveFreq("batch"), keras::ValueError);
  CHECK_THROWS_AS(cb::SaveFreq(0), keras::ValueError);
  CHECK_THROWS_AS(cb::BackupAndRestore(""), keras::ValueError);
  CHECK_THROWS_AS(cb::CSVLogger("x.csv", ";;"), keras::ValueError);
  auto model = make_model(0.01);
  cb::EarlyStopping es({.monitor = "custom_thing"});
  es.set_model(&model);
  es.on_train_begin({});
  CHECK_THROWS_AS(es.on_epoch_end(0, {{"custom_thing", 1.0}}), keras::ValueError);
  cb::TerminateOnNaN strict(true);
  strict.set_model(&model);
  CHECK_THROWS_AS(strict.on_train_batch_end(3, {{"loss", NAN}}), keras::RuntimeError);
}
