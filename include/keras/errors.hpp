// Exceptions thrown for user errors. Internal invariants use KERAS_ASSERT.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace keras {

// Base of every exception the library throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A value (shape, name, argument) is wrong: "expected X, received Y".
class ValueError : public Error {
 public:
  using Error::Error;
};
// A dtype or kind of object is wrong.
class TypeError : public ValueError {
 public:
  using ValueError::ValueError;
};
// Files: missing, truncated, corrupt.
class IOError : public Error {
 public:
  using Error::Error;
};
// Something the library does not support (yet), e.g. an op on a backend.
class NotImplementedError : public Error {
 public:
  using Error::Error;
};
// A size beyond what may be allocated: a model or file declaring more
// memory than the load budget allows, or an allocation that failed.
class ResourceExhaustedError : public Error {
 public:
  using Error::Error;
};
// A computation went wrong at run time (device errors, NaN loss).
class RuntimeError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <class... A>
std::string cat(const A&... a) {
  std::ostringstream s;
  (s << ... << a);
  return s.str();
}
[[noreturn]] void assert_fail(const char* cond, const char* file, int line);
}  // namespace detail

}  // namespace keras

// Throw a user-facing error of type E with a streamed message:
//   KERAS_CHECK(a.ndim() == 2, ValueError, "expected 2-D input, received ", a.shape_str());
#define KERAS_CHECK(cond, E, ...) \
  do {                            \
    if (!(cond)) throw ::keras::E(::keras::detail::cat(__VA_ARGS__)); \
  } while (0)

// Internal invariant: a failure is a library bug (throws, never aborts).
#define KERAS_ASSERT(cond) \
  do {                     \
    if (!(cond)) ::keras::detail::assert_fail(#cond, __FILE__, __LINE__); \
  } while (0)
