// The CPU backend: OpenBLAS for matmul, xsimd-vectorized elementwise kernels,
// a caching allocator. Only src/backend_registry.cpp creates it.
#pragma once
#include <memory>

#include "keras/backend.hpp"

namespace keras::backend {

// A new CPU backend; the registry keeps one for the whole process.
std::unique_ptr<Backend> make_cpu_backend();

}  // namespace keras::backend
