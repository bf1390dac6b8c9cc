// Internal to the CPU backend: makes OpenBLAS (DYNAMIC_ARCH) use kernels that
// match the processor even where its own detection falls back to generic
// ones (masked CPUID models on cloud VMs pick Prescott on AVX-512 Xeons).
#pragma once
#include <string>

#include "backends/cpu/cpu_features.hpp"

namespace keras::backend::cpu {

// OpenBLAS's name for the best kernels `f` can run ("Cooperlake",
// "SkylakeX", "Haswell"), or "" when none of those fits.
std::string wanted_coretype(const CpuFeatures& f);

// Re-selects OpenBLAS's kernels when the ones it picked are weaker than
// wanted_coretype(f); never when the user set OPENBLAS_CORETYPE. Runs once
// at library load; callable again (tests). Returns the core name in use.
std::string ensure_blas_kernels(const CpuFeatures& f);

// OpenBLAS's core name ("" for another BLAS).
std::string blas_corename();

}  // namespace keras::backend::cpu
