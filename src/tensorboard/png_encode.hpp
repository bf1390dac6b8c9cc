// PNG encoding through libpng (internal to the summary writer).
#pragma once
#include <cstdint>
#include <string>

namespace keras::summary::detail {

// Encodes `height` rows of `width` pixels with `channels` (1, 2, 3 or 4)
// 8-bit samples each, row-major, into PNG bytes.
std::string encode_png(const std::uint8_t* pixels, int height, int width, int channels);

}  // namespace keras::summary::detail
