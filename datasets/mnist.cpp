// keras.datasets.fashion_mnist and keras.datasets.mnist, read from local IDX
// files (gzip-compressed or plain). Nothing is downloaded.
#include <filesystem>
#include <string>
#include <vector>

#include "datasets/common.hpp"
#include "keras/datasets.hpp"
#include "keras/errors.hpp"

namespace keras::datasets {
namespace {

namespace fs = std::filesystem;

// The four IDX files, in load_data()'s order. Each may also be stored
// uncompressed (the same name without ".gz").
const char* const kIdxFiles[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

// The path of `file` in `dir`, compressed form first; empty when absent.
std::string find_file(const fs::path& dir, const std::string& file) {
  std::error_code ec;
  for (const std::string& name : {file + ".gz", file})
    if (fs::is_regular_file(dir / name, ec)) return (dir / name).string();
  return {};
}

// Images must be (n, 28, 28) and labels (n,) with the same n. The counts
// are not fixed so that a smaller subset in the same format loads too.
void check_pair(const Tensor& x, const Tensor& y, const std::string& x_path,
                const std::string& y_path) {
  KERAS_CHECK(x.ndim() == 3 && x.shape(1) == 28 && x.shape(2) == 28, IOError, "load_data: ",
              x_path, ": expected images of shape (n, 28, 28), found ", shape_str(x.shape()));
  KERAS_CHECK(y.ndim() == 1 && y.shape(0) == x.shape(0), IOError, "load_data: ", y_path,
              ": expected labels of shape (", x.shape(0), ",) to match ", x_path,
              ", found ", shape_str(y.shape()));
}

// Loads the four files from the first directory that has all of them.
// `missing_help` ends the error message when no directory has them.
Split load_idx_split(const std::string& name, const std::string& missing_help) {
  const std::vector<std::string> dirs = search_paths(name);
  std::string tried;
  for (const std::string& dir : dirs) {
    std::vector<std::string> paths, missing;
    for (const char* f : kIdxFiles) {
      paths.push_back(find_file(dir, f));
      if (paths.back().empty()) missing.push_back(std::string(f) + ".gz");
    }
    if (missing.empty()) {
      Split s{read_idx(paths[0]), read_idx(paths[1]), read_idx(paths[2]), read_idx(paths[3])};
      check_pair(s.x_train, s.y_train, paths[0], paths[1]);
      check_pair(s.x_test, s.y_test, paths[2], paths[3]);
      return s;
    }
    tried += "\n  " + dir;
    if (missing.size() == 4) {
      tried += " (not found)";
    } else {
      tried += " (missing:";
      for (const auto& m : missing) tried += " " + m;
      tried += ")";
    }
  }
  throw IOError(keras::detail::cat("load_data: the ", name, " files (", kIdxFiles[0],
                            ".gz and three others) were not found. Tried:", tried, "\n",
                            missing_help));
}

}  // namespace

namespace fashion_mnist {
Split load_data() {
  return load_idx_split(
      "fashion-mnist",
      "To get them, install the Debian package dataset-fashion-mnist "
      "(sudo apt-get install dataset-fashion-mnist), or put the four IDX files from "
      "https://github.com/zalandoresearch/fashion-mnist in $KERAS_HOME/datasets/fashion-mnist/.");
}
}  // namespace fashion_mnist

namespace mnist {
Split load_data(const std::string& path) {
  // Keras's own cache file first, then the IDX files.
  std::string tried;
  const std::string npz = detail::locate(path, tried);
  if (!npz.empty()) return detail::mnist_from_npz(npz);
  return load_idx_split(
      "mnist",
      "Put the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
      "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in $KERAS_HOME/datasets/mnist/, "
      "or Keras's mnist.npz (" + std::string(detail::kOrigin) + "mnist.npz) in "
      "$KERAS_HOME/datasets/ or ~/.keras/datasets/; tried:" + tried);
}
}  // namespace mnist

}  // namespace keras::datasets
