// Internal: an allocation budget for the current thread while a model is
// loaded or built from an untrusted config. Every tensor allocation is
// charged to the innermost active budget; going over it raises
// ResourceExhaustedError before the memory is requested.
#pragma once
#include <cstddef>
#include <string>

namespace keras::detail {

class AllocationBudget {
 public:
  AllocationBudget(std::size_t max_bytes, std::string what);
  ~AllocationBudget();
  AllocationBudget(const AllocationBudget&) = delete;
  AllocationBudget& operator=(const AllocationBudget&) = delete;

  // Charges `bytes` to the active budget, if any (cheap when none is).
  static void charge(std::size_t bytes) {
    if (active_) active_->take(bytes);
  }

 private:
  void take(std::size_t bytes);
  std::size_t max_;
  std::size_t used_ = 0;
  std::string what_;
  AllocationBudget* outer_;
  static thread_local AllocationBudget* active_;
};

}  // namespace keras::detail
