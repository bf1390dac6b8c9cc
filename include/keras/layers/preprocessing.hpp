// Keras 3's preprocessing and augmentation layers, with its names,
// arguments, defaults and configs (images are channels last):
//   numeric: Rescaling, Normalization (adapt, invert), Discretization
//     (bin_boundaries or num_bins + adapt), CategoryEncoding, Hashing
//     (integer inputs: strings are not a tensor dtype here);
//   images: Resizing, CenterCrop, RandomCrop, RandomFlip, RandomRotation,
//     RandomZoom, RandomTranslation, RandomContrast, RandomBrightness.
// The random layers change their input only when called with training =
// true (inside fit), as Keras's do; at inference they return it unchanged.
// Each draws from its own stream: with a `seed`, the n-th training call
// draws the same numbers in every run (and a fresh layer with the same seed
// repeats them); without one, each call takes a seed from keras::random
// (utils::set_random_seed makes runs repeatable). They do not reproduce
// Keras's random streams.
//
//   auto aug = std::make_shared<keras::layers::RandomFlip>(keras::layers::RandomFlipOptions{.seed = 7});
//   auto norm = std::make_shared<keras::layers::Normalization>();
//   norm->adapt(x_train);
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::data {
class Dataset;
}

namespace keras::layers {

// ---------------------------------------------------------------- numeric

// inputs * scale + offset (scalars), cast to float32.
class Rescaling : public Layer {
 public:
  explicit Rescaling(double scale, double offset = 0.0, std::string name = "");
  KERAS_LAYER_CLASS(Rescaling)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  double scale_, offset_;
};

struct NormalizationOptions {
  std::vector<int> axis{-1};  // the kept axes ({} = one mean and variance for everything)
  // Fixed statistics (both or neither): one value, or one per kept element.
  std::optional<std::vector<float>> mean, variance;
  bool invert = false;
  std::string name;
};

// (x - mean) / max(sqrt(variance), 1e-7), or its inverse. Without fixed
// statistics the layer holds non-trainable weights mean, variance (shaped by
// the kept axes) and count (as Keras: 0, unused), which adapt() sets and
// saving stores as Keras does.
class Normalization : public Layer {
 public:
  explicit Normalization(NormalizationOptions o = {});
  KERAS_LAYER_CLASS(Normalization)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  // Mean and variance over the reduced axes of all of `data` (the batch
  // axis included), as Keras's adapt. Builds the layer for data's shape;
  // ValueError when a kept axis disagrees with the built shape, or when the
  // layer has fixed statistics.
  void adapt(const Tensor& data);
  // The same over a dataset's batches (element 0 of each element), merged
  // as Keras merges them. An unbatched dataset of rank-1 elements is
  // batched by 128 first, as Keras does.
  void adapt(const data::Dataset& data);

 private:
  void adapt_batch(const Tensor& batch, std::vector<double>& mean, std::vector<double>& var, std::int64_t& count);
  void store(const std::vector<double>& mean, const std::vector<double>& var);
  void check_adapt_shape(const Shape& s) const;
  NormalizationOptions o_;
  std::vector<int> keep_;     // normalized kept axes (at build)
  Shape broadcast_shape_;     // kept dims, 1 elsewhere (batch 1)
  Shape stat_shape_;          // the kept dims
  Variable mean_w_, var_w_, count_w_;
  Tensor mean_, var_;         // fixed statistics, broadcastable
};

struct DiscretizationOptions {
  std::optional<std::vector<float>> bin_boundaries;
  std::optional<int> num_bins;  // with adapt()
  double epsilon = 0.01;
  std::string output_mode = "int";  // int, one_hot, multi_hot, count
  std::string name;
};

// Bucket index of each value: the number of boundaries <= x (numpy's
// digitize), int32 for "int"; the other modes encode it as CategoryEncoding
// does with len(bin_boundaries) + 1 tokens.
class Discretization : public Layer {
 public:
  explicit Discretization(DiscretizationOptions o = {});
  KERAS_LAYER_CLASS(Discretization)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  // num_bins quantile boundaries of the data, with Keras's approximate
  // summaries (epsilon); each batch of a dataset merges into the summary.
  void adapt(const Tensor& data);
  void adapt(const data::Dataset& data);
  const std::optional<std::vector<float>>& bin_boundaries() const { return o_.bin_boundaries; }

