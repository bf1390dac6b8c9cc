// DType and Device helpers, and the internal-assert handler.
#include <string>

#include "keras/dtype.hpp"
#include "keras/errors.hpp"
#include "keras/tensor.hpp"

namespace keras {

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::float32: return 4;
    case DType::int32: return 4;
    case DType::int64: return 8;
    case DType::uint8: return 1;
    case DType::bool_: return 1;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::float32: return "float32";
    case DType::int32: return "int32";
    case DType::int64: return "int64";
    case DType::uint8: return "uint8";
    case DType::bool_: return "bool";
  }
  return "?";
}

DType dtype_from_name(const std::string& name) {
  for (DType t : {DType::float32, DType::int32, DType::int64, DType::uint8, DType::bool_})
    if (name == dtype_name(t)) return t;
  throw ValueError("Unknown dtype: '" + name + "'. Known: float32, int32, int64, uint8, bool");
}

bool is_floating(DType t) { return t == DType::float32; }

std::string Device::str() const {
  return type == Type::cpu ? std::string("cpu") : "cuda:" + std::to_string(index);
}

std::string shape_str(const Shape& s) {
  std::string r = "(";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) r += ", ";
    r += s[i] < 0 ? std::string("None") : std::to_string(s[i]);
  }
  if (s.size() == 1) r += ",";
  return r + ")";
}

std::int64_t shape_size(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

namespace detail {
void assert_fail(const char* cond, const char* file, int line) {
  throw RuntimeError(cat("internal error (please report): ", cond, " failed at ", file, ":", line));
}
}  // namespace detail

}  // namespace keras
