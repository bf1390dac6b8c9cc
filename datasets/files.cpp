// Where Keras's cached data set files are found, and the helpers shared by
// the .npz loaders.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "datasets/common.hpp"
#include "keras/errors.hpp"
#include "numpy_random.hpp"

namespace keras::datasets {

namespace fs = std::filesystem;
namespace npy = keras::detail::npy;

namespace detail {

std::string locate(const std::string& fname, std::string& tried) {
  std::error_code ec;
  if (fname.find('/') != std::string::npos) {
    if (fs::is_regular_file(fname, ec)) return fname;
    tried += "\n  " + fname;
    return {};
  }
  std::vector<fs::path> dirs;
  if (const char* kh = std::getenv("KERAS_HOME"); kh && *kh) dirs.push_back(fs::path(kh) / "datasets");
  if (const char* home = std::getenv("HOME"); home && *home)
    dirs.push_back(fs::path(home) / ".keras" / "datasets");
  for (const fs::path& d : dirs) {
    if (fs::is_regular_file(d / fname, ec)) return (d / fname).string();
    tried += "\n  " + (d / fname).string();
  }
  if (dirs.empty()) tried += " (neither $KERAS_HOME nor $HOME is set)";
  return {};
}

}  // namespace detail

std::string find_file(const std::string& fname, const std::string& origin) {
  std::string tried;
  std::string path = detail::locate(fname, tried);
  if (!path.empty()) return path;
  throw IOError(keras::detail::cat("load_data: the data set file '", fname,
                                   "' was not found. Tried:", tried,
                                   "\nNothing is downloaded: get the file from ", origin,
                                   " and put it in $KERAS_HOME/datasets/ or ~/.keras/datasets/."));
}

namespace detail {

const npy::Array& member(const std::map<std::string, npy::Array>& npz, const std::string& name,
                         const std::string& path) {
  auto it = npz.find(name);
  if (it != npz.end()) return it->second;
  std::string keys;
  for (const auto& [k, v] : npz) keys += (keys.empty() ? "" : ", ") + k;
  throw IOError(keras::detail::cat(path, ": expected an array '", name, "' in the .npz file; it holds: ",
                                   keys.empty() ? "nothing" : keys));
}

std::vector<std::int64_t> shuffled_indices(std::int64_t n, std::int64_t seed, const char* fn) {
  KERAS_CHECK(seed >= 0 && seed <= 0xFFFFFFFFLL, ValueError, fn, ": seed must be between 0 and ",
              "2**32 - 1 (as for np.random.RandomState); received seed=", seed);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), std::int64_t{0});
  keras::detail::NumpyRandomState rng(static_cast<std::uint32_t>(seed));
  rng.shuffle(idx);
  return idx;
}

npy::Array take_rows(const npy::Array& a, const std::vector<std::int64_t>& rows) {
  KERAS_CHECK(!a.shape.empty() && a.dtype.kind != 'O', IOError, a.where,
              ": expected a numeric array with at least one dimension");
  npy::Array out = a;
  const std::size_t row = a.shape[0] ? a.data.size() / static_cast<std::size_t>(a.shape[0]) : 0;
  out.shape[0] = static_cast<std::int64_t>(rows.size());
  out.data.resize(row * rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    KERAS_ASSERT(rows[k] >= 0 && rows[k] < a.shape[0]);
    if (row) std::memcpy(&out.data[k * row], &a.data[static_cast<std::size_t>(rows[k]) * row], row);
  }
  return out;
}

std::int64_t train_count(std::int64_t n, double test_split, const char* fn) {
  KERAS_CHECK(test_split >= 0 && test_split < 1, ValueError, fn, ": invalid test_split argument: ",
              test_split, ". It must be between 0 and 1 (exclusive of 1).");
  return static_cast<std::int64_t>(static_cast<double>(n) * (1 - test_split));
}

Tensor row_range(const npy::Array& a, std::int64_t begin, std::int64_t end) {
  std::vector<std::int64_t> rows(static_cast<std::size_t>(end - begin));
  std::iota(rows.begin(), rows.end(), begin);
  return npy::to_tensor(take_rows(a, rows));
}

}  // namespace detail
}  // namespace keras::datasets
