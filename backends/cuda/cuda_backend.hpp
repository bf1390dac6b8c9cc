// The CUDA backend's entry points. Plain C++ (no CUDA headers): only
// src/backend_registry.cpp includes it, under KERAS_HAVE_CUDA.
#pragma once
#include <memory>

#include "keras/backend.hpp"

namespace keras::backend {

// Number of usable CUDA devices; 0 (never an exception) when there is no
// driver or no GPU.
int cuda_device_count();

// A backend running on CUDA device `device_index` (0-based). Throws
// keras::RuntimeError if the device, cuBLAS or cuDNN cannot be initialized.
std::unique_ptr<Backend> make_cuda_backend(int device_index);

}  // namespace keras::backend
