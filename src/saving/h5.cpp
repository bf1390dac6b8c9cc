// The checked HDF5 wrapper (see h5.hpp).
#include "saving/h5.hpp"

#include <hdf5.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>

#include "keras/errors.hpp"

namespace keras::saving::h5 {
namespace {

// Keras's HDF5_OBJECT_HEADER_LIMIT: longer attribute lists are split.
constexpr std::size_t kHeaderLimit = 64512;

void silence() {
  // HDF5 prints its error stack to stderr by default; we report errors
  // through exceptions instead.
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

herr_t walk_cb(unsigned, const H5E_error2_t* e, void* data) {
  auto* s = static_cast<std::string*>(data);
  if (s->empty() && e && e->desc) *s = e->desc;
  return 0;
}

// HDF5's most specific reason for the last failure, then clears the stack.
std::string reason() {
  std::string s;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &s);
  H5Eclear2(H5E_DEFAULT);
  return s.empty() ? "" : " (HDF5: " + s + ")";
}

[[noreturn]] void fail(const std::string& what, const std::string& where) {
  throw IOError("Cannot " + what + " " + where + reason());
}

template <class T>
T check(T r, const std::string& what, const std::string& where) {
  if (r < 0) fail(what, where);
  return r;
}

// Closes any HDF5 identifier at scope exit.
struct Id {
  hid_t id = -1;
  explicit Id(hid_t i = -1) : id(i) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() {
    if (id < 0) return;
    switch (H5Iget_type(id)) {
      case H5I_ATTR: H5Aclose(id); break;
      case H5I_DATASET: H5Dclose(id); break;
      case H5I_DATASPACE: H5Sclose(id); break;
      case H5I_DATATYPE: H5Tclose(id); break;
      case H5I_GENPROP_LST: H5Pclose(id); break;
      case H5I_GROUP: H5Gclose(id); break;
      case H5I_FILE: H5Fclose(id); break;
      default: break;
    }
  }
  operator hid_t() const { return id; }
};

std::string join(const std::string& a, const std::string& b) { return a == "/" ? "/" + b : a + "/" + b; }

std::vector<std::string> read_strings(hid_t attr, const std::string& where) {
  Id type(check(H5Aget_type(attr), "read the type of attribute", where));
  Id space(check(H5Aget_space(attr), "read the shape of attribute", where));
  hssize_t n = check(H5Sget_simple_extent_npoints(space), "read the shape of attribute", where);
  if (H5Tget_class(type) != H5T_STRING) {
    if (n == 0) return {};  // h5py writes an empty list as an empty float64 array
    throw IOError("Expected a string attribute " + where + ", found another type");
  }
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  htri_t var = check(H5Tis_variable_str(type), "read the type of attribute", where);
  Id mem(check(H5Tcopy(H5T_C_S1), "copy a string type for", where));
  if (var) {
    check(H5Tset_size(mem, H5T_VARIABLE), "set a string type for", where);
    check(H5Tset_cset(mem, H5Tget_cset(type)), "set a string type for", where);
    std::vector<char*> buf(static_cast<std::size_t>(n), nullptr);
    check(H5Aread(attr, mem, buf.data()), "read attribute", where);
    for (char* p : buf) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mem, space, H5P_DEFAULT, buf.data());
  } else {
    std::size_t size = H5Tget_size(type);
    if (size == 0 || size > (std::size_t(1) << 30) / std::max<hssize_t>(n, 1))
      throw IOError("Attribute " + where + " has an invalid string size");
    check(H5Tset_size(mem, size), "set a string type for", where);
    check(H5Tset_strpad(mem, H5T_STR_NULLPAD), "set a string type for", where);
    std::vector<char> buf(size * static_cast<std::size_t>(n));
    check(H5Aread(attr, mem, buf.data()), "read attribute", where);
    bool space_pad = H5Tget_strpad(type) == H5T_STR_SPACEPAD;
    for (hssize_t i = 0; i < n; ++i) {
      const char* p = buf.data() + i * size;
      std::string s(p, strnlen(p, size));
      if (space_pad) s.erase(s.find_last_not_of(' ') + 1);
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::atomic<int> g_memory_files{0};

}  // namespace

Object::Object(hid id, std::string file, std::string path) : id_(id), file_(std::move(file)), path_(std::move(path)) {}
Object::Object(Object&& o) noexcept : id_(o.id_), file_(std::move(o.file_)), path_(std::move(o.path_)) { o.id_ = -1; }
Object& Object::operator=(Object&& o) noexcept {
  if (this != &o) {
    Id old(id_);
    id_ = o.id_;
    o.id_ = -1;
    file_ = std::move(o.file_);
    path_ = std::move(o.path_);
  }
  return *this;
}
Object::~Object() { Id close(id_); }

std::string Object::where(const std::string& child) const {
  std::string p = child.empty() ? path_ : join(path_, child);
  return "'" + p + "' in file '" + file_ + "'";
}

bool Object::has(const std::string& name) const {
  // H5Lexists needs every intermediate link to exist, so walk the path.
  std::string prefix;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = name.find('/', start);
    prefix = name.substr(0, slash);
    if (prefix.empty() || prefix.back() == '/') return false;
    htri_t r = H5Lexists(id_, prefix.c_str(), H5P_DEFAULT);
    if (r <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

bool Object::has_group(const std::string& name) const {
  if (!has(name)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name(id_, name.c_str(), &info, H5P_DEFAULT) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  return info.type == H5O_TYPE_GROUP;
}

std::vector<std::string> Object::children() const {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  check(H5Literate(id_, H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &names), "list the members of", where());
  return names;
}

Object Object::group(const std::string& name) const {
  if (name == "/") return Object(check(H5Gopen2(id_, "/", H5P_DEFAULT), "open group", where("/")), file_, "/");
  if (!has_group(name)) throw IOError("Missing group " + where(name));
  hid_t g = check(H5Gopen2(id_, name.c_str(), H5P_DEFAULT), "open group", where(name));
  return Object(g, file_, join(path_, name));
}

Object Object::create_group(const std::string& name) const {
  Id lcpl(check(H5Pcreate(H5P_LINK_CREATE), "create a property list for", where(name)));
  check(H5Pset_create_intermediate_group(lcpl, 1), "configure group creation for", where(name));
  hid_t g = check(H5Gcreate2(id_, name.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT), "create group", where(name));
  return Object(g, file_, join(path_, name));
}

bool Object::has_attr(const std::string& name) const {
  htri_t r = H5Aexists(id_, name.c_str());
  if (r < 0) H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

std::string Object::string_attr(const std::string& name) const {
  std::string w = "'" + name + "' of " + where();
  if (!has_attr(name)) throw IOError("Missing attribute " + w);
  Id a(check(H5Aopen(id_, name.c_str(), H5P_DEFAULT), "open attribute", w));
  auto v = read_strings(a, w);
  if (v.size() != 1) throw IOError("Expected one string in attribute " + w + ", found " + std::to_string(v.size()));
  return v[0];
}

std::vector<std::string> Object::string_list_attr(const std::string& name) const {
  std::string w = "'" + name + "' of " + where();
  if (has_attr(name)) {
    Id a(check(H5Aopen(id_, name.c_str(), H5P_DEFAULT), "open attribute", w));
    return read_strings(a, w);
  }
  std::vector<std::string> out;
  int chunk = 0;
  for (; has_attr(name + std::to_string(chunk)); ++chunk) {
    std::string cn = name + std::to_string(chunk);
    Id a(check(H5Aopen(id_, cn.c_str(), H5P_DEFAULT), "open attribute", "'" + cn + "' of " + where()));
    auto part = read_strings(a, "'" + cn + "' of " + where());
    out.insert(out.end(), part.begin(), part.end());
  }
  if (chunk == 0) throw IOError("Missing attribute " + w);
  return out;
}

void Object::set_string_attr(const std::string& name, const std::string& value) const {
  std::string w = "'" + name + "' of " + where();
  Id type(check(H5Tcopy(H5T_C_S1), "create a string type for", w));
  check(H5Tset_size(type, H5T_VARIABLE), "set a string type for", w);
  check(H5Tset_cset(type, H5T_CSET_UTF8), "set a string type for", w);
  Id space(check(H5Screate(H5S_SCALAR), "create a dataspace for", w));
  Id a(check(H5Acreate2(id_, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "create attribute", w));
  const char* p = value.c_str();
  check(H5Awrite(a, type, &p), "write attribute", w);
}

void Object::set_string_list_attr(const std::string& name, const std::vector<std::string>& values) const {
  auto write = [&](const std::string& n, std::size_t begin, std::size_t end) {
    std::string w = "'" + n + "' of " + where();
    hsize_t dims[1] = {end - begin};
    Id space(check(H5Screate_simple(1, dims, nullptr), "create a dataspace for", w));
    if (begin == end) {  // h5py's empty list: a float64 array of length 0
      Id a(check(H5Acreate2(id_, n.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), "create attribute", w));
      return;
    }
    Id type(check(H5Tcopy(H5T_C_S1), "create a string type for", w));
    check(H5Tset_size(type, H5T_VARIABLE), "set a string type for", w);
    check(H5Tset_cset(type, H5T_CSET_UTF8), "set a string type for", w);
    std::vector<const char*> ptrs;
    for (std::size_t i = begin; i < end; ++i) ptrs.push_back(values[i].c_str());
    Id a(check(H5Acreate2(id_, n.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "create attribute", w));
    check(H5Awrite(a, type, ptrs.data()), "write attribute", w);
  };
  // Keras: np.array_split into the fewest equal chunks that each fit the
  // header limit (it measures fixed-length bytes: count * longest).
  std::size_t n = values.size(), chunks = 1;
  auto fits = [&](std::size_t k) {
    for (std::size_t c = 0; c < k; ++c) {
      std::size_t b = c * (n / k) + std::min(c, n % k), e = b + n / k + (c < n % k);
      std::size_t longest = 0;
      for (std::size_t i = b; i < e; ++i) longest = std::max(longest, values[i].size());
      if ((e - b) * longest > kHeaderLimit) return false;
    }
    return true;
  };
  while (chunks < n && !fits(chunks)) ++chunks;
  if (chunks == 1) return write(name, 0, n);
  for (std::size_t c = 0; c < chunks; ++c) {
    std::size_t b = c * (n / chunks) + std::min(c, n % chunks), e = b + n / chunks + (c < n % chunks);
    write(name + std::to_string(c), b, e);
  }
}

Tensor Object::dataset(const std::string& name) const {
  std::string w = where(name);
  if (!has(name)) throw IOError("Missing dataset " + w);
  Id d(check(H5Dopen2(id_, name.c_str(), H5P_DEFAULT), "open dataset", w));
  Id type(check(H5Dget_type(d), "read the type of dataset", w));
  Id space(check(H5Dget_space(d), "read the shape of dataset", w));
  int rank = check(H5Sget_simple_extent_ndims(space), "read the shape of dataset", w);
  if (rank > 16) throw IOError("Dataset " + w + " has an invalid rank " + std::to_string(rank));
  hsize_t dims[16];
  check(H5Sget_simple_extent_dims(space, dims, nullptr), "read the shape of dataset", w);
  Shape shape;
  double count = 1;
  for (int i = 0; i < rank; ++i) {
    shape.push_back(static_cast<std::int64_t>(dims[i]));
    count *= static_cast<double>(dims[i]);
  }
  if (count > double(std::int64_t(1) << 34)) throw IOError("Dataset " + w + " is implausibly large");
  H5T_class_t cls = H5Tget_class(type);
  try {
    if (cls == H5T_FLOAT) {
      std::vector<float> buf(static_cast<std::size_t>(count));
      check(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read dataset", w);
      return Tensor::from_data(shape, float32, buf.data());
    }
    if (cls == H5T_INTEGER) {
      std::vector<std::int64_t> buf(static_cast<std::size_t>(count));
      check(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read dataset", w);
      return Tensor::from_data(shape, int64, buf.data());
    }
  } catch (const std::bad_alloc&) {
    throw IOError("Out of memory reading dataset " + w);
  }
  throw IOError("Dataset " + w + " is neither float nor integer");
}

void Object::write_dataset(const std::string& name, const Tensor& value) const {
  std::string w = where(name);
  Tensor v = value.cpu();
  hid_t file_type, mem_type;
  switch (v.dtype()) {
    case DType::float32: file_type = H5T_IEEE_F32LE; mem_type = H5T_NATIVE_FLOAT; break;
    case DType::int32: file_type = H5T_STD_I32LE; mem_type = H5T_NATIVE_INT32; break;
    case DType::int64: file_type = H5T_STD_I64LE; mem_type = H5T_NATIVE_INT64; break;
    case DType::uint8: file_type = H5T_STD_U8LE; mem_type = H5T_NATIVE_UINT8; break;
    default: throw IOError("Cannot write dataset " + w + " of dtype " + dtype_name(v.dtype()));
  }
  std::vector<hsize_t> dims(v.shape().begin(), v.shape().end());
  Id space(check(dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 "create a dataspace for", w));
  Id lcpl(check(H5Pcreate(H5P_LINK_CREATE), "create a property list for", w));
  check(H5Pset_create_intermediate_group(lcpl, 1), "configure dataset creation for", w);
  Id d(check(H5Dcreate2(id_, name.c_str(), file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT), "create dataset", w));
  if (v.size() > 0) check(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data_ptr()), "write dataset", w);
}

Object open_file(const std::string& path) {
  silence();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw IOError("No such file: '" + path + "'");
  if (!is_hdf5(path)) throw IOError("File '" + path + "' is not an HDF5 file (no HDF5 signature)");
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) fail("open HDF5 file", "'" + path + "'");
  return Object(f, path, "/");
}

Object create_file(const std::string& path) {
  silence();
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) fail("create HDF5 file", "'" + path + "'");
  return Object(f, path, "/");
}

Object open_image(const std::vector<char>& bytes, const std::string& name) {
  silence();
  std::string where = "'" + name + "'";
  Id fapl(check(H5Pcreate(H5P_FILE_ACCESS), "create a property list for", where));
  check(H5Pset_fapl_core(fapl, 1 << 16, 0), "configure the in-memory driver for", where);
  if (bytes.size() < 8 || std::memcmp(bytes.data(), "\x89HDF\r\n\x1a\n", 8) != 0)
    throw IOError("File " + where + " is not an HDF5 file (no HDF5 signature)");
  check(H5Pset_file_image(fapl, const_cast<char*>(bytes.data()), bytes.size()), "load the image of", where);
  std::string id = "keras-image-" + std::to_string(g_memory_files++);
  hid_t f = H5Fopen(id.c_str(), H5F_ACC_RDONLY, fapl);
  if (f < 0) fail("open HDF5 file", where);
  return Object(f, name, "/");
}

Object create_memory_file(const std::string& name) {
  silence();
  std::string where = "'" + name + "'";
  Id fapl(check(H5Pcreate(H5P_FILE_ACCESS), "create a property list for", where));
  check(H5Pset_fapl_core(fapl, 1 << 16, 0), "configure the in-memory driver for", where);
  std::string id = "keras-memory-" + std::to_string(g_memory_files++);
  hid_t f = H5Fcreate(id.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (f < 0) fail("create in-memory HDF5 file", where);
  return Object(f, name, "/");
}

std::vector<char> image(const Object& file) {
  std::string where = "'" + file.file() + "'";
  check(H5Fflush(file.id(), H5F_SCOPE_GLOBAL), "flush", where);
  ssize_t n = check(H5Fget_file_image(file.id(), nullptr, 0), "get the image of", where);
  std::vector<char> buf(static_cast<std::size_t>(n));
  check(H5Fget_file_image(file.id(), buf.data(), buf.size()), "get the image of", where);
  return buf;
}

void close(Object& file) {
  if (file.id() < 0) return;
  std::string where = "'" + file.file() + "'";
  check(H5Fflush(file.id(), H5F_SCOPE_GLOBAL), "flush", where);
  check(H5Fclose(static_cast<hid_t>(file.release())), "close", where);
}

bool is_hdf5(const std::string& path) {
  // The superblock signature sits at 0, 512, 1024, 2048, ... (user block).
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  char sig[8];
  for (std::streamoff off : {0, 512, 1024, 2048, 4096}) {
    in.clear();
    in.seekg(off);
    if (!in.read(sig, 8)) return false;
    if (std::memcmp(sig, "\x89HDF\r\n\x1a\n", 8) == 0) return true;
  }
  return false;
}

}  // namespace keras::saving::h5
