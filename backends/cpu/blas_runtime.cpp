#include "backends/cpu/blas_runtime.hpp"

#include <cctype>
#include <cstdlib>
#include <mutex>
#include <string>

#include "backends/cpu/blas.hpp"
#include "keras/config.hpp"
#include "keras/errors.hpp"

// OpenBLAS DYNAMIC_ARCH entry points, weak so another CBLAS still links.
extern "C" {
char* openblas_get_corename(void) __attribute__((weak));
char* openblas_get_config(void) __attribute__((weak));
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace keras::backend::cpu {
namespace {

// How capable a core name's kernels are: 3 AVX-512 BF16, 2 AVX-512, 1 AVX2.
int rank(const std::string& core) {
  std::string c;
  for (char ch : core) c += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (c == "cooperlake" || c == "sapphirerapids") return 3;
  if (c == "skylakex") return 2;
  if (c == "haswell" || c == "zen" || c == "skylake" || c == "sandybridge") return c == "sandybridge" ? 0 : 1;
  return 0;
}

std::mutex g_mu;

}  // namespace

std::string blas_corename() {
  if (!openblas_get_corename) return "";
  const char* s = openblas_get_corename();
  std::string r = s ? s : "";
  while (!r.empty() && (r.back() == ' ' || r.back() == '\n')) r.pop_back();
  return r;
}

std::string wanted_coretype(const CpuFeatures& f) {
  if (f.avx512f && f.avx512bw && f.avx512vl && f.fma) return f.avx512bf16 ? "Cooperlake" : "SkylakeX";
  if (f.avx2 && f.fma) return "Haswell";
  return "";
}

std::string ensure_blas_kernels(const CpuFeatures& f) {
  std::lock_guard<std::mutex> lock(g_mu);
  const std::string want = wanted_coretype(f);
  std::string now = blas_corename();
  if (want.empty() || std::getenv("OPENBLAS_CORETYPE") || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return now;
  if (rank(now) >= rank(want)) return now;
  // OpenBLAS's own selection, rerun with the core type forced; the variable
  // is removed again so child processes detect for themselves.
  gotoblas_dynamic_quit();
  setenv("OPENBLAS_CORETYPE", want.c_str(), 1);
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
  return blas_corename();
}

namespace {
// Before any GEMM: OpenBLAS (a dependency) has loaded and picked by now.
const bool g_kernels_checked = (ensure_blas_kernels(cpu_features()), true);
}  // namespace

}  // namespace keras::backend::cpu

namespace keras::config {

std::string backend_info() {
  using namespace keras::backend::cpu;
  std::string s = "cpu: ";
  std::string cfg = openblas_get_config ? openblas_get_config() : "CBLAS";
  s += cfg.rfind("OpenBLAS", 0) == 0 ? cfg.substr(0, cfg.find(' ', 9)) : cfg;
  const std::string core = blas_corename();
  if (!core.empty()) s += ", kernels " + core;
  s += ", CPU features " + cpu_features().names();
  s += ", threads " + std::to_string(get_num_threads());
  return s;
}

void set_num_threads(int n) {
  if (n < 1) throw ValueError("keras::config::set_num_threads: expected a thread count >= 1, received " + std::to_string(n));
  keras::backend::cpu::set_thread_limit(n);
  if (openblas_set_num_threads) openblas_set_num_threads(n);
}

int get_num_threads() { return keras::backend::cpu::thread_limit(); }

}  // namespace keras::config
