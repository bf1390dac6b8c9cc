// keras::Variable: a named, mutable tensor owned by a layer or optimizer.
//
// Variables are handles: copies refer to the same variable. A trainable
// variable's value() requires gradients, so ops on it are recorded.
#pragma once
#include <memory>
#include <string>

#include "keras/tensor.hpp"

namespace keras::regularizers {
class Regularizer;
}
namespace keras::constraints {
class Constraint;
}

namespace keras {

class Variable {
 public:
  Variable() = default;
  Variable(Tensor initial_value, std::string name, bool trainable = true);

  bool defined() const { return state_ != nullptr; }
  // The current value (a leaf tensor; requires_grad when trainable).
  const Tensor& value() const;
  // Copies `value` into the variable; shapes must match (ValueError names both).
  void assign(const Tensor& value) const;  // a handle: assigning does not change which variable
  const std::string& name() const;
  // "dense/kernel" once the owning layer sets it.
  const std::string& path() const;
  void set_path(std::string path);
  bool trainable() const;
  void set_trainable(bool trainable);
  const Shape& shape() const { return value().shape(); }
  DType dtype() const { return value().dtype(); }
  // Keras's variable.regularizer: its penalty joins the owning layer's
  // losses() while the variable is trainable. Null when none.
  const std::shared_ptr<regularizers::Regularizer>& regularizer() const;
  void set_regularizer(std::shared_ptr<regularizers::Regularizer> r);
  // Keras's variable.constraint: optimizers project the variable with it
  // after each update. Null when none.
  const std::shared_ptr<constraints::Constraint>& constraint() const;
  void set_constraint(std::shared_ptr<constraints::Constraint> c);
  // Same variable (identity, not value).
  bool operator==(const Variable& o) const { return state_ == o.state_; }
  operator const Tensor&() const { return value(); }

 private:
  struct State;
  std::shared_ptr<State> state_;
};

namespace random {
// Seeds every random source of the library (initializers, dropout, shuffling).
void set_seed(std::uint64_t seed);
// A fresh seed for one random op, drawn from the global generator.
std::uint64_t next_seed();
// The global generator's state as text, and back (BackupAndRestore resumes
// a fit with the shuffles and dropout masks the uninterrupted run draws).
// set_state throws ValueError on text get_state did not write.
std::string get_state();
void set_state(const std::string& state);
}  // namespace random

namespace utils {
// keras.utils.set_random_seed
inline void set_random_seed(std::uint64_t seed) { random::set_seed(seed); }
}  // namespace utils

}  // namespace keras
