#pragma once
// Helpers shared by the .npz-based data set loaders (not public).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "keras/datasets.hpp"
#include "npy/npy.hpp"

namespace keras::datasets::detail {

// Keras's download folder, named in "where the file comes from".
inline constexpr const char* kOrigin = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/";

// `name` of the npz's members, or an IOError naming the file and the keys it has.
const keras::detail::npy::Array& member(const std::map<std::string, keras::detail::npy::Array>& npz,
                                        const std::string& name, const std::string& path);

// np.arange(n) shuffled by np.random.RandomState(seed).shuffle.
std::vector<std::int64_t> shuffled_indices(std::int64_t n, std::int64_t seed, const char* fn);

// Rows `rows` of a numeric array (along its first axis), in that order.
keras::detail::npy::Array take_rows(const keras::detail::npy::Array& a,
                                    const std::vector<std::int64_t>& rows);

// int(n * (1 - test_split)) after checking 0 <= test_split < 1, as Keras.
std::int64_t train_count(std::int64_t n, double test_split, const char* fn);

// Rows [begin, end) of a numeric array as a Tensor.
Tensor row_range(const keras::detail::npy::Array& a, std::int64_t begin, std::int64_t end);

// The path of `fname` (see find_file), or empty after appending the paths
// tried to `tried`.
std::string locate(const std::string& fname, std::string& tried);

// mnist.npz's four arrays, checked.
Split mnist_from_npz(const std::string& path);

}  // namespace keras::datasets::detail
