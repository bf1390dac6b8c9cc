// MPI start-up, shut-down and the deadline waits (src/distribution/mpi/comm.hpp).
#include "distribution/mpi/comm.hpp"

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "keras/errors.hpp"

namespace keras::distribution::detail {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kAliveTag = 7301;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Launched as several processes? (mpirun, srun, an MPI launcher's variables.)
bool launched_in_parallel() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS", "MPI_LOCALNRANKS"})
    if (const char* s = std::getenv(v); s && std::atoi(s) > 1) return true;
  const char* force = std::getenv("KERAS_MPI_INIT");
  return force && std::string(force) == "1";
}

std::string mpi_error_string(int code) {
  char buf[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, buf, &len);
  return std::string(buf, static_cast<std::size_t>(len));
}

std::string rank_list(const std::vector<int>& ranks) {
  std::ostringstream os;
  for (std::size_t i = 0; i < ranks.size(); ++i) os << (i ? ", " : "") << ranks[i];
  return os.str();
}

}  // namespace

MpiComm& mpi() {
  static MpiComm c;
  return c;
}

void mpi_initialize() {
  MpiComm& c = mpi();
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    if (!launched_in_parallel()) return;  // one process: nothing to start
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    c.started = true;
  }
  if (c.comm != MPI_COMM_NULL) return;
  MPI_Comm_dup(MPI_COMM_WORLD, &c.comm);
  MPI_Comm_dup(MPI_COMM_WORLD, &c.probe);
  // Errors come back as codes (turned into keras errors), not an abort.
  MPI_Comm_set_errhandler(c.comm, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(c.probe, MPI_ERRORS_RETURN);
  MPI_Comm_rank(c.comm, &c.rank);
  MPI_Comm_size(c.comm, &c.size);
  if (const char* t = std::getenv("KERAS_DIST_TIMEOUT"); t && std::atof(t) > 0) c.timeout = std::atof(t);
}

void mpi_shutdown(int exit_code) {
  MpiComm& c = mpi();
  int inited = 0, finalized = 0;
  MPI_Initialized(&inited);
  MPI_Finalized(&finalized);
  if (!inited || finalized) return;
  if (c.broken) MPI_Abort(MPI_COMM_WORLD, exit_code);  // never wait on a lost rank
  if (!c.started) return;                              // the program owns MPI
  if (c.comm != MPI_COMM_NULL) MPI_Comm_free(&c.comm);
  if (c.probe != MPI_COMM_NULL) MPI_Comm_free(&c.probe);
  MPI_Finalize();
}

std::vector<int> MpiComm::lost_ranks() {
  std::vector<int> token(static_cast<std::size_t>(size), rank), heard(static_cast<std::size_t>(size), 0);
  std::vector<MPI_Request> recvs(static_cast<std::size_t>(size), MPI_REQUEST_NULL), sends = recvs;
  for (int p = 0; p < size; ++p) {
    if (p == rank) continue;
    MPI_Irecv(&heard[p], 1, MPI_INT, p, kAliveTag, probe, &recvs[p]);
    MPI_Isend(&token[p], 1, MPI_INT, p, kAliveTag, probe, &sends[p]);
  }
  // Live ranks time out at about the same moment; wait for the slower ones.
  const double grace = std::min(10.0, std::max(2.0, timeout / 2));
  std::vector<int> got(static_cast<std::size_t>(size), 0);
  got[rank] = 1;
  auto t0 = Clock::now();
  int missing = size - 1;
  while (missing > 0 && seconds_since(t0) < grace) {
    for (int p = 0; p < size; ++p) {
      if (got[p]) continue;
      int flag = 0;
      if (MPI_Test(&recvs[p], &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && flag) {
        got[p] = 1;
        --missing;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::vector<int> lost;
  for (int p = 0; p < size; ++p)
    if (!got[p]) lost.push_back(p);
  return lost;  // requests to lost ranks are left pending: the job ends now
}

void MpiComm::wait(std::vector<MPI_Request>& reqs, const char* what) {
  auto t0 = Clock::now();
  int spins = 0;
  for (;;) {
    int flag = 0;
    int rc = MPI_Testall(static_cast<int>(reqs.size()), reqs.data(), &flag, MPI_STATUSES_IGNORE);
    if (rc != MPI_SUCCESS) {
      broken = true;
      auto lost = lost_ranks();
      throw RuntimeError("distribution: " + std::string(what) + " failed on rank " + std::to_string(rank) + " (" +
                         mpi_error_string(rc) + ")" +
                         (lost.empty() ? std::string() : "; lost rank(s): " + rank_list(lost)));
    }
    if (flag) break;
    double waited = seconds_since(t0);
    if (waited > timeout) {
      broken = true;
      auto lost = lost_ranks();
      std::ostringstream os;
      os << "distribution: rank " << rank << " waited " << timeout << " s in " << what << " (timeout_seconds); ";
      if (lost.empty()) os << "every rank answered the liveness check, so the collectives went out of step";
      else os << "lost rank(s) " << rank_list(lost) << " (dead or hung: no answer to the liveness check)";
      throw RuntimeError(os.str());
    }
    // Spin first (a step's collectives are usually quick), then back off.
    if (++spins > 2000) std::this_thread::sleep_for(std::chrono::microseconds(50));
    else std::this_thread::yield();
  }
  comm_seconds += seconds_since(t0);
}

void MpiComm::wait(MPI_Request& req, const char* what) {
  std::vector<MPI_Request> one{req};
  wait(one, what);
  req = one[0];
}

}  // namespace keras::distribution::detail
