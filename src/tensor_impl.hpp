// Internal: what a Tensor handle points to.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>

#include "alloc_budget.hpp"
#include "keras/autograd.hpp"
#include "keras/backend.hpp"
#include "keras/tensor.hpp"

namespace keras {

// A block of device memory, returned to its backend when the last tensor
// using it goes away.
struct Storage {
  void* ptr = nullptr;
  std::size_t nbytes = 0;
  backend::Backend* owner = nullptr;
  std::function<void()> release;  // set for memory the library does not own
  Storage(backend::Backend* b, std::size_t n) : nbytes(n), owner(b) {
    detail::AllocationBudget::charge(n);
    ptr = n ? b->allocate(n) : nullptr;
  }
  Storage(void* p, std::size_t n, std::function<void()> r) : ptr(p), nbytes(n), release(std::move(r)) {}
  ~Storage() {
    if (release) release();
    else if (ptr) owner->deallocate(ptr, nbytes);
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  std::size_t offset = 0;  // bytes from storage->ptr
  Shape shape;
  DType dtype = float32;
  Device device;
  // autograd
  bool requires_grad = false;
  std::shared_ptr<autograd::Node> grad_fn;  // null for leaves
  Tensor grad;                              // accumulated by Tensor::backward on leaves

  void* data() const { return storage ? static_cast<char*>(storage->ptr) + offset : nullptr; }
};

// A new tensor with uninitialized memory from the device's backend.
Tensor make_tensor(const Shape& shape, DType dtype, Device device);
// A tensor sharing x's memory with another shape (no autograd record).
Tensor alias(const Tensor& x, const Shape& shape, std::size_t extra_offset = 0);

}  // namespace keras
