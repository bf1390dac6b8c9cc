// keras::ops::image::resize: image resizing as keras.ops.image.resize
// computes it (the JAX backend, i.e. jax.image.resize with Keras's default
// antialias=False).
//
// Every method but "nearest" is separable: along one axis the output is a
// fixed linear map of the input, out[o] = sum_i W[o, i] * in[i], with W
// (out_size x in_size) built here on the host from the method's kernel. The
// resize is then two matrix products (height, then width), and its gradient
// is matmul's. "nearest" gathers rows and columns with take.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/common.hpp"
#include "profiler/scope.hpp"

namespace keras::ops::image {
using namespace detail;

namespace {

constexpr const char* kMethods = "\"nearest\", \"bilinear\", \"bicubic\", \"lanczos3\", \"lanczos5\"";

double triangle(double x) { return std::max(0.0, 1.0 - x); }

// Keys's cubic convolution kernel with a = -0.5 (jax.image's "cubic").
double keys_cubic(double x) {
  if (x >= 2.0) return 0.0;
  if (x >= 1.0) return ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0;
  return ((1.5 * x - 2.5) * x) * x + 1.0;
}

// Windowed sinc: radius * sin(pi x) sin(pi x / radius) / (pi x)^2.
double lanczos(double radius, double x) {
  if (x > radius) return 0.0;
  if (x <= 1e-3) return 1.0;
  const double pi = 3.14159265358979323846;
  return radius * std::sin(pi * x) * std::sin(pi * x / radius) / (pi * pi * x * x);
}

double kernel(const std::string& method, double x) {
  if (method == "bilinear") return triangle(x);
  if (method == "bicubic") return keys_cubic(x);
  if (method == "lanczos3") return lanczos(3.0, x);
  return lanczos(5.0, x);  // lanczos5
}

// The (out x in) interpolation matrix of one axis, row-major, as
// jax.image.scale_and_translate builds it: output pixel o is centred at
// input coordinate (o + 0.5) * in / out - 0.5 (half-pixel centres); input
// pixel i gets kernel(|centre - i| / kernel_scale), and each row is divided
// by its sum, so weights that would fall outside the image go to the pixels
// inside it. With antialias a downscale widens the kernel by in / out.
std::vector<float> weights(const std::string& method, std::int64_t in, std::int64_t out, bool antialias) {
  const double inv_scale = static_cast<double>(in) / static_cast<double>(out);
  const double kernel_scale = antialias ? std::max(inv_scale, 1.0) : 1.0;
  const double tiny = 1000.0 * std::numeric_limits<float>::epsilon();
  std::vector<float> w(static_cast<std::size_t>(out * in), 0.0f);
  std::vector<double> row(static_cast<std::size_t>(in));
  for (std::int64_t o = 0; o < out; ++o) {
    const double centre = (static_cast<double>(o) + 0.5) * inv_scale - 0.5;
    if (centre < -0.5 || centre > static_cast<double>(in) - 0.5) continue;  // outside the image: zeros
    double total = 0;
    for (std::int64_t i = 0; i < in; ++i) {
      row[i] = kernel(method, std::fabs(centre - static_cast<double>(i)) / kernel_scale);
      total += row[i];
    }
    if (std::fabs(total) <= tiny) continue;
    for (std::int64_t i = 0; i < in; ++i) w[o * in + i] = static_cast<float>(row[i] / total);
  }
  return w;
}

// Nearest neighbour along `axis` of x: output o reads input
// floor((o + 0.5) * in / out), in exact integer arithmetic.
Tensor nearest_axis(const Tensor& x, int axis, std::int64_t out) {
  const std::int64_t in = x.shape()[axis];
  if (in == out) return x;
  std::vector<std::int64_t> idx(static_cast<std::size_t>(out));
  for (std::int64_t o = 0; o < out; ++o) idx[o] = std::min((2 * o + 1) * in / (2 * out), in - 1);
  return take(x, Tensor(Shape{out}, idx).to(x.device()), axis);
}

}  // namespace

Tensor resize(const Tensor& images, const std::vector<std::int64_t>& size, const std::string& interpolation,
              bool antialias) {
  KERAS_PROFILE_OP("resize");
  need_defined("image.resize", images);
  KERAS_CHECK(images.ndim() == 3 || images.ndim() == 4, ValueError,
              "image.resize: expected images of rank 3 (height, width, channels) or 4 (batch, height, width, "
              "channels), received shape ",
              shape_str(images.shape()));
  need_float("image.resize", images);
  KERAS_CHECK(size.size() == 2, ValueError, "image.resize: size must be 2 integers (height, width), received ",
              size.size(), " values");
  KERAS_CHECK(size[0] > 0 && size[1] > 0, ValueError,
              "image.resize: size must have positive height and width, received (", size[0], ", ", size[1], ")");
  const bool nearest = interpolation == "nearest";
  KERAS_CHECK(nearest || interpolation == "bilinear" || interpolation == "bicubic" || interpolation == "lanczos3" ||
                  interpolation == "lanczos5",
              ValueError, "image.resize: interpolation must be one of ", kMethods, ", received \"", interpolation,
              "\"");
  const bool single = images.ndim() == 3;
  Tensor x = single ? expand_dims(images, 0) : images;
  const Shape s = x.shape();  // (N, H, W, C)
  KERAS_CHECK(s[1] > 0 && s[2] > 0, ValueError,
              "image.resize: images must have positive height and width, received shape ", shape_str(images.shape()));
  const std::int64_t n = s[0], h = s[1], w = s[2], c = s[3], oh = size[0], ow = size[1];
  if (nearest) {
    x = nearest_axis(nearest_axis(x, 1, oh), 2, ow);
  } else {
    if (oh != h) {
      // (OH, H) @ (N, H, W*C) -> (N, OH, W*C): the height axis needs no transpose.
      Tensor wh = Tensor(Shape{oh, h}, weights(interpolation, h, oh, antialias)).to(x.device());
      x = reshape(matmul(wh, reshape(x, {n, h, w * c})), {n, oh, w, c});
    }
    if (ow != w) {
      // (N, OH, C, W) @ (W, OW): width last, one GEMM over all rows.
      std::vector<float> m = weights(interpolation, w, ow, antialias), mt(m.size());
      for (std::int64_t o = 0; o < ow; ++o)
        for (std::int64_t i = 0; i < w; ++i) mt[i * ow + o] = m[o * w + i];
      Tensor wwt = Tensor(Shape{w, ow}, mt).to(x.device());
      if (c == 1) {
        x = reshape(matmul(reshape(x, {n, oh, w}), wwt), {n, oh, ow, 1});
      } else {
        x = transpose(matmul(transpose(x, {0, 1, 3, 2}), wwt), {0, 1, 3, 2});
      }
    }
  }
  return single ? squeeze(x, 0) : x;
}

}  // namespace keras::ops::image
