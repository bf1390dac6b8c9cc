// libFuzzer target: the image decoders behind load_img and
// image_dataset_from_directory (PNG, JPEG, GIF, BMP, chosen by the magic
// bytes as load_img does) on arbitrary bytes, in every colour mode.
// Anything but a keras::Error escaping, a crash or a sanitizer report is a bug.
//
//   bash tests/fuzz/run_image.sh [seconds]
#include <cstdint>

#include "data/image_codec.hpp"
#include "keras/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (int channels : {0, 1, 3, 4}) {
    try {
      auto p = keras::detail::image::decode(data, size, channels, "fuzz input");
      if (p.data.size() != static_cast<std::size_t>(p.height * p.width * p.channels)) __builtin_trap();
    } catch (const keras::Error&) {
    }
  }
  return 0;
}
