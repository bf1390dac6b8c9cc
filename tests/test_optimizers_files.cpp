// Optimizer state through .keras and .h5 files, both ways with Keras 3:
// models Keras trained and saved (tests/fixtures/optimizers/resume/, from
// scripts/make_optimizer_goldens.py) resume here with the step Keras takes
// next; with the Keras venv present, every optimizer (with EMA, gradient
// accumulation, weight decay, loss scaling) goes through
// scripts/check_optimizer_resume.py in both directions.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/backend.hpp"  // test_helpers.hpp uses keras::backend
#include "keras/optimizers/extra.hpp"
#include "keras/saving.hpp"
#include "test_helpers.hpp"

using keras::Tensor;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

json read_json(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE_MESSAGE(in.good(), p.string());
  return json::parse(in);
}

void check_weights(const std::vector<Tensor>& got, const json& want, const std::string& what) {
  REQUIRE_MESSAGE(got.size() == want.size(), what);
  for (std::size_t i = 0; i < got.size(); ++i) {
    auto g = got[i].to_vector<float>();
    auto w = want[i].get<std::vector<double>>();
    REQUIRE_MESSAGE(g.size() == w.size(), what);
    for (std::size_t k = 0; k < g.size(); ++k)
      CHECK_MESSAGE(std::fabs(g[k] - w[k]) <= 1e-5 * std::fabs(w[k]) + 1e-6,
                    what << " weight " << i << "[" << k << "]: ours " << g[k] << ", Keras " << w[k]);
  }
}

// Loads `file`, checks the optimizer, takes one train_on_batch step and
// compares the weights with Keras's next step.
void resume_and_compare(const fs::path& file, const json& c, const Tensor& x, const Tensor& y) {
  keras::Model m = keras::models::load_model(file.string());
  REQUIRE_MESSAGE(m.compiled(), file.string());
  if (c.contains("class_name")) CHECK(m.optimizer().class_name() == c["class_name"].get<std::string>());
  m.train_on_batch(x, y);
  CHECK_MESSAGE(m.optimizer().iterations() == c["iterations"].get<std::int64_t>(), file.string());
  check_weights(m.get_weights(), c["next"], file.string());
}

std::string keras_python() {
  const char* v = std::getenv("KERAS_INTEROP_VENV");
  const char* home = std::getenv("HOME");
  fs::path venv = v ? fs::path(v) : fs::path(home ? home : "/nonexistent") / ".cache/keras.cpp/venv";
  fs::path py = venv / "bin/python";
  if (!fs::exists(py)) return "";
  const std::string probe = "KERAS_BACKEND=jax " + py.string() + " -c 'import keras, jax' >/dev/null 2>&1";
  return std::system(probe.c_str()) == 0 ? py.string() : "";
}

std::string run_script(const std::string& py, const std::string& args) {
  const std::string cmd = "KERAS_BACKEND=jax " + py + " " KERAS_SOURCE_DIR "/scripts/check_optimizer_resume.py " +
                          args + " 2>/dev/null";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  REQUIRE_MESSAGE(::pclose(p) == 0, cmd);
  return out;
}

Tensor batch(const json& j, const char* key, keras::Shape shape) {
  return Tensor(shape, j[key].get<std::vector<float>>());
}

// The optimizers and options of check_optimizer_resume.py's CASES.
const std::vector<std::pair<std::string, json>>& cases() {
  static const std::vector<std::pair<std::string, json>> c = {
      {"SGD", {{"momentum", 0.9}, {"use_ema", true}, {"ema_overwrite_frequency", 2}}},
      {"Adam", {{"amsgrad", true}, {"gradient_accumulation_steps", 2}}},
      {"AdamW", {{"weight_decay", 0.1}}},
      {"RMSprop", {{"momentum", 0.5}, {"centered", true}, {"weight_decay", 0.05}}},
      {"Adagrad", {{"loss_scale_factor", 8.0}}},
      {"Adadelta", {{"use_ema", true}, {"ema_momentum", 0.5}}},
      {"Adamax", {{"gradient_accumulation_steps", 2}}},
      {"Nadam", {{"use_ema", true}, {"ema_momentum", 0.8}, {"ema_overwrite_frequency", 3}}},
      {"Lion", {{"weight_decay", 0.1}}},
      {"Ftrl", {{"gradient_accumulation_steps", 2}, {"l2_regularization_strength", 0.01}}},
      {"Adafactor", {{"use_ema", true}}}};
  return c;
}

}  // namespace

TEST_CASE("optimizer files: models Keras saved mid-training resume with Keras's next step") {
  const fs::path dir = fs::path(KERAS_SOURCE_DIR) / "tests/fixtures/optimizers/resume";
  const json j = read_json(dir / "next_step.json");
  Tensor x = batch(j, "x", {2, 3}), y = batch(j, "y", {2, 2});
  for (auto& [cls, c] : j["cases"].items())
    for (const auto& ext : c["formats"]) {
      std::string lower = cls;
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      INFO(cls, ext.get<std::string>());
      json cc = c;
      cc["class_name"] = cls;
      resume_and_compare(dir / (lower + ext.get<std::string>()), cc, x, y);
    }
}

