// libFuzzer target: the .npy reader on arbitrary bytes held in memory, and
// the .npz reader (libzip) on the same bytes written to a file when they
// start like a zip; every array read is converted as the loaders do.
// Anything but a keras::Error escaping, a crash or a sanitizer report is a bug.
//
//   bash tests/fuzz/run_readers.sh [seconds per target]
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "keras/errors.hpp"
#include "npy/npy.hpp"

namespace {

void use(const keras::detail::npy::Array& a) {
  try {
    if (a.dtype.kind == 'O') {
      (void)keras::detail::npy::int_lists(a);
    } else {
      (void)keras::detail::npy::to_tensor(a);
    }
  } catch (const keras::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    use(keras::detail::npy::read_npy(data, size, "fuzz.npy"));
  } catch (const keras::Error&) {
  }
  if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
    static const std::string path = "/tmp/keras_fuzz_npz_" + std::to_string(::getpid()) + ".npz";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    try {
      for (const auto& [name, a] : keras::detail::npy::read_npz(path)) use(a);
    } catch (const keras::Error&) {
    }
  }
  return 0;
}
