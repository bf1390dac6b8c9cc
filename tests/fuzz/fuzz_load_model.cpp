// libFuzzer target: keras::models::load_model on arbitrary bytes (HDF5 and
// .keras zip inputs, chosen by the file's content as load_model does).
// Anything but a keras::Error escaping, a crash or a sanitizer report is a bug.
//
//   bash tests/fuzz/run.sh [seconds]
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "keras/errors.hpp"
#include "keras/saving.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One file per process, rewritten for every input.
  static const std::string path = "/tmp/keras_fuzz_" + std::to_string(::getpid()) + ".bin";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    keras::Model m = keras::models::load_model(path);
    (void)m;
  } catch (const keras::Error&) {
  }
  return 0;
}
