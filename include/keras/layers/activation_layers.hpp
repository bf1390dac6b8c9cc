// Activation layers with arguments: ReLU (as MobileNet's ReLU(6.0) uses it).
#pragma once
#include <optional>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct ReLUOptions {
  std::optional<double> max_value = std::nullopt;  // none: no upper bound
  double negative_slope = 0.0;
  double threshold = 0.0;
  std::string name = "";
};

// Keras's ReLU layer: x above `threshold` (0 below), capped at `max_value`,
// minus negative_slope * relu(threshold - x).
class ReLU : public Layer {
 public:
  explicit ReLU(ReLUOptions options = {});
  explicit ReLU(double max_value, ReLUOptions options = {});
  KERAS_LAYER_CLASS(ReLU)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  ReLUOptions o_;
};

}  // namespace keras::layers
