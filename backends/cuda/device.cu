// Device discovery, backend construction, error reporting.
#include "backends/cuda/cuda_backend_impl.cuh"

namespace keras::backend {
namespace {

int cuda_device_count() {
  int n = 0;
  // No driver, no GPU or a broken installation all mean "no CUDA devices";
  // the runtime keeps the error as its last error, so clear it.
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

std::unique_ptr<Backend> make_cuda_backend(int device_index) {
  const int n = cuda_device_count();
  KERAS_CHECK(device_index >= 0 && device_index < n, ValueError, "No CUDA device ", device_index,
              ": ", n, " device(s) present");
  return std::make_unique<cuda::CudaBackend>(device_index);
}

// This backend's entry in the registration list (keras/backend.hpp).
const BackendRegistrar kRegisterCuda{{Device::Type::cuda, &cuda_device_count, &make_cuda_backend}};

}  // namespace

}  // namespace keras::backend

namespace keras::backend::cuda {

void throw_error(const char* library, const char* call, const char* what, const char* file,
                 int line) {
  throw RuntimeError(detail::cat(library, " error in ", call, ": ", what, " (", file, ":", line, ")"));
}

CudaBackend::CudaBackend(int device_index) : index_(device_index) {
  KERAS_CUDA_CHECK(cudaSetDevice(index_));
  KERAS_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  try {
    KERAS_CUBLAS_CHECK(cublasCreate(&cublas_));
    KERAS_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    // Plain FP32 results (no TF32), so CUDA and CPU agree to float rounding.
    KERAS_CUBLAS_CHECK(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH));
    KERAS_CUDNN_CHECK(cudnnCreate(&cudnn_));
    KERAS_CUDNN_CHECK(cudnnSetStream(cudnn_, stream_));
  } catch (...) {
    if (cudnn_) cudnnDestroy(cudnn_);
    if (cublas_) cublasDestroy(cublas_);
    cudaStreamDestroy(stream_);
    throw;
  }
}

CudaBackend::~CudaBackend() {
  // At process exit the CUDA runtime may already be shut down; then the
  // driver reclaims everything and calling into the libraries is unsafe.
  if (cudaSetDevice(index_) != cudaSuccess) {
    (void)cudaGetLastError();
    return;
  }
  (void)cudaStreamSynchronize(stream_);
  alloc_.release_cached();
  if (cudnn_) (void)cudnnDestroy(cudnn_);
  if (cublas_) (void)cublasDestroy(cublas_);
  (void)cudaStreamDestroy(stream_);
  (void)cudaGetLastError();
}

void CudaBackend::activate() const {
  int current = -1;
  KERAS_CUDA_CHECK(cudaGetDevice(&current));
  if (current != index_) KERAS_CUDA_CHECK(cudaSetDevice(index_));
}

void CudaBackend::synchronize() {
  activate();
  KERAS_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

}  // namespace keras::backend::cuda
