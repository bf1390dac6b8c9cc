// Spatial reshaping layers on (batch, height, width, channels) inputs:
// ZeroPadding2D, Cropping2D, UpSampling2D, and SpatialDropout2D (which drops
// whole channels).
#pragma once
#include <array>
#include <string>

#include "keras/layers/conv.hpp"
#include "keras/layers/layer.hpp"

namespace keras::layers {

// Amounts as Keras accepts them: 1 (all sides), {h, w} (symmetric), or
// {top, bottom, left, right}.
struct Sides {
  std::array<int, 4> v;  // top, bottom, left, right
  Sides(int x) : v{x, x, x, x} {}
  Sides(std::initializer_list<int> l);
};

class ZeroPadding2D : public Layer {
 public:
  explicit ZeroPadding2D(Sides padding = 1, std::string name = "");
  KERAS_LAYER_CLASS(ZeroPadding2D)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  std::array<int, 4> pad_;
};

class Cropping2D : public Layer {
 public:
  explicit Cropping2D(Sides cropping = 0, std::string name = "");
  KERAS_LAYER_CLASS(Cropping2D)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  std::array<int, 4> crop_;
};

// Upsamples by integer factors: interpolation "nearest" repeats rows and
// columns; "bilinear", "bicubic", "lanczos3" and "lanczos5" resize to
// (height * size[0], width * size[1]) with ops::image::resize, as Keras does.
class UpSampling2D : public Layer {
 public:
  explicit UpSampling2D(Ints size = 2, std::string interpolation = "nearest", std::string name = "");
  KERAS_LAYER_CLASS(UpSampling2D)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  std::vector<int> size_;
  std::string interpolation_;
};

// Dropout of entire channels (feature maps) during training.
class SpatialDropout2D : public Layer {
 public:
  explicit SpatialDropout2D(double rate, std::string name = "");
  KERAS_LAYER_CLASS(SpatialDropout2D)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  double rate_;
};

}  // namespace keras::layers