 private:
  void update_summary(const Tensor& batch);
  void finalize();
  DiscretizationOptions o_;
  std::vector<float> summary_values_, summary_weights_;
};

// Integer tokens in [0, num_tokens) to one_hot / multi_hot / count vectors
// (float32), as Keras: one_hot squeezes a last axis of 1; multi_hot and
// count reduce axis 1 (rank >= 2) or 0.
class CategoryEncoding : public Layer {
 public:
  explicit CategoryEncoding(int num_tokens, std::string output_mode = "multi_hot", std::string name = "");
  KERAS_LAYER_CLASS(CategoryEncoding)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  int num_tokens_;
  std::string mode_;
};

struct HashingOptions {
  int num_bins = 1;
  std::optional<std::int64_t> mask_value;
  std::optional<std::array<std::int64_t, 2>> salt;  // one int = the same twice
  std::string output_mode = "int";
  std::string name;
};

// Integer inputs hashed to num_bins bins exactly as Keras (through
// TensorFlow) hashes them: see ops::hash_to_bins. "int" gives int64.
class Hashing : public Layer {
 public:
  explicit Hashing(HashingOptions o);
  KERAS_LAYER_CLASS(Hashing)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  HashingOptions o_;
};

// ----------------------------------------------------------------- images

struct ResizingOptions {
  int height = 0, width = 0;
  std::string interpolation = "bilinear";  // nearest, bilinear, bicubic, lanczos3, lanczos5
  bool crop_to_aspect_ratio = false;
  bool pad_to_aspect_ratio = false;
  double fill_value = 0.0;  // padding (fill_mode "constant", the only one)
  bool antialias = false;
  std::string name;
};

class Resizing : public Layer {
 public:
  explicit Resizing(ResizingOptions o);
  KERAS_LAYER_CLASS(Resizing)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  ResizingOptions o_;
};

// The central height x width window; an image smaller than that on either
// side is resized instead (Keras's smart_resize: crop to the aspect ratio,
// then bilinear).
class CenterCrop : public Layer {
 public:
  CenterCrop(int height, int width, std::string name = "");
  KERAS_LAYER_CLASS(CenterCrop)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  int height_, width_;
};

// The per-layer random stream of the augmentation layers.
class SeedStream {
 public:
  explicit SeedStream(std::optional<std::int64_t> seed = std::nullopt) : seed_(seed) {}
  // A seed for the next call's draws.
  std::uint64_t next();
  const std::optional<std::int64_t>& seed() const { return seed_; }

