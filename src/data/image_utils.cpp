// keras.utils.load_img / img_to_array / array_to_img / save_img, and the
// per-file loader of image_dataset_from_directory (decode, crop or pad,
// resize as TensorFlow's tf.image.resize does: half-pixel centres, no
// antialiasing, float32 out).
#include <algorithm>
#include <cmath>

#include "data/image_codec.hpp"
#include "data/image_load.hpp"
#include "keras/errors.hpp"
#include "keras/image_utils.hpp"
#include "keras/ops.hpp"

namespace keras::detail::image {

int channels_of(const char* fn, const std::string& color_mode) {
  if (color_mode == "grayscale") return 1;
  if (color_mode == "rgb") return 3;
  if (color_mode == "rgba") return 4;
  throw ValueError(cat(fn, ": color_mode must be \"grayscale\", \"rgb\" or \"rgba\", received \"", color_mode, "\""));
}

Pixels crop(const Pixels& p, std::int64_t top, std::int64_t left, std::int64_t h, std::int64_t w) {
  if (top == 0 && left == 0 && h == p.height && w == p.width) return p;
  Pixels out;
  out.height = h;
  out.width = w;
  out.channels = p.channels;
  out.data.resize(static_cast<std::size_t>(h * w * p.channels));
  const std::size_t row = static_cast<std::size_t>(w * p.channels);
  for (std::int64_t r = 0; r < h; ++r)
    std::copy_n(p.data.data() + ((top + r) * p.width + left) * p.channels, row, out.data.data() + r * row);
  return out;
}

// The centred crop with the target's aspect ratio (Keras's smart_resize and
// load_img(keep_aspect_ratio=True) use the same integer arithmetic).
Pixels crop_to_aspect(const Pixels& p, std::int64_t th, std::int64_t tw) {
  const std::int64_t ch = std::min(p.height, p.width * th / tw);
  const std::int64_t cw = std::min(p.width, p.height * tw / th);
  return crop(p, (p.height - ch) / 2, (p.width - cw) / 2, ch, cw);
}

Tensor to_float(const Pixels& p) {
  std::vector<float> v(p.data.begin(), p.data.end());
  return Tensor(Shape{p.height, p.width, p.channels}, v);
}

namespace {
Tensor resize_to(const Tensor& x, std::int64_t h, std::int64_t w, const std::string& method, bool antialias) {
  if (x.shape(0) == h && x.shape(1) == w) return x;
  return ops::image::resize(x, {h, w}, method, antialias);
}

// tf.image.resize_with_pad: fit inside (th, tw) keeping the aspect ratio,
// then centre on zeros; the arithmetic in float32 as TensorFlow does it.
Tensor resize_with_pad(const Tensor& x, std::int64_t th, std::int64_t tw, const std::string& method) {
  const float h = static_cast<float>(x.shape(0)), w = static_cast<float>(x.shape(1));
  const float ratio = std::max(w / static_cast<float>(tw), h / static_cast<float>(th));
  const float rhf = h / ratio, rwf = w / ratio;
  const auto rh = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(rhf)));
  const auto rw = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(rwf)));
  const auto ph = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor((static_cast<float>(th) - rhf) / 2)));
  const auto pw = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor((static_cast<float>(tw) - rwf) / 2)));
  const Tensor r = resize_to(x, rh, rw, method, false);
  const std::int64_t c = x.shape(2);
  std::vector<float> out(static_cast<std::size_t>(th * tw * c), 0.0f);
  const std::vector<float> src = r.to_vector<float>();
  for (std::int64_t i = 0; i < rh && i + ph < th; ++i)
    for (std::int64_t j = 0; j < rw && j + pw < tw; ++j)
      std::copy_n(src.data() + (i * rw + j) * c, c, out.data() + ((i + ph) * tw + j + pw) * c);
  return Tensor(Shape{th, tw, c}, out);
}
}  // namespace

void check_interpolation(const char* fn, const std::string& method) {
  static const char* ours[] = {"bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"};
  for (const char* m : ours)
    if (method == m) return;
  if (method == "area" || method == "gaussian" || method == "mitchellcubic")
    throw ValueError(cat(fn, ": interpolation \"", method,
                         "\" is one of Keras's but not implemented here; use \"bilinear\", \"nearest\", \"bicubic\", "
                         "\"lanczos3\" or \"lanczos5\""));
  throw ValueError(cat(fn, ": interpolation must be one of \"bilinear\", \"nearest\", \"bicubic\", \"lanczos3\", "
                           "\"lanczos5\", received \"",
                       method, "\""));
}

Tensor load_for_dataset(const std::string& path, const DatasetImageSpec& s) {
  const std::vector<std::uint8_t> bytes = read_file(path);
  Pixels p = decode(bytes.data(), bytes.size(), s.channels, path, /*tf_jpeg=*/true);
  if (s.crop_to_aspect_ratio) p = crop_to_aspect(p, s.height, s.width);
  const Tensor x = to_float(p);
  if (s.pad_to_aspect_ratio) return resize_with_pad(x, s.height, s.width, s.interpolation);
  return resize_to(x, s.height, s.width, s.interpolation, false);
}

}  // namespace keras::detail::image

