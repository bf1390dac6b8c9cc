#include "numpy_random.hpp"

#include <numeric>

namespace keras::detail {

std::uint64_t NumpyRandomState::interval(std::uint64_t max) {
  if (max == 0) return 0;
  std::uint64_t mask = max;
  for (int s = 1; s <= 32; s <<= 1) mask |= mask >> s;
  std::uint64_t value;
  if (max <= 0xffffffffULL) {
    do value = static_cast<std::uint64_t>(mt_()) & mask; while (value > max);
  } else {
    do {
      std::uint64_t hi = mt_();
      value = ((hi << 32) | mt_()) & mask;
    } while (value > max);
  }
  return value;
}

std::vector<std::int64_t> NumpyRandomState::permutation(std::int64_t n) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), std::int64_t{0});
  shuffle(p);
  return p;
}

}  // namespace keras::detail