 private:
  std::optional<std::int64_t> seed_;
  std::uint64_t calls_ = 0;
};

// Uniform draws in [lo, hi) from a call seed (host side).
std::vector<double> uniform_draws(std::uint64_t seed, std::size_t n, double lo, double hi);

// A factor argument as Keras takes it: one number f (a range around 0,
// e.g. (-f, f)) or two numbers (lower, upper), in either order.
struct FactorArg {
  FactorArg(double f) : values{f} {}  // NOLINT: implicit, as Keras's factor=0.2
  FactorArg(double a, double b) : values{a, b} {}
  FactorArg(std::initializer_list<double> v) : values(v) {}
  std::vector<double> values;
};

// (lower, upper) as Keras stores a factor; `given` keeps the config form
// (a number or a list) for the layers that write it back as given.
struct Factor {
  double lower = 0, upper = 0;
  std::vector<double> given;
};

// Training: one random height x width window, the same for the whole batch
// (a smaller image is cropped to the aspect ratio and resized). Inference:
// the input unchanged (Keras 3 does the same).
class RandomCrop : public Layer {
 public:
  RandomCrop(int height, int width, std::optional<std::int64_t> seed = std::nullopt, std::string name = "");
  KERAS_LAYER_CLASS(RandomCrop)
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 private:
  int height_, width_;
  SeedStream rng_;
};

struct RandomFlipOptions {
  std::string mode = "horizontal_and_vertical";  // horizontal, vertical, horizontal_and_vertical
  std::optional<std::int64_t> seed;
  std::string name;
};

// Each image is flipped with probability 1/2 (for "horizontal_and_vertical",
// one draw flips both ways, as Keras 3 does).
class RandomFlip : public Layer {
 public:
  explicit RandomFlip(RandomFlipOptions o = {});
  KERAS_LAYER_CLASS(RandomFlip)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  RandomFlipOptions o_;
  SeedStream rng_;
};

struct AffineOptions {
  std::string fill_mode = "reflect";  // reflect, wrap, constant, nearest
  std::string interpolation = "bilinear";  // bilinear, nearest
  std::optional<std::int64_t> seed;
  double fill_value = 0.0;
  std::string name;
};

// Rotates each image by factor * 360 degrees (uniform in the factor range)
// about its centre, with Keras 3's affine matrix.
class RandomRotation : public Layer {
 public:
  RandomRotation(FactorArg factor, AffineOptions o = {});
  KERAS_LAYER_CLASS(RandomRotation)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  // The transform Keras builds for an angle in degrees on an h x w image.
  static std::array<float, 8> rotation_matrix(double degrees, std::int64_t h, std::int64_t w);

 private:
  Factor factor_;
  AffineOptions o_;
  SeedStream rng_;
};

// Zooms each image by 1 + uniform(height_factor range) vertically (and
// width_factor horizontally, or the same draw when width_factor is null);
// factors in (-1, 1], negative zooms in.
class RandomZoom : public Layer {
 public:
  RandomZoom(FactorArg height_factor, std::optional<FactorArg> width_factor = std::nullopt, AffineOptions o = {});
  KERAS_LAYER_CLASS(RandomZoom)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  static std::array<float, 8> zoom_matrix(double zoom_h, double zoom_w, std::int64_t h, std::int64_t w);

 private:
  Factor height_, width_;
  bool has_width_;
  AffineOptions o_;
  SeedStream rng_;
};

// Shifts each image by uniform(height_factor range) * height rows and
// uniform(width_factor range) * width columns; factors in [-1, 1].
class RandomTranslation : public Layer {
 public:
  RandomTranslation(FactorArg height_factor, FactorArg width_factor, AffineOptions o = {});
  KERAS_LAYER_CLASS(RandomTranslation)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  static std::array<float, 8> translation_matrix(double dy, double dx);

 private:
  Factor height_, width_;
  AffineOptions o_;
  SeedStream rng_;
};

// (x - mean) * f + mean per image and channel (mean over height and
// width), f uniform in [1 - lower, 1 + upper] (Keras 3's factor (lower,
// upper), a number f giving (0, f)), clipped to value_range.
class RandomContrast : public Layer {
 public:
  RandomContrast(FactorArg factor, std::array<double, 2> value_range = {0, 255},
                 std::optional<std::int64_t> seed = std::nullopt, std::string name = "");
  KERAS_LAYER_CLASS(RandomContrast)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  Factor factor_;
  std::array<double, 2> range_;
  SeedStream rng_;
};

// x + uniform(factor range) * (value_range width) per image, clipped to
// value_range; factor in [-1, 1] (a number f gives (-f, f)).
class RandomBrightness : public Layer {
 public:
  RandomBrightness(FactorArg factor, std::array<double, 2> value_range = {0, 255},
                   std::optional<std::int64_t> seed = std::nullopt, std::string name = "");
  KERAS_LAYER_CLASS(RandomBrightness)
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;

 private:
  Factor factor_;
  std::array<double, 2> range_;
  SeedStream rng_;
};

}  // namespace keras::layers
