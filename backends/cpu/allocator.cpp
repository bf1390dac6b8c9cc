// Caching allocator: a training step frees and re-allocates the same tensor
// sizes every step, so freed blocks go to per-size-class free lists and are
// handed out again instead of going back to malloc.
//
// Size classes: multiples of 64 bytes up to 4 KiB, then four classes per
// power of two (at most 25 % slack). Blocks are 64-byte aligned (one cache
// line, one AVX-512 vector).
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {
namespace {

constexpr std::size_t kAlign = 64;
constexpr int kClasses = 256;
// Freed bytes kept for reuse; beyond this, blocks go straight back to malloc
// so that a burst of odd sizes cannot pin memory forever.
constexpr std::size_t kMaxCachedBytes = std::size_t{256} << 20;
// Blocks this large (whole data sets, not per-step tensors) are never cached:
// holding a freed 188 MB copy of the training set would double peak memory.
constexpr std::size_t kMaxCachedBlock = std::size_t{64} << 20;

// Maps a byte count to (class index, rounded size).
int size_class(std::size_t n, std::size_t& rounded) {
  n = (n + kAlign - 1) & ~(kAlign - 1);
  if (n <= 4096) {
    rounded = n;
    return static_cast<int>(n / kAlign) - 1;
  }
  int e = 63 - __builtin_clzll(n - 1);  // 2^e < n <= 2^(e+1)
  std::size_t step = std::size_t{1} << (e - 2);
  std::size_t k = (n + step - 1) / step;  // 5..8
  rounded = k * step;
  return 64 + (e - 12) * 4 + static_cast<int>(k - 5);
}

struct Cache {
  std::mutex mu;
  std::vector<void*> free_lists[kClasses];
  std::size_t cached_bytes = 0;

  ~Cache() {
    for (auto& list : free_lists)
      for (void* p : list) std::free(p);
  }
};

Cache& cache() {
  // Leaked on purpose: tensors held in static objects may be freed after
  // this cache would otherwise have been destroyed.
  static Cache* c = new Cache();
  return *c;
}

}  // namespace

void* CpuBackend::allocate(std::size_t nbytes) {
  if (nbytes == 0) return nullptr;
  std::size_t rounded;
  int cls = size_class(nbytes, rounded);
  if (cls < kClasses) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto& list = c.free_lists[cls];
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      c.cached_bytes -= rounded;
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlign, rounded);
  if (!p) throw std::bad_alloc();
  return p;
}

void CpuBackend::deallocate(void* p, std::size_t nbytes) {
  if (!p) return;
  std::size_t rounded;
  int cls = size_class(nbytes, rounded);
  if (cls < kClasses && rounded <= kMaxCachedBlock) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.cached_bytes + rounded <= kMaxCachedBytes) {
      c.free_lists[cls].push_back(p);
      c.cached_bytes += rounded;
      return;
    }
  }
  std::free(p);
}

}  // namespace keras::backend::cpu
