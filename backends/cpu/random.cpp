// Counter-based random numbers: element i of a tensor drawn with `seed` is a
// pure function of (seed, i), so results do not depend on the thread split
// or on what was drawn before, and the same seed always gives the same tensor.
// The generator is SplitMix64's finalizer applied to a Weyl sequence.
#include <cmath>
#include <utility>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {
namespace {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;

inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// 64 random bits for element i of stream `key` (key = mix64(seed), plus the
// redraw round for truncated normals).
inline std::uint64_t bits(std::uint64_t key, std::uint64_t i) { return mix64(key + (i + 1) * kGolden); }

// Uniform in [0, 1) with 24 bits: exactly representable in float.
inline float unit_float(std::uint64_t b) { return static_cast<float>(b >> 40) * 0x1.0p-24f; }

// One standard normal from 64 bits (Box-Muller, cosine branch), in double so
// that the tails are right: u1 in (0, 1] from 32 bits, angle from the other 32.
inline double normal_from(std::uint64_t b) {
  const double u1 = (static_cast<double>(b >> 32) + 1.0) * 0x1.0p-32;
  const double u2 = static_cast<double>(b & 0xFFFFFFFFull) * 0x1.0p-32;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace

void CpuBackend::random_uniform(Tensor& out, float low, float high, std::uint64_t seed) {
  float* p = ptr<float>(out);
  const std::uint64_t key = mix64(seed);
  const float span = high - low;
  parallel_for(out.size(), kParallelThreshold, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float v = low + span * unit_float(bits(key, i));
      p[i] = v < high ? v : low;  // rounding could reach `high`; keep [low, high)
    }
  });
}

void CpuBackend::random_normal(Tensor& out, float mean, float stddev, std::uint64_t seed) {
  float* p = ptr<float>(out);
  const std::uint64_t key = mix64(seed);
  parallel_for(out.size(), kParallelThreshold, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      p[i] = static_cast<float>(mean + stddev * normal_from(bits(key, i)));
  });
}

void CpuBackend::random_truncated_normal(Tensor& out, float mean, float stddev, std::uint64_t seed) {
  float* p = ptr<float>(out);
  const std::uint64_t key = mix64(seed);
  parallel_for(out.size(), kParallelThreshold, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      // Redraw round r uses its own stream; about 4.6 % of draws need a second round.
      double z = normal_from(bits(key, i));
      for (std::uint64_t r = 1; std::fabs(z) > 2.0; ++r) z = normal_from(bits(mix64(key + r), i));
      p[i] = static_cast<float>(mean + stddev * z);
    }
  });
}

void CpuBackend::random_permutation(Tensor& out, std::uint64_t seed) {
  std::int64_t* p = ptr<std::int64_t>(out);
  const int64_t n = out.size();
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  const std::uint64_t key = mix64(seed);
  // Fisher-Yates; j uniform in [0, i] by the multiply-shift method.
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(
        (static_cast<unsigned __int128>(bits(key, i)) * static_cast<std::uint64_t>(i + 1)) >> 64);
    std::swap(p[i], p[j]);
  }
}

}  // namespace keras::backend::cpu
