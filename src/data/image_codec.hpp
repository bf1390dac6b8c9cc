#pragma once
// Image file decoding and encoding through Debian's libraries: libpng,
// libjpeg-turbo, giflib and stb_image (BMP). Every size read from a file is
// checked against kMaxSide / kMaxPixels before anything is allocated, and
// a corrupt, truncated or unsupported file raises keras::ValueError naming
// `name` (the file) and what was wrong.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace keras::detail::image {

inline constexpr std::int64_t kMaxSide = 1 << 15;      // pixels per side
inline constexpr std::int64_t kMaxPixels = 1LL << 28;  // width * height

enum class Format { png, jpeg, gif, bmp, unknown };

// Row-major 8-bit pixels, (height, width, channels).
struct Pixels {
  std::int64_t height = 0, width = 0, channels = 0;
  std::vector<std::uint8_t> data;
};

// The format from the file's first bytes (its magic number).
Format sniff(const std::uint8_t* bytes, std::size_t size);
const char* format_name(Format f);

// channels 0: as stored (1 gray, 2 gray+alpha is widened to 4, 3 or 4);
// 1, 3 or 4: converted (colour to gray by the format's library as
// TensorFlow's decoders do it: libpng's and libjpeg's own conversions).
// Animated GIFs give their first frame. JPEG: libjpeg's accurate integer
// DCT (as Pillow, for load_img), or with tf_jpeg its fast integer DCT
// (TensorFlow's decode_jpeg default, for image_dataset_from_directory).
Pixels decode(const std::uint8_t* bytes, std::size_t size, int channels, const std::string& name,
              bool tf_jpeg = false);

Pixels decode_png(const std::uint8_t* bytes, std::size_t size, int channels, const std::string& name);
Pixels decode_jpeg(const std::uint8_t* bytes, std::size_t size, int channels, const std::string& name,
                   bool fast_dct = false);
Pixels decode_gif(const std::uint8_t* bytes, std::size_t size, const std::string& name);
Pixels decode_bmp(const std::uint8_t* bytes, std::size_t size, const std::string& name);

// Channel conversion of decoded pixels (1, 2, 3 or 4 -> 1, 3 or 4); colour
// to gray with ITU-R 601 luma weights rounded as PIL does.
Pixels convert_channels(Pixels p, int channels);

// Throws ValueError naming `name` unless 0 < height, width <= kMaxSide and
// height * width <= kMaxPixels.
void check_size(std::int64_t height, std::int64_t width, const std::string& name);

// Encoders (PNG: 1, 2, 3 or 4 channels; JPEG: 1 or 3, quality 1..100; BMP, GIF).
std::vector<std::uint8_t> encode_png(const Pixels& p, const std::string& name);
std::vector<std::uint8_t> encode_jpeg(const Pixels& p, int quality, const std::string& name);
std::vector<std::uint8_t> encode_bmp(const Pixels& p, const std::string& name);
// GIF: one frame, an exact palette for up to 256 colours (giflib's quantizer beyond); alpha dropped.
std::vector<std::uint8_t> encode_gif(const Pixels& p, const std::string& name);

std::vector<std::uint8_t> read_file(const std::string& path);
void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes);

}  // namespace keras::detail::image
