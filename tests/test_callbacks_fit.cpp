// Callbacks inside real fit() calls: the logs every hook gets, stopping,
// changing the learning rate, EarlyStopping's restored weights,
// ModelCheckpoint's best file, CSVLogger's columns, and BackupAndRestore
// resuming a fit killed with SIGKILL.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "keras/keras.hpp"
#include "keras/saving.hpp"
#include "saving/h5.hpp"

using keras::Logs;
using keras::Tensor;
namespace cb = keras::callbacks;
namespace fs = std::filesystem;

namespace {

struct Data {
  Tensor x, y, vx, vy;
};

// A small regression problem (y = a fixed linear map of x + noise).
Data make_data(std::int64_t n = 96) {
  std::vector<float> xs(n * 4), ys(n);
  std::uint32_t s = 12345;
  auto rnd = [&] { return (s = s * 1664525u + 1013904223u) / 4294967296.0f - 0.5f; };
  for (std::int64_t i = 0; i < n; ++i) {
    float t = 0;
    for (int j = 0; j < 4; ++j) t += (j + 1) * (xs[i * 4 + j] = rnd());
    ys[i] = t + 0.1f * rnd();
  }
  Tensor x({n, 4}, xs), y({n, 1}, ys);
  std::int64_t k = n * 3 / 4;
  return {x.slice(0, k), y.slice(0, k), x.slice(k, n), y.slice(k, n)};
}

keras::Sequential make_model(double lr = 0.05, const std::string& opt = "sgd") {
  keras::Sequential m({keras::Input({4}), keras::layers::Dense(8, "relu"), keras::layers::Dropout(0.1),
                       keras::layers::Dense(1)});
  if (opt == "adam") m.compile(keras::optimizers::Adam({.learning_rate = lr}), "mse", {"mae"});
  else m.compile(keras::optimizers::SGD({.learning_rate = lr}), "mse", {"mae"});
  return m;
}

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("keras_cbfit_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

bool same_weights(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].to_vector<float>() != b[i].to_vector<float>()) return false;
  return true;
}

}  // namespace

TEST_CASE("callbacks: every hook gets Keras's logs in fit") {
  keras::utils::set_random_seed(1);
  auto d = make_data();
  auto m = make_model();
  std::vector<Logs> batch_logs, test_batch_logs, epoch_logs;
  Logs train_end, test_end;
  int test_begins = 0;
  auto lambda = std::make_shared<cb::LambdaCallback>(cb::LambdaCallbackOptions{
      .on_train_end = [&](const Logs& l) { train_end = l; },
      .on_test_begin = [&](const Logs&) { ++test_begins; },
      .on_test_end = [&](const Logs& l) { test_end = l; },
      .on_epoch_end = [&](int, const Logs& l) { epoch_logs.push_back(l); },
      .on_train_batch_end = [&](std::int64_t, const Logs& l) { batch_logs.push_back(l); },
      .on_test_batch_end = [&](std::int64_t, const Logs& l) { test_batch_logs.push_back(l); }});
  m.fit(d.x, d.y, {.batch_size = 8, .epochs = 2, .verbose = 0, .callbacks = {lambda},
                   .validation_data = {d.vx, d.vy}});
  REQUIRE(batch_logs.size() == 18);  // 72 samples / 8, two epochs
  for (auto& l : batch_logs) {
    CHECK(l.count("loss") == 1);
    CHECK(l.count("mae") == 1);
  }
  // The running mean at the epoch's last batch is the epoch's value.
  CHECK(batch_logs[8].at("loss") == epoch_logs[0].at("loss"));
  CHECK(test_begins == 2);
  REQUIRE(test_batch_logs.size() == 6);  // 24 validation samples / 8, two epochs
  CHECK(test_end.at("loss") == epoch_logs[1].at("val_loss"));
  CHECK(train_end == epoch_logs[1]);
  CHECK(epoch_logs[1].count("val_mae") == 1);
}

TEST_CASE("callbacks: a callback stops training and changes the learning rate and the weights") {
  auto d = make_data();
  auto m = make_model();
  int batches = 0;
  std::vector<Tensor> zero;
  auto stopper = std::make_shared<cb::LambdaCallback>(cb::LambdaCallbackOptions{
      .on_epoch_begin = [&](int e, const Logs&) { m.optimizer().set_learning_rate(0.01 * (e + 1)); },
      .on_train_batch_end =
          [&](std::int64_t b, const Logs&) {
            ++batches;
            if (b == 3) m.stop_training = true;
          }});
  auto h = m.fit(d.x, d.y, {.batch_size = 8, .epochs = 5, .verbose = 0, .callbacks = {stopper}});
  CHECK(batches == 4);
  CHECK(h.epoch == std::vector<int>{0});  // the epoch ends (its logs recorded), then fit stops
  CHECK(m.optimizer().learning_rate() == doctest::Approx(0.01));
  // Weights written by a callback are the ones training continues from.
  for (auto& w : m.get_weights()) zero.push_back(keras::ops::zeros(w.shape()));
  auto zeroer = std::make_shared<cb::LambdaCallback>(
      cb::LambdaCallbackOptions{.on_train_begin = [&](const Logs&) { m.set_weights(zero); }});
  m.optimizer().set_learning_rate(0.0);
  m.fit(d.x, d.y, {.batch_size = 8, .epochs = 1, .verbose = 0, .callbacks = {zeroer}});
  CHECK(same_weights(m.get_weights(), zero));
}

