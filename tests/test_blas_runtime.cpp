// The CPU backend's own processor probe and BLAS kernel choice.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "backends/cpu/blas_runtime.hpp"
#include "keras/config.hpp"
#include "keras/errors.hpp"

extern "C" {
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace kc = keras::backend::cpu;

namespace {
// What OpenBLAS does on a VM whose CPUID model is masked: generic kernels.
void force_core(const char* name) {
  gotoblas_dynamic_quit();
  setenv("OPENBLAS_CORETYPE", name, 1);
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
}
}  // namespace

TEST_CASE("blas runtime: a Prescott detection on a capable CPU is replaced by matching kernels") {
  if (!gotoblas_dynamic_init || kc::blas_corename().empty()) return;  // not a DYNAMIC_ARCH OpenBLAS
  const kc::CpuFeatures& f = kc::cpu_features();
  const std::string want = kc::wanted_coretype(f);
  if (want.empty() || std::getenv("OPENBLAS_CORETYPE")) return;
  const std::string before = kc::blas_corename();
  force_core("Prescott");
  REQUIRE(kc::blas_corename() == "Prescott");
  const std::string after = kc::ensure_blas_kernels(f);
  CHECK(after == kc::blas_corename());
  CHECK(after != "Prescott");
  // The kernels are the best the features allow (or what the library picked
  // itself at load, when that was already as good).
  CHECK((after == want || after == before));
  CHECK(keras::config::backend_info().find("kernels " + after) != std::string::npos);
}

TEST_CASE("blas runtime: the wanted core type follows the features, not the CPU model") {
  kc::CpuFeatures masked;  // what a VM reporting no AVX reports
  CHECK(kc::wanted_coretype(masked).empty());
  kc::CpuFeatures f;
  f.avx2 = f.fma = true;
  CHECK(kc::wanted_coretype(f) == "Haswell");
  f.avx512f = f.avx512bw = f.avx512vl = true;
  CHECK(kc::wanted_coretype(f) == "SkylakeX");
  f.avx512bf16 = true;
  CHECK(kc::wanted_coretype(f) == "Cooperlake");
}

TEST_CASE("config: thread count follows the affinity mask and set_num_threads") {
  const int avail = kc::available_cpus();
  CHECK(avail >= 1);
  CHECK(avail <= static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  // KERAS_EXPECT_THREADS is set by the ctest entry that runs this under taskset -c 0.
  if (const char* e = std::getenv("KERAS_EXPECT_THREADS")) CHECK(keras::config::get_num_threads() == std::atoi(e));
  const int before = keras::config::get_num_threads();
  keras::config::set_num_threads(1);
  CHECK(keras::config::get_num_threads() == 1);
  CHECK(keras::config::backend_info().find("threads 1") != std::string::npos);
  keras::config::set_num_threads(before);
  CHECK(keras::config::get_num_threads() == before);
  CHECK_THROWS_AS(keras::config::set_num_threads(0), keras::ValueError);
}
