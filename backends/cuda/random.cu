// Counter-based random numbers: element i drawn with `seed` is a pure
// function of (seed, i) (SplitMix64's finalizer over a Weyl sequence), the
// same generator as the CPU backend, so a seed gives the same tensor on
// either device (up to the last bit of the transcendental functions).
#include <utility>
#include <vector>

#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {
namespace {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;

__host__ __device__ __forceinline__ std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

__host__ __device__ __forceinline__ std::uint64_t bits(std::uint64_t key, std::uint64_t i) {
  return mix64(key + (i + 1) * kGolden);
}

// Uniform in [0, 1) with 24 bits (exact in float).
__device__ __forceinline__ float unit_float(std::uint64_t b) {
  return static_cast<float>(b >> 40) * 0x1.0p-24f;
}

// Box-Muller (cosine branch) in double so the tails are right.
__device__ __forceinline__ double normal_from(std::uint64_t b) {
  const double u1 = (static_cast<double>(b >> 32) + 1.0) * 0x1.0p-32;
  const double u2 = static_cast<double>(b & 0xFFFFFFFFull) * 0x1.0p-32;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

__global__ void uniform_kernel(float* out, float low, float high, std::uint64_t key,
                               std::int64_t n) {
  const float span = high - low;
  KERAS_CUDA_LOOP(i, n) {
    const float v = low + span * unit_float(bits(key, static_cast<std::uint64_t>(i)));
    out[i] = v < high ? v : low;  // rounding could reach `high`; keep [low, high)
  }
}

__global__ void normal_kernel(float* out, float mean, float stddev, std::uint64_t key,
                              std::int64_t n, bool truncated) {
  KERAS_CUDA_LOOP(i, n) {
    const auto u = static_cast<std::uint64_t>(i);
    double z = normal_from(bits(key, u));
    // Redraw round r uses its own stream; ~4.6% of draws need a second one.
    if (truncated)
      for (std::uint64_t r = 1; fabs(z) > 2.0; ++r) z = normal_from(bits(mix64(key + r), u));
    out[i] = static_cast<float>(mean + stddev * z);
  }
}

}  // namespace

void CudaBackend::random_uniform(Tensor& out, float low, float high, std::uint64_t seed) {
  const std::int64_t n = out.size();
  if (n == 0) return;
  activate();
  const auto c = launch_config(n);
  uniform_kernel<<<c.grid, c.block, 0, stream_>>>(ptr<float>(out), low, high, mix64(seed), n);
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::random_normal(Tensor& out, float mean, float stddev, std::uint64_t seed) {
  const std::int64_t n = out.size();
  if (n == 0) return;
  activate();
  const auto c = launch_config(n);
  normal_kernel<<<c.grid, c.block, 0, stream_>>>(ptr<float>(out), mean, stddev, mix64(seed), n, false);
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::random_truncated_normal(Tensor& out, float mean, float stddev,
                                          std::uint64_t seed) {
  const std::int64_t n = out.size();
  if (n == 0) return;
  activate();
  const auto c = launch_config(n);
  normal_kernel<<<c.grid, c.block, 0, stream_>>>(ptr<float>(out), mean, stddev, mix64(seed), n, true);
  KERAS_CUDA_CHECK_LAUNCH();
}

void CudaBackend::random_permutation(Tensor& out, std::uint64_t seed) {
  // Fisher-Yates on the host, exactly as the CPU backend does, then one
  // upload: permutations are drawn once per epoch (dataset shuffling), and
  // the same seed then shuffles identically on every device.
  const std::int64_t n = out.size();
  if (n == 0) return;
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[i] = i;
  const std::uint64_t key = mix64(seed);
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(
        (static_cast<unsigned __int128>(bits(key, static_cast<std::uint64_t>(i))) *
         static_cast<std::uint64_t>(i + 1)) >> 64);
    std::swap(p[i], p[j]);
  }
  copy_from_host(out.data_ptr(), p.data(), p.size() * sizeof(std::int64_t));
}

}  // namespace keras::backend::cuda
