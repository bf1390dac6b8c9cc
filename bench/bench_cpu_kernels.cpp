// Times the CPU backend's kernels on the shapes of one MLP 784-128-10
// training step at batch 32 (and 128), in microseconds per call (median of
// 7 runs). Also compares OpenBLAS sgemm on 1 and 2 threads, which is what
// decides the backend's thread-count threshold.
//
//   ./build/bench/bench_cpu_kernels
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "bench_util.hpp"
#include "keras/backend.hpp"
#include "keras/tensor.hpp"

namespace kb = keras::backend;
using keras::Tensor;

namespace {

using bench::median_us;
using bench::uniform;

// cblas_sgemm with a fixed OpenBLAS thread count, found at run time so that
// this program needs no BLAS headers or link flags of its own.
using Sgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int,
                       float, float*, int);
using SetThreads = void (*)(int);

void report_blas_threads(int m, int n, int k) {
  auto sgemm = reinterpret_cast<Sgemm>(dlsym(RTLD_DEFAULT, "cblas_sgemm"));
  auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!sgemm || !set) return;
  Tensor a = uniform({m, k}, 1), b = uniform({k, n}, 2), c = Tensor::empty({m, n});
  double t[2];
  for (int th = 1; th <= 2; ++th) {
    set(th);
    t[th - 1] = median_us(200, [&] {
      sgemm(101, 111, 111, m, n, k, 1.0f, static_cast<float*>(a.data_ptr()), k,
            static_cast<float*>(b.data_ptr()), n, 0.0f, static_cast<float*>(c.data_ptr()), n);
    });
  }
  std::printf("  raw sgemm %4dx%4dx%4d (%.1e MACs): 1 thread %8.1f us, 2 threads %8.1f us\n", m,
              n, k, double(m) * n * k, t[0], t[1]);
}

}  // namespace

int main() {
  auto& be = kb::get(keras::Device::cpu());
  std::printf("OpenBLAS threads, raw sgemm:\n");
  for (auto [m, n, k] : {std::array<int, 3>{32, 128, 784}, {784, 128, 32}, {128, 128, 784},
                         {784, 128, 128}, {256, 256, 256}, {512, 512, 512}})
    report_blas_threads(m, n, k);

  for (int batch : {32, 128}) {
    std::printf("Backend kernels, MLP 784-128-10, batch %d (us per call):\n", batch);
    Tensor x = uniform({batch, 784}, 3), w1 = uniform({784, 128}, 4), h = Tensor::empty({batch, 128});
    Tensor dh = uniform({batch, 128}, 5), dw1 = Tensor::empty({784, 128});
    Tensor w2 = uniform({128, 10}, 6), z = Tensor::empty({batch, 10}), dz = uniform({batch, 10}, 7);
    Tensor b1 = uniform({128}, 8), db1 = Tensor::empty({1, 128}), hr = Tensor::empty({batch, 128});
    Tensor labels = Tensor::zeros({batch}, keras::int64), loss = Tensor::empty({batch});
    Tensor grad = Tensor::empty({batch, 10}), dh2 = Tensor::empty({batch, 128});
    Tensor m = Tensor::zeros({784, 128}), v = Tensor::zeros({784, 128});
    const kb::AdamStep st{1e-3f, 0.9f, 0.999f, 1e-7f, 0.9f, 0.999f, 0.0f, false};
    struct Row {
      const char* name;
      std::function<void()> f;
    };
    std::vector<Row> rows = {
        {"matmul x@W1 (Bx784 @ 784x128)", [&] { be.matmul(x, w1, false, false, h); }},
        {"matmul x^T@dh (dW1)", [&] { be.matmul(x, dh, true, false, dw1); }},
        {"matmul h@W2 (Bx128 @ 128x10)", [&] { be.matmul(h, w2, false, false, z); }},
        {"matmul dz@W2^T (dh)", [&] { be.matmul(dz, w2, false, true, dh2); }},
        {"bias add (B,128)+(128,)", [&] { be.binary(kb::Binary::add, h, b1, hr); }},
        {"relu (B,128)", [&] { be.unary(kb::Unary::relu, h, hr, 0); }},
        {"relu backward (B,128)", [&] { be.unary_backward(kb::Unary::relu, h, hr, dh, dh2, 0); }},
        {"bias grad sum axis 0", [&] { be.reduce(kb::Reduce::sum, dh, {0}, db1); }},
        {"sparse softmax CE + grad (B,10)",
         [&] { be.sparse_softmax_cross_entropy(z, labels, 0, loss, &grad); }},
        {"adam 784x128", [&] { be.adam_update(w1, dw1, m, v, nullptr, st); }},
        {"allocate+free 128 KiB", [&] { be.deallocate(be.allocate(1 << 17), 1 << 17); }},
    };
    for (auto& r : rows) std::printf("  %-34s %8.2f\n", r.name, median_us(200, r.f));
  }
  return 0;
}
