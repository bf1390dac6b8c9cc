// keras::distribution (include/keras/distribution.hpp): the public calls,
// the active hook and the device all-reduce registry. The MPI parts are in
// src/distribution/mpi/, compiled only when CMake finds MPI (KERAS_HAVE_MPI).
#include "keras/distribution.hpp"

#include <cstdlib>
#include <map>
#include <memory>

#include "distribution/device_reduce.hpp"
#include "distribution/hook.hpp"
#include "keras/errors.hpp"
#ifdef KERAS_HAVE_MPI
#include "distribution/mpi/mpi_hook.hpp"
#endif

namespace keras::distribution {
namespace {

// Never destroyed: shutdown() runs from atexit, after static destructors
// registered later than it.
std::unique_ptr<detail::Hook>& hook() {
  static auto* h = new std::unique_ptr<detail::Hook>();
  return *h;
}

std::map<Device::Type, detail::DeviceAllReduce>& device_reducers() {
  static std::map<Device::Type, detail::DeviceAllReduce> m;
  return m;
}

void at_exit() { shutdown(0); }

}  // namespace

bool mpi_available() {
#ifdef KERAS_HAVE_MPI
  return true;
#else
  return false;
#endif
}

void initialize() {
#ifdef KERAS_HAVE_MPI
  static bool registered = false;
  detail::mpi_initialize();
  if (!registered && detail::mpi().comm != MPI_COMM_NULL) {
    std::atexit(at_exit);
    registered = true;
  }
#endif
}

int process_id() {
#ifdef KERAS_HAVE_MPI
  return detail::mpi().rank;
#else
  return 0;
#endif
}

int num_processes() {
#ifdef KERAS_HAVE_MPI
  return detail::mpi().size;
#else
  return 1;
#endif
}

void set_distribution(const DataParallel& d) {
  KERAS_CHECK(d.timeout_seconds > 0, ValueError, "DataParallel: timeout_seconds must be positive, received ",
              d.timeout_seconds);
  KERAS_CHECK(d.bucket_bytes > 0, ValueError, "DataParallel: bucket_bytes must be positive, received ", d.bucket_bytes);
  initialize();
  hook().reset();
#ifdef KERAS_HAVE_MPI
  detail::MpiComm& c = detail::mpi();
  if (c.size <= 1) return;
  const char* env = std::getenv("KERAS_DIST_TIMEOUT");
  c.timeout = env && std::atof(env) > 0 ? std::atof(env) : d.timeout_seconds;
  hook() = std::make_unique<detail::MpiHook>(c, d.bucket_bytes);
#endif
}

void clear_distribution() { hook().reset(); }

bool distributed() { return hook() != nullptr; }

double communication_seconds() {
#ifdef KERAS_HAVE_MPI
  return detail::mpi().hook_seconds;
#else
  return 0.0;
#endif
}

double wait_seconds() {
#ifdef KERAS_HAVE_MPI
  return detail::mpi().comm_seconds;
#else
  return 0.0;
#endif
}

void shutdown(int exit_code) {
  hook().reset();
#ifdef KERAS_HAVE_MPI
  detail::mpi_shutdown(exit_code);
#endif
}

namespace detail {

Hook* active() { return hook().get(); }

bool is_writer() { return !hook() || hook()->rank() == 0; }

DeviceAllReduceRegistrar::DeviceAllReduceRegistrar(Device::Type type, DeviceAllReduce fn) {
  device_reducers()[type] = fn;
}

DeviceAllReduce device_allreduce(Device::Type type) {
  auto it = device_reducers().find(type);
  return it == device_reducers().end() ? nullptr : it->second;
}

#ifndef KERAS_HAVE_MPI
void broadcast_bytes(void*, std::size_t) {}  // one process: nothing to share
#endif

}  // namespace detail
}  // namespace keras::distribution
