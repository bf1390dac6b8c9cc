// Resizing, CenterCrop, RandomCrop, RandomFlip, RandomContrast and
// RandomBrightness (channels-last images of rank 3 or 4).
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/ops.hpp"
#include "keras/ops_image.hpp"
#include "layers/preprocessing_util.hpp"

namespace keras::layers {

namespace preprocessing {

void check_image(const Tensor& x, const std::string& layer) {
  KERAS_CHECK(x.defined() && (x.ndim() == 3 || x.ndim() == 4), ValueError, "Layer \"", layer,
              "\": expected images of rank 3 (height, width, channels) or 4 (batch, height, width, channels), "
              "received shape ",
              x.defined() ? shape_str(x.shape()) : std::string("(undefined)"));
}

Tensor as_float(const Tensor& x) { return x.dtype() == float32 ? x : ops::cast(x, float32); }

// Rows [h0, h0 + hn) and columns [w0, w0 + wn) of channels-last images.
Tensor crop(const Tensor& x, std::int64_t h0, std::int64_t hn, std::int64_t w0, std::int64_t wn) {
  const int ha = x.ndim() - 3;
  Tensor y = x;
  if (h0 != 0 || hn != x.shape(ha)) y = ops::slice_axis(y, ha, h0, h0 + hn);
  if (w0 != 0 || wn != x.shape(ha + 1)) y = ops::slice_axis(y, ha + 1, w0, w0 + wn);
  return y;
}

// The centred crop box of Keras's crop_to_aspect_ratio / smart_resize.
std::array<std::int64_t, 4> aspect_crop_box(std::int64_t h, std::int64_t w, std::int64_t th, std::int64_t tw) {
  auto ch = static_cast<std::int64_t>(static_cast<double>(w * th) / static_cast<double>(tw));
  ch = std::max<std::int64_t>(std::min(h, ch), 1);
  auto cw = static_cast<std::int64_t>(static_cast<double>(h * tw) / static_cast<double>(th));
  cw = std::max<std::int64_t>(std::min(w, cw), 1);
  const auto h0 = static_cast<std::int64_t>(static_cast<double>(h - ch) / 2);
  const auto w0 = static_cast<std::int64_t>(static_cast<double>(w - cw) / 2);
  return {h0, ch, w0, cw};
}

Tensor pad_to_aspect(const Tensor& x, std::int64_t th, std::int64_t tw, double fill) {
  const int ha = x.ndim() - 3;
  const std::int64_t h = x.shape(ha), w = x.shape(ha + 1);
  const auto ph = std::max(h, static_cast<std::int64_t>(static_cast<double>(w * th) / static_cast<double>(tw)));
  const auto pw = std::max(w, static_cast<std::int64_t>(static_cast<double>(h * tw) / static_cast<double>(th)));
  const auto hs = static_cast<std::int64_t>(static_cast<double>(ph - h) / 2);
  const auto ws = static_cast<std::int64_t>(static_cast<double>(pw - w) / 2);
  if (hs <= 0 && ws <= 0) return x;
  const int axis = hs > 0 ? ha : ha + 1;
  Shape s = x.shape();
  s[static_cast<std::size_t>(axis)] = hs > 0 ? hs : ws;
  const Tensor band = ops::full(s, fill).to(x.device());
  return ops::concatenate({band, x, band}, axis);
}

// Back to an integer input dtype as Keras does (round, saturate).
Tensor restore_dtype(const Tensor& y, DType dt) {
  if (dt == float32) return y;
  Tensor r = ops::round(y);
  if (dt == uint8) r = ops::clip(r, 0, 255);
  return ops::cast(r, dt);
}

}  // namespace preprocessing

using namespace preprocessing;

// --------------------------------------------------------------- Resizing

Resizing::Resizing(ResizingOptions o) : Layer(o.name.empty() ? unique_name("resizing") : o.name), o_(std::move(o)) {
  KERAS_CHECK(o_.height > 0 && o_.width > 0, ValueError, "Resizing \"", name_,
              "\": height and width must be positive; received (", o_.height, ", ", o_.width, ")");
  const auto& i = o_.interpolation;
  KERAS_CHECK(i == "bilinear" || i == "nearest" || i == "bicubic" || i == "lanczos3" || i == "lanczos5", ValueError,
              "Resizing \"", name_,
              "\": interpolation must be one of \"bilinear\", \"nearest\", \"bicubic\", \"lanczos3\", \"lanczos5\" "
              "(Keras 3's JAX backend has no \"area\"); received \"",
              i, "\"");
  KERAS_CHECK(!(o_.crop_to_aspect_ratio && o_.pad_to_aspect_ratio), ValueError, "Resizing \"", name_,
              "\": only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be true");
}

Tensor Resizing::call(const Tensor& x, bool) {
  check_image(x, name_);
  Tensor f = as_float(x);
  const int ha = f.ndim() - 3;
  if (o_.crop_to_aspect_ratio) {
    const auto b = aspect_crop_box(f.shape(ha), f.shape(ha + 1), o_.height, o_.width);
    f = crop(f, b[0], b[1], b[2], b[3]);
  } else if (o_.pad_to_aspect_ratio) {
    f = pad_to_aspect(f, o_.height, o_.width, o_.fill_value);
  }
  return restore_dtype(ops::image::resize(f, {o_.height, o_.width}, o_.interpolation, o_.antialias), x.dtype());
}

Shape Resizing::compute_output_shape(const Shape& s) const {
  if (s.size() != 3 && s.size() != 4) return s;
  Shape o = s;
  o[s.size() - 3] = o_.height;
  o[s.size() - 2] = o_.width;
  return o;
}

nlohmann::json Resizing::get_config() const {
  auto c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["height"] = o_.height;
  c["width"] = o_.width;
  c["interpolation"] = o_.interpolation;
  c["crop_to_aspect_ratio"] = o_.crop_to_aspect_ratio;
  c["pad_to_aspect_ratio"] = o_.pad_to_aspect_ratio;
  c["fill_mode"] = "constant";
  c["fill_value"] = o_.fill_value;
  c["antialias"] = o_.antialias;
  return c;
}

// ------------------------------------------------------------- CenterCrop

CenterCrop::CenterCrop(int height, int width, std::string name)
    : Layer(name.empty() ? unique_name("center_crop") : std::move(name)), height_(height), width_(width) {
  KERAS_CHECK(height > 0 && width > 0, ValueError, "CenterCrop \"", name_,
              "\": height and width must be positive; received (", height, ", ", width, ")");
}

Tensor CenterCrop::call(const Tensor& x, bool) {
  check_image(x, name_);
  const Tensor f = as_float(x);
  const int ha = f.ndim() - 3;
  const std::int64_t h = f.shape(ha), w = f.shape(ha + 1);
  if (h >= height_ && w >= width_) return crop(f, (h - height_) / 2, height_, (w - width_) / 2, width_);
  const auto b = aspect_crop_box(h, w, height_, width_);
  return ops::image::resize(crop(f, b[0], b[1], b[2], b[3]), {height_, width_}, "bilinear");
}

Shape CenterCrop::compute_output_shape(const Shape& s) const {
  if (s.size() != 3 && s.size() != 4) return s;
  Shape o = s;
  o[s.size() - 3] = height_;
  o[s.size() - 2] = width_;
  return o;
}

nlohmann::json CenterCrop::get_config() const {
  auto c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["height"] = height_;
  c["width"] = width_;
  return c;
}

// ------------------------------------------------------------- RandomCrop

RandomCrop::RandomCrop(int height, int width, std::optional<std::int64_t> seed, std::string name)
    : Layer(name.empty() ? unique_name("random_crop") : std::move(name)), height_(height), width_(width), rng_(seed) {
  KERAS_CHECK(height > 0 && width > 0, ValueError, "RandomCrop \"", name_,
              "\": height and width must be positive; received (", height, ", ", width, ")");
}

Tensor RandomCrop::call(const Tensor& x, bool training) {
  check_image(x, name_);
  if (!training) return x;
  const Tensor f = as_float(x);
  const int ha = f.ndim() - 3;
  const std::int64_t h = f.shape(ha), w = f.shape(ha + 1);
  std::int64_t h0 = 0, w0 = 0;
  if (h > height_ && w > width_) {
    const auto u = uniform_draws(rng_.next(), 2, 0.0, 1.0);
    h0 = std::min<std::int64_t>(static_cast<std::int64_t>(u[0] * static_cast<double>(h - height_ + 1)), h - height_);
    w0 = std::min<std::int64_t>(static_cast<std::int64_t>(u[1] * static_cast<double>(w - width_ + 1)), w - width_);
  } else {
    const auto b = aspect_crop_box(h, w, height_, width_);
    h0 = b[0];
    w0 = b[2];
  }
  Tensor y = crop(f, h0, std::min<std::int64_t>(height_, h - h0), w0, std::min<std::int64_t>(width_, w - w0));
  if (y.shape(ha) != height_ || y.shape(ha + 1) != width_) y = ops::image::resize(y, {height_, width_}, "bilinear");
  return y;
}

Shape RandomCrop::compute_output_shape(const Shape& s) const {
  if (s.size() != 3 && s.size() != 4) return s;
  Shape o = s;
  o[s.size() - 3] = height_;
  o[s.size() - 2] = width_;
  return o;
}

nlohmann::json RandomCrop::get_config() const {
  auto c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["height"] = height_;
  c["width"] = width_;
  c["seed"] = rng_.seed() ? nlohmann::json(*rng_.seed()) : nlohmann::json();
  return c;
}

// ------------------------------------------------------------- RandomFlip

RandomFlip::RandomFlip(RandomFlipOptions o)
    : Layer(o.name.empty() ? unique_name("random_flip") : o.name), o_(std::move(o)), rng_(o_.seed) {
  KERAS_CHECK(o_.mode == "horizontal" || o_.mode == "vertical" || o_.mode == "horizontal_and_vertical", ValueError,
              "RandomFlip \"", name_,
              "\": mode must be \"horizontal\", \"vertical\" or \"horizontal_and_vertical\"; received \"", o_.mode,
              "\"");
}

Tensor RandomFlip::call(const Tensor& x, bool training) {
  check_image(x, name_);
  if (!training) return x;
  const bool single = x.ndim() == 3;
  Tensor y = single ? ops::expand_dims(as_float(x), 0) : as_float(x);
  const auto u = uniform_draws(rng_.next(), static_cast<std::size_t>(y.shape(0)), 0.0, 1.0);
  std::vector<bool> which(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) which[i] = u[i] <= 0.5;
  if (o_.mode != "vertical") y = ops::image::flip(y, 2, which);
  if (o_.mode != "horizontal") y = ops::image::flip(y, 1, which);
  return single ? ops::squeeze(y, 0) : y;
}

nlohmann::json RandomFlip::get_config() const {
  auto c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["seed"] = o_.seed ? nlohmann::json(*o_.seed) : nlohmann::json();
  c["mode"] = o_.mode;
  return c;
}

// -------------------------------------------- RandomContrast, RandomBrightness

namespace {

// Keras's base _set_factor with bounds [lo, hi]: a number f gives
// (max(-|f|, lo), |f|), a pair its sorted values.
Factor bounded_factor(const FactorArg& f, double lo, double hi, const std::string& layer) {
  const auto& v = f.values;
  std::string got;
  for (double d : v) got += (got.empty() ? "" : ", ") + std::to_string(d);
  const std::string msg = "Layer \"" + layer + "\": the factor argument should be a number (or a list of two "
                          "numbers) in the range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                          "]. Received: factor=(" + got + ")";
  KERAS_CHECK(v.size() == 1 || v.size() == 2, ValueError, msg);
  Factor r;
  r.given = v;
  if (v.size() == 2) {
    KERAS_CHECK(!(v[0] > hi || v[1] < lo), ValueError, msg);
    r.lower = std::min(v[0], v[1]);
    r.upper = std::max(v[0], v[1]);
  } else {
    KERAS_CHECK(v[0] >= lo && v[0] <= hi, ValueError, msg);
    r.lower = std::max(-std::fabs(v[0]), lo);
    r.upper = std::fabs(v[0]);
  }
  return r;
}

std::array<double, 2> sorted_range(std::array<double, 2> r) {
  if (r[0] > r[1]) std::swap(r[0], r[1]);
  return r;
}

// One value per image as a (N, 1, 1, 1) tensor (or (1, 1, 1) for one image).
Tensor per_image(const std::vector<double>& v, const Tensor& x) {
  std::vector<float> f(v.begin(), v.end());
  Shape s = x.ndim() == 4 ? Shape{x.shape(0), 1, 1, 1} : Shape{1, 1, 1};
  return Tensor(s, f).to(x.device());
}

std::size_t batch_of(const Tensor& x) { return x.ndim() == 4 ? static_cast<std::size_t>(x.shape(0)) : 1; }

}  // namespace

