// keras::ops::image::affine_transform and flip.
//
// affine_transform follows Keras 3's JAX backend, which hands the sampling
// to jax.scipy.ndimage.map_coordinates: per output pixel the source point
// is computed (in float32, as JAX does), and each of the (up to) four
// neighbouring pixels gets an index, fixed up by the fill mode, and a
// weight. The op computes those on the host and is then a weighted sum of
// gathers (take) over the flattened images with one extra row holding
// fill_value (what "constant" reads for points outside), so it runs on any
// device through ops and is differentiable in the images.
#include <cmath>

#include "keras/ops_image.hpp"
#include "ops/common.hpp"
#include "profiler/scope.hpp"

namespace keras::ops::image {
using namespace detail;

namespace {

enum class Fill { constant, nearest, wrap, mirror, reflect };

Fill fill_of(const std::string& m) {
  if (m == "constant") return Fill::constant;
  if (m == "nearest") return Fill::nearest;
  if (m == "wrap") return Fill::wrap;
  if (m == "mirror") return Fill::mirror;
  if (m == "reflect") return Fill::reflect;
  throw ValueError("image.affine_transform: fill_mode must be one of \"constant\", \"nearest\", \"wrap\", "
                   "\"mirror\", \"reflect\"; received \"" + m + "\"");
}

std::int64_t floor_mod(std::int64_t a, std::int64_t m) {
  std::int64_t r = a % m;
  return r < 0 ? r + m : r;
}

// A triangular wave over 0..size-1 (d c b | a b c d | c b a).
std::int64_t mirror_index(std::int64_t i, std::int64_t size) {
  const std::int64_t s = size - 1;
  if (s == 0) return 0;
  return std::llabs(floor_mod(i + s, 2 * s) - s);
}

// The index a fill mode reads for position i along an axis of `size`;
// -1 when it reads fill_value ("constant" outside the axis).
std::int64_t fix_index(Fill f, std::int64_t i, std::int64_t size) {
  switch (f) {
    case Fill::constant: return (i >= 0 && i < size) ? i : -1;
    case Fill::nearest: return std::min(std::max<std::int64_t>(i, 0), size - 1);
    case Fill::wrap: return floor_mod(i, size);
    case Fill::mirror: return mirror_index(i, size);
    case Fill::reflect: {
      const std::int64_t m = mirror_index(2 * i + 1, 2 * size + 1) - 1;
      return m >= 0 ? m / 2 : -((-m + 1) / 2);  // floor division by 2
    }
  }
  return -1;
}

struct Taps {
  std::vector<std::int64_t> index[4];  // rows of the flattened images, or the fill row
  std::vector<float> weight[4];
};

void check_args(const Tensor& images, const std::vector<AffineTransform>& transforms, const std::string& interp) {
  need_defined("image.affine_transform", images);
  KERAS_CHECK(images.ndim() == 3 || images.ndim() == 4, ValueError,
              "image.affine_transform: expected images of rank 3 (height, width, channels) or 4 (batch, height, "
              "width, channels), received shape ",
              shape_str(images.shape()));
  need_float("image.affine_transform", images);
  KERAS_CHECK(interp == "bilinear" || interp == "nearest", ValueError,
              "image.affine_transform: interpolation must be \"nearest\" or \"bilinear\", received \"", interp, "\"");
  const std::int64_t n = images.ndim() == 4 ? images.shape(0) : 1;
  KERAS_CHECK(transforms.size() == 1 || static_cast<std::int64_t>(transforms.size()) == n, ValueError,
              "image.affine_transform: expected 1 or ", n, " transforms for images of shape ",
              shape_str(images.shape()), ", received ", transforms.size());
  for (const auto& t : transforms)
    KERAS_CHECK(t[6] == 0.0f && t[7] == 0.0f, ValueError,
                "image.affine_transform: projective terms c0, c1 must be 0 (Keras 3 ignores them), received ", t[6],
                ", ", t[7]);
}

Taps taps(std::int64_t n, std::int64_t h, std::int64_t w, const std::vector<AffineTransform>& transforms,
          bool bilinear, Fill fill) {
  Taps t;
  const std::int64_t pixels = n * h * w, fill_row = pixels;
  const int k = bilinear ? 4 : 1;
  for (int j = 0; j < k; ++j) {
    t.index[j].resize(static_cast<std::size_t>(pixels));
    t.weight[j].resize(static_cast<std::size_t>(pixels));
  }
  for (std::int64_t b = 0; b < n; ++b) {
    const AffineTransform& m = transforms.size() == 1 ? transforms[0] : transforms[static_cast<std::size_t>(b)];
    for (std::int64_t y = 0; y < h; ++y)
      for (std::int64_t x = 0; x < w; ++x) {
        const float fx = static_cast<float>(x), fy = static_cast<float>(y);
        const float yi = fy * m[4] + fx * m[3] + m[5];
        const float xi = fy * m[1] + fx * m[0] + m[2];
        const std::int64_t p = (b * h + y) * w + x;
        auto put = [&](int j, std::int64_t iy, std::int64_t ix, float weight) {
          const std::int64_t ry = fix_index(fill, iy, h), rx = fix_index(fill, ix, w);
          t.index[j][p] = (ry < 0 || rx < 0) ? fill_row : (b * h + ry) * w + rx;
          t.weight[j][p] = weight;
        };
        if (!bilinear) {
          put(0, static_cast<std::int64_t>(std::round(yi)), static_cast<std::int64_t>(std::round(xi)), 1.0f);
          continue;
        }
        const float y0 = std::floor(yi), x0 = std::floor(xi);
        const float wy1 = yi - y0, wx1 = xi - x0, wy0 = 1.0f - wy1, wx0 = 1.0f - wx1;
        const auto iy = static_cast<std::int64_t>(y0), ix = static_cast<std::int64_t>(x0);
        put(0, iy, ix, wy0 * wx0);
        put(1, iy, ix + 1, wy0 * wx1);
        put(2, iy + 1, ix, wy1 * wx0);
        put(3, iy + 1, ix + 1, wy1 * wx1);
      }
  }
  return t;
}

}  // namespace

Tensor affine_transform(const Tensor& images, const std::vector<AffineTransform>& transforms,
                        const std::string& interpolation, const std::string& fill_mode, double fill_value) {
  KERAS_PROFILE_OP("affine_transform");
  const Fill fill = fill_of(fill_mode);
  check_args(images, transforms, interpolation);
  const bool single = images.ndim() == 3;
  const Tensor x = single ? expand_dims(images, 0) : images;
  const std::int64_t n = x.shape(0), h = x.shape(1), w = x.shape(2), c = x.shape(3);
  const bool bilinear = interpolation == "bilinear";
  const Taps t = taps(n, h, w, transforms, bilinear, fill);
  const Tensor rows = concatenate({reshape(x, {n * h * w, c}), full({1, c}, fill_value)}, 0);
  Tensor out;
  for (int j = 0; j < (bilinear ? 4 : 1); ++j) {
    const Tensor idx = Tensor(Shape{n * h * w}, t.index[j]).to(x.device());
    Tensor g = take(rows, idx, 0);
    if (bilinear) g = multiply(g, Tensor(Shape{n * h * w, 1}, t.weight[j]).to(x.device()));
    out = out.defined() ? add(out, g) : g;
  }
  out = reshape(out, {n, h, w, c});
  return single ? squeeze(out, 0) : out;
}

Tensor flip(const Tensor& images, int axis, const std::vector<bool>& which) {
  need_defined("image.flip", images);
  const int ax = axis < 0 ? axis + images.ndim() : axis;
  KERAS_CHECK(ax >= 0 && ax < images.ndim(), ValueError, "image.flip: axis ", axis, " is out of range for shape ",
              shape_str(images.shape()));
  const std::int64_t len = images.shape(ax);
  std::vector<std::int64_t> rev(static_cast<std::size_t>(len));
  for (std::int64_t i = 0; i < len; ++i) rev[i] = len - 1 - i;
  const Tensor flipped = take(images, Tensor(Shape{len}, rev).to(images.device()), ax);
  if (which.empty()) return flipped;
  KERAS_CHECK(images.ndim() >= 1 && static_cast<std::int64_t>(which.size()) == images.shape(0), ValueError,
              "image.flip: expected one choice per image (", images.ndim() >= 1 ? images.shape(0) : 0,
              "), received ", which.size());
  Shape ms(static_cast<std::size_t>(images.ndim()), 1);
  ms[0] = images.shape(0);
  std::vector<std::uint8_t> m(which.begin(), which.end());
  return where(Tensor(ms, m).astype(DType::bool_).to(images.device()), flipped, images);
}

}  // namespace keras::ops::image