TEST_CASE("callbacks: TerminateOnNaN stops a fit whose loss becomes NaN") {
  auto d = make_data();
  auto m = make_model(1e30);  // diverges within a few batches
  int batches = 0;
  auto count = std::make_shared<cb::LambdaCallback>(
      cb::LambdaCallbackOptions{.on_train_batch_end = [&](std::int64_t, const Logs&) { ++batches; }});
  m.fit(d.x, d.y, {.batch_size = 8, .epochs = 20, .verbose = 0,
                   .callbacks = {count, std::make_shared<cb::TerminateOnNaN>()}});
  CHECK(m.stop_training);
  CHECK(batches < 20 * 9);
}

TEST_CASE("callbacks: EarlyStopping restores the best epoch's weights and ModelCheckpoint keeps the best file") {
  keras::utils::set_random_seed(3);
  auto d = make_data();
  auto m = make_model(0.3);  // a large step: val_loss goes up and down
  fs::path dir = temp_dir("best");
  std::vector<double> val;
  std::vector<std::vector<Tensor>> weights;
  auto rec = std::make_shared<cb::LambdaCallback>(cb::LambdaCallbackOptions{
      .on_epoch_end = [&](int, const Logs& l) {
        val.push_back(l.at("val_loss"));
        weights.push_back(m.get_weights());
      }});
  auto es = std::make_shared<cb::EarlyStopping>(cb::EarlyStoppingOptions{.patience = 2, .restore_best_weights = true});
  auto ck = std::make_shared<cb::ModelCheckpoint>((dir / "best-{epoch:02d}.keras").string(),
                                                  cb::ModelCheckpointOptions{.save_best_only = true});
  auto last = std::make_shared<cb::ModelCheckpoint>((dir / "best.weights.h5").string(),
                                                    cb::ModelCheckpointOptions{.save_best_only = true,
                                                                               .save_weights_only = true});
  m.fit(d.x, d.y, {.batch_size = 8, .epochs = 12, .verbose = 0, .callbacks = {rec, es, ck, last},
                   .validation_data = {d.vx, d.vy}});
  REQUIRE(!val.empty());
  std::size_t best = std::min_element(val.begin(), val.end()) - val.begin();
  CHECK(es->best_epoch() == static_cast<int>(best));
  CHECK(same_weights(m.get_weights(), weights[best]));
  REQUIRE(!ck->saved().empty());
  char name[32];
  std::snprintf(name, sizeof name, "best-%02zu.keras", best + 1);
  CHECK(ck->saved().back() == (dir / name).string());
  keras::Model loaded = keras::models::load_model(ck->saved().back());
  CHECK(same_weights(loaded.get_weights(), weights[best]));
  auto fresh = make_model();
  fresh.load_weights((dir / "best.weights.h5").string());
  CHECK(same_weights(fresh.get_weights(), weights[best]));
  fs::remove_all(dir);
}

TEST_CASE("callbacks: CSVLogger writes Keras's columns, with the learning rate ReduceLROnPlateau adds") {
  auto d = make_data();
  auto m = make_model();
  fs::path dir = temp_dir("csv");
  auto rlr = std::make_shared<cb::ReduceLROnPlateau>(cb::ReduceLROnPlateauOptions{.patience = 1});
  auto csv = std::make_shared<cb::CSVLogger>((dir / "log.csv").string());
  auto h = m.fit(d.x, d.y, {.batch_size = 8, .epochs = 3, .verbose = 0, .callbacks = {rlr, csv},
                            .validation_data = {d.vx, d.vy}});
  std::ifstream in(dir / "log.csv");
  std::string header, row;
  std::getline(in, header);
  CHECK(header == "epoch,learning_rate,loss,mae,val_loss,val_mae\r");
  int rows = 0;
  while (std::getline(in, row)) ++rows;
  CHECK(rows == 3);
  CHECK(h.history.count("learning_rate") == 1);  // History follows the callbacks, as in Keras
  fs::remove_all(dir);
}

// ---- BackupAndRestore: a fit killed with SIGKILL and restarted ----

