// IDX reader (the format of MNIST and Fashion-MNIST) and the directory
// search shared by every data set loader.
//
// IDX layout: two zero bytes, a type byte (0x08 = unsigned byte), the number
// of dimensions, then one big-endian uint32 per dimension, then the data.
// Files are read through zlib's gz* functions, which read gzip-compressed
// and plain files alike.
#include <zlib.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "keras/datasets.hpp"
#include "keras/errors.hpp"

namespace keras::datasets {
namespace {

namespace fs = std::filesystem;

// Closes the gzFile on every exit path (errors are exceptions).
struct GzFile {
  gzFile f = nullptr;
  explicit GzFile(const std::string& path) : f(gzopen(path.c_str(), "rb")) {}
  ~GzFile() {
    if (f) gzclose(f);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
};

// Reads up to n bytes; returns how many were read. A zlib error (corrupt
// gzip stream) is reported with zlib's own message.
std::size_t read_some(GzFile& in, const std::string& path, unsigned char* dst, std::size_t n,
                      std::size_t already, const char* what) {
  std::size_t got = 0;
  while (got < n) {
    // gzread takes an unsigned count; read big buffers in 1 GiB pieces.
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - got, 1u << 30));
    const int r = gzread(in.f, dst + got, chunk);
    if (r < 0) {
      int code = 0;
      const char* msg = gzerror(in.f, &code);
      throw IOError(detail::cat("read_idx: ", path, ": corrupt or truncated gzip data while ",
                                "reading ", what, " (zlib: ", msg, "); ", already + got,
                                " bytes were decompressed before the error"));
    }
    if (r == 0) break;  // end of file
    got += static_cast<std::size_t>(r);
  }
  return got;
}

std::uint32_t big_endian_u32(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

std::string hex_bytes(const unsigned char* b, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s = "0x";
  for (std::size_t i = 0; i < n; ++i) {
    s += digits[b[i] >> 4];
    s += digits[b[i] & 15];
  }
  return s;
}

}  // namespace

Tensor read_idx(const std::string& path) {
  std::error_code ec;
  const auto file_size = fs::file_size(path, ec);
  KERAS_CHECK(!ec && fs::is_regular_file(path), IOError, "read_idx: cannot open ", path, ": ",
              ec ? ec.message() : std::string("not a regular file"));
  GzFile in(path);
  KERAS_CHECK(in.f != nullptr, IOError, "read_idx: cannot open ", path);

  unsigned char magic[4];
  std::size_t got = read_some(in, path, magic, 4, 0, "the header");
  KERAS_CHECK(got == 4, IOError, "read_idx: ", path, ": truncated file: expected a 4-byte IDX ",
              "magic number, found ", got, " bytes");
  // 0x00000801 (labels), 0x00000803 (images): uint8 data with 1..4 dimensions.
  KERAS_CHECK(magic[0] == 0 && magic[1] == 0 && magic[2] == 0x08 && magic[3] >= 1 &&
                  magic[3] <= 4,
              IOError, "read_idx: ", path, ": not an unsigned-byte IDX file: expected magic ",
              "number 0x00000801 (labels) or 0x00000803 (images), found ",
              hex_bytes(magic, 4));
  const int ndim = magic[3];

  unsigned char dims_raw[16];
  got = read_some(in, path, dims_raw, 4 * ndim, 4, "the header");
  KERAS_CHECK(got == std::size_t(4 * ndim), IOError, "read_idx: ", path,
              ": truncated file: expected ", 4 * ndim, " header bytes for ", ndim,
              " dimensions, found ", got);
  Shape shape(ndim);
  for (int i = 0; i < ndim; ++i) shape[i] = big_endian_u32(dims_raw + 4 * i);
  // Checked before each multiplication so that the product cannot overflow.
  constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 40;
  std::uint64_t count = 1;
  for (const std::int64_t dim : shape) {
    const auto d = static_cast<std::uint64_t>(dim);
    KERAS_CHECK(d == 0 || count <= kMaxElements / d, IOError, "read_idx: ", path,
                ": corrupt header: dimensions ", shape_str(shape), " are implausibly large");
    count *= d;
  }
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndim);
  // Deflate cannot compress better than about 1032:1, so a header that asks
  // for more data than that is corrupt; this avoids a huge allocation.
  KERAS_CHECK(count <= 1100 * static_cast<std::uint64_t>(file_size) + 4096, IOError,
              "read_idx: ", path, ": truncated or corrupt file: the header declares shape ",
              shape_str(shape), " (", count, " bytes of data) but the file has only ",
              file_size, " bytes");

  Tensor out = Tensor::empty(shape, uint8);
  got = read_some(in, path, out.data<std::uint8_t>(), count, header, "the data");
  KERAS_CHECK(got == count, IOError, "read_idx: ", path, ": truncated file: expected ", count,
              " bytes of data for shape ", shape_str(shape), ", found ", got);
  unsigned char extra;
  KERAS_CHECK(read_some(in, path, &extra, 1, header + count, "the end of the file") == 0,
              IOError, "read_idx: ", path, ": expected exactly ", header + count,
              " bytes (header + data for shape ", shape_str(shape),
              "), found more: the file has trailing data");
  return out;
}

std::vector<std::string> search_paths(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* kh = std::getenv("KERAS_HOME"); kh && *kh)
    dirs.push_back((fs::path(kh) / "datasets" / name).string());
  if (const char* home = std::getenv("HOME"); home && *home)
    dirs.push_back((fs::path(home) / ".keras" / "datasets" / name).string());
  dirs.push_back((fs::path("/usr/share/datasets") / name).string());
  return dirs;
}

}  // namespace keras::datasets
