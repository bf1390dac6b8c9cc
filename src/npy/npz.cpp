// .npz (a zip of .npy members, stored or deflated) and .npy files, read
// through libzip with each member's size bounded before it is allocated.
#include <zip.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "keras/errors.hpp"
#include "npy/npy.hpp"

namespace keras::detail::npy {
namespace {

namespace fs = std::filesystem;

struct Zip {
  zip_t* z = nullptr;
  ~Zip() {
    if (z) zip_discard(z);
  }
};

struct ZipFile {
  zip_file_t* f = nullptr;
  ~ZipFile() {
    if (f) zip_fclose(f);
  }
};

std::string zip_error_text(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string s = zip_error_strerror(&e);
  zip_error_fini(&e);
  return s;
}

std::uint64_t checked_file_size(const std::string& path, const char* what) {
  std::error_code ec;
  const bool regular = fs::is_regular_file(path, ec);
  const auto size = regular ? fs::file_size(path, ec) : 0;
  KERAS_CHECK(regular && !ec, IOError, "cannot read ", what, " '", path, "': ",
              ec ? ec.message() : std::string("not a regular file"));
  return size;
}

std::vector<unsigned char> read_member(zip_t* z, zip_uint64_t index, const std::string& where,
                                       std::uint64_t file_size) {
  zip_stat_t st;
  zip_stat_init(&st);
  KERAS_CHECK(zip_stat_index(z, index, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
                  (st.valid & ZIP_STAT_COMP_SIZE),
              IOError, where, ": cannot read the zip entry: ", zip_strerror(z));
  // Deflate compresses at most about 1032:1; a larger claim is corrupt.
  KERAS_CHECK(st.comp_size <= file_size && st.size <= 1100 * st.comp_size + 4096, IOError, where,
              ": corrupt zip entry: it declares ", st.size, " bytes from ", st.comp_size,
              " compressed bytes in a file of ", file_size);
  ZipFile f;
  f.f = zip_fopen_index(z, index, 0);
  KERAS_CHECK(f.f, IOError, where, ": cannot open the zip entry: ", zip_strerror(z));
  std::vector<unsigned char> buf(static_cast<std::size_t>(st.size));
  std::size_t got = 0;
  while (got < buf.size()) {
    const zip_int64_t r = zip_fread(f.f, buf.data() + got, buf.size() - got);
    KERAS_CHECK(r >= 0, IOError, where, ": corrupt zip entry (", zip_file_strerror(f.f),
                ") after ", got, " of ", buf.size(), " bytes");
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  KERAS_CHECK(got == buf.size(), IOError, where, ": truncated zip entry: ", got, " of ",
              buf.size(), " bytes");
  // Reading to the end lets libzip compare the CRC.
  unsigned char extra;
  const zip_int64_t r = zip_fread(f.f, &extra, 1);
  KERAS_CHECK(r == 0, IOError, where, ": corrupt zip entry: ",
              r < 0 ? std::string(zip_file_strerror(f.f)) : std::string("more data than declared"));
  return buf;
}

}  // namespace

std::map<std::string, Array> read_npz(const std::string& path) {
  const std::uint64_t file_size = checked_file_size(path, "the .npz file");
  int err = 0;
  Zip z;
  z.z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
  KERAS_CHECK(z.z, IOError, "cannot open '", path, "' as a .npz (zip) file: ", zip_error_text(err));
  const zip_int64_t n = zip_get_num_entries(z.z, 0);
  std::map<std::string, Array> out;
  for (zip_int64_t k = 0; k < n; ++k) {
    const char* raw = zip_get_name(z.z, static_cast<zip_uint64_t>(k), 0);
    KERAS_CHECK(raw, IOError, path, ": cannot read the name of zip entry ", k, ": ",
                zip_strerror(z.z));
    const std::string name = raw;
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0) continue;
    const std::string where = path + ":" + name;
    const auto bytes = read_member(z.z, static_cast<zip_uint64_t>(k), where, file_size);
    out[name.substr(0, name.size() - 4)] = read_npy(bytes.data(), bytes.size(), where);
  }
  return out;
}

Array read_npy_file(const std::string& path) {
  const std::uint64_t size = checked_file_size(path, "the .npy file");
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> buf(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
  KERAS_CHECK(in.gcount() == static_cast<std::streamsize>(buf.size()), IOError, "cannot read '",
              path, "'");
  return read_npy(buf.data(), buf.size(), path);
}

}  // namespace keras::detail::npy
