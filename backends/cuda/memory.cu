// Device memory: a caching allocator on cudaMalloc, and copies.
#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend::cuda {

std::size_t CachingAllocator::round_up(std::size_t n) {
  // Small blocks in 512-byte steps, large ones in 128 KiB steps (at most
  // ~12% waste above 1 MiB) so that sizes recurring every step share a bin.
  constexpr std::size_t kSmall = 512, kLarge = std::size_t{128} << 10, kSplit = std::size_t{1} << 20;
  const std::size_t step = n <= kSplit ? kSmall : kLarge;
  return (n + step - 1) / step * step;
}

void* CachingAllocator::allocate(std::size_t nbytes) {
  if (nbytes == 0) return nullptr;
  const std::size_t size = round_up(nbytes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      return p;
    }
  }
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, size);
  if (err == cudaErrorMemoryAllocation) {
    // Cached blocks of other sizes may be enough: give them back and retry.
    (void)cudaGetLastError();
    KERAS_CUDA_CHECK(cudaDeviceSynchronize());
    release_cached();
    err = cudaMalloc(&p, size);
  }
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    throw RuntimeError(detail::cat("CUDA out of memory or error allocating ", nbytes,
                                   " bytes: ", cudaGetErrorString(err)));
  }
  return p;
}

void CachingAllocator::deallocate(void* ptr, std::size_t nbytes) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  free_[round_up(nbytes)].push_back(ptr);
}

void CachingAllocator::release_cached() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [size, blocks] : free_)
    for (void* p : blocks) (void)cudaFree(p);
  free_.clear();
}

CachingAllocator::~CachingAllocator() = default;  // the backend releases before its stream goes

void* CudaBackend::allocate(std::size_t nbytes) {
  activate();
  return alloc_.allocate(nbytes);
}

void CudaBackend::deallocate(void* ptr, std::size_t nbytes) { alloc_.deallocate(ptr, nbytes); }

void CudaBackend::copy_from_host(void* dst, const void* host_src, std::size_t nbytes) {
  if (nbytes == 0) return;
  activate();
  // From pageable memory this returns once the source has been staged, so
  // the caller may free it right away.
  KERAS_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, nbytes, cudaMemcpyHostToDevice, stream_));
}

void CudaBackend::copy_to_host(void* host_dst, const void* src, std::size_t nbytes) {
  if (nbytes == 0) return;
  activate();
  KERAS_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, nbytes, cudaMemcpyDeviceToHost, stream_));
  KERAS_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void CudaBackend::copy(void* dst, const void* src, std::size_t nbytes) {
  if (nbytes == 0 || dst == src) return;
  activate();
  KERAS_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, stream_));
}

}  // namespace keras::backend::cuda
