// Small layers with Keras 3's names, arguments and configs: Identity,
// Permute, RepeatVector, GaussianNoise, GaussianDropout, GroupNormalization
// and Lambda (a C++ callable).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::layers {

// Returns its input unchanged (masks pass through).
class Identity : public Layer {
 public:
  explicit Identity(std::string name = "");
  KERAS_LAYER_CLASS(Identity)
  Tensor call(const Tensor& x, bool training) override;
};

// Permutes the non-batch axes: dims is 1-based, as Keras's Permute((2, 1)).
class Permute : public Layer {
 public:
  explicit Permute(std::vector<int> dims, std::string name = "");
  KERAS_LAYER_CLASS(Permute)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  std::vector<int> dims_;
};

// (batch, features) -> (batch, n, features).
class RepeatVector : public Layer {
 public:
  explicit RepeatVector(int n, std::string name = "");
  KERAS_LAYER_CLASS(RepeatVector)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  int n_;
};

// Adds N(0, stddev^2) noise during training only. `seed` is kept for the
// config; draws come from keras::random (keras::utils::set_random_seed).
class GaussianNoise : public Layer {
 public:
  explicit GaussianNoise(double stddev, std::optional<std::int64_t> seed = std::nullopt, std::string name = "");
  KERAS_LAYER_CLASS(GaussianNoise)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  double stddev_;
  std::optional<std::int64_t> seed_;
};

// Multiplies by N(1, rate / (1 - rate)) noise during training only.
class GaussianDropout : public Layer {
 public:
  explicit GaussianDropout(double rate, std::optional<std::int64_t> seed = std::nullopt, std::string name = "");
  KERAS_LAYER_CLASS(GaussianDropout)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  double rate_;
  std::optional<std::int64_t> seed_;
};

struct GroupNormalizationOptions {
  int groups = 32;
  int axis = -1;
  double epsilon = 1e-3;
  bool center = true;  // beta
  bool scale = true;   // gamma
  initializers::InitializerArg beta_initializer = "zeros";
  initializers::InitializerArg gamma_initializer = "ones";
  std::string name;
};

// Splits the `axis` channels into `groups` groups and normalizes each
// sample's group (over every non-batch axis, within the group) to mean 0 and
// variance 1, then scales by gamma and shifts by beta (per channel; weights
// in that order). groups = -1 means one group per channel.
class GroupNormalization : public Layer {
 public:
  explicit GroupNormalization(GroupNormalizationOptions o = {});
  KERAS_LAYER_CLASS(GroupNormalization)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  GroupNormalizationOptions o_;
  int axis_ = -1;  // normalized at build
  Variable gamma_, beta_;
};

// Lambda: a C++ callable as a layer, with an optional output-shape function
// (the default: the callable's output on a dry run is not needed; the input
// shape is returned). A Lambda cannot be saved unless its function was
// registered by name (register_lambda_function): the config then records
// that name, and loading looks it up.
using LambdaFn = std::function<Tensor(const Tensor&)>;
using LambdaShapeFn = std::function<Shape(const Shape&)>;

// Registers `fn` (and its shape function) under `name`, as Keras's
// register_keras_serializable does ("package>name" by convention). A name
// already taken raises ValueError unless `replace`.
void register_lambda_function(const std::string& name, LambdaFn fn, LambdaShapeFn output_shape = {},
                              bool replace = false);
bool is_lambda_function_registered(const std::string& name);

class Lambda : public Layer {
 public:
  // An unnamed callable: works, but get_config (and so saving) raises.
  explicit Lambda(LambdaFn fn, LambdaShapeFn output_shape = {}, std::string name = "");
  // A registered function, by name (ValueError naming the close matches when unknown).
  explicit Lambda(const std::string& function_name, std::string name = "");
  KERAS_LAYER_CLASS(Lambda)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  const std::string& function_name() const { return function_name_; }
  // A fixed output shape from a config (without batch), as Keras's output_shape.
  void set_output_shape(Shape s) { fixed_shape_ = std::move(s); }

 private:
  LambdaFn fn_;
  LambdaShapeFn shape_fn_;
  std::string function_name_;  // empty: not registered
  std::optional<Shape> fixed_shape_;
};

}  // namespace keras::layers
