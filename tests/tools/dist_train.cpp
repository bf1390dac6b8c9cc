// The distributed tests' program, run under mpirun (tests/CMakeLists.txt):
//
//   dist_train equiv <mlp|cnn> <per-process batch>   N processes vs one (checked on rank 0)
//   dist_train fault <rank> <step> <kill|hang>        a rank dies or hangs mid-epoch
//   dist_train bench <steps>                          the example CNN, batch 128: time per step
//   dist_train mnist <train images>                   the example CNN on Fashion-MNIST for an epoch
//   dist_train dataset                                fit on a Dataset: N x B vs 1 x N*B
//   dist_train backup <dir>                           BackupAndRestore: interrupted, resumed on N ranks
//
// equiv: every process builds the model from a different seed (rank 0's
// weights must reach all), fits one epoch of 50 steps of the global batch
// N * B with shuffle, validation_split and class_weight, then evaluates and
// predicts; rank 0 then trains the same model alone with batch N * B and
// compares weights, per-batch and epoch logs, evaluate logs and predictions.
#include <keras/distribution.hpp>
#include <keras/keras.hpp>

#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "tests/tools/dist_models.hpp"
#ifdef DIST_HAVE_MPI
#include <mpi.h>
#endif

namespace dist = keras::distribution;
using keras::Tensor;

