// dist_train bench / mnist (tests/tools/dist_train.cpp): the example CNN.
#include <keras/distribution.hpp>
#include <keras/keras.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "tests/tools/dist_models.hpp"
#ifdef DIST_HAVE_MPI
#include <mpi.h>
#endif

namespace dist = keras::distribution;

namespace {
// The all-reduce alone: `floats` float32 summed over the processes, after a
// barrier (so the time excludes one process waiting for a slower one).
double allreduce_ms(std::int64_t floats) {
#ifdef DIST_HAVE_MPI
  if (dist::num_processes() < 2) return 0;
  std::vector<float> buf(static_cast<std::size_t>(floats), 1.0f);
  double total = 0;
  for (int i = 0; i < 20; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(floats), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    total += MPI_Wtime() - t0;
  }
  return total / 20 * 1e3;
#else
  return 0;
#endif
}
}  // namespace

// Time per step of the example CNN at global batch 128 (synthetic 28x28 data),
// after 3 warm-up steps, and the distribution's share of it.
int bench(std::int64_t steps) {
  keras::utils::set_random_seed(0);
  auto model = dist_test::make_model("example_cnn");
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  const std::int64_t bs = 128, n = bs * (steps + 3);
  std::vector<float> xv(static_cast<std::size_t>(n * 784));
  std::vector<std::int32_t> yv(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)));
  for (std::size_t i = 0; i < yv.size(); ++i) yv[i] = static_cast<std::int32_t>(i % 10);
  keras::Tensor x({n, 28, 28, 1}, xv), y({n}, yv);
  model.fit(x.slice(0, 3 * bs), y.slice(0, 3 * bs), {.batch_size = bs, .epochs = 1, .verbose = 0});
  double c0 = dist::communication_seconds(), w0 = dist::wait_seconds();
  auto t0 = std::chrono::steady_clock::now();
  model.fit(x.slice(3 * bs, n), y.slice(3 * bs, n), {.batch_size = bs, .epochs = 1, .verbose = 0});
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / static_cast<double>(steps);
  double c = (dist::communication_seconds() - c0) / static_cast<double>(steps);
  double w = (dist::wait_seconds() - w0) / static_cast<double>(steps);
  std::int64_t params = 0;
  for (auto& v : model.trainable_weights()) params += v.value().size();
  const double ar = allreduce_ms(params);
  if (dist::process_id() == 0)
    std::printf("bench: %d process(es) x %d thread(s), CNN global batch %lld: %.1f ms/step, %.0f images/s; "
                "distribution %.2f ms/step (%.1f %%), of which waiting %.2f ms; the all-reduce of the %lld "
                "gradients alone (after a barrier) %.3f ms (%.1f %% of a step)\n",
                dist::num_processes(), keras::config::get_num_threads(), static_cast<long long>(bs), s * 1e3,
                static_cast<double>(bs) / s, c * 1e3, 100 * c / s, w * 1e3, static_cast<long long>(params), ar,
                100 * ar / (s * 1e3));
  return 0;
}

// One epoch of the example CNN on Fashion-MNIST (the first `samples` images),
// then the test accuracy (evaluate sharded across the processes).
int mnist(std::int64_t samples) {
  keras::utils::set_random_seed(0);
  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  x_train = x_train.slice(0, samples).astype(keras::float32).reshape({-1, 28, 28, 1}) / 255.0f;
  y_train = y_train.slice(0, samples);
  x_test = x_test.astype(keras::float32).reshape({-1, 28, 28, 1}) / 255.0f;
  auto model = dist_test::make_model("example_cnn");
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  auto t0 = std::chrono::steady_clock::now();
  auto h = model.fit(x_train, y_train, {.batch_size = 128, .epochs = 1, .verbose = 0});
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto scores = model.evaluate(x_test, y_test, {.batch_size = 1000, .verbose = 0});
  if (dist::process_id() == 0)
    std::printf("mnist: %d process(es), %lld images, 1 epoch in %.1f s: loss %.6f accuracy %.6f; test accuracy %.6f "
                "test loss %.6f\n",
                dist::num_processes(), static_cast<long long>(samples), s, h.history["loss"].back(),
                h.history["accuracy"].back(), scores["accuracy"], scores["loss"]);
  return 0;
}
