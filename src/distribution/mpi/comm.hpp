// Internal: the MPI communicator of a distributed run and its waits with a
// deadline (a lost rank turns into a keras::RuntimeError naming it).
#pragma once
#include <mpi.h>

#include <string>
#include <vector>

namespace keras::distribution::detail {

struct MpiComm {
  MPI_Comm comm = MPI_COMM_NULL;   // the collectives (a duplicate of MPI_COMM_WORLD)
  MPI_Comm probe = MPI_COMM_NULL;  // the liveness round after a timeout
  int rank = 0, size = 1;
  double timeout = 300.0;
  bool started = false;  // this library called MPI_Init
  bool broken = false;   // a collective failed or timed out: abort, never finalize
  double comm_seconds = 0;  // time spent waiting for collectives
  double hook_seconds = 0;  // time in the gradient reduction and the metrics' gather (waits included)

  // Waits for every request until the deadline; on a timeout or an MPI error
  // throws keras::RuntimeError naming `what` and the ranks that did not answer.
  void wait(std::vector<MPI_Request>& reqs, const char* what);
  void wait(MPI_Request& req, const char* what);
  // After a timeout: every live rank says so to every other; the ranks not
  // heard from within a grace period are the lost ones.
  std::vector<int> lost_ranks();
};

MpiComm& mpi();
// Starts MPI (if the environment says several processes) and the communicators.
void mpi_initialize();
void mpi_shutdown(int exit_code);

}  // namespace keras::distribution::detail