namespace {

struct Run {
  std::vector<Tensor> weights;
  std::vector<std::map<std::string, double>> batch_logs;
  keras::History history;
  std::map<std::string, double> eval;
  Tensor pred;
};

Run train(const std::string& kind, std::int64_t global_batch, std::uint64_t seed) {
  keras::utils::set_random_seed(seed);
  auto model = dist_test::make_model(kind);
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  auto [x, y] = dist_test::make_data(kind, global_batch * 50 * 5 / 4);
  Run r;
  auto rec = std::make_shared<keras::callbacks::LambdaCallback>(keras::callbacks::LambdaCallbackOptions{
      .on_train_batch_end = [&r](std::int64_t, const keras::Logs& l) { r.batch_logs.push_back(l); }});
  r.history = model.fit(x, y, {.batch_size = static_cast<int>(global_batch), .epochs = 1, .verbose = 0, .callbacks = {rec},
                               .validation_split = 0.2, .shuffle = true,
                               .class_weight = {{0, 1.0}, {1, 2.0}, {2, 1.0}, {3, 0.5}}});
  for (auto& w : model.weights()) r.weights.push_back(w.value().detach().clone());
  r.eval = model.evaluate(x.slice(0, 333), y.slice(0, 333), {.batch_size = static_cast<int>(global_batch), .verbose = 0});
  r.pred = model.predict(x.slice(0, 101), {.batch_size = 16});
  return r;
}

double rel_diff(const Tensor& a, const Tensor& b) {
  auto va = a.to_vector<float>(), vb = b.to_vector<float>();
  double num = 0, den = 0;
  for (std::size_t i = 0; i < va.size(); ++i) {
    num += (va[i] - vb[i]) * static_cast<double>(va[i] - vb[i]);
    den += static_cast<double>(vb[i]) * vb[i];
  }
  return std::sqrt(num) / std::max(1e-12, std::sqrt(den));
}

int check_logs(const char* what, const std::map<std::string, double>& a, const std::map<std::string, double>& b,
               double tol, double& worst) {
  int bad = 0;
  for (auto& [k, v] : b) {
    auto it = a.find(k);
    double d = it == a.end() ? INFINITY : std::fabs(it->second - v) / std::max(1e-12, std::fabs(v));
    worst = std::max(worst, d);
    if (!(d <= tol)) {
      std::printf("MISMATCH %s %s: distributed %.9g single %.9g\n", what, k.c_str(), it == a.end() ? NAN : it->second, v);
      ++bad;
    }
  }
  return bad;
}

int equiv(const std::string& kind, std::int64_t per_process) {
  const int n = dist::num_processes(), rank = dist::process_id();
  Run d = train(kind, per_process * n, 42 + 1000 * static_cast<std::uint64_t>(rank));
  if (rank != 0) return 0;
  dist::clear_distribution();
  Run s = train(kind, per_process * n, 42);
  const double tol = 1e-5;
  int bad = 0;
  double worst_w = 0, worst_l = 0;
  for (std::size_t i = 0; i < s.weights.size(); ++i) {
    double r = rel_diff(d.weights[i], s.weights[i]);
    worst_w = std::max(worst_w, r);
    if (!(r <= tol)) std::printf("MISMATCH weight %zu: relative difference %.3g\n", i, r), ++bad;
  }
  if (d.batch_logs.size() != s.batch_logs.size()) std::printf("MISMATCH number of batch logs\n"), ++bad;
  for (std::size_t i = 0; i < std::min(d.batch_logs.size(), s.batch_logs.size()); ++i)
    bad += check_logs("batch log", d.batch_logs[i], s.batch_logs[i], tol, worst_l);
  for (auto& [k, v] : s.history.history) {
    std::map<std::string, double> a{{k, d.history.history[k].back()}}, b{{k, v.back()}};
    bad += check_logs("epoch log", a, b, tol, worst_l);
  }
  bad += check_logs("evaluate", d.eval, s.eval, tol, worst_l);
  double rp = rel_diff(d.pred, s.pred);
  if (!(rp <= tol) || d.pred.shape() != s.pred.shape()) std::printf("MISMATCH predict: %.3g\n", rp), ++bad;
  std::printf("equiv %s: %d processes x batch %lld vs 1 x %lld, %zu steps: worst weight rel diff %.3g, worst log rel "
              "diff %.3g, predict %.3g; loss %.6f accuracy %.4f val_accuracy %.4f -> %s\n",
              kind.c_str(), n, static_cast<long long>(per_process), static_cast<long long>(per_process * n),
              s.batch_logs.size(), worst_w, worst_l, rp, s.history.history["loss"].back(),
              s.history.history["accuracy"].back(), s.history.history["val_accuracy"].back(), bad ? "FAIL" : "OK");
  return bad ? 1 : 0;
}

int fault(int lost, std::int64_t at_step, const std::string& how) {
  keras::utils::set_random_seed(1);
  auto model = dist_test::make_model("cnn");
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  auto [x, y] = dist_test::make_data("cnn", 4000);
  auto cb = std::make_shared<keras::callbacks::LambdaCallback>(keras::callbacks::LambdaCallbackOptions{
      .on_train_batch_begin = [&](std::int64_t step, const keras::Logs&) {
        if (dist::process_id() != lost || step != at_step) return;
        std::fprintf(stderr, "rank %d: %s at step %lld\n", lost, how.c_str(), static_cast<long long>(step));
        std::raise(how == "kill" ? SIGKILL : SIGSTOP);
      }});
  auto t0 = std::chrono::steady_clock::now();
  try {
    model.fit(x, y, {.batch_size = 32, .epochs = 3, .verbose = 0, .callbacks = {cb}});
  } catch (const keras::Error& e) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "rank %d: keras error after %.1f s: %s\n", dist::process_id(), s, e.what());
    dist::shutdown(3);  // MPI_Abort: the lost rank cannot take part in MPI_Finalize
    return 3;
  }
  std::fprintf(stderr, "rank %d: fit finished although rank %d was lost\n", dist::process_id(), lost);
  return 0;
}

