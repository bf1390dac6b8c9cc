// The background-thread ops: map with num_parallel_calls (a pool of worker
// threads) and prefetch (one producer thread). Every thread is joined when
// its iterator is destroyed, also when the consumer stops early.
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "data/node.hpp"

namespace keras::data {
namespace detail {
namespace {

using NodePtr = std::shared_ptr<const Node>;

// A result slot: an element, the end of the input, or an exception.
struct Slot {
  std::optional<Element> value;
  std::exception_ptr error;
};

class ParallelMapIterator final : public Iterator {
 public:
  ParallelMapIterator(std::unique_ptr<Iterator> in, const Dataset::MapFn* f, int threads, bool deterministic)
      : in_(std::move(in)), f_(f), deterministic_(deterministic), capacity_(2 * threads) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }
  ~ParallelMapIterator() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    space_.notify_all();
    for (auto& w : workers_) w.join();
  }

  std::optional<Element> next() override {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      auto it = deterministic_ ? ready_.find(next_out_) : ready_.begin();
      if (it != ready_.end()) return take(lock, it);
      // Elements are numbered 0 .. end_seq_ - 1: all given out means the end.
      if (end_seq_ >= 0 && next_out_ >= end_seq_) return std::nullopt;
      done_.wait(lock);
    }
  }

 private:
  std::optional<Element> take(std::unique_lock<std::mutex>& lock, std::map<std::int64_t, Slot>::iterator it) {
    Slot s = std::move(it->second);
    ready_.erase(it);
    ++next_out_;
    lock.unlock();
    space_.notify_all();
    if (s.error) std::rethrow_exception(s.error);
    return std::move(s.value);
  }

  // Reserves room for one result, pulls the next input element (one thread
  // at a time, numbered in input order), maps it outside the locks.
  void work() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        space_.wait(lock, [&] { return stop_ || end_seq_ >= 0 || reserved_ - next_out_ < capacity_; });
        if (stop_ || end_seq_ >= 0) return;
        ++reserved_;
      }
      Slot s;
      std::optional<Element> e;
      std::int64_t seq;
      {
        std::lock_guard<std::mutex> in_lock(in_mu_);
        if (input_ended_) return release();
        seq = next_in_++;
        try {
          e = in_->next();
        } catch (...) {
          s.error = std::current_exception();
        }
        input_ended_ = !e;
      }
      if (!e && !s.error) return finish(seq);
      const bool input_error = !e;
      if (!s.error) {
        try {
          s.value = call_user("map", [&] { return (*f_)(*e); });
        } catch (...) {
          s.error = std::current_exception();
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ready_.emplace(seq, std::move(s));
        if (input_error) end_seq_ = seq + 1;  // an input error ends the pass after it
      }
      done_.notify_all();
    }
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    --reserved_;
  }
  void finish(std::int64_t end) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --reserved_;
      end_seq_ = end;
    }
    done_.notify_all();
    space_.notify_all();
  }

  std::unique_ptr<Iterator> in_;
  const Dataset::MapFn* f_;
  bool deterministic_;
  std::int64_t capacity_;
  std::mutex mu_, in_mu_;
  std::condition_variable space_, done_;
  std::map<std::int64_t, Slot> ready_;
  std::int64_t reserved_ = 0, next_out_ = 0, end_seq_ = -1;
  std::int64_t next_in_ = 0;  // guarded by in_mu_
  bool input_ended_ = false;  // guarded by in_mu_
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

class ParallelMapNode final : public Node {
 public:
  ParallelMapNode(NodePtr in, Dataset::MapFn f, int threads, bool det)
      : in_(std::move(in)), f_(std::move(f)), threads_(threads), det_(det) {}
  std::int64_t cardinality() const override { return in_->cardinality(); }
  std::unique_ptr<Iterator> iterate() const override {
    return std::make_unique<ParallelMapIterator>(in_->iterate(), &f_, threads_, det_);
  }

 private:
  NodePtr in_;
  Dataset::MapFn f_;
  int threads_;
  bool det_;
};

class PrefetchIterator final : public Iterator {
 public:
  PrefetchIterator(std::unique_ptr<Iterator> in, std::size_t cap) : in_(std::move(in)), cap_(cap) {
    thread_ = std::thread([this] { produce(); });
  }
  ~PrefetchIterator() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    space_.notify_all();
    thread_.join();
  }
  std::optional<Element> next() override {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [&] { return !queue_.empty() || finished_; });
    if (queue_.empty()) return std::nullopt;
    Slot s = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    space_.notify_one();
    if (s.error) {
      std::rethrow_exception(s.error);
    }
    return std::move(s.value);
  }

 private:
  void produce() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        space_.wait(lock, [&] { return stop_ || queue_.size() < cap_; });
        if (stop_) return;
      }
      Slot s;
      try {
        s.value = in_->next();
      } catch (...) {
        s.error = std::current_exception();
      }
      bool end = !s.value;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (s.value || s.error) queue_.push_back(std::move(s));
        if (end) finished_ = true;
      }
      ready_.notify_one();
      if (end) return;  // the end of the input, or an error (given once)
    }
  }

  std::unique_ptr<Iterator> in_;
  std::size_t cap_;
  std::mutex mu_;
  std::condition_variable space_, ready_;
  std::deque<Slot> queue_;
  bool stop_ = false, finished_ = false;
  std::thread thread_;
};

class PrefetchNode final : public Node {
 public:
  PrefetchNode(NodePtr in, std::size_t cap) : in_(std::move(in)), cap_(cap) {}
  std::int64_t cardinality() const override { return in_->cardinality(); }
  std::unique_ptr<Iterator> iterate() const override {
    return std::make_unique<PrefetchIterator>(in_->iterate(), cap_);
  }

 private:
  NodePtr in_;
  std::size_t cap_;
};

int autotune_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 2;
}

}  // namespace

Dataset parallel_map(const Dataset& in, Dataset::MapFn f, int threads, bool deterministic,
                     std::vector<std::string> names) {
  if (threads == AUTOTUNE) threads = autotune_threads();
  return make<ParallelMapNode>(std::move(names), in.node(), std::move(f), threads, deterministic);
}

}  // namespace detail

Dataset Dataset::prefetch(int buffer_size) const {
  checked();
  KERAS_CHECK(buffer_size > 0 || buffer_size == AUTOTUNE, ValueError,
              "Dataset.prefetch: buffer_size must be positive or AUTOTUNE, received ", buffer_size);
  return detail::make<detail::PrefetchNode>(names_, node_, static_cast<std::size_t>(buffer_size > 0 ? buffer_size : 2));
}

}  // namespace keras::data
