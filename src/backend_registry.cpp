// The one place that knows which backends exist.
#include <memory>
#include <mutex>

#include "backends/cpu/cpu_backend.hpp"
#include "keras/backend.hpp"
#include "keras/config.hpp"
#ifdef KERAS_HAVE_CUDA
#include "backends/cuda/cuda_backend.hpp"
#endif

namespace keras::backend {
namespace {

struct Registry {
  std::unique_ptr<Backend> cpu;
  std::vector<std::unique_ptr<Backend>> cuda;
  int cuda_count = -1;
  std::mutex mu;
};

Registry& registry() {
  static Registry r;
  return r;
}

int cuda_devices() {
#ifdef KERAS_HAVE_CUDA
  auto& r = registry();
  if (r.cuda_count < 0) r.cuda_count = cuda_device_count();
  return r.cuda_count;
#else
  return 0;
#endif
}

}  // namespace

Backend& get(Device device) {
  auto& r = registry();
  if (device.type == Device::Type::cpu) {
    if (!r.cpu) {
      std::lock_guard<std::mutex> lock(r.mu);
      if (!r.cpu) r.cpu = make_cpu_backend();
    }
    return *r.cpu;
  }
  std::lock_guard<std::mutex> lock(r.mu);
  int n = cuda_devices();
  KERAS_CHECK(device.index >= 0 && device.index < n, ValueError, "No backend for device ",
              device.str(), ": ",
              n == 0 ? "this build has no CUDA backend or no GPU is present"
                     : "there are only " + std::to_string(n) + " CUDA devices");
#ifdef KERAS_HAVE_CUDA
  if (r.cuda.size() < static_cast<std::size_t>(n)) r.cuda.resize(n);
  if (!r.cuda[device.index]) r.cuda[device.index] = make_cuda_backend(device.index);
  return *r.cuda[device.index];
#else
  throw ValueError("unreachable");
#endif
}

bool is_available(Device::Type type) {
  if (type == Device::Type::cpu) return true;
  std::lock_guard<std::mutex> lock(registry().mu);
  return cuda_devices() > 0;
}

std::vector<Device> available_devices() {
  std::vector<Device> d{Device::cpu()};
  int n;
  {
    std::lock_guard<std::mutex> lock(registry().mu);
    n = cuda_devices();
  }
  for (int i = 0; i < n; ++i) d.push_back(Device::cuda(i));
  return d;
}

}  // namespace keras::backend

namespace keras::config {
namespace {
Device g_device = Device::cpu();
}
Device device() { return g_device; }
void set_device(Device d) {
  KERAS_CHECK(backend::is_available(d.type), ValueError, "Cannot use device ", d.str(),
              ": no backend is available for it");
  backend::get(d);  // validates the index
  g_device = d;
}
}  // namespace keras::config
