// ZeroPadding2D, Cropping2D, UpSampling2D and SpatialDropout2D from keras::ops.
#include "keras/layers/reshaping.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "keras/layers/registry.hpp"
#include "keras/ops.hpp"
#include "layers/spatial_util.hpp"

namespace keras::layers {
using namespace spatial;

namespace {
void check_4d(const std::string& layer, const Shape& s) {
  KERAS_CHECK(s.size() == 4, ValueError, "Input 0 of layer \"", layer,
              "\" is incompatible with the layer: expected rank 4 (batch, height, width, channels), received shape ",
              shape_str(s));
}
nlohmann::json pairs(const std::array<int, 4>& v) { return {{v[0], v[1]}, {v[2], v[3]}}; }
std::int64_t plus(std::int64_t d, std::int64_t k) { return d < 0 ? -1 : d + k; }

// ((t, b), (l, r)), (h, w) or n from a config.
Sides read_sides(const nlohmann::json& j) {
  if (j.is_number_integer()) return Sides(j.get<int>());
  if (j.size() == 2 && j[0].is_array())
    return Sides{j[0][0].get<int>(), j[0][1].get<int>(), j[1][0].get<int>(), j[1][1].get<int>()};
  return Sides{j[0].get<int>(), j[1].get<int>()};
}
}  // namespace

Sides::Sides(std::initializer_list<int> l) {
  std::vector<int> a(l);
  KERAS_CHECK(a.size() == 1 || a.size() == 2 || a.size() == 4, ValueError,
              "padding/cropping must be 1, 2 ({height, width}) or 4 ({top, bottom, left, right}) integers, received ",
              a.size());
  if (a.size() == 1) v = {a[0], a[0], a[0], a[0]};
  else if (a.size() == 2) v = {a[0], a[0], a[1], a[1]};
  else v = {a[0], a[1], a[2], a[3]};
}

ZeroPadding2D::ZeroPadding2D(Sides padding, std::string name)
    : Layer(name.empty() ? unique_name("zero_padding2d") : std::move(name)), pad_(padding.v) {
  for (int p : pad_) KERAS_CHECK(p >= 0, ValueError, "Layer \"", name_, "\": padding must be >= 0, received ", p);
}

Tensor ZeroPadding2D::call(const Tensor& x, bool) {
  check_4d(name_, x.shape());
  Tensor y = x;
  for (int a = 0; a < 2; ++a) {
    const int lo = pad_[2 * a], hi = pad_[2 * a + 1];
    if (lo == 0 && hi == 0) continue;
    std::vector<Tensor> parts;
    Shape s = y.shape();
    if (lo) {
      s[1 + a] = lo;
      parts.push_back(Tensor::zeros(s, y.dtype(), y.device()));
    }
    parts.push_back(y);
    if (hi) {
      s[1 + a] = hi;
      parts.push_back(Tensor::zeros(s, y.dtype(), y.device()));
    }
    y = ops::concatenate(parts, 1 + a);
  }
  return y;
}

Shape ZeroPadding2D::compute_output_shape(const Shape& s) const {
  check_4d(name_, s);
  return {s[0], plus(s[1], pad_[0] + pad_[1]), plus(s[2], pad_[2] + pad_[3]), s[3]};
}

nlohmann::json ZeroPadding2D::get_config() const {
  auto c = Layer::get_config();
  c["padding"] = pairs(pad_);
  c["data_format"] = "channels_last";
  return c;
}

Cropping2D::Cropping2D(Sides cropping, std::string name)
    : Layer(name.empty() ? unique_name("cropping2d") : std::move(name)), crop_(cropping.v) {
  for (int p : crop_) KERAS_CHECK(p >= 0, ValueError, "Layer \"", name_, "\": cropping must be >= 0, received ", p);
}

Tensor Cropping2D::call(const Tensor& x, bool) {
  compute_output_shape(x.shape());
  Tensor y = ops::slice_axis(x, 1, crop_[0], x.shape()[1] - crop_[1]);
  return ops::slice_axis(y, 2, crop_[2], x.shape()[2] - crop_[3]);
}

Shape Cropping2D::compute_output_shape(const Shape& s) const {
  check_4d(name_, s);
  for (int a = 0; a < 2; ++a)
    KERAS_CHECK(s[1 + a] < 0 || s[1 + a] > crop_[2 * a] + crop_[2 * a + 1], ValueError, "Layer \"", name_,
                "\": cropping (", crop_[2 * a], ", ", crop_[2 * a + 1], ") leaves nothing of an input of shape ",
                shape_str(s));
  return {s[0], plus(s[1], -(crop_[0] + crop_[1])), plus(s[2], -(crop_[2] + crop_[3])), s[3]};
}

nlohmann::json Cropping2D::get_config() const {
  auto c = Layer::get_config();
  c["cropping"] = pairs(crop_);
  c["data_format"] = "channels_last";
  return c;
}

UpSampling2D::UpSampling2D(Ints size, std::string interpolation, std::string name)
    : Layer(name.empty() ? unique_name("up_sampling2d") : std::move(name)), interpolation_(std::move(interpolation)) {
  size_ = size.expand(2, "size", name_);
  for (int f : size_) KERAS_CHECK(f >= 1, ValueError, "Layer \"", name_, "\": size must be >= 1, received ", f);
  // Keras lower-cases the name.
  std::transform(interpolation_.begin(), interpolation_.end(), interpolation_.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const auto& m = interpolation_;
  KERAS_CHECK(m == "nearest" || m == "bilinear" || m == "bicubic" || m == "lanczos3" || m == "lanczos5", ValueError,
              "Layer \"", name_,
              "\": interpolation must be one of \"nearest\", \"bilinear\", \"bicubic\", \"lanczos3\", "
              "\"lanczos5\", received \"",
              interpolation_, "\"");
}

Tensor UpSampling2D::call(const Tensor& x, bool) {
  check_4d(name_, x.shape());
  const auto& s = x.shape();
  // Other methods resize to (H * sh, W * sw) as Keras does.
  if (interpolation_ != "nearest")
    return ops::image::resize(x, {s[1] * size_[0], s[2] * size_[1]}, interpolation_);
  // (N, H, 1, W, 1, C) broadcast to (N, H, sh, W, sw, C) is the repeat.
  Tensor y = ops::reshape(x, {s[0], s[1], 1, s[2], 1, s[3]});
  y = ops::broadcast_to(y, {s[0], s[1], size_[0], s[2], size_[1], s[3]});
  return ops::reshape(y, {s[0], s[1] * size_[0], s[2] * size_[1], s[3]});
}

Shape UpSampling2D::compute_output_shape(const Shape& s) const {
  check_4d(name_, s);
  return {s[0], s[1] < 0 ? -1 : s[1] * size_[0], s[2] < 0 ? -1 : s[2] * size_[1], s[3]};
}

nlohmann::json UpSampling2D::get_config() const {
  auto c = Layer::get_config();
  c["size"] = ints(size_);
  c["data_format"] = "channels_last";
  c["interpolation"] = interpolation_;
  return c;
}

SpatialDropout2D::SpatialDropout2D(double rate, std::string name)
    : Layer(name.empty() ? unique_name("spatial_dropout2d") : std::move(name)), rate_(rate) {
  KERAS_CHECK(rate >= 0 && rate < 1, ValueError, "Layer \"", name_, "\": rate must be in [0, 1), received ", rate);
}

Tensor SpatialDropout2D::call(const Tensor& x, bool training) {
  check_4d(name_, x.shape());
  if (!training || rate_ == 0) return x;
  return ops::dropout(x, rate_, {x.shape()[0], 1, 1, x.shape()[3]});
}

nlohmann::json SpatialDropout2D::get_config() const {
  auto c = Layer::get_config();
  c["rate"] = rate_;
  c["seed"] = nullptr;
  c["data_format"] = "channels_last";
  // Keras 3's SpatialDropout2D takes neither noise_shape nor trainable.
  c.erase("trainable");
  return c;
}

namespace {
template <class L>
std::shared_ptr<Layer> finish(std::shared_ptr<L> l, const nlohmann::json& c) {
  l->set_trainable(value_or(c, "trainable", true));
  return l;
}
}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(ZeroPadding2D, [](const nlohmann::json& c) {
  return finish(std::make_shared<ZeroPadding2D>(read_sides(c.value("padding", nlohmann::json(1))), name_of(c)), c);
});
KERAS_REGISTER_BUILTIN_LAYER(Cropping2D, [](const nlohmann::json& c) {
  return finish(std::make_shared<Cropping2D>(read_sides(c.value("cropping", nlohmann::json(0))), name_of(c)), c);
});
KERAS_REGISTER_BUILTIN_LAYER(UpSampling2D, [](const nlohmann::json& c) {
  return finish(std::make_shared<UpSampling2D>(read_ints(c.value("size", nlohmann::json(2))),
                                               value_or<std::string>(c, "interpolation", "nearest"), name_of(c)),
                c);
});
KERAS_REGISTER_BUILTIN_LAYER(SpatialDropout2D, [](const nlohmann::json& c) {
  return finish(std::make_shared<SpatialDropout2D>(c.at("rate").get<double>(), name_of(c)), c);
});

}  // namespace keras::layers
