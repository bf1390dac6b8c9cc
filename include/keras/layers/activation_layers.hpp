// Activation layers with Keras 3's names, arguments and configs: ReLU,
// LeakyReLU, PReLU, ELU and Softmax (which takes a mask).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct ReLUOptions {
  std::optional<double> max_value;  // none: unbounded
  double negative_slope = 0.0;
  double threshold = 0.0;
  std::string name;
};

// x >= threshold: min(x, max_value); below: negative_slope * (x - threshold).
class ReLU : public Layer {
 public:
  explicit ReLU(ReLUOptions o = {});
  KERAS_LAYER_CLASS(ReLU)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  ReLUOptions o_;
};

// x >= 0: x; below: negative_slope * x (tf.keras 2 configs call it alpha).
class LeakyReLU : public Layer {
 public:
  explicit LeakyReLU(double negative_slope = 0.3, std::string name = "");
  KERAS_LAYER_CLASS(LeakyReLU)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  double slope_;
};

struct PReLUOptions {
  initializers::InitializerArg alpha_initializer = "zeros";
  std::vector<int> shared_axes;  // 1-based non-batch axes where alpha is shared
  std::string name;
};

// relu(x) - alpha * relu(-x), alpha a weight of the input's non-batch shape
// (1 along shared_axes).
class PReLU : public Layer {
 public:
  explicit PReLU(PReLUOptions o = {});
  KERAS_LAYER_CLASS(PReLU)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  PReLUOptions o_;
  Variable alpha_;
};

class ELU : public Layer {
 public:
  explicit ELU(double alpha = 1.0, std::string name = "");
  KERAS_LAYER_CLASS(ELU)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  double alpha_;
};

// Softmax along `axis`. With a mask (bool, or > 0.5, broadcastable to the
// input), masked positions get probability 0, as in Keras: they are set to
// -1e9 before the softmax and to 0 after it (a fully masked row is all 0).
class Softmax : public Layer {
 public:
  explicit Softmax(int axis = -1, std::string name = "");
  KERAS_LAYER_CLASS(Softmax)
  Tensor call(const Tensor& x, bool training) override;
  // The masked form (Keras's softmax(inputs, mask)); an undefined mask is none.
  Tensor call_with_mask(const Tensor& x, const Tensor& mask);
  std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                  bool training) override;
  nlohmann::json get_config() const override;

 private:
  int axis_;
};

}  // namespace keras::layers
