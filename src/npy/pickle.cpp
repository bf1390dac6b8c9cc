// The bounded pickle reader (see pickle.hpp). The opcodes follow Python's
// pickletools documentation; each reads its operands through Input, which
// checks every length against the bytes left before copying anything.
#include "npy/pickle.hpp"

#include <bit>
#include <cstring>
#include <unordered_map>

#include "keras/errors.hpp"

namespace keras::detail::pickle {
namespace {

// Objects a pickle may create: at most one per input byte, and a hard cap
// so that the index type cannot overflow.
constexpr std::size_t kMaxObjects = std::size_t{1} << 30;

std::string hex_byte(unsigned v) {
  static const char* d = "0123456789abcdef";
  return std::string("0x") + d[(v >> 4) & 15] + d[v & 15];
}

class Input {
 public:
  Input(const unsigned char* p, std::size_t n, const std::string& where)
      : p_(p), n_(n), where_(where) {}
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return n_ - pos_; }
  bool done() const { return pos_ >= n_; }
  [[noreturn]] void fail(const std::string& what) const {
    throw IOError(cat(where_, ": corrupt or unsupported pickle data at byte ", pos_, ": ", what));
  }
  std::uint64_t uint(int nbytes) {
    need(static_cast<std::size_t>(nbytes), "an integer operand");
    std::uint64_t v = 0;
    for (int k = 0; k < nbytes; ++k) v |= std::uint64_t{p_[pos_ + k]} << (8 * k);
    pos_ += static_cast<std::size_t>(nbytes);
    return v;
  }
  std::string take(std::uint64_t len, const char* what) {
    need(len, what);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), static_cast<std::size_t>(len));
    pos_ += static_cast<std::size_t>(len);
    return s;
  }
  std::string line(const char* what) {
    const void* nl = std::memchr(p_ + pos_, '\n', left());
    if (!nl) fail(cat("unterminated ", what));
    const std::size_t len = static_cast<const unsigned char*>(nl) - (p_ + pos_);
    std::string s = take(len, what);
    ++pos_;
    return s;
  }
  unsigned char byte() { return static_cast<unsigned char>(uint(1)); }

 private:
  void need(std::uint64_t len, const char* what) const {
    if (len > left())
      fail(cat("truncated: ", what, " needs ", len, " bytes, ", left(), " are left"));
  }
  const unsigned char* p_;
  std::size_t n_, pos_ = 0;
  const std::string& where_;
};

class Unpickler {
 public:
  Unpickler(const unsigned char* p, std::size_t n, const std::string& where)
      : in_(p, n, where), where_(where) {}
  Unpickled run();

 private:
  bool step(unsigned char op);
  bool step_data(unsigned char op);
  bool step_containers(unsigned char op);
  bool step_memo(unsigned char op);
  Value make(Kind kind, std::string text = {});
  Value make_seq(Kind kind, std::size_t from);
  Value pop();
  Value& top();
  std::size_t pop_mark();
  Object& obj(const Value& v, Kind want, const char* op);
  void push_global(std::string module, std::string name);
  void reduce();
  void build();
  void build_dtype(Object& d, const Value& state);
  void build_ndarray(Object& a, const Value& state);
  std::string text_of(const Value& v, const char* what);
  std::int64_t int_of(const Value& v, const char* what);

  Input in_;
  const std::string& where_;
  Unpickled out_;
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Value> memo_;
};

Value Unpickler::make(Kind kind, std::string text) {
  if (out_.objects.size() >= kMaxObjects) in_.fail("too many objects");
  Object o;
  o.kind = kind;
  o.text = std::move(text);
  out_.objects.push_back(std::move(o));
  Value v;
  v.kind = kind;
  v.obj = static_cast<std::uint32_t>(out_.objects.size() - 1);
  return v;
}

Value Unpickler::make_seq(Kind kind, std::size_t from) {
  Value v = make(kind);
  out_.objects[v.obj].items.assign(stack_.begin() + static_cast<std::ptrdiff_t>(from),
                                   stack_.end());
  stack_.resize(from);
  return v;
}

Value Unpickler::pop() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
    in_.fail("an opcode needs a value but the stack is empty");
  Value v = stack_.back();
  stack_.pop_back();
  return v;
}

Value& Unpickler::top() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) in_.fail("an opcode needs a value but the stack is empty");
  return stack_.back();
}

