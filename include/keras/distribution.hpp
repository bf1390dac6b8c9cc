// Data-parallel training over several processes, shaped like Keras 3's
// keras.distribution: the same fit() script runs on N processes (launched by
// mpirun or srun); each process trains on its share of every batch and the
// gradients are averaged across processes, so the model trains as one
// process with the whole batch would.
//
//   keras::distribution::initialize();            // reads the MPI environment
//   keras::distribution::set_distribution(keras::distribution::DataParallel());
//   model.fit(x, y, {.batch_size = 256});        // 256 = the global batch
//
// batch_size is the global batch (as in Keras 3): each of N processes runs
// about batch_size / N rows of it. Logs are global values; the progress bar,
// ModelCheckpoint, BackupAndRestore's writes, CSVLogger and TensorBoard act on
// process 0 only. Without MPI (or with one process) everything behaves as a
// plain single-process build. See docs/distributed.md.
#pragma once
#include <cstdint>
#include <string>

namespace keras::distribution {

// Reads the MPI environment and starts MPI when the program was launched with
// several processes; a no-op for one process or a build without MPI.
// Idempotent. The process's communicator is MPI_COMM_WORLD.
void initialize();

// This process's rank and the number of processes (0 and 1 without MPI).
int process_id();
int num_processes();
// True when the library was built with MPI (KERAS_MPI found it).
bool mpi_available();

// Data parallelism: every process holds the whole model.
struct DataParallel {
  // Each collective is waited on for at most this long; a process that does
  // not take part in time (dead or hung) makes the others throw a
  // keras::RuntimeError naming it. KERAS_DIST_TIMEOUT (seconds) overrides it.
  double timeout_seconds = 300.0;
  // Gradients are all-reduced in buckets of about this many bytes, each
  // started (non-blocking) as soon as it is packed.
  std::int64_t bucket_bytes = 25 << 20;
};

// Makes `d` the distribution for fit/evaluate/predict of every model (calls
// initialize() if needed). With one process it changes nothing.
void set_distribution(const DataParallel& d);
// Back to single-process training (each process trains alone).
void clear_distribution();
// True when a DataParallel distribution over 2+ processes is active.
bool distributed();

// A scope: the distribution holds while it lives.
class DistributionScope {
 public:
  explicit DistributionScope(const DataParallel& d) { set_distribution(d); }
  ~DistributionScope() { clear_distribution(); }
  DistributionScope(const DistributionScope&) = delete;
  DistributionScope& operator=(const DistributionScope&) = delete;
};

// Seconds spent in the distribution's per-step work (gradient packing,
// all-reduces, the metrics' gather), and the part of it spent waiting for
// collectives to finish; both 0 without a distribution.
double communication_seconds();
double wait_seconds();

// Ends MPI: MPI_Finalize after a healthy run; after a lost process (a
// collective timed out) MPI_Abort(exit_code), so no process waits forever on
// the lost one. Registered with atexit by initialize(); safe to call twice.
void shutdown(int exit_code = 1);

}  // namespace keras::distribution
