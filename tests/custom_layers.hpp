// Custom layers that tests save and load here and in real Keras
// (scripts/check_in_keras.py defines the same classes in Python).
#pragma once
#include <nlohmann/json.hpp>

#include "keras/keras.hpp"
#include "keras/layers/registry.hpp"

namespace testing {

// Two outputs from one call: x * w and x - w.
class ScaleShift : public keras::layers::Layer {
 public:
  explicit ScaleShift(std::string name = "") : Layer(name.empty() ? unique_name("scale_shift") : std::move(name)) {}
  KERAS_LAYER_CLASS(ScaleShift)
  void build(const keras::Shape& s) override { w_ = add_weight("w", {s.back()}, "ones"); }
  keras::Tensor call(const keras::Tensor& x, bool training) override { return call_outputs({x}, training)[0]; }
  int num_outputs() const override { return 2; }
  std::vector<keras::Tensor> call_outputs(const std::vector<keras::Tensor>& xs, bool) override {
    return {keras::ops::multiply(xs[0], w_.value()), keras::ops::subtract(xs[0], w_.value())};
  }
  std::vector<keras::Shape> compute_output_shapes(const std::vector<keras::Shape>& s) const override { return {s[0], s[0]}; }

 private:
  keras::Variable w_;
};

// A residual block that owns two Dense layers.
class Residual : public keras::layers::Layer {
 public:
  explicit Residual(int units, std::string name = "")
      : Layer(name.empty() ? unique_name("residual") : std::move(name)), units_(units) {
    inner_ = track("inner", std::make_shared<keras::layers::Dense>(units, "relu"));
    outer_ = track("outer", std::make_shared<keras::layers::Dense>(units));
  }
  KERAS_LAYER_CLASS(Residual)
  keras::Tensor call(const keras::Tensor& x, bool training) override {
    return keras::ops::add(x, (*outer_)((*inner_)(x, training), training));
  }
  nlohmann::json get_config() const override {
    auto c = Layer::get_config();
    c["units"] = units_;
    return c;
  }

 private:
  int units_;
  std::shared_ptr<keras::layers::Dense> inner_, outer_;
};

inline const bool custom_layers_registered = [] {
  keras::layers::register_layer("ScaleShift", [](const nlohmann::json& c) -> std::shared_ptr<keras::layers::Layer> {
    return std::make_shared<ScaleShift>(c.at("name").get<std::string>());
  });
  keras::layers::register_layer("Residual", [](const nlohmann::json& c) -> std::shared_ptr<keras::layers::Layer> {
    return std::make_shared<Residual>(c.at("units").get<int>(), c.at("name").get<std::string>());
  });
  return true;
}();

}  // namespace testing
