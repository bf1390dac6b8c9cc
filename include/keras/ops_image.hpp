// Image and feature ops behind the preprocessing layers: Keras 3's affine
// image transform (keras.ops.image.affine_transform, as its JAX backend
// computes it) and the integer hashing of keras.layers.Hashing.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::ops::image {

// One transform per image: [a0, a1, a2, b0, b1, b2, c0, c1], Keras's
// layout. Output pixel (x, y) reads the input at
//   x_in = a0 * x + a1 * y + a2,   y_in = b0 * x + b1 * y + b2
// (Keras 3's JAX backend ignores c0 and c1; so does this op, and it refuses
// non-zero ones).
using AffineTransform = std::array<float, 8>;

// keras.ops.image.affine_transform: images (H, W, C) or (N, H, W, C)
// float32 (channels last); transforms holds one transform, used for every
// image, or one per image. interpolation: "nearest" (round half away from
// zero) or "bilinear". fill_mode (points outside the image): "constant"
// (fill_value), "nearest" (the edge pixel), "wrap", "mirror" (d c b | a b c
// d | c b a) or "reflect" (d c b a | a b c d | d c b a). Differentiable in
// images. Throws ValueError naming the op and the bad value or shape.
Tensor affine_transform(const Tensor& images, const std::vector<AffineTransform>& transforms,
                        const std::string& interpolation = "bilinear", const std::string& fill_mode = "constant",
                        double fill_value = 0.0);

// Reverses images along axis (a copy); with `which` (one bool per image of a
// batch, axis 0), only the chosen images are reversed.
Tensor flip(const Tensor& images, int axis, const std::vector<bool>& which = {});

}  // namespace keras::ops

namespace keras::ops {

// keras.layers.Hashing's bins for integer inputs: each value is written as
// its decimal text (as tf.as_string does) and hashed with FarmHash's
// Fingerprint64 (tf.strings.to_hash_bucket_fast) or, with a salt, with
// SipHash-2-4 keyed by the two salt words (to_hash_bucket_strong); the bin
// is the hash modulo num_bins. With mask_value, that value maps to 0 and
// the others to 1 + hash % (num_bins - 1). int32/int64 in, int64 out, same
// shape. Runs on the host (the result goes back to the input's device).
Tensor hash_to_bins(const Tensor& values, std::int64_t num_bins, std::optional<std::int64_t> mask_value = std::nullopt,
                    std::optional<std::array<std::uint64_t, 2>> salt = std::nullopt);

// The two hashes themselves, for tests: FarmHash Fingerprint64 of bytes,
// (up to 32 bytes) and SipHash-2-4 with key (k0, k1).
std::uint64_t fingerprint64(const std::string& bytes);
std::uint64_t siphash24(const std::string& bytes, std::uint64_t k0, std::uint64_t k1);

}  // namespace keras::ops
