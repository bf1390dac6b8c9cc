#pragma once
// A small, bounded reader for the Python pickles that Keras's data set files
// hold: the CIFAR batches (a dict of bytes keys, lists of ints, bytes/str and
// one NumPy array) and the object arrays inside imdb.npz / reuters.npz (an
// ndarray of dtype object whose items are lists of ints).
//
// Only pickle protocols 2 to 4 and the opcodes those objects use are read;
// the only globals accepted are the ones Keras's RestrictedUnpickler allows
// (numpy.ndarray, numpy.dtype and numpy's _reconstruct). Every length is
// checked against the bytes left, and memory grows at most linearly with the
// input, so a hostile file gives a keras::IOError, never a crash or a huge
// allocation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace keras::detail::pickle {

enum class Kind : std::uint8_t {
  none, boolean, integer, floating, bytes, str, list, tuple, dict, global, ndarray, dtype
};

const char* kind_name(Kind k);

// A pickled value: scalars inline, everything else an index into
// Unpickled::objects (so that memoised objects are shared, not copied).
struct Value {
  Kind kind = Kind::none;
  std::uint32_t obj = 0;   // bytes, str, list, tuple, dict, global, ndarray, dtype
  std::int64_t i = 0;      // integer, boolean
  double f = 0;            // floating
};

// NumPy element types as far as these readers need them.
struct DtypeInfo {
  char kind = 0;          // 'b' bool, 'i' signed, 'u' unsigned, 'f' float, 'O' object
  int itemsize = 0;       // bytes per element
  bool big_endian = false;
  std::string str() const;  // "<f8", "|u1", "|O"
};

// Parses a NumPy type string ("<f8", "|u1", "O8", "b1", ...); throws
// IOError mentioning `where` for anything else (structured, strings, ...).
DtypeInfo parse_descr(const std::string& descr, const std::string& where);

struct Object {
  Kind kind = Kind::none;
  std::string text;            // bytes / str payload, global "module.name", dtype type string
  std::vector<Value> items;    // list / tuple items; dict keys and values, alternating
  // ndarray (after BUILD) and dtype:
  bool built = false;
  DtypeInfo dtype;
  std::vector<std::int64_t> shape;
  bool fortran = false;
  Value data;                  // bytes (numeric dtypes) or list (object dtype)
};

struct Unpickled {
  std::vector<Object> objects;
  Value root;
  const Object& get(const Value& v) const { return objects.at(v.obj); }
};

// Unpickles `data`; `where` names the file in error messages.
Unpickled load(const unsigned char* data, std::size_t size, const std::string& where);

// A dict's value for a key given as bytes or str; nullptr when absent.
const Value* dict_get(const Unpickled& u, const Value& dict, const std::string& key);

}  // namespace keras::detail::pickle