Factor make_bounded_factor(const FactorArg& f, double lo, double hi, const std::string& layer) {
  return bounded_factor(f, lo, hi, layer);
}

RandomContrast::RandomContrast(FactorArg factor, std::array<double, 2> value_range, std::optional<std::int64_t> seed,
                               std::string name)
    : Layer(name.empty() ? unique_name("random_contrast") : std::move(name)), range_(value_range), rng_(seed) {
  factor_ = bounded_factor(factor, 0.0, 1.0, name_);
}

Tensor RandomContrast::call(const Tensor& x, bool training) {
  check_image(x, name_);
  if (!training) return x;
  const Tensor f = as_float(x);
  const auto k = uniform_draws(rng_.next(), batch_of(f), 1.0 - factor_.lower, 1.0 + factor_.upper);
  const int ha = f.ndim() - 3;
  const Tensor mean = ops::mean(f, {ha, ha + 1}, true);
  const Tensor y = ops::add(ops::multiply(ops::subtract(f, mean), per_image(k, f)), mean);
  return ops::clip(y, range_[0], range_[1]);
}

nlohmann::json RandomContrast::get_config() const {
  auto c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["factor"] = {factor_.lower, factor_.upper};
  c["value_range"] = {range_[0], range_[1]};
  c["seed"] = rng_.seed() ? nlohmann::json(*rng_.seed()) : nlohmann::json();
  return c;
}

RandomBrightness::RandomBrightness(FactorArg factor, std::array<double, 2> value_range,
                                   std::optional<std::int64_t> seed, std::string name)
    : Layer(name.empty() ? unique_name("random_brightness") : std::move(name)),
      range_(sorted_range(value_range)),
      rng_(seed) {
  factor_ = bounded_factor(factor, -1.0, 1.0, name_);
}

Tensor RandomBrightness::call(const Tensor& x, bool training) {
  check_image(x, name_);
  if (!training) return x;
  const Tensor f = as_float(x);
  auto d = uniform_draws(rng_.next(), batch_of(f), factor_.lower, factor_.upper);
  for (auto& v : d) v *= range_[1] - range_[0];
  return ops::clip(ops::add(f, per_image(d, f)), range_[0], range_[1]);
}

nlohmann::json RandomBrightness::get_config() const {
  auto c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["factor"] = {factor_.lower, factor_.upper};
  c["value_range"] = {range_[0], range_[1]};
  c["seed"] = rng_.seed() ? nlohmann::json(*rng_.seed()) : nlohmann::json();
  return c;
}

}  // namespace keras::layers
