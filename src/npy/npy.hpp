#pragma once
// NumPy's .npy and .npz formats, read with every size bounded and checked
// against the file: versions 1.0, 2.0 and 3.0 headers; bool, integer and
// float dtypes in either byte order; C or Fortran order (returned in C
// order); object arrays (pickled after the header) through the bounded
// pickle reader. Used by the keras::datasets loaders.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keras/tensor.hpp"
#include "npy/pickle.hpp"

namespace keras::detail::npy {

struct Array {
  pickle::DtypeInfo dtype;                 // little-endian after reading
  std::vector<std::int64_t> shape;
  bool fortran = false;                    // false once read: data is in C order
  std::vector<unsigned char> data;         // numeric dtypes, C order
  // Object arrays: the unpickled objects and the elements, in C order.
  std::shared_ptr<const pickle::Unpickled> objects;
  std::vector<pickle::Value> elements;
  std::string where;                       // "file.npz:x_train.npy", for messages

  std::int64_t size() const;               // number of elements
};

// Reads one .npy image held in memory.
Array read_npy(const unsigned char* bytes, std::size_t size, const std::string& where);
// A numeric array unpickled by pickle::load (the CIFAR batches' "data").
Array from_pickled(const pickle::Unpickled& u, const pickle::Value& v, const std::string& where);
// Reads a .npy file.
Array read_npy_file(const std::string& path);
// Reads every member ending in ".npy" of a .npz file (stored or deflated),
// keyed by the member name without ".npy", as np.load does.
std::map<std::string, Array> read_npz(const std::string& path);

// The array as a keras Tensor: bool -> bool, uint8 -> uint8, int8/int16/
// uint16/int32 -> int32, uint32/int64/uint64 -> int64 (uint64 values above
// 2**63-1 are an error), float16/float32/float64 -> float32 (the library
// has no float64). Object arrays are an error.
Tensor to_tensor(const Array& a);

// An object array whose elements are lists (or tuples) of Python ints, as
// in imdb.npz and reuters.npz.
std::vector<std::vector<std::int64_t>> int_lists(const Array& a);

// The element at index i of a numeric 1-D or N-D array, as a double
// (used to read labels).
double element(const Array& a, std::int64_t i);

}  // namespace keras::detail::npy
