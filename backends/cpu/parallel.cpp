// A small fork-join pool for large elementwise kernels. One job runs at a
// time; a caller that finds the pool busy (another thread, or a nested call
// from inside a job) simply runs its loop inline.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/cpu/cpu_features.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {
namespace {

thread_local bool t_in_job = false;

class Pool {
 public:
  Pool() {
    int n = std::min(default_num_threads(), 8) - 1;
    for (int i = 0; i < n; ++i) workers_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // False if the pool is busy; the caller then runs the loop itself.
  bool run(int64_t n, int64_t grain, void (*call)(void*, int64_t, int64_t), void* ctx) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    const int limit = std::min(threads(), thread_limit());
    if (!busy.owns_lock() || workers_.empty() || limit <= 1) return false;
    int64_t chunks = std::min<int64_t>((n + grain - 1) / grain, 4 * limit);
    {
      std::lock_guard<std::mutex> lock(mu_);
      call_ = call;
      ctx_ = ctx;
      n_ = n;
      chunks_ = chunks;
      next_.store(0);
      remaining_ = chunks;
      open_ = true;
      ++generation_;
    }
    cv_.notify_all();
    t_in_job = true;
    execute();
    t_in_job = false;
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return remaining_ == 0 && active_ == 0; });
    open_ = false;
    return true;
  }

 private:
  // Takes chunks until none are left.
  void execute() {
    for (;;) {
      int64_t c = next_.fetch_add(1);
      if (c >= chunks_) return;
      int64_t begin = n_ * c / chunks_, end = n_ * (c + 1) / chunks_;
      call_(ctx_, begin, end);
      std::lock_guard<std::mutex> lock(mu_);
      if (--remaining_ == 0) done_cv_.notify_one();
    }
  }

  void work() {
    t_in_job = true;  // nested parallel_for calls from a job run inline
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || (open_ && generation_ != seen); });
      if (stop_) return;
      seen = generation_;
      ++active_;
      lock.unlock();
      execute();
      lock.lock();
      if (--active_ == 0) done_cv_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex busy_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  bool stop_ = false, open_ = false;
  std::uint64_t generation_ = 0;
  int active_ = 0;
  int64_t remaining_ = 0;
  // The current job; written under mu_ before workers are woken.
  void (*call_)(void*, int64_t, int64_t) = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0, chunks_ = 0;
  std::atomic<int64_t> next_{0};
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void parallel_for_impl(int64_t n, int64_t grain, void (*call)(void*, int64_t, int64_t),
                       void* ctx) {
  if (t_in_job || !pool().run(n, grain, call, ctx)) call(ctx, 0, n);
}

}  // namespace keras::backend::cpu
