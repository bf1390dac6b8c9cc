#include "backends/cpu/cpu_features.hpp"

#include <cpuid.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cmath>
#include <fstream>
#include <thread>

namespace keras::backend::cpu {
namespace {

unsigned long long xcr0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}

CpuFeatures probe() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  if (!osxsave) return f;
  const unsigned long long x = xcr0();
  const bool ymm = (x & 0x6) == 0x6, zmm = (x & 0xe6) == 0xe6, tiles = (x & 0x60000) == 0x60000;
  f.fma = ymm && ((c >> 12) & 1);
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.avx2 = ymm && ((b >> 5) & 1);
  f.avx512f = zmm && ((b >> 16) & 1);
  f.avx512bw = zmm && ((b >> 30) & 1);
  f.avx512vl = zmm && ((b >> 31) & 1);
  f.avx512vnni = zmm && ((c >> 11) & 1);
  f.amx = tiles && ((d >> 24) & 1);
  unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
  if (__get_cpuid_count(7, 1, &a1, &b1, &c1, &d1)) f.avx512bf16 = zmm && ((a1 >> 5) & 1);
  return f;
}

// cgroup v2 "max 100000" or "200000 100000": quota / period, rounded up.
int cgroup_cpus() {
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota;
  double period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return 0;
  const double q = std::atof(quota.c_str());
  return q > 0 ? std::max(1, static_cast<int>(std::ceil(q / period))) : 0;
}

}  // namespace

std::string CpuFeatures::names() const {
  std::string s;
  auto add = [&](bool on, const char* n) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += n;
  };
  add(avx2, "avx2");
  add(fma, "fma");
  add(avx512f, "avx512f");
  add(avx512bw, "avx512bw");
  add(avx512vl, "avx512vl");
  add(avx512vnni, "avx512_vnni");
  add(avx512bf16, "avx512_bf16");
  add(amx, "amx");
  return s.empty() ? "none" : s;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = probe();
  return f;
}

int available_cpus() {
  int n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int quota = cgroup_cpus();
  if (quota > 0) n = std::min(n, quota);
  return std::max(1, n);
}

int default_num_threads() {
  for (const char* var : {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}) {
    const char* v = std::getenv(var);
    const int n = v ? std::atoi(v) : 0;
    if (n >= 1) return n;
  }
  return available_cpus();
}

namespace {
std::atomic<int> g_limit{0};
}  // namespace

int thread_limit() {
  int n = g_limit.load(std::memory_order_relaxed);
  if (n > 0) return n;
  static const int d = default_num_threads();
  return d;
}

void set_thread_limit(int n) { g_limit.store(n, std::memory_order_relaxed); }

}  // namespace keras::backend::cpu
