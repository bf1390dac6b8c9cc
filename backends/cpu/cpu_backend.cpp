// The CPU Backend's own methods (name, device, copies, supports) and its
// registration. The kernels are CpuBackend methods defined in their kernel
// files (see cpu_backend.hpp).
#include "backends/cpu/cpu_backend.hpp"

#include <cstring>
#include <memory>

#include "backends/cpu/kernels.hpp"

namespace keras::backend::cpu {

std::string CpuBackend::name() const { return "cpu"; }
Device CpuBackend::device() const { return Device::cpu(); }

void CpuBackend::copy_from_host(void* dst, const void* src, std::size_t n) { copy(dst, src, n); }
void CpuBackend::copy_to_host(void* dst, const void* src, std::size_t n) { copy(dst, src, n); }
void CpuBackend::copy(void* dst, const void* src, std::size_t n) {
  if (n && dst != src) std::memmove(dst, src, n);
}

bool CpuBackend::supports(Op op, std::initializer_list<DType> dtypes, const ConvPoolShapes* s) const {
  if (op == Op::conv2d_bias_activation_max_pool)
    return s && Backend::supports(Op::conv2d, dtypes) && conv2d_fuses_max_pool(s->x, s->w, s->conv, s->pool);
  if (op == Op::attention) return Backend::supports(Op::softmax, dtypes);
  return Backend::supports(op, dtypes);
}

namespace {

int cpu_device_count() { return 1; }
std::unique_ptr<Backend> make_cpu_backend(int) { return std::make_unique<CpuBackend>(); }
const BackendRegistrar kRegisterCpu{{Device::Type::cpu, &cpu_device_count, &make_cpu_backend}};

}  // namespace

}  // namespace keras::backend::cpu
