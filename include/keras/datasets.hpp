// Standard data sets, read from local files (nothing is downloaded).
//
//   auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
//
// Files are looked up in order: $KERAS_HOME/datasets/<name>/,
// ~/.keras/datasets/<name>/, then the Debian package's directory
// (/usr/share/datasets/<name>/). A missing file raises keras::IOError
// naming every path tried and how to get the files.
#pragma once
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

namespace fashion_mnist {
// x: uint8 (60000, 28, 28) and (10000, 28, 28); y: uint8 (60000,), (10000,).
Split load_data();
}  // namespace fashion_mnist

namespace mnist {
Split load_data();
}  // namespace mnist

}  // namespace keras::datasets