// BackupAndRestore with several processes: a fit of 3 epochs interrupted
// after epoch 1 on every process (rank 0 wrote the backup), then a fresh
// start from other seeds resumes from it (every rank reads it); rank 0
// compares the weights with an uninterrupted single-process fit.
int backup(const std::string& dir) {
  const int rank = dist::process_id();
  auto fit = [&](std::uint64_t seed, bool interrupt, bool with_backup) {
    keras::utils::set_random_seed(seed);
    auto model = dist_test::make_model("mlp");
    model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
    auto [x, y] = dist_test::make_data("mlp", 480);
    std::vector<std::shared_ptr<keras::callbacks::Callback>> cbs;
    if (with_backup) cbs.push_back(std::make_shared<keras::callbacks::BackupAndRestore>(dir));
    cbs.push_back(std::make_shared<keras::callbacks::LambdaCallback>(keras::callbacks::LambdaCallbackOptions{
        .on_epoch_end = [interrupt](int epoch, const keras::Logs&) {
          if (interrupt && epoch == 0) throw keras::RuntimeError("simulated preemption after epoch 1");
        }}));
    std::size_t epochs_run = 0;
    try {
      epochs_run = model.fit(x, y, {.batch_size = 48, .epochs = 3, .verbose = 0, .callbacks = cbs}).history["loss"].size();
    } catch (const keras::RuntimeError&) {
    }
    std::vector<Tensor> w;
    for (auto& v : model.weights()) w.push_back(v.value().detach().clone());
    return std::make_pair(w, epochs_run);
  };
  if (rank == 0) std::filesystem::remove_all(dir);  // a backup left by an earlier failed run
#ifdef DIST_HAVE_MPI
  MPI_Barrier(MPI_COMM_WORLD);
#endif
  fit(42 + static_cast<std::uint64_t>(rank), true, true);
  auto [resumed, epochs] = fit(7 + 100 * static_cast<std::uint64_t>(rank), false, true);
  std::printf("rank %d: resumed fit ran %zu epochs\n", rank, epochs);
  if (rank != 0) return epochs == 2 ? 0 : 1;
  dist::clear_distribution();
  auto [plain, e3] = fit(42, false, false);
  double worst = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) worst = std::max(worst, rel_diff(resumed[i], plain[i]));
  bool ok = epochs == 2 && e3 == 3 && worst <= 1e-5;
  std::printf("backup: resumed distributed fit vs uninterrupted single fit: worst weight rel diff %.3g -> %s\n", worst,
              ok ? "OK" : "FAIL");
  return ok ? 0 : 1;
}

// fit on a Dataset: batches of B dealt to N processes in turn train as one
// process with batches of N * B (unshuffled, so the rows are the same).
int dataset_equiv() {
  const int n = dist::num_processes(), rank = dist::process_id();
  auto fit = [](std::uint64_t seed, std::int64_t batch) {
    keras::utils::set_random_seed(seed);
    auto model = dist_test::make_model("mlp");
    model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
    auto [x, y] = dist_test::make_data("mlp", 8 * 3 * 40);
    auto h = model.fit(keras::data::Dataset::from_tensor_slices({x, y}).batch(batch), {.epochs = 2, .verbose = 0});
    std::vector<Tensor> w;
    for (auto& v : model.weights()) w.push_back(v.value().detach().clone());
    return std::make_pair(w, h.history["accuracy"].back());
  };
  auto [d, dacc] = fit(42 + static_cast<std::uint64_t>(rank), 8);
  if (rank != 0) return 0;
  dist::clear_distribution();
  auto [s, sacc] = fit(42, 8 * n);
  double worst = 0;
  for (std::size_t i = 0; i < s.size(); ++i) worst = std::max(worst, rel_diff(d[i], s[i]));
  bool ok = worst <= 1e-5 && std::fabs(dacc - sacc) <= 1e-5 * std::max(1.0, sacc);
  std::printf("dataset equiv: %d processes x batch 8 vs 1 x %d: worst weight rel diff %.3g, accuracy %.6f vs %.6f -> %s\n",
              n, 8 * n, worst, dacc, sacc, ok ? "OK" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace

int bench(std::int64_t steps);
int mnist(std::int64_t samples);

int main(int argc, char** argv) {
  dist::initialize();
  if (const char* t = std::getenv("DIST_THREADS")) keras::config::set_num_threads(std::atoi(t));
  dist::set_distribution(dist::DataParallel{.timeout_seconds = 20});
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "equiv" && argc == 4) return equiv(argv[2], std::atoll(argv[3]));
    if (mode == "fault" && argc == 5) return fault(std::atoi(argv[2]), std::atoll(argv[3]), argv[4]);
    if (mode == "dataset" && argc == 2) return dataset_equiv();
    if (mode == "backup" && argc == 3) return backup(argv[2]);
    if (mode == "bench" && argc == 3) return bench(std::atoll(argv[2]));
    if (mode == "mnist" && argc == 3) return mnist(std::atoll(argv[2]));
  } catch (const keras::Error& e) {
    std::fprintf(stderr, "rank %d: keras error: %s\n", dist::process_id(), e.what());
    dist::shutdown(4);
    return 4;
  }
  std::fprintf(stderr, "usage: dist_train equiv <mlp|cnn> <batch> | fault <rank> <step> <kill|hang> | bench <steps> | "
                       "mnist <images>\n");
  return 2;
}
