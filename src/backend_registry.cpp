// The registration list of backends: each backend's files register a
// factory (BackendRegistrar); this file only keeps the list and the
// per-device instances.
#include <atomic>
#include <memory>
#include <mutex>

#include "keras/backend.hpp"
#include "keras/config.hpp"

namespace keras::backend {
namespace {

struct Entry {
  BackendFactory factory;
  int count = -1;  // device_count(), asked once
  std::vector<std::unique_ptr<Backend>> instances;
};

struct Registry {
  std::vector<Entry> entries;
  std::mutex mu;
};

Registry& registry() {
  static Registry r;
  return r;
}

// Backends made so far, for a lock-free get() on every op: once made, a
// backend lives as long as the program (slots are written under the lock).
constexpr int kFastTypes = 4, kFastIndices = 16;
std::atomic<Backend*> g_made[kFastTypes][kFastIndices];

std::atomic<Backend*>* fast_slot(Device d) {
  const int t = static_cast<int>(d.type);
  return t < kFastTypes && d.index >= 0 && d.index < kFastIndices ? &g_made[t][d.index] : nullptr;
}

// The entry for a device type, or null; the caller holds the lock.
Entry* find(Device::Type type) {
  for (auto& e : registry().entries)
    if (e.factory.type == type) return &e;
  return nullptr;
}

int count(Entry* e) {
  if (!e) return 0;
  if (e->count < 0) e->count = e->factory.device_count();
  return e->count;
}

}  // namespace

void register_backend(const BackendFactory& factory) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  KERAS_CHECK(!find(factory.type), ValueError, "A backend for ", Device{factory.type, 0}.str(),
              " devices is registered twice");
  r.entries.push_back(Entry{factory, -1, {}});
}

Backend& get(Device device) {
  std::atomic<Backend*>* slot = fast_slot(device);
  if (slot)
    if (Backend* b = slot->load(std::memory_order_acquire)) return *b;
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  Entry* e = find(device.type);
  const int n = count(e);
  KERAS_CHECK(device.index >= 0 && device.index < n, ValueError, "No backend for device ", device.str(), ": ",
              !e ? std::string("this build has no backend for this device type")
                 : n == 0 ? std::string("no such device is present")
                          : "there are only " + std::to_string(n) + " such devices");
  if (e->instances.size() < static_cast<std::size_t>(n)) e->instances.resize(n);
  auto& b = e->instances[device.index];
  if (!b) b = e->factory.make(device.index);
  if (slot) slot->store(b.get(), std::memory_order_release);
  return *b;
}

bool is_available(Device::Type type) {
  std::lock_guard<std::mutex> lock(registry().mu);
  return count(find(type)) > 0;
}

std::vector<Device> available_devices() {
  std::vector<Device> d;
  std::lock_guard<std::mutex> lock(registry().mu);
  if (Entry* cpu = find(Device::Type::cpu))
    for (int i = 0; i < count(cpu); ++i) d.push_back(Device{Device::Type::cpu, i});
  for (auto& e : registry().entries) {
    if (e.factory.type == Device::Type::cpu) continue;
    for (int i = 0; i < count(&e); ++i) d.push_back(Device{e.factory.type, i});
  }
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