std::size_t Unpickler::pop_mark() {
  if (marks_.empty()) in_.fail("an opcode needs a MARK but there is none");
  const std::size_t m = marks_.back();
  marks_.pop_back();
  return m;
}

Object& Unpickler::obj(const Value& v, Kind want, const char* op) {
  if (v.kind != want)
    in_.fail(cat(op, " expects a ", kind_name(want), ", found a ", kind_name(v.kind)));
  return out_.objects[v.obj];
}

std::string Unpickler::text_of(const Value& v, const char* what) {
  if (v.kind != Kind::str && v.kind != Kind::bytes)
    in_.fail(cat(what, " must be a string, found a ", kind_name(v.kind)));
  return out_.objects[v.obj].text;
}

std::int64_t Unpickler::int_of(const Value& v, const char* what) {
  if (v.kind != Kind::integer && v.kind != Kind::boolean)
    in_.fail(cat(what, " must be an integer, found a ", kind_name(v.kind)));
  return v.i;
}

void Unpickler::push_global(std::string module, std::string name) {
  // The globals Keras's RestrictedUnpickler allows, and nothing else.
  const std::string full = module + "." + name;
  if (full != "numpy.ndarray" && full != "numpy.dtype" &&
      full != "numpy.core.multiarray._reconstruct" &&
      full != "numpy._core.multiarray._reconstruct")
    in_.fail(cat("refusing to load the global '", full,
                 "' (only NumPy arrays are accepted in a data set file)"));
  stack_.push_back(make(Kind::global, full));
}

