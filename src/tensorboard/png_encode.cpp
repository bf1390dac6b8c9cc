// PNG encoding with libpng, written to memory.
#include "tensorboard/png_encode.hpp"

#include <png.h>

#include <vector>

#include "keras/errors.hpp"

namespace keras::summary::detail {
namespace {

void append_bytes(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), n);
}

void no_flush(png_structp) {}

[[noreturn]] void on_error(png_structp, png_const_charp msg) {
  throw RuntimeError(std::string("summary.image: libpng failed to encode the image: ") + msg);
}

void on_warning(png_structp, png_const_charp) {}

int color_type(int channels) {
  switch (channels) {
    case 1: return PNG_COLOR_TYPE_GRAY;
    case 2: return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3: return PNG_COLOR_TYPE_RGB;
    case 4: return PNG_COLOR_TYPE_RGBA;
    default:
      throw ValueError("summary.image: expected 1, 2, 3 or 4 channels, received " + std::to_string(channels));
  }
}

}  // namespace

std::string encode_png(const std::uint8_t* pixels, int height, int width, int channels) {
  const int type = color_type(channels);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, on_error, on_warning);
  if (!png) throw RuntimeError("summary.image: libpng could not create a write struct");
  png_infop info = png_create_info_struct(png);
  std::string out;
  try {
    if (!info) throw RuntimeError("summary.image: libpng could not create an info struct");
    png_set_write_fn(png, &out, append_bytes, no_flush);
    png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    std::vector<png_bytep> rows(static_cast<std::size_t>(height));
    const std::size_t stride = static_cast<std::size_t>(width) * static_cast<std::size_t>(channels);
    for (int r = 0; r < height; ++r) rows[r] = const_cast<png_bytep>(pixels + r * stride);
    png_write_info(png, info);
    png_write_image(png, rows.data());
    png_write_end(png, nullptr);
  } catch (...) {
    png_destroy_write_struct(&png, &info);
    throw;
  }
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace keras::summary::detail
