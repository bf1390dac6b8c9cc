// Internal: a backend's all-reduce on its own device (NCCL for CUDA,
// backends/cuda/nccl_allreduce.cu), used by the data-parallel gradient sum
// when the gradients live on that device.
#pragma once
#include <cstddef>
#include <cstdint>

#include "keras/dtype.hpp"

namespace keras::distribution::detail {

// In-place sum over every rank of `count` float32 at `data` on `device`,
// queued on the device's stream; returns when the sum is in `data`.
using DeviceAllReduce = void (*)(void* data, std::int64_t count, Device device, int rank, int size);

struct DeviceAllReduceRegistrar {
  DeviceAllReduceRegistrar(Device::Type type, DeviceAllReduce fn);
};
// The registered all-reduce for `type`, or nullptr.
DeviceAllReduce device_allreduce(Device::Type type);

// `n` bytes from rank 0 to every rank, through the host's transport (MPI);
// how a device all-reduce shares its communicator's id.
void broadcast_bytes(void* data, std::size_t n);

}  // namespace keras::distribution::detail
