// Element types and devices.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace keras {

enum class DType : std::uint8_t { float32, int32, int64, uint8, bool_ };

inline constexpr DType float32 = DType::float32;
inline constexpr DType int32 = DType::int32;
inline constexpr DType int64 = DType::int64;
inline constexpr DType uint8 = DType::uint8;
inline constexpr DType bool_ = DType::bool_;

// Size of one element in bytes.
std::size_t dtype_size(DType t);
// Keras / NumPy name: "float32", "int32", "int64", "uint8", "bool".
const char* dtype_name(DType t);
// Inverse of dtype_name; throws ValueError on an unknown name.
DType dtype_from_name(const std::string& name);
bool is_floating(DType t);

// Maps a C++ element type to its DType (bool is stored as one byte).
template <class T>
struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::float32; };
template <> struct dtype_of<std::int32_t> { static constexpr DType value = DType::int32; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::int64; };
template <> struct dtype_of<std::uint8_t> { static constexpr DType value = DType::uint8; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::bool_; };

// Where a tensor's memory lives.
struct Device {
  enum class Type : std::uint8_t { cpu, cuda };
  Type type = Type::cpu;
  int index = 0;

  static Device cpu() { return {Type::cpu, 0}; }
  static Device cuda(int index = 0) { return {Type::cuda, index}; }
  bool is_cpu() const { return type == Type::cpu; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  // "cpu", "cuda:0"
  std::string str() const;
};

}  // namespace keras
