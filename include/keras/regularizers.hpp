// Weight regularizers (keras.regularizers): a penalty added to the training
// loss, computed with keras::ops so that fit differentiates through it.
//
// Example:
//   keras::layers::Dense d(8, "relu", {.kernel_regularizer = keras::regularizers::L2(1e-4),
//                                      .bias_regularizer = "l1"});
//
// A layer adds regularizer(weight) for each regularized trainable weight to
// its losses(); an activity regularizer adds regularizer(output) / batch size
// per call. A user regularizer derives from Regularizer and registers a
// factory with register_regularizer to be read back from saved models.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "keras/tensor.hpp"

namespace keras::regularizers {

class Regularizer {
 public:
  virtual ~Regularizer() = default;
  // The penalty for `x`: a float32 scalar tensor.
  virtual Tensor operator()(const Tensor& x) const = 0;
  virtual std::string class_name() const = 0;
  virtual nlohmann::json get_config() const;
};
using RegularizerPtr = std::shared_ptr<Regularizer>;

// l1 * sum(|x|); l1 must be a finite number >= 0.
class L1 : public Regularizer {
 public:
  explicit L1(double l1 = 0.01);
  Tensor operator()(const Tensor& x) const override;
  std::string class_name() const override { return "L1"; }
  nlohmann::json get_config() const override;
  double l1() const { return l1_; }

 private:
  double l1_;
};

// l2 * sum(x^2).
class L2 : public Regularizer {
 public:
  explicit L2(double l2 = 0.01);
  Tensor operator()(const Tensor& x) const override;
  std::string class_name() const override { return "L2"; }
  nlohmann::json get_config() const override;
  double l2() const { return l2_; }

 private:
  double l2_;
};

// l1 * sum(|x|) + l2 * sum(x^2).
class L1L2 : public Regularizer {
 public:
  explicit L1L2(double l1 = 0.0, double l2 = 0.0);
  Tensor operator()(const Tensor& x) const override;
  std::string class_name() const override { return "L1L2"; }
  nlohmann::json get_config() const override;

 private:
  double l1_, l2_;
};

// factor * mean |cos| between distinct rows (mode "rows") or columns
// ("columns") of a rank-2 weight: factor * 0.5 * sum|P - diag| / (n(n-1)/2).
class OrthogonalRegularizer : public Regularizer {
 public:
  explicit OrthogonalRegularizer(double factor = 0.01, std::string mode = "rows");
  Tensor operator()(const Tensor& x) const override;
  std::string class_name() const override { return "OrthogonalRegularizer"; }
  nlohmann::json get_config() const override;

 private:
  double factor_;
  std::string mode_;
};

// "l1", "l2", "l1_l2", "orthogonal_regularizer" or a class name ("L2"), or
// a registered user class, with default arguments. Unknown names raise
// ValueError naming the closest known ones.
RegularizerPtr get(const std::string& name);
// null -> nullptr; a name; {"class_name", "config"} as Keras 3 or tf.keras 2 write it.
RegularizerPtr deserialize(const nlohmann::json& j);
// {"module": "keras.regularizers", "class_name", "config", "registered_name": null}.
nlohmann::json serialize(const Regularizer& r);
// serialize(*r), or null when r is null.
nlohmann::json serialize_or_null(const RegularizerPtr& r);

using RegularizerFactory = std::function<RegularizerPtr(const nlohmann::json& config)>;
void register_regularizer(const std::string& class_name, RegularizerFactory factory, bool replace = false);
std::vector<std::string> registered_regularizers();

// A layer's regularizer argument: null (none), a name, or a regularizer.
struct RegularizerArg {
  RegularizerPtr ptr;
  RegularizerArg() = default;
  RegularizerArg(std::nullptr_t) {}
  RegularizerArg(const char* name) : ptr(get(name)) {}
  RegularizerArg(const std::string& name) : ptr(get(name)) {}
  RegularizerArg(RegularizerPtr p) : ptr(std::move(p)) {}
  template <class R, class = std::enable_if_t<std::is_base_of_v<Regularizer, std::decay_t<R>>>>
  RegularizerArg(R&& r) : ptr(std::make_shared<std::decay_t<R>>(std::forward<R>(r))) {}
  template <class R, class = std::enable_if_t<std::is_base_of_v<Regularizer, R>>>
  RegularizerArg(std::shared_ptr<R> p) : ptr(std::move(p)) {}
  explicit operator bool() const { return ptr != nullptr; }
};

}  // namespace keras::regularizers