namespace {

// The training run of the backup test: 4 epochs of Adam with dropout and
// shuffling, all from seed 7. With a backup dir: BackupAndRestore, and
// with kill_at >= 0 the process kills itself before that (global) batch.
std::vector<Tensor> backup_run(const std::string& dir, const std::string& freq, int kill_at, int* batches = nullptr) {
  keras::utils::set_random_seed(7);
  auto d = make_data();
  auto m = make_model(0.01, "adam");
  std::vector<std::shared_ptr<cb::Callback>> cbs;
  if (!dir.empty()) {
    cb::SaveFreq f = freq == "epoch" ? cb::SaveFreq("epoch") : cb::SaveFreq(static_cast<std::int64_t>(std::stoll(freq)));
    cbs.push_back(std::make_shared<cb::BackupAndRestore>(dir, cb::BackupAndRestoreOptions{.save_freq = f}));
  }
  int seen = 0;
  cbs.push_back(std::make_shared<cb::LambdaCallback>(cb::LambdaCallbackOptions{
      .on_train_batch_begin = [&](std::int64_t, const Logs&) {
        if (seen++ == kill_at) ::raise(SIGKILL);
      }}));
  m.fit(d.x, d.y, {.batch_size = 8, .epochs = 4, .verbose = 0, .callbacks = cbs});
  if (batches) *batches = seen;
  return m.get_weights();
}

// Runs this test binary again as the child that gets killed.
int run_killed_child(const std::string& dir, const std::string& freq, int kill_at) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::string k = std::to_string(kill_at);
    ::setenv("KERAS_BACKUP_CHILD", (dir + "|" + freq + "|" + k).c_str(), 1);
    ::execl("/proc/self/exe", "keras_tests", "-tc=callbacks: (child) *", "--no-intro", nullptr);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("callbacks: (child) a fit with BackupAndRestore that kills itself") {
  const char* spec = std::getenv("KERAS_BACKUP_CHILD");
  if (!spec) return;  // only as the child of the test below
  std::string s = spec;
  auto a = s.find('|'), b = s.rfind('|');
  backup_run(s.substr(0, a), s.substr(a + 1, b - a - 1), std::stoi(s.substr(b + 1)));
}

TEST_CASE("callbacks: BackupAndRestore resumes a fit killed with SIGKILL to the uninterrupted weights") {
  const auto reference = backup_run("", "", -1);
  // 9 batches per epoch; killed in epoch 3 (index 2) before its 6th batch.
  for (std::string freq : {"4", "epoch"}) {
    INFO("save_freq ", freq);
    fs::path dir = temp_dir("backup_" + freq);
    CHECK(run_killed_child(dir.string(), freq, 9 * 2 + 5) == SIGKILL);
    REQUIRE(fs::exists(dir / "latest.weights.h5"));
    REQUIRE(fs::exists(dir / "training_metadata.json"));
    std::ifstream in(dir / "training_metadata.json");
    std::stringstream meta;
    meta << in.rdbuf();
    // Batch backups every 4 batches: the last one after global batch 20
    // (epoch 2, 2 batches done); epoch backups: after epoch 1.
    CHECK(meta.str().find("\"epoch\":2") != std::string::npos);
    CHECK(meta.str().find(freq == "epoch" ? "\"step\":0" : "\"step\":2") != std::string::npos);
    int batches = 0;
    const auto resumed = backup_run(dir.string(), freq, -1, &batches);
    CHECK(batches == (freq == "epoch" ? 36 - 18 : 36 - 20));  // it resumed, not restarted
    CHECK(same_weights(resumed, reference));
    CHECK_FALSE(fs::exists(dir));  // delete_checkpoint
  }
}

// The best-epoch checkpoint for real Keras: with KERAS_INTEROP_DIR set it
// goes there as checkpoint_best.keras with checkpoint_best_io.h5 (inputs and
// the best epoch's predictions), which scripts/check_in_keras.py loads in
// Keras 3 and compares.
TEST_CASE("interop: ModelCheckpoint's best-epoch file for real Keras to load") {
  const char* env = std::getenv("KERAS_INTEROP_DIR");
  fs::path dir = env && *env ? fs::path(env) : temp_dir("interop_ckpt");
  fs::create_directories(dir);
  keras::utils::set_random_seed(5);
  auto d = make_data();
  auto m = make_model(0.3);
  std::vector<double> val;
  std::vector<Tensor> preds;
  auto rec = std::make_shared<cb::LambdaCallback>(cb::LambdaCallbackOptions{
      .on_epoch_end = [&](int, const Logs& l) {
        val.push_back(l.at("val_loss"));
        preds.push_back(m.predict(d.vx));
      }});
  auto ck = std::make_shared<cb::ModelCheckpoint>((dir / "checkpoint_best.keras").string(),
                                                  cb::ModelCheckpointOptions{.save_best_only = true});
  m.fit(d.x, d.y, {.batch_size = 8, .epochs = 6, .verbose = 0, .callbacks = {rec, ck},
                   .validation_data = {d.vx, d.vy}});
  std::size_t best = std::min_element(val.begin(), val.end()) - val.begin();
  keras::Model loaded = keras::models::load_model((dir / "checkpoint_best.keras").string());
  CHECK(loaded.predict(d.vx).to_vector<float>() == preds[best].to_vector<float>());
  auto f = keras::saving::h5::create_file((dir / "checkpoint_best_io.h5").string());
  f.write_dataset("x0", d.vx);
  f.write_dataset("y0", preds[best]);
  keras::saving::h5::close(f);
  if (!(env && *env)) fs::remove_all(dir);
}
