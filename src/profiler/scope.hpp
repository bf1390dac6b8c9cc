// The profiler's scoped timer (internal). Inactive, it costs one relaxed
// atomic load at construction and a bool test at destruction.
#pragma once
#include <string>

#include "keras/profiler.hpp"

namespace keras::profiler::detail {

// False when the scope adds nothing: an op helper timed under the same op
// name as the op that called it (its time stays with the caller).
bool push(const char* name, const std::string* owned, Category c);
void pop(Category c);

class Scope {
 public:
  Scope(const char* name, Category c) noexcept : c_(c) {
    if (active()) begin(name, nullptr);
  }
  Scope(const std::string& name, Category c) noexcept : c_(c) {
    if (active()) begin(nullptr, &name);
  }
  ~Scope() {
    if (on_) pop(c_);
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  void begin(const char* name, const std::string* owned) noexcept {
    try {
      on_ = push(name, owned, c_);
    } catch (...) {
    }
  }
  Category c_;
  bool on_ = false;
};

}  // namespace keras::profiler::detail

// Times the enclosing block as op `name` (a string literal) while a
// profiling session is on.
#define KERAS_PROFILE_OP(name) ::keras::profiler::detail::Scope keras_profile_scope_(name, ::keras::profiler::Category::op)
