// Weight constraints (keras.constraints): a projection applied to a
// variable after each optimizer step, written with keras::ops.
//
// Example:
//   keras::layers::Dense d(8, "relu", {.kernel_constraint = keras::constraints::MaxNorm(2.0),
//                                      .bias_constraint = "non_neg"});
//
// `axis` is the axis (or axes) the norms are taken over, as in Keras: for a
// Dense kernel (in, units), axis 0 constrains each unit's incoming weights.
#pragma once
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "keras/tensor.hpp"

namespace keras::constraints {

class Constraint {
 public:
  virtual ~Constraint() = default;
  // The projected value of `w` (same shape).
  virtual Tensor operator()(const Tensor& w) const = 0;
  virtual std::string class_name() const = 0;
  virtual nlohmann::json get_config() const;
};
using ConstraintPtr = std::shared_ptr<Constraint>;

// Norm axes: one axis or several (negative counts from the end).
struct Axes {
  std::vector<int> v;
  Axes(int a) : v{a} {}  // NOLINT: implicit, as Keras accepts an int
  Axes(std::initializer_list<int> l) : v(l), is_list(true) {}
  Axes(std::vector<int> l) : v(std::move(l)), is_list(true) {}
  bool is_list = false;  // written as a list in configs
};

// w * clip(norm, 0, max_value) / (eps + norm).
class MaxNorm : public Constraint {
 public:
  explicit MaxNorm(double max_value = 2.0, Axes axis = 0);
  Tensor operator()(const Tensor& w) const override;
  std::string class_name() const override { return "MaxNorm"; }
  nlohmann::json get_config() const override;

 private:
  double max_value_;
  Axes axis_;
};

// w * (rate * clip(norm, min_value, max_value) + (1 - rate) * norm) / (eps + norm).
class MinMaxNorm : public Constraint {
 public:
  explicit MinMaxNorm(double min_value = 0.0, double max_value = 1.0, double rate = 1.0, Axes axis = 0);
  Tensor operator()(const Tensor& w) const override;
  std::string class_name() const override { return "MinMaxNorm"; }
  nlohmann::json get_config() const override;

 private:
  double min_value_, max_value_, rate_;
  Axes axis_;
};

// max(w, 0).
class NonNeg : public Constraint {
 public:
  Tensor operator()(const Tensor& w) const override;
  std::string class_name() const override { return "NonNeg"; }
};

// w / (eps + norm).
class UnitNorm : public Constraint {
 public:
  explicit UnitNorm(Axes axis = 0);
  Tensor operator()(const Tensor& w) const override;
  std::string class_name() const override { return "UnitNorm"; }
  nlohmann::json get_config() const override;

 private:
  Axes axis_;
};

// "max_norm", "min_max_norm", "non_neg", "unit_norm" or a class name, or a
// registered user class, with default arguments; ValueError with the
// closest known names otherwise.
ConstraintPtr get(const std::string& name);
// null -> nullptr; a name; {"class_name", "config"} (Keras 3 or tf.keras 2).
ConstraintPtr deserialize(const nlohmann::json& j);
nlohmann::json serialize(const Constraint& c);
nlohmann::json serialize_or_null(const ConstraintPtr& c);

using ConstraintFactory = std::function<ConstraintPtr(const nlohmann::json& config)>;
void register_constraint(const std::string& class_name, ConstraintFactory factory, bool replace = false);
std::vector<std::string> registered_constraints();

// A layer's constraint argument: null (none), a name, or a constraint.
struct ConstraintArg {
  ConstraintPtr ptr;
  ConstraintArg() = default;
  ConstraintArg(std::nullptr_t) {}
  ConstraintArg(const char* name) : ptr(get(name)) {}
  ConstraintArg(const std::string& name) : ptr(get(name)) {}
  ConstraintArg(ConstraintPtr p) : ptr(std::move(p)) {}
  template <class C, class = std::enable_if_t<std::is_base_of_v<Constraint, std::decay_t<C>>>>
  ConstraintArg(C&& c) : ptr(std::make_shared<std::decay_t<C>>(std::forward<C>(c))) {}
  template <class C, class = std::enable_if_t<std::is_base_of_v<Constraint, C>>>
  ConstraintArg(std::shared_ptr<C> p) : ptr(std::move(p)) {}
  explicit operator bool() const { return ptr != nullptr; }
};

}  // namespace keras::constraints