TEST_CASE("optimizer files: every optimizer resumes both ways with Keras 3 (.keras and .h5)") {
  const std::string py = keras_python();
  if (py.empty()) {
    MESSAGE("SKIPPED: no Python with keras and jax at $KERAS_INTEROP_VENV or ~/.cache/keras.cpp/venv");
    return;
  }
  const fs::path dir = fs::temp_directory_path() / ("keras_opt_files_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // Keras -> here.
  run_script(py, "write '" + dir.string() + "'");
  const json kj = read_json(dir / "keras_next.json");
  Tensor x = batch(kj, "x", {2, 3}), y = batch(kj, "y", {2, 2});
  for (auto& [name, c] : kj["cases"].items())
    for (const auto& ext : c["formats"]) {
      INFO("Keras -> keras.cpp: ", name, ext.get<std::string>());
      resume_and_compare(dir / (name + ext.get<std::string>()), c, x, y);
    }
  // Here -> Keras.
  json ours = {{"x", kj["x"]}, {"y", kj["y"]}, {"cases", json::array()}};
  Tensor xs = testing::random_tensor({6, 3}, -1, 1, 17), ys = testing::random_tensor({6, 2}, -1, 1, 18);
  for (const auto& [cls, args] : cases()) {
    json config = args;
    config["learning_rate"] = 0.05;
    keras::utils::set_random_seed(3);
    keras::Sequential m({keras::Input({3}), keras::layers::Dense(2, {}, {.name = "dense"})}, "tiny");
    m.compile(keras::optimizers::deserialize(json{{"class_name", cls}, {"config", config}}), "mse");
    m.fit(xs, ys, {.batch_size = 2, .epochs = 1, .verbose = 0, .shuffle = false});
    std::string lower = cls;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (std::string ext : {".keras", ".h5"}) {
      if (cls == "Adafactor" && ext == ".h5") continue;  // Keras's .h5 cannot hold Adafactor's same-named factors
      const std::string file = "ours_" + lower + ext;
      m.save((dir / file).string());
      keras::Model next = keras::models::load_model((dir / file).string());
      next.train_on_batch(x, y);
      json w = json::array();
      for (const Tensor& t : next.get_weights()) w.push_back(t.to_vector<float>());
      ours["cases"].push_back({{"file", file}, {"class_name", cls}, {"config", args},
                               {"iterations", next.optimizer().iterations()}, {"next", w}});
    }
  }
  std::ofstream(dir / "ours.json") << ours.dump();
  const json res = json::parse(run_script(py, "check '" + dir.string() + "'"));
  REQUIRE(res["cases"].size() == ours["cases"].size());
  for (const auto& r : res["cases"]) CHECK_MESSAGE(r["ok"].get<bool>(), r["file"] << ": " << r["detail"]);
  fs::remove_all(dir);
}

TEST_CASE("optimizer files: tf.keras 2.15 configs of the new optimizers (scripts/make_optimizer_tf2_fixtures.py)") {
  const fs::path dir = fs::path(KERAS_SOURCE_DIR) / "tests/fixtures/optimizers";
  const json j = read_json(dir / "tf2_optimizer_configs.json");
  CHECK(j.size() == 6);
  for (auto& [cls, c] : j.items()) {
    INFO(cls);
    auto o = keras::optimizers::deserialize(c["optimizer_config"]);
    CHECK(o->class_name() == cls);
    const json ours = o->get_config(), theirs = c["optimizer_config"]["config"];
    for (auto& [k, v] : theirs.items()) {
      if (k == "jit_compile" || k == "is_legacy_optimizer") continue;  // tf.keras 2 only
      REQUIRE_MESSAGE(ours.contains(k), k);
      if (v.is_number_float())
        CHECK_MESSAGE(ours[k].get<double>() == doctest::Approx(v.get<double>()).epsilon(1e-7), k);
      else
        CHECK_MESSAGE(ours[k] == v, k << ": ours " << ours[k].dump() << ", tf.keras " << v.dump());
    }
  }
  // A trained tf.keras 2 model with Nadam loads with its optimizer.
  keras::Model m = keras::models::load_model((dir / "tf2_nadam.h5").string());
  REQUIRE(m.compiled());
  CHECK(m.optimizer().class_name() == "Nadam");
  CHECK(m.optimizer().get_config()["beta_1"].get<double>() == doctest::Approx(0.85));
  CHECK(m.optimizer().get_config()["clipnorm"].get<double>() == doctest::Approx(1.0));
  Tensor x({2, 3}, j["Nadam"]["x"].get<std::vector<float>>());
  testing::check_close(m.predict(x), j["Nadam"]["predictions"].get<std::vector<float>>(), 1e-6, 1e-5, "tf2 Nadam");
  m.train_on_batch(x, m.predict(x));  // trains on with the loaded optimizer
}
