// Benchmark: fit on tensors vs fit on a keras::data::Dataset, and whether
// prefetch hides a map that costs as much as a training step.
//
//   build/bench/bench_dataset [epochs=1] [map_steps=400] [training threads, default: all cores]
//
// The Fashion-MNIST MLP of bench/mlp_fashion.cpp (784-128-10, Adam, batch
// 32). Prints, per line: the tensor fit's seconds per epoch, the Dataset
// fit's (from_tensor_slices.shuffle(60000).batch(32).prefetch), then with a
// map that spins for one step's time per batch: the step time alone, no
// prefetch (a sequential map), and map(2 threads).prefetch(2), each over
// map_steps steps; then the same with a map that sleeps instead (latency,
// no core used). A spinning map can only hide behind the step when a core
// is free for it. Timings are medians of alternating runs.
#include <keras/keras.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

keras::Sequential make_model() {
  keras::utils::set_random_seed(0);
  keras::Sequential m({keras::Input({784}), keras::layers::Dense(128, "relu"), keras::layers::Dense(10, "softmax")});
  m.compile("adam", "sparse_categorical_crossentropy");
  return m;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Busy work of about `s` seconds on the calling thread.
void spin(double s) {
  auto t0 = clock_type::now();
  volatile double acc = 0;
  while (seconds_since(t0) < s) acc = acc + 1.0;
}

}  // namespace

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 1;
  const int map_steps = argc > 2 ? std::atoi(argv[2]) : 400;
  // Fewer training threads than cores leave a core for the map to hide on.
  if (argc > 3) keras::config::set_num_threads(std::atoi(argv[3]));
  auto [x, y, xt, yt] = keras::datasets::fashion_mnist::load_data();
  x = x.astype(keras::float32).reshape({-1, 784}) / 255.0f;
  using keras::data::Dataset;

  std::vector<double> tens, data, plain;
  for (int rep = 0; rep < 3; ++rep) {
    auto a = make_model();
    auto t0 = clock_type::now();
    a.fit(x, y, {.batch_size = 32, .epochs = epochs, .verbose = 0});
    tens.push_back(seconds_since(t0) / epochs);
    auto b = make_model();
    auto ds = Dataset::from_tensor_slices({x, y}).shuffle(60000).batch(32).prefetch(keras::data::AUTOTUNE);
    t0 = clock_type::now();
    b.fit(ds, {.epochs = epochs, .verbose = 0});
    data.push_back(seconds_since(t0) / epochs);
    auto c = make_model();
    t0 = clock_type::now();
    c.fit(Dataset::from_tensor_slices({x, y}).shuffle(60000).batch(32), {.epochs = epochs, .verbose = 0});
    plain.push_back(seconds_since(t0) / epochs);
  }
  const double t_tensor = median(tens), t_data = median(data);
  std::printf("bench_dataset fit s/epoch: tensors=%.3f dataset=%.3f (dataset/tensors=%.3f), "
              "without prefetch=%.3f\n", t_tensor, t_data, t_data / t_tensor, median(plain));

  const double step = t_tensor / 1875.0;  // 60000 / 32 batches
  auto costly = [step](const keras::data::Element& e) {
    spin(step);
    return e;
  };
  auto base = Dataset::from_tensor_slices({x, y}).batch(32).repeat();
  auto timed = [map_steps](const Dataset& ds) {
    auto m = make_model();
    auto t0 = clock_type::now();
    m.fit(ds, {.epochs = 1, .verbose = 0, .steps_per_epoch = map_steps});
    return seconds_since(t0);
  };
  // The same cost as waiting (a file read, a decoder on another device): no core needed.
  auto waiting = [step](const keras::data::Element& e) {
    std::this_thread::sleep_for(std::chrono::duration<double>(step));
    return e;
  };
  std::vector<double> alone, serial, hidden, wait_serial, wait_hidden;
  for (int rep = 0; rep < 3; ++rep) {
    alone.push_back(timed(base));
    serial.push_back(timed(base.map(costly)));
    hidden.push_back(timed(base.map(costly, 2).prefetch(2)));
    wait_serial.push_back(timed(base.map(waiting)));
    wait_hidden.push_back(timed(base.map(waiting, 2).prefetch(2)));
  }
  const double t_alone = median(alone), t_serial = median(serial), t_hidden = median(hidden);
  std::printf("bench_dataset map=%.2fms/batch over %d steps: steps alone=%.3fs, no prefetch=%.3fs (%.2fx), "
              "map(2 threads)+prefetch=%.3fs (%.2fx)\n",
              step * 1e3, map_steps, t_alone, t_serial, t_serial / t_alone, t_hidden, t_hidden / t_alone);
  const double w_serial = median(wait_serial), w_hidden = median(wait_hidden);
  std::printf("bench_dataset waiting map (sleep, same time): no prefetch=%.3fs (%.2fx), map(2 threads)+prefetch=%.3fs "
              "(%.2fx)\n", w_serial, w_serial / t_alone, w_hidden, w_hidden / t_alone);
  return 0;
}
