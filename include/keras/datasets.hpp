// Standard data sets, read from local files (nothing is downloaded), with
// Keras 3's arguments, defaults, shapes, dtypes and sample order.
//
//   auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
//   auto imdb = keras::datasets::imdb::load_data({.num_words = 10000});
//
// Keras's cache files (mnist.npz, imdb.npz, the extracted CIFAR folders...)
// are looked up in $KERAS_HOME/datasets/, then ~/.keras/datasets/; the IDX
// files of MNIST and Fashion-MNIST in <those>/<name>/ and in the Debian
// package's directory (/usr/share/datasets/<name>/). A missing file raises
// keras::IOError naming every path tried and where the file comes from.
// A `path` argument is a file name in those directories, as in Keras; a
// path with a '/' is read as given (Keras refuses those).
//
// Differences from Keras, by the library's types: float64 arrays (the
// housing data) are returned as float32; the sequences of imdb/reuters
// are vectors of int64 lists rather than NumPy object arrays.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::datasets {

// What load_data() returns; unpacks with structured bindings.
struct Split {
  Tensor x_train, y_train, x_test, y_test;
};

// Reads one IDX file (optionally gzip-compressed): uint8 tensor with the
// file's dimensions. Throws IOError naming the file on any format error.
Tensor read_idx(const std::string& path);

// Directories searched for `name`, in order.
std::vector<std::string> search_paths(const std::string& name);

// The path of Keras's cached file `fname` ($KERAS_HOME/datasets/fname, then
// ~/.keras/datasets/fname). Throws IOError naming the paths tried and
// `origin` (where Keras downloads it from) when none exists.
std::string find_file(const std::string& fname, const std::string& origin);

// Sequences of word indices (imdb, reuters), one list per sample.
using Sequences = std::vector<std::vector<std::int64_t>>;
struct SequenceSplit {
  Sequences x_train;
  Tensor y_train;
  Sequences x_test;
  Tensor y_test;
};

namespace fashion_mnist {
// x: uint8 (60000, 28, 28) and (10000, 28, 28); y: uint8 (60000,), (10000,).
Split load_data();
}  // namespace fashion_mnist

namespace mnist {
// Keras's mnist.npz (x: uint8 (60000, 28, 28), y: uint8) when it exists;
// otherwise the four IDX files in <dir>/mnist/ as fashion_mnist reads them.
Split load_data(const std::string& path = "mnist.npz");
}  // namespace mnist

namespace cifar10 {
// x: uint8 (50000, 32, 32, 3) and (10000, 32, 32, 3) (channels last);
// y: uint8 (n, 1). Reads Keras's extracted cifar-10-batches-py (pickles)
// or the binary cifar-10-batches-bin folder.
Split load_data();
}  // namespace cifar10

namespace cifar100 {
// label_mode "fine" (100 classes) or "coarse" (20); x as cifar10;
// y: int64 (n, 1). Reads cifar-100-python or the binary cifar-100-binary.
Split load_data(const std::string& label_mode = "fine");
}  // namespace cifar100

namespace imdb {
struct Options {
  std::string path = "imdb.npz";
  std::optional<std::int64_t> num_words;  // keep words with index < num_words
  std::int64_t skip_top = 0;              // and >= skip_top
  std::optional<std::int64_t> maxlen;     // drop sequences of maxlen words or more
  std::int64_t seed = 113;
  std::optional<std::int64_t> start_char = 1;
  std::optional<std::int64_t> oov_char = 2;  // none: drop filtered words
  std::int64_t index_from = 3;
};
// 25000 + 25000 reviews; y: the file's labels (int64), shuffled with x.
SequenceSplit load_data(const Options& options = {});
std::map<std::string, std::int64_t> get_word_index(const std::string& path = "imdb_word_index.json");
}  // namespace imdb

namespace reuters {
struct Options {
  std::string path = "reuters.npz";
  std::optional<std::int64_t> num_words;
  std::int64_t skip_top = 0;
  std::optional<std::int64_t> maxlen;
  double test_split = 0.2;
  std::int64_t seed = 113;
  std::optional<std::int64_t> start_char = 1;
  std::optional<std::int64_t> oov_char = 2;
  std::int64_t index_from = 3;
};
SequenceSplit load_data(const Options& options = {});
std::map<std::string, std::int64_t> get_word_index(
    const std::string& path = "reuters_word_index.json");
// The 46 topic names, indexed by label.
std::vector<std::string> get_label_names();
}  // namespace reuters

namespace boston_housing {
// x: float32 (n, 13), y: float32 (n,); the first int(n * (1 - test_split))
// shuffled samples are the training set.
Split load_data(const std::string& path = "boston_housing.npz", double test_split = 0.2,
                std::int64_t seed = 113);
}  // namespace boston_housing

namespace california_housing {
// version "large" (20640 samples) or "small" (the first 600); x: float32
// (n, 8), y: float32 (n,).
Split load_data(const std::string& version = "large",
                const std::string& path = "california_housing.npz", double test_split = 0.2,
                std::int64_t seed = 113);
}  // namespace california_housing

}  // namespace keras::datasets