namespace keras::utils {
using namespace keras::detail::image;

namespace {
// PIL's nearest resize (ImagingScaleAffine): the source coordinate starts
// at half a step and grows by in / out per pixel in double precision,
// truncated; the accumulated rounding decides ties as PIL does.
std::vector<std::int64_t> pil_nearest_index(std::int64_t in, std::int64_t out) {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(out));
  const double step = static_cast<double>(in) / static_cast<double>(out);
  double x = step * 0.5;
  for (std::int64_t o = 0; o < out; ++o, x += step) idx[o] = std::clamp<std::int64_t>(static_cast<std::int64_t>(x), 0, in - 1);
  return idx;
}

Tensor nearest_like_pil(const Pixels& p, std::int64_t th, std::int64_t tw) {
  const std::vector<std::int64_t> rows = pil_nearest_index(p.height, th), cols = pil_nearest_index(p.width, tw);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(th * tw * p.channels));
  for (std::int64_t r = 0; r < th; ++r)
    for (std::int64_t c = 0; c < tw; ++c)
      std::copy_n(p.data.data() + (rows[r] * p.width + cols[c]) * p.channels, p.channels,
                  out.data() + (r * tw + c) * p.channels);
  return Tensor(Shape{th, tw, p.channels}, out);
}
}  // namespace

Tensor load_img(const std::string& path, const LoadImgOptions& o) {
  const int channels = channels_of("load_img", o.color_mode);
  static const char* methods[][2] = {
      {"nearest", "nearest"}, {"bilinear", "bilinear"}, {"bicubic", "bicubic"}, {"lanczos", "lanczos3"}};
  std::string method;
  for (const auto& m : methods)
    if (o.interpolation == m[0]) method = m[1];
  KERAS_CHECK(!method.empty(), ValueError,
              "load_img: interpolation must be \"nearest\", \"bilinear\", \"bicubic\" or \"lanczos\", received \"",
              o.interpolation, "\"");
  KERAS_CHECK(o.target_size.empty() || (o.target_size.size() == 2 && o.target_size[0] > 0 && o.target_size[1] > 0),
              ValueError, "load_img: target_size must be empty or two positive integers (height, width)");
  const std::vector<std::uint8_t> bytes = read_file(path);
  Pixels p = decode(bytes.data(), bytes.size(), channels, path);
  if (!o.target_size.empty() && (p.height != o.target_size[0] || p.width != o.target_size[1])) {
    const std::int64_t th = o.target_size[0], tw = o.target_size[1];
    if (o.keep_aspect_ratio) p = crop_to_aspect(p, th, tw);
    if (method == "nearest") return nearest_like_pil(p, th, tw);
    // PIL widens the kernel when it downscales; nearest picks pixels.
    const Tensor r = ops::image::resize(to_float(p), {th, tw}, method, method != "nearest");
    const std::vector<float> v = r.to_vector<float>();
    std::vector<std::uint8_t> u(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) u[i] = static_cast<std::uint8_t>(std::lround(std::clamp(v[i], 0.0f, 255.0f)));
    return Tensor(Shape{th, tw, p.channels}, u);
  }
  return Tensor(Shape{p.height, p.width, p.channels}, p.data);
}

Tensor img_to_array(const Tensor& img, DType dtype) {
  KERAS_CHECK(img.defined() && (img.ndim() == 2 || img.ndim() == 3), ValueError,
              "img_to_array: expected an image of rank 2 (height, width) or 3 (height, width, channels)");
  const Tensor x = img.ndim() == 2 ? img.reshape({img.shape(0), img.shape(1), 1}) : img;
  return x.astype(dtype);
}

Tensor array_to_img(const Tensor& x_in, bool scale) {
  KERAS_CHECK(x_in.defined() && (x_in.ndim() == 2 || x_in.ndim() == 3), ValueError,
              "array_to_img: expected an array of rank 2 or 3 (height, width[, channels])");
  const Tensor x = x_in.ndim() == 2 ? x_in.reshape({x_in.shape(0), x_in.shape(1), 1}) : x_in;
  const std::int64_t c = x.shape(2);
  KERAS_CHECK(c == 1 || c == 3 || c == 4, ValueError, "array_to_img: expected 1, 3 or 4 channels, received ", c);
  std::vector<float> v = x.astype(float32).to_vector<float>();
  if (scale && !v.empty()) {
    const float lo = *std::min_element(v.begin(), v.end());
    for (float& f : v) f -= lo;
    const float hi = *std::max_element(v.begin(), v.end());
    if (hi != 0.0f)
      for (float& f : v) f = f / hi * 255.0f;
  }
  std::vector<std::uint8_t> u(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) u[i] = static_cast<std::uint8_t>(std::clamp(v[i], 0.0f, 255.0f));
  return Tensor(x.shape(), u);
}

void save_img(const std::string& path, const Tensor& x, std::string file_format, bool scale, int jpeg_quality) {
  if (file_format.empty()) {
    const auto dot = path.find_last_of('.');
    file_format = dot == std::string::npos ? "" : path.substr(dot + 1);
  }
  std::transform(file_format.begin(), file_format.end(), file_format.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (file_format == "jpg") file_format = "jpeg";
  KERAS_CHECK(file_format == "png" || file_format == "jpeg" || file_format == "bmp" || file_format == "gif", ValueError,
              "save_img: ", path,
              ": file_format must be \"png\", \"jpeg\", \"bmp\" or \"gif\" (or the file's extension one of them), "
              "received \"",
              file_format, "\"");
  const Tensor img = x.dtype() == uint8 && !scale ? img_to_array(x, uint8) : array_to_img(x, scale);
  Pixels p;
  p.height = img.shape(0);
  p.width = img.shape(1);
  p.channels = img.shape(2);
  p.data = img.to_vector<std::uint8_t>();
  if (file_format == "jpeg" && p.channels == 4) p = convert_channels(std::move(p), 3);  // Keras drops alpha for JPEG
  if (file_format == "png") write_file(path, encode_png(p, path));
  if (file_format == "jpeg") write_file(path, encode_jpeg(p, jpeg_quality, path));
  if (file_format == "bmp") write_file(path, encode_bmp(p, path));
  if (file_format == "gif") write_file(path, encode_gif(p, path));
}

}  // namespace keras::utils
