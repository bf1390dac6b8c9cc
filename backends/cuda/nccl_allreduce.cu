// The data-parallel gradient sum on a CUDA device: NCCL's all-reduce on the
// backend's stream (one process per GPU). The communicator is made at the
// first call: rank 0's NCCL unique id reaches the other ranks through the
// host transport (MPI, src/distribution/), then every rank joins it.
#include <nccl.h>

#include <string>

#include "backends/cuda/cuda_backend_impl.cuh"
#include "distribution/device_reduce.hpp"

namespace keras::backend::cuda {
namespace {

void nccl_check(ncclResult_t r, const char* call) {
  if (r != ncclSuccess)
    throw RuntimeError(std::string("NCCL error in ") + call + ": " + ncclGetErrorString(r) +
                       " (data-parallel gradient all-reduce)");
}

struct NcclState {
  ncclComm_t comm = nullptr;
  int rank = -1, size = 0, device = -1;
};

NcclState& state() {
  static NcclState s;
  return s;
}

void ensure_comm(int rank, int size, int device) {
  NcclState& s = state();
  if (s.comm && s.rank == rank && s.size == size && s.device == device) return;
  KERAS_CHECK(!s.comm, RuntimeError, "NCCL: the communicator of rank ", s.rank, " on device ", s.device,
              " cannot move to rank ", rank, " on device ", device);
  ncclUniqueId id;
  if (rank == 0) nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  distribution::detail::broadcast_bytes(&id, sizeof id);
  nccl_check(ncclCommInitRank(&s.comm, size, id, rank), "ncclCommInitRank");
  s.rank = rank;
  s.size = size;
  s.device = device;
}

void nccl_allreduce(void* data, std::int64_t count, Device device, int rank, int size) {
  auto& b = dynamic_cast<CudaBackend&>(backend::get(device));
  b.activate();
  ensure_comm(rank, size, device.index);
  nccl_check(ncclAllReduce(data, data, static_cast<std::size_t>(count), ncclFloat32, ncclSum, state().comm, b.stream()),
             "ncclAllReduce");
  // The sum is queued on the stream every later op of this backend uses, so
  // no host wait is needed for correctness; wait here so the collective's
  // deadline on the host covers the device too.
  KERAS_CUDA_CHECK(cudaStreamSynchronize(b.stream()));
}

const distribution::detail::DeviceAllReduceRegistrar kRegisterNccl{Device::Type::cuda, &nccl_allreduce};

}  // namespace
}  // namespace keras::backend::cuda