bool Unpickler::step_data(unsigned char op) {
  Value v;
  switch (op) {
    case 'N': break;
    case 0x88: case 0x89: v.kind = Kind::boolean; v.i = op == 0x88; break;
    case 'K': v.kind = Kind::integer; v.i = static_cast<std::int64_t>(in_.uint(1)); break;
    case 'M': v.kind = Kind::integer; v.i = static_cast<std::int64_t>(in_.uint(2)); break;
    case 'J':
      v.kind = Kind::integer;
      v.i = static_cast<std::int32_t>(static_cast<std::uint32_t>(in_.uint(4)));
      break;
    case 0x8a: case 0x8b: {  // LONG1 / LONG4: little-endian two's complement
      const std::uint64_t n = in_.uint(op == 0x8a ? 1 : 4);
      if (n > 8) in_.fail(cat("an integer of ", n, " bytes does not fit in 64 bits"));
      std::uint64_t u = n ? in_.uint(static_cast<int>(n)) : 0;
      if (n && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~std::uint64_t{0} << (8 * n);
      v.kind = Kind::integer;
      v.i = static_cast<std::int64_t>(u);
      break;
    }
    case 'G': {  // BINFLOAT: big-endian IEEE double
      std::uint64_t u = 0;
      for (int k = 0; k < 8; ++k) u = (u << 8) | in_.byte();
      v.kind = Kind::floating;
      v.f = std::bit_cast<double>(u);
      break;
    }
    // Python 2 str (read as bytes, as Keras reads CIFAR with encoding='bytes'), bytes, str.
    case 'U': case 'C': v = make(Kind::bytes, in_.take(in_.uint(1), "a byte string")); break;
    case 'T': case 'B': v = make(Kind::bytes, in_.take(in_.uint(4), "a byte string")); break;
    case 0x8e: v = make(Kind::bytes, in_.take(in_.uint(8), "a byte string")); break;
    case 0x8c: v = make(Kind::str, in_.take(in_.uint(1), "a string")); break;
    case 'X': v = make(Kind::str, in_.take(in_.uint(4), "a string")); break;
    case 0x8d: v = make(Kind::str, in_.take(in_.uint(8), "a string")); break;
    default: return false;
  }
  stack_.push_back(v);
  return true;
}

bool Unpickler::step_containers(unsigned char op) {
  switch (op) {
    case '(': marks_.push_back(stack_.size()); return true;
    case ')': stack_.push_back(make(Kind::tuple)); return true;
    case ']': stack_.push_back(make(Kind::list)); return true;
    case '}': stack_.push_back(make(Kind::dict)); return true;
    case 't': { const std::size_t m = pop_mark(); stack_.push_back(make_seq(Kind::tuple, m)); return true; }
    case 'l': { const std::size_t m = pop_mark(); stack_.push_back(make_seq(Kind::list, m)); return true; }
    case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
      const std::size_t n = op - 0x84u;
      if (stack_.size() < n || (!marks_.empty() && stack_.size() - n < marks_.back()))
        in_.fail("TUPLE needs more values than the stack holds");
      stack_.push_back(make_seq(Kind::tuple, stack_.size() - n));
      return true;
    }
    case 'a': { Value v = pop(); obj(top(), Kind::list, "APPEND").items.push_back(v); return true; }
    case 'e': case 'u': {  // APPENDS / SETITEMS
      const std::size_t m = pop_mark();
      if (m == 0 || m > stack_.size()) in_.fail("APPENDS/SETITEMS without a container");
      Object& c = obj(stack_[m - 1], op == 'e' ? Kind::list : Kind::dict,
                      op == 'e' ? "APPENDS" : "SETITEMS");
      if (op == 'u' && (stack_.size() - m) % 2) in_.fail("SETITEMS with an odd number of values");
      c.items.insert(c.items.end(), stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
      stack_.resize(m);
      return true;
    }
    case 's': {
      Value v = pop(), k = pop();
      Object& d = obj(top(), Kind::dict, "SETITEM");
      d.items.push_back(k);
      d.items.push_back(v);
      return true;
    }
    case 'd': { const std::size_t m = pop_mark(); stack_.push_back(make_seq(Kind::dict, m)); 
      if (out_.objects.back().items.size() % 2) in_.fail("DICT with an odd number of values");
      return true; }
    default: return false;
  }
}

bool Unpickler::step_memo(unsigned char op) {
  switch (op) {
    case 'q': memo_[in_.uint(1)] = top(); return true;
    case 'r': memo_[in_.uint(4)] = top(); return true;
    case 0x94: { const std::uint64_t k = memo_.size(); memo_[k] = top(); return true; }
    case 'h': case 'j': {
      const std::uint64_t k = in_.uint(op == 'h' ? 1 : 4);
      auto it = memo_.find(k);
      if (it == memo_.end()) in_.fail(cat("memo key ", k, " was never stored"));
      stack_.push_back(it->second);
      return true;
    }
    default: return false;
  }
}

bool Unpickler::step(unsigned char op) {
  if (step_data(op) || step_containers(op) || step_memo(op)) return true;
  switch (op) {
    case 0x80: {
      const unsigned proto = in_.byte();
      if (proto < 2 || proto > 4) in_.fail(cat("pickle protocol ", proto, " (2 to 4 are read)"));
      return true;
    }
    case 0x95: {  // FRAME: only a read-ahead hint
      const std::uint64_t n = in_.uint(8);
      if (n > in_.left()) in_.fail(cat("a frame of ", n, " bytes, only ", in_.left(), " left"));
      return true;
    }
    case 'c': { std::string m = in_.line("GLOBAL module"); push_global(m, in_.line("GLOBAL name")); return true; }
    case 0x93: {
      std::string name = text_of(pop(), "STACK_GLOBAL name");
      push_global(text_of(pop(), "STACK_GLOBAL module"), name);
      return true;
    }
    case 'R': reduce(); return true;
    case 'b': build(); return true;
    case '.': return false;
    default: in_.fail(cat("unsupported opcode ", hex_byte(op)));
  }
}

Unpickled Unpickler::run() {
  for (;;) {
    if (in_.done()) in_.fail("truncated: the pickle ends before its STOP opcode");
    const unsigned char op = in_.byte();
    if (!step(op)) break;
  }
  out_.root = pop();
  return std::move(out_);
}

void Unpickler::reduce() {
  Value args = pop();
  const std::string fn = obj(pop(), Kind::global, "REDUCE").text;
  const auto& a = obj(args, Kind::tuple, "REDUCE").items;
  if (fn.ends_with("._reconstruct")) {
    // _reconstruct(numpy.ndarray, (0,), b'b'): an empty array that BUILD fills.
    if (a.empty() || a[0].kind != Kind::global || out_.objects[a[0].obj].text != "numpy.ndarray")
      in_.fail("numpy's _reconstruct must be called with numpy.ndarray");
    stack_.push_back(make(Kind::ndarray));
  } else if (fn == "numpy.dtype") {
    if (a.empty()) in_.fail("numpy.dtype called without a type string");
    std::string descr = text_of(a[0], "numpy.dtype's type string");
    Value d = make(Kind::dtype, descr);
    out_.objects[d.obj].dtype = parse_descr(descr, where_);
    stack_.push_back(d);
  } else {
    in_.fail(cat("cannot call '", fn, "'"));
  }
}

void Unpickler::build_dtype(Object& d, const Value& state) {
  const auto& s = obj(state, Kind::tuple, "BUILD of a numpy.dtype").items;
  if (s.size() < 8) in_.fail(cat("a numpy.dtype state of ", s.size(), " items (8 or 9 expected)"));
  if (s[2].kind != Kind::none || s[3].kind != Kind::none)
    in_.fail("structured or sub-array dtypes are not supported");
  const std::string order = text_of(s[1], "the dtype's byte order");
  if (order != "<" && order != ">" && order != "|" && order != "=")
    in_.fail(cat("byte order '", order, "'"));
  d.dtype.big_endian = order == ">";
  d.built = true;
}

void Unpickler::build_ndarray(Object& a, const Value& state) {
  const auto& s = obj(state, Kind::tuple, "BUILD of a numpy.ndarray").items;
  if (s.size() != 4 && s.size() != 5)
    in_.fail(cat("a numpy.ndarray state of ", s.size(), " items (4 or 5 expected)"));
  const std::size_t o = s.size() - 4;  // the first item is a version number when present
  const Value shape = s[o], dtype = s[o + 1], fortran = s[o + 2], data = s[o + 3];
  const Object& d = obj(dtype, Kind::dtype, "the array's dtype");
  if (!d.built) in_.fail("the array's dtype has no state");
  a.dtype = d.dtype;
  a.fortran = int_of(fortran, "the array's fortran flag") != 0;
  // Elements: bounded by the bytes that hold them (at least one each).
  std::uint64_t count = 1;
  for (const Value& dim : obj(shape, Kind::tuple, "the array's shape").items) {
    const std::int64_t n = int_of(dim, "a dimension");
    if (n < 0) in_.fail(cat("negative dimension ", n));
    if (n && count > (std::uint64_t{1} << 48) / static_cast<std::uint64_t>(n))
      in_.fail("the array's shape is implausibly large");
    count *= static_cast<std::uint64_t>(n);
    a.shape.push_back(n);
  }
  if (a.dtype.kind == 'O') {
    const auto& items = obj(data, Kind::list, "an object array's data").items;
    if (items.size() != count)
      in_.fail(cat("an object array of ", count, " elements holds ", items.size()));
  } else {
    if (data.kind != Kind::bytes) in_.fail(cat("array data must be bytes, found a ", kind_name(data.kind)));
    const std::size_t have = out_.objects[data.obj].text.size();
    if (have != count * static_cast<std::uint64_t>(a.dtype.itemsize))
      in_.fail(cat("an array of ", count, " elements of ", a.dtype.itemsize, " bytes holds ",
                   have, " bytes"));
  }
  a.data = data;
  a.built = true;
}

void Unpickler::build() {
  Value state = pop();
  Value target = top();
  if (target.kind == Kind::dtype) {
    build_dtype(out_.objects[target.obj], state);
  } else if (target.kind == Kind::ndarray) {
    if (out_.objects[target.obj].built) in_.fail("an array is built twice");
    build_ndarray(out_.objects[target.obj], state);
  } else {
    in_.fail(cat("BUILD on a ", kind_name(target.kind)));
  }
}

}  // namespace

Unpickled load(const unsigned char* data, std::size_t size, const std::string& where) {
  return Unpickler(data, size, where).run();
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::none: return "None";
    case Kind::boolean: return "bool";
    case Kind::integer: return "int";
    case Kind::floating: return "float";
    case Kind::bytes: return "bytes";
    case Kind::str: return "str";
    case Kind::list: return "list";
    case Kind::tuple: return "tuple";
    case Kind::dict: return "dict";
    case Kind::global: return "global";
    case Kind::ndarray: return "numpy.ndarray";
    case Kind::dtype: return "numpy.dtype";
  }
  return "?";
}

const Value* dict_get(const Unpickled& u, const Value& dict, const std::string& key) {
  if (dict.kind != Kind::dict) return nullptr;
  const auto& items = u.get(dict).items;
  for (std::size_t k = 0; k + 1 < items.size(); k += 2)
    if ((items[k].kind == Kind::bytes || items[k].kind == Kind::str) &&
        u.get(items[k]).text == key)
      return &items[k + 1];
  return nullptr;
}

}  // namespace keras::detail::pickle
