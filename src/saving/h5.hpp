// Internal: a small checked wrapper over the HDF5 C API, just what Keras's
// file layouts need (groups, string attributes, numeric datasets).
//
// Every call is checked; a failure throws keras::IOError naming the file,
// the object and HDF5's own reason. HDF5's automatic error printing is off.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::saving::h5 {

using hid = std::int64_t;  // hid_t, without including hdf5.h here

// An open HDF5 object (file or group) with the names used in messages.
class Object {
 public:
  Object() = default;
  Object(hid id, std::string file, std::string path);
  Object(Object&& o) noexcept;
  Object& operator=(Object&& o) noexcept;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;
  ~Object();

  hid id() const { return id_; }
  // Gives up ownership of the identifier (the caller closes it).
  hid release() {
    hid i = id_;
    id_ = -1;
    return i;
  }
  const std::string& file() const { return file_; }
  // Path inside the file ("/" for the root).
  const std::string& path() const { return path_; }
  // "'<path>' in file '<file>'"
  std::string where(const std::string& child = "") const;

  // Child links (groups or datasets); `name` may contain '/'.
  bool has(const std::string& name) const;
  bool has_group(const std::string& name) const;
  std::vector<std::string> children() const;
  Object group(const std::string& name) const;         // IOError when missing
  Object create_group(const std::string& name) const;  // creates intermediate groups

  bool has_attr(const std::string& name) const;
  // A string attribute: scalar or one-element array, fixed or variable
  // length. IOError when missing or not a string.
  std::string string_attr(const std::string& name) const;
  // A list of strings, fixed or variable length; also "name0", "name1", ...
  // chunks, as Keras splits long lists. An empty numeric array (h5py's
  // np.array([])) reads as an empty list. IOError when missing.
  std::vector<std::string> string_list_attr(const std::string& name) const;
  void set_string_attr(const std::string& name, const std::string& value) const;
  // Writes variable-length UTF-8 strings, split into chunks as Keras does
  // when the list is longer than HDF5's object header limit.
  void set_string_list_attr(const std::string& name, const std::vector<std::string>& values) const;

  // A numeric dataset converted to float32 (floats) or int64 (integers).
  Tensor dataset(const std::string& name) const;
  // Creates a dataset (and intermediate groups for names with '/').
  void write_dataset(const std::string& name, const Tensor& value) const;

 private:
  hid id_ = -1;
  std::string file_, path_;
};

// Opens an existing file read-only. IOError when missing or not HDF5.
Object open_file(const std::string& path);
// Creates (truncates) a file for writing.
Object create_file(const std::string& path);
// Opens an in-memory file image (the weights inside a .keras zip) read-only;
// `name` is used in messages.
Object open_image(const std::vector<char>& bytes, const std::string& name);
// An in-memory file for writing; image() returns its bytes once filled.
Object create_memory_file(const std::string& name);
std::vector<char> image(const Object& file);
// Flushes and closes a written file, reporting errors (a destructor cannot).
void close(Object& file);
// True when the first bytes of `path` carry the HDF5 signature.
bool is_hdf5(const std::string& path);

}  // namespace keras::saving::h5
