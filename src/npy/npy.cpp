// .npy reading (see npy.hpp). The header is a Python dict literal such as
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
// which a small parser reads without evaluating anything.
#include "npy/npy.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "keras/errors.hpp"

namespace keras::detail {
namespace pickle {

DtypeInfo parse_descr(const std::string& descr, const std::string& where) {
  DtypeInfo d;
  std::size_t k = 0;
  if (k < descr.size() && (descr[k] == '<' || descr[k] == '>' || descr[k] == '|' ||
                           descr[k] == '=')) {
    d.big_endian = descr[k] == '>';
    ++k;
  }
  const std::string rest = descr.substr(k);
  auto bad = [&]() {
    return IOError(cat(where, ": unsupported NumPy dtype '", descr, "' (expected a bool, ",
                       "integer, float or object type string such as '<f8' or '|u1')"));
  };
  if (rest == "O" || rest == "O8" || rest == "O4") {
    d.kind = 'O';
    d.itemsize = 8;
    return d;
  }
  if (rest.size() != 2 || rest[1] < '1' || rest[1] > '8') throw bad();
  d.kind = rest[0];
  d.itemsize = rest[1] - '0';
  const bool ok = (d.kind == 'b' && d.itemsize == 1) ||
                  ((d.kind == 'i' || d.kind == 'u') && std::has_single_bit(unsigned(d.itemsize))) ||
                  (d.kind == 'f' && (d.itemsize == 2 || d.itemsize == 4 || d.itemsize == 8));
  if (!ok) throw bad();
  if (d.itemsize == 1) d.big_endian = false;
  return d;
}

std::string DtypeInfo::str() const {
  if (kind == 'O') return "|O";
  return std::string(itemsize == 1 ? "|" : big_endian ? ">" : "<") + kind +
         std::to_string(itemsize);
}

}  // namespace pickle

namespace npy {
namespace {

struct Header {
  std::string descr;
  bool fortran = false;
  std::vector<std::int64_t> shape;
};

// Reads the header dict; throws IOError naming `where` on anything else.
class HeaderParser {
 public:
  HeaderParser(const std::string& s, const std::string& where) : s_(s), where_(where) {}
  Header parse() {
    Header h;
    bool seen[3] = {false, false, false};
    expect('{');
    while (!peek('}')) {
      const std::string key = string();
      expect(':');
      if (key == "descr") {
        if (peek('[')) fail("structured dtypes (a list of fields) are not supported");
        h.descr = string();
        seen[0] = true;
      } else if (key == "fortran_order") {
        h.fortran = boolean();
        seen[1] = true;
      } else if (key == "shape") {
        h.shape = tuple();
        seen[2] = true;
      } else {
        fail(cat("unexpected key '", key, "'"));
      }
      if (!peek('}')) expect(',');
    }
    expect('}');
    if (!seen[0] || !seen[1] || !seen[2])
      fail("the header lacks one of 'descr', 'fortran_order' and 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw IOError(cat(where_, ": corrupt .npy header (", what, "): ", s_.substr(0, 200)));
  }
  void space() {
    while (k_ < s_.size() && (s_[k_] == ' ' || s_[k_] == '\n' || s_[k_] == '\t')) ++k_;
  }
  bool peek(char c) {
    space();
    return k_ < s_.size() && s_[k_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(cat("expected '", std::string(1, c), "'"));
    ++k_;
  }
  std::string string() {
    space();
    if (k_ >= s_.size() || (s_[k_] != '\'' && s_[k_] != '"')) fail("expected a string");
    const char q = s_[k_++];
    const std::size_t end = s_.find(q, k_);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = s_.substr(k_, end - k_);
    k_ = end + 1;
    return out;
  }
  bool boolean() {
    space();
    for (const char* w : {"True", "False"})
      if (s_.compare(k_, std::strlen(w), w) == 0) {
        k_ += std::strlen(w);
        return w[0] == 'T';
      }
    fail("expected True or False");
  }
  std::vector<std::int64_t> tuple() {
    std::vector<std::int64_t> dims;
    expect('(');
    while (!peek(')')) {
      std::int64_t v = 0;
      std::size_t digits = 0;
      while (k_ < s_.size() && s_[k_] >= '0' && s_[k_] <= '9') {
        if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) fail("dimension too large");
        v = v * 10 + (s_[k_++] - '0');
        ++digits;
      }
      if (!digits) fail("expected a dimension");
      if (k_ < s_.size() && s_[k_] == 'L') ++k_;  // Python 2 long
      dims.push_back(v);
      if (dims.size() > 32) fail("more than 32 dimensions");
      if (!peek(')')) expect(',');
    }
    expect(')');
    return dims;
  }
  const std::string& s_;
  const std::string& where_;
  std::size_t k_ = 0;
};

// Element count, checked so that count * itemsize fits in `limit` bytes.
std::uint64_t checked_count(const std::vector<std::int64_t>& shape, std::uint64_t itemsize,
                            std::uint64_t limit, const std::string& where) {
  std::uint64_t count = 1;
  for (const std::int64_t d : shape) count = d == 0 ? 0 : count;
  if (count == 0) return 0;
  for (const std::int64_t d : shape) {
    const auto n = static_cast<std::uint64_t>(d);
    if (count > limit / n / itemsize)
      throw IOError(cat(where, ": truncated or corrupt file: the header declares shape (",
                        shape_str(Shape(shape.begin(), shape.end())), ") of ", itemsize,
                        "-byte elements but only ", limit, " bytes of data follow"));
    count *= n;
  }
  return count;
}

// Reorders `count` elements of `item` bytes from Fortran to C order.
std::vector<std::size_t> fortran_to_c_index(const std::vector<std::int64_t>& shape,
                                            std::size_t count) {
  const std::size_t nd = shape.size();
  std::vector<std::size_t> stride(nd, 1), idx(nd, 0), map(count);
  for (std::size_t d = 1; d < nd; ++d) stride[d] = stride[d - 1] * static_cast<std::size_t>(shape[d - 1]);
  for (std::size_t c = 0; c < count; ++c) {
    std::size_t f = 0;
    for (std::size_t d = 0; d < nd; ++d) f += idx[d] * stride[d];
    map[c] = f;
    for (std::size_t d = nd; d-- > 0;) {  // C order: the last index moves fastest
      if (++idx[d] < static_cast<std::size_t>(shape[d])) break;
      idx[d] = 0;
    }
  }
  return map;
}

void to_c_order(Array& a) {
  const std::size_t count = static_cast<std::size_t>(a.size());
  if (a.shape.size() < 2 || count == 0) return;
  const std::vector<std::size_t> map = fortran_to_c_index(a.shape, count);
  if (a.dtype.kind == 'O') {
    std::vector<pickle::Value> e(count);
    for (std::size_t c = 0; c < count; ++c) e[c] = a.elements[map[c]];
    a.elements = std::move(e);
    return;
  }
  const std::size_t w = static_cast<std::size_t>(a.dtype.itemsize);
  std::vector<unsigned char> out(a.data.size());
  for (std::size_t c = 0; c < count; ++c) std::memcpy(&out[c * w], &a.data[map[c] * w], w);
  a.data = std::move(out);
}

void read_objects(Array& a, const unsigned char* p, std::size_t n, std::uint64_t count) {
  auto u = std::make_shared<pickle::Unpickled>(pickle::load(p, n, a.where));
  const pickle::Value root = u->root;
  if (root.kind != pickle::Kind::ndarray)
    throw IOError(cat(a.where, ": an object array's pickle holds a ",
                      pickle::kind_name(root.kind), ", expected a numpy.ndarray"));
  const pickle::Object& arr = u->get(root);
  if (arr.dtype.kind != 'O' || arr.shape != a.shape)
    throw IOError(cat(a.where, ": the pickled array (dtype ", arr.dtype.str(), ") does not match ",
                      "the header (dtype |O, shape ", a.shape.size(), " dimensions)"));
  a.elements = u->get(arr.data).items;
  if (a.elements.size() != count)
    throw IOError(cat(a.where, ": the pickled array holds ", a.elements.size(),
                      " elements, the header declares ", count));
  // The pickle stores the elements in the array's own memory order.
  if (arr.fortran != a.fortran)
    throw IOError(cat(a.where, ": the pickled array's order differs from the header's"));
  a.objects = std::move(u);
}

// Native byte order and C order.
void finish(Array& a) {
  if (a.dtype.big_endian && a.dtype.kind != 'O') {
    const std::size_t w = static_cast<std::size_t>(a.dtype.itemsize);
    for (std::size_t k = 0; k < a.data.size(); k += w) std::reverse(&a.data[k], &a.data[k] + w);
  }
  a.dtype.big_endian = false;
  if (a.fortran) to_c_order(a);
  a.fortran = false;
}

}  // namespace

std::int64_t Array::size() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

Array read_npy(const unsigned char* p, std::size_t n, const std::string& where) {
  static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  KERAS_CHECK(n >= 10 && std::memcmp(p, magic, 6) == 0, IOError, where,
              ": not a .npy file (expected the magic bytes \\x93NUMPY, the file has ", n,
              " bytes)");
  const unsigned major = p[6];
  KERAS_CHECK(major >= 1 && major <= 3, IOError, where, ": unsupported .npy version ", major,
              ".", unsigned(p[7]), " (1.0, 2.0 and 3.0 are read)");
  std::size_t pos = major == 1 ? 10 : 12;
  KERAS_CHECK(n >= pos, IOError, where, ": truncated .npy header");
  std::uint64_t hlen = p[8] | (std::uint64_t{p[9]} << 8);
  if (major > 1) hlen |= (std::uint64_t{p[10]} << 16) | (std::uint64_t{p[11]} << 24);
  KERAS_CHECK(hlen <= n - pos, IOError, where, ": truncated file: the .npy header declares ",
              hlen, " bytes, ", n - pos, " follow");
  const std::string text(reinterpret_cast<const char*>(p + pos), hlen);
  pos += hlen;
  const Header h = HeaderParser(text, where).parse();
  Array a;
  a.where = where;
  a.dtype = pickle::parse_descr(h.descr, where);
  a.shape = h.shape;
  a.fortran = h.fortran;
  const std::size_t left = n - pos;
  if (a.dtype.kind == 'O') {
    // Every element takes at least one byte of the pickle.
    read_objects(a, p + pos, left, checked_count(a.shape, 1, left, where));
  } else {
    const std::uint64_t count = checked_count(a.shape, a.dtype.itemsize, left, where);
    const std::uint64_t bytes = count * static_cast<std::uint64_t>(a.dtype.itemsize);
    KERAS_CHECK(bytes == left, IOError, where, ": expected ", bytes, " bytes of ",
                a.dtype.str(), " data after the header, found ", left);
    a.data.assign(p + pos, p + n);
  }
  finish(a);
  return a;
}

Array from_pickled(const pickle::Unpickled& u, const pickle::Value& v, const std::string& where) {
  KERAS_CHECK(v.kind == pickle::Kind::ndarray && u.get(v).built, IOError, where,
              ": expected a numpy array, found a ", pickle::kind_name(v.kind));
  const pickle::Object& o = u.get(v);
  KERAS_CHECK(o.dtype.kind != 'O', IOError, where, ": expected a numeric array, found dtype |O");
  Array a;
  a.where = where;
  a.dtype = o.dtype;
  a.shape = o.shape;
  a.fortran = o.fortran;
  const std::string& bytes = u.get(o.data).text;  // its size was checked when it was built
  a.data.assign(bytes.begin(), bytes.end());
  finish(a);
  return a;
}

}  // namespace npy
}  // namespace keras::detail
