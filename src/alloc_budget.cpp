#include "alloc_budget.hpp"

#include "keras/errors.hpp"

namespace keras::detail {

thread_local AllocationBudget* AllocationBudget::active_ = nullptr;

AllocationBudget::AllocationBudget(std::size_t max_bytes, std::string what)
    : max_(max_bytes), what_(std::move(what)), outer_(active_) {
  active_ = this;
}

AllocationBudget::~AllocationBudget() { active_ = outer_; }

void AllocationBudget::take(std::size_t bytes) {
  if (bytes > max_ - used_) {
    throw ResourceExhaustedError(cat("Refusing to allocate ", bytes, " bytes while ", what_, ": ", used_,
                                     " bytes are already allocated and the budget is ", max_,
                                     " bytes (raise it with LoadOptions::max_bytes if the model is "
                                     "really this large)"));
  }
  used_ += bytes;
  if (outer_) outer_->take(bytes);
}

}  // namespace keras::detail
