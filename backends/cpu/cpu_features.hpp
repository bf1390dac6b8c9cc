// Internal to the CPU backend: what the processor can do (from cpuid, not
// from the BLAS's own guess) and how many cores this process may use.
#pragma once
#include <string>

namespace keras::backend::cpu {

struct CpuFeatures {
  bool avx2 = false, fma = false, avx512f = false, avx512bw = false, avx512vl = false;
  bool avx512vnni = false, avx512bf16 = false, amx = false;
  std::string names() const;  // "avx2 fma avx512f ..."
};

// Probed once with cpuid (and xgetbv: the OS must save the wide registers).
const CpuFeatures& cpu_features();

// Cores this process may run on: sched_getaffinity, capped by the cgroup v2
// cpu.max quota; at least 1.
int available_cpus();

// Threads the backend starts with: OPENBLAS_NUM_THREADS or OMP_NUM_THREADS
// when set (>= 1), else available_cpus().
int default_num_threads();

// Threads the kernels may use now: keras::config::set_num_threads's value,
// else default_num_threads(). One relaxed atomic load.
int thread_limit();
void set_thread_limit(int n);

}  // namespace keras::backend::cpu
