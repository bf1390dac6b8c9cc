// Merge layers: combine several inputs into one.
//
//   auto sum = keras::layers::Add()({a, b});
//   auto cat = keras::layers::Concatenate(-1)({a, b, c});
#pragma once
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::layers {

// Elementwise merges of inputs with the same shape.
class Merge : public Layer {
 public:
  void build_n(const std::vector<Shape>& input_shapes) override;
  Tensor call_n(const std::vector<Tensor>& inputs, bool training) override;
  Shape compute_output_shape_n(const std::vector<Shape>& input_shapes) const override;
  // A merge layer needs at least two inputs.
  Tensor call(const Tensor& x, bool training) override;

 protected:
  explicit Merge(std::string name) : Layer(std::move(name)) {}
  virtual Tensor merge(const std::vector<Tensor>& inputs) const = 0;
  virtual std::size_t max_inputs() const { return 1u << 20; }
};

#define KERAS_MERGE_LAYER(Name, prefix)                                        \
  class Name : public Merge {                                                  \
   public:                                                                     \
    explicit Name(std::string name = "") : Merge(name.empty() ? unique_name(prefix) : std::move(name)) {} \
    KERAS_LAYER_CLASS(Name)                                                    \
                                                                               \
   protected:                                                                  \
    Tensor merge(const std::vector<Tensor>& inputs) const override;           \
  };

KERAS_MERGE_LAYER(Add, "add")
KERAS_MERGE_LAYER(Multiply, "multiply")
KERAS_MERGE_LAYER(Average, "average")
KERAS_MERGE_LAYER(Maximum, "maximum")
KERAS_MERGE_LAYER(Minimum, "minimum")
#undef KERAS_MERGE_LAYER

// a - b (exactly two inputs).
class Subtract : public Merge {
 public:
  explicit Subtract(std::string name = "") : Merge(name.empty() ? unique_name("subtract") : std::move(name)) {}
  KERAS_LAYER_CLASS(Subtract)

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) const override;
  std::size_t max_inputs() const override { return 2; }
};

// Joins inputs along `axis`; the other dimensions must match.
class Concatenate : public Layer {
 public:
  explicit Concatenate(int axis = -1, std::string name = "");
  KERAS_LAYER_CLASS(Concatenate)
  void build_n(const std::vector<Shape>& input_shapes) override;
  Tensor call_n(const std::vector<Tensor>& inputs, bool training) override;
  Shape compute_output_shape_n(const std::vector<Shape>& input_shapes) const override;
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  int axis_;
};

// Dot products of two inputs along `axes` (one per input; -1 = last), with
// optional L2 normalization (cosine proximity), as keras.layers.Dot.
class Dot : public Layer {
 public:
  explicit Dot(int axes, bool normalize = false, std::string name = "");
  Dot(std::pair<int, int> axes, bool normalize = false, std::string name = "");
  KERAS_LAYER_CLASS(Dot)
  void build_n(const std::vector<Shape>& input_shapes) override;
  Tensor call_n(const std::vector<Tensor>& inputs, bool training) override;
  Shape compute_output_shape_n(const std::vector<Shape>& input_shapes) const override;
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  int a0_, a1_;
  bool normalize_;
};

}  // namespace keras::layers
