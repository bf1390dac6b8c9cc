// Files real Keras wrote with learning-rate schedules in the compile config
// and regularizers / constraints on the layers (tests/fixtures/reg/, from
// scripts/make_reg_fixtures.py and make_reg_tf2_fixtures.py) load here with
// defaults and predict as Keras did; re-saved, they go to KERAS_INTEROP_DIR
// for scripts/check_in_keras.py, which loads them in Keras 3, compares the
// predictions and continues training there from the re-saved state.
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "keras/saving.hpp"
#include "saving/h5.hpp"
#include "test_helpers.hpp"

using keras::Tensor;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) { return std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/reg/" + name; }

struct Case {
  const char* file;      // under tests/fixtures/reg/
  const char* io;        // its reference inputs and predictions
  const char* schedule;  // the optimizer's learning-rate schedule class
};

const Case kCases[] = {
    {"k3_conv.keras", "k3_conv_io.h5", "CosineDecayRestarts"},
    {"k3_conv.h5", "k3_conv_io.h5", "CosineDecayRestarts"},
    {"k3_dense.keras", "k3_dense_io.h5", "PiecewiseConstantDecay"},
    {"k3_dense.h5", "k3_dense_io.h5", "PiecewiseConstantDecay"},
    {"tf2_conv.h5", "tf2_conv_io.h5", "ExponentialDecay"},
    {"tf2_dense.h5", "tf2_dense_io.h5", "CosineDecay"},
};

int count_regularized(const keras::Model& m) {
  int n = 0;
  for (auto& v : m.weights()) n += v.regularizer() != nullptr;
  return n;
}

int count_constrained(const keras::Model& m) {
  int n = 0;
  for (auto& v : m.weights()) n += v.constraint() != nullptr;
  return n;
}

bool has_activity_regularizer(const keras::Model& m) {
  for (auto& l : m.layers())
    if (l->activity_regularizer()) return true;
  return false;
}

void check_predictions(keras::Model& m, const std::string& io_path, const std::string& what) {
  auto io = keras::saving::h5::open_file(io_path);
  Tensor x = io.dataset("x0");
  testing::check_close(m.predict(x), io.dataset("y0").to_vector<float>(), 1e-6, 1e-5, what);
}

}  // namespace

TEST_CASE("files: Keras 3 and tf.keras 2.15 files with schedules and regularized layers load with defaults") {
  for (const Case& c : kCases) {
    INFO(std::string(c.file));
    keras::Model m = keras::models::load_model(fixture(c.file));
    REQUIRE(m.compiled());
    auto& opt = m.optimizer();
    REQUIRE(opt.learning_rate_schedule() != nullptr);
    CHECK(opt.learning_rate_schedule()->class_name() == c.schedule);
    // Trained 2 epochs of 2 batches: the iteration count came back, and the
    // rate is the schedule's at that step.
    CHECK(opt.iterations() == 4);
    CHECK(opt.learning_rate() == doctest::Approx((*opt.learning_rate_schedule())(4)));
    CHECK(count_regularized(m) >= 3);
    CHECK(count_constrained(m) >= 2);
    check_predictions(m, fixture(c.io), c.file);
  }
}

TEST_CASE("files: regularizers, constraints and schedules survive a save and load here") {
  const fs::path dir = fs::temp_directory_path() / ("keras_reg_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const Case& c : kCases) {
    INFO(std::string(c.file));
    keras::Model m = keras::models::load_model(fixture(c.file));
    for (const char* ext : {".keras", ".h5"}) {
      const std::string path = (dir / (std::string("resaved") + ext)).string();
      m.save(path);
      keras::Model r = keras::models::load_model(path);
      CHECK(r.optimizer().learning_rate_schedule()->class_name() == c.schedule);
      CHECK(r.optimizer().iterations() == 4);
      CHECK(count_regularized(r) == count_regularized(m));
      CHECK(count_constrained(r) == count_constrained(m));
      CHECK(has_activity_regularizer(r) == has_activity_regularizer(m));
      CHECK(keras::optimizers::serialize(r.optimizer()) == keras::optimizers::serialize(m.optimizer()));
      check_predictions(r, fixture(c.io), std::string(c.file) + " re-saved as " + ext);
    }
  }
  fs::remove_all(dir);
}

namespace {

// Training targets for one more epoch (any fixed values: both sides train
// from the same file).
Tensor labels_for(const Tensor& y_pred) {
  const keras::Shape out = y_pred.shape();
  const std::int64_t n = out[0];
  if (out.back() == 3) {  // the softmax classifiers: sparse labels
    std::vector<std::int64_t> l(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) l[static_cast<std::size_t>(i)] = (i * 5 + 1) % 3;
    return Tensor({n}, l);
  }
  return testing::random_tensor({n, out.back()}, -1, 1, 17);
}

}  // namespace

TEST_CASE("interop: schedules and regularized layers re-saved here for real Keras to load and train") {
  const char* env = std::getenv("KERAS_INTEROP_DIR");
  const fs::path dir = env && *env ? fs::path(env) : fs::temp_directory_path() / ("keras_reg_interop_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const Case& c : kCases) {
    const std::string file = c.file;
    if (file.size() > 3 && file.substr(file.size() - 3) == ".h5" && file.rfind("k3_", 0) == 0) continue;  // the .keras twin
    INFO(std::string(c.file));
    const std::string name = "reg_" + file.substr(0, file.find('.'));
    keras::Model m = keras::models::load_model(fixture(c.file));
    m.save((dir / (name + ".keras")).string());
    m.save((dir / (name + ".h5")).string());
    auto ref = keras::saving::h5::open_file(fixture(c.io));
    Tensor x = ref.dataset("x0");
    Tensor y = m.predict(x);
    Tensor labels = labels_for(y);
    // The reference check_in_keras.py reads: inputs, predictions, labels and
    // the weights one more epoch (batch 8, no shuffling) reaches here.
    auto io = keras::saving::h5::create_file((dir / (name + "_io.h5")).string());
    io.write_dataset("x0", x);
    io.write_dataset("y0", y);
    io.write_dataset("labels", labels);
    keras::Model next = keras::models::load_model((dir / (name + ".keras")).string());
    next.fit(x, labels, {.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false});
    auto w = next.get_weights();
    for (std::size_t i = 0; i < w.size(); ++i) io.write_dataset("w" + std::to_string(i), w[i]);
    keras::saving::h5::close(io);
    CHECK(next.optimizer().iterations() == 5);
  }
  if (!(env && *env)) fs::remove_all(dir);
}
