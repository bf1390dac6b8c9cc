// apply_gradients time per optimizer on one MLP-sized set of variables
// (784x128, 128, 128x10, 10: 101,770 floats) and one large variable (1M
// floats). SGD and Adam run their own fused kernels; RMSprop, Adagrad,
// Adadelta, Adamax, Nadam and Lion run ops::fused_update; Ftrl and Adafactor
// are composed from keras::ops.
//
//   build/bench/bench_optimizers
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "bench/bench_util.hpp"
#include "keras/optimizers/extra.hpp"

namespace opt = keras::optimizers;

namespace {
void run(const char* label, const std::vector<keras::Shape>& shapes, int iters) {
  std::printf("%s\n", label);
  for (const char* name : {"sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "lion", "ftrl",
                           "adafactor"}) {
    std::vector<keras::Variable> vars;
    std::vector<keras::Tensor> grads;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      vars.emplace_back(bench::uniform(shapes[i], 1 + i), "v" + std::to_string(i));
      grads.push_back(bench::uniform(shapes[i], 100 + i));
    }
    auto o = opt::get(name);
    const double us = bench::median_us(iters, [&] { o->apply_gradients(grads, vars); });
    std::printf("  %-10s %9.1f us/step\n", name, us);
  }
}
}  // namespace

int main() {
  run("MLP variables (101,770 floats)", {{784, 128}, {128}, {128, 10}, {10}}, 20);
  run("one 1000x1000 variable", {{1000, 1000}}, 5);
  return 0;
}
