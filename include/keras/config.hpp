// Global settings (keras.config).
#pragma once
#include <string>

#include "keras/dtype.hpp"

namespace keras::config {

// The device new tensors and models use (CPU unless set; see
// keras::backend::available_devices()).
Device device();
// Throws ValueError if no backend for `d` is available.
void set_device(Device d);

// One line on the CPU backend: which BLAS and which of its kernels run, the
// processor features found with cpuid and the thread count, e.g.
// "cpu: OpenBLAS 0.3.21, kernels SkylakeX, CPU features avx2 fma avx512f ..., threads 2".
std::string backend_info();

// Threads the CPU kernels and the BLAS use. The default is the cores this
// process may run on (sched_getaffinity, cgroup v2 cpu.max), or
// OPENBLAS_NUM_THREADS / OMP_NUM_THREADS when set. Throws ValueError if n < 1.
void set_num_threads(int n);
int get_num_threads();

}  // namespace keras::config
