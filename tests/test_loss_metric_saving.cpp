// Compile configs with the new losses and metrics through both file
// formats: a model Keras 3 compiled and saved (tests/fixtures/losses/,
// scripts/make_loss_metric_goldens.py) loads here with Keras's losses and
// metrics, and a model compiled here saves and loads back with the same
// compile config. With KERAS_INTEROP_DIR set the files stay there with the
// expected config for scripts/check_loss_metric_configs.py (real Keras).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/saving.hpp"
#include "saving/internal.hpp"
#include "test_helpers.hpp"

using keras::Tensor;
using json = nlohmann::json;
namespace fs = std::filesystem;
namespace layers = keras::layers;
namespace losses = keras::losses;
namespace metrics = keras::metrics;

namespace {

std::string fixture(const std::string& name) { return std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/losses/" + name; }

// Entries equal up to Keras's "dtype" key and float32 rounding of numbers.
bool same_entry(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return std::fabs(a.get<double>() - b.get<double>()) < 1e-6;
  if (a.is_object() && b.is_object()) {
    for (auto& [k, v] : b.items())
      if (k != "dtype" && (!a.contains(k) || !same_entry(a[k], v))) return false;
    for (auto& [k, v] : a.items())
      if (k != "dtype" && !b.contains(k)) return false;
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same_entry(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

}  // namespace

TEST_CASE("loss/metric saving: a model Keras compiled with the new losses and metrics loads with them") {
  std::ifstream in(fixture("loss_metric_goldens.json"));
  REQUIRE(in.good());
  const json want = json::parse(in)["compiled_model"];
  for (const char* ext : {".keras", ".h5"}) {
    INFO(ext);
    keras::Model m = keras::models::load_model(fixture(std::string("keras_compiled") + ext));
    json got = keras::saving::compile_config(m);
    REQUIRE(got.is_object());
    CHECK_MESSAGE(same_entry(got["loss"], want["loss"]), got["loss"].dump() << "\nKeras: " << want["loss"].dump());
    CHECK_MESSAGE(same_entry(got["metrics"], want["metrics"]),
                  got["metrics"].dump() << "\nKeras: " << want["metrics"].dump());
    // The losses are the objects Keras configured, and evaluate() runs them.
    Tensor x = testing::random_tensor({4, 4}, -1, 1, 7);
    auto logs = m.evaluate({{"x", x}},
                           {{"probs", Tensor({4, 3}, std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0})},
                            {"reg", testing::random_tensor({4, 2}, -1, 1, 8)}},
                           {.verbose = 0});
    for (const char* key : {"probs_auc", "probs_precision", "probs_top_k_categorical_accuracy",
                            "reg_root_mean_squared_error", "reg_r2_score", "reg_mape"})
      CHECK_MESSAGE(logs.count(key) == 1, key);
  }
}

TEST_CASE("loss/metric saving: models compiled here round-trip their compile config through .keras and .h5") {
  const char* env = std::getenv("KERAS_INTEROP_DIR");
  const fs::path dir = env && *env ? fs::path(env) : fs::temp_directory_path() / ("keras_lm_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  keras::utils::set_random_seed(9);
  auto x = keras::Input({4}, "x");
  auto probs = layers::Dense(3, "softmax", {.name = "probs"})(x);
  auto reg = layers::Dense(2, {}, {.name = "reg"})(x);
  keras::Model m({x}, {probs, reg}, "lm_model");
  m.compile("adam",
            std::vector<keras::LossArg>{losses::CategoricalFocalCrossentropy({.alpha = 0.4, .gamma = 3.0}),
                                        losses::Tversky({.alpha = 0.3, .beta = 0.7})},
            {{metrics::AUC({.num_thresholds = 50, .curve = "PR"}), metrics::Precision({.top_k = 2}),
              "top_k_categorical_accuracy", metrics::F1Score("macro", 0.4)},
             {"root_mean_squared_error", metrics::R2Score("variance_weighted_average"), "mape", metrics::LogCoshError()}});
  Tensor xs = testing::random_tensor({8, 4}, -1, 1, 10);
  m.fit({{"x", xs}},
        {{"probs", Tensor({8, 3}, std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0})},
         {"reg", testing::random_tensor({8, 2}, 0, 1, 11)}},
        {.batch_size = 4, .epochs = 1, .verbose = 0});
  const json cc = keras::saving::compile_config(m);
  CHECK(cc["loss"][1]["class_name"] == "Tversky");
  CHECK(cc["metrics"][0][0]["class_name"] == "AUC");
  CHECK(cc["metrics"][0][0]["config"]["curve"] == "PR");
  CHECK(cc["metrics"][1][3]["class_name"] == "LogCoshError");
  for (const char* ext : {".keras", ".h5"}) {
    INFO(ext);
    const std::string path = (dir / (std::string("lm_model") + ext)).string();
    m.save(path);
    keras::Model r = keras::models::load_model(path);
    json back = keras::saving::compile_config(r);
    CHECK_MESSAGE(same_entry(back["loss"], cc["loss"]), back["loss"].dump() << "\nsaved: " << cc["loss"].dump());
    CHECK_MESSAGE(same_entry(back["metrics"], cc["metrics"]), back["metrics"].dump() << "\nsaved: " << cc["metrics"].dump());
  }
  std::ofstream(dir / "lm_model_compile.json") << cc.dump(1);
  if (!(env && *env)) fs::remove_all(dir);
}
