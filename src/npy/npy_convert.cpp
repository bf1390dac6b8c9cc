// Conversions of a read .npy array: to a keras Tensor, to lists of ints
// (the object arrays of imdb.npz / reuters.npz), and single elements.
#include <cmath>
#include <cstring>
#include <limits>

#include "keras/errors.hpp"
#include "npy/npy.hpp"

namespace keras::detail::npy {
namespace {

template <class T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

float half_to_float(std::uint16_t h) {
  const int exp = (h >> 10) & 31, man = h & 1023;
  const float sign = (h >> 15) ? -1.f : 1.f;
  if (exp == 0) return sign * std::ldexp(static_cast<float>(man), -24);
  if (exp == 31) return man ? std::numeric_limits<float>::quiet_NaN()
                            : sign * std::numeric_limits<float>::infinity();
  return sign * std::ldexp(static_cast<float>(man + 1024), exp - 25);
}

DType tensor_dtype(const pickle::DtypeInfo& d) {
  if (d.kind == 'b') return bool_;
  if (d.kind == 'f') return float32;
  if (d.kind == 'u' && d.itemsize == 1) return uint8;
  if ((d.kind == 'i' && d.itemsize <= 4) || (d.kind == 'u' && d.itemsize == 2)) return int32;
  return int64;
}

}  // namespace

double element(const Array& a, std::int64_t i) {
  KERAS_CHECK(a.dtype.kind != 'O' && i >= 0 && i < a.size(), IOError, a.where,
              ": expected a numeric array with an element ", i);
  const unsigned char* p = a.data.data() + i * a.dtype.itemsize;
  const char k = a.dtype.kind;
  switch (a.dtype.itemsize) {
    case 1: return k == 'i' ? load<std::int8_t>(p) : load<std::uint8_t>(p);
    case 2: return k == 'f' ? half_to_float(load<std::uint16_t>(p))
                 : k == 'i' ? load<std::int16_t>(p) : load<std::uint16_t>(p);
    case 4: return k == 'f' ? load<float>(p) : k == 'i' ? load<std::int32_t>(p) : load<std::uint32_t>(p);
    default:
      return k == 'f' ? load<double>(p)
                      : k == 'i' ? static_cast<double>(load<std::int64_t>(p))
                                 : static_cast<double>(load<std::uint64_t>(p));
  }
}

Tensor to_tensor(const Array& a) {
  KERAS_CHECK(a.dtype.kind != 'O', IOError, a.where,
              ": an object array (dtype |O) cannot become a tensor");
  const DType t = tensor_dtype(a.dtype);
  Tensor out = Tensor::empty(Shape(a.shape.begin(), a.shape.end()), t);
  const std::int64_t n = a.size();
  const unsigned char* p = a.data.data();
  const std::size_t w = static_cast<std::size_t>(a.dtype.itemsize);
  const bool same = (a.dtype.kind == 'b') || (a.dtype.kind == 'u' && w == 1) ||
                    (a.dtype.kind == 'i' && (w == 4 || w == 8)) || (a.dtype.kind == 'f' && w == 4);
  if (same) {
    auto* o = static_cast<unsigned char*>(out.data_ptr());
    if (n) std::memcpy(o, p, a.data.size());  // the same layout
    if (a.dtype.kind == 'b')
      for (std::int64_t i = 0; i < n; ++i) o[i] = o[i] != 0;  // any non-zero byte is True
  } else if (t == float32) {
    float* o = out.data<float>();
    for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(element(a, i));
  } else if (t == int32) {
    std::int32_t* o = out.data<std::int32_t>();
    for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<std::int32_t>(element(a, i));
  } else {  // int64 from int64, uint32 or uint64
    std::int64_t* o = out.data<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i) {
      const unsigned char* q = p + i * w;
      if (w == 4) { o[i] = load<std::uint32_t>(q); continue; }
      const std::uint64_t u = load<std::uint64_t>(q);
      KERAS_CHECK(a.dtype.kind == 'i' || u <= std::uint64_t(std::numeric_limits<std::int64_t>::max()),
                  ValueError, a.where, ": uint64 value ", u, " at index ", i,
                  " does not fit in int64");
      o[i] = static_cast<std::int64_t>(u);
    }
  }
  return out;
}

std::vector<std::vector<std::int64_t>> int_lists(const Array& a) {
  KERAS_CHECK(a.dtype.kind == 'O' && a.objects, IOError, a.where,
              ": expected an object array of lists of ints, found dtype ", a.dtype.str());
  std::vector<std::vector<std::int64_t>> out;
  out.reserve(a.elements.size());
  for (std::size_t k = 0; k < a.elements.size(); ++k) {
    const pickle::Value& e = a.elements[k];
    KERAS_CHECK(e.kind == pickle::Kind::list || e.kind == pickle::Kind::tuple, IOError, a.where,
                ": element ", k, " is a ", pickle::kind_name(e.kind), ", expected a list of ints");
    const auto& items = a.objects->get(e).items;
    std::vector<std::int64_t> seq(items.size());
    for (std::size_t j = 0; j < items.size(); ++j) {
      KERAS_CHECK(items[j].kind == pickle::Kind::integer, IOError, a.where, ": element ", k,
                  " holds a ", pickle::kind_name(items[j].kind), " at position ", j,
                  ", expected an int");
      seq[j] = items[j].i;
    }
    out.push_back(std::move(seq));
  }
  return out;
}

}  // namespace keras::detail::npy
