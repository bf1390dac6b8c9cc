// The global values of a step for the metrics, predict's gather, and the
// small agreements (src/distribution/mpi/mpi_hook.hpp).
#include <chrono>

#include "distribution/device_reduce.hpp"
#include "distribution/mpi/mpi_hook.hpp"

namespace keras::distribution::detail {

Tensor MpiHook::start_gather(const Tensor& t, std::int64_t mine, const std::vector<int>& rows, MPI_Request& req) {
  Tensor h = t.detach().cpu();
  const std::int64_t row_bytes = h.shape()[0] > 0 ? static_cast<std::int64_t>(h.nbytes()) / h.shape()[0] : 0;
  std::vector<int> counts(rows.size()), displs(rows.size());
  std::int64_t total = 0, off = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    counts[r] = static_cast<int>(rows[r] * row_bytes);
    displs[r] = static_cast<int>(off);
    off += counts[r];
    total += rows[r];
  }
  Shape s = h.shape();
  s[0] = total;
  Tensor out = Tensor::empty(s, h.dtype());
  counts_.push_back(std::move(counts));
  displs_.push_back(std::move(displs));
  keep_.push_back(h);
  MPI_Iallgatherv(h.data_ptr(), static_cast<int>(mine * row_bytes), MPI_BYTE, out.data_ptr(), counts_.back().data(),
                  displs_.back().data(), MPI_BYTE, c_.comm, &req);
  return out;
}

void MpiHook::globalize(Tensor& loss, Tensors& parts, std::int64_t& rows, Tensors& y, Tensors& y_pred, Tensor& sw) {
  auto t0 = std::chrono::steady_clock::now();
  if (!stats_pending_ && !stats_done_) exchange_stats(loss, parts, rows);
  wait_stats();
  const std::size_t k = stats_mine_.size();
  std::vector<int> per_rank(static_cast<std::size_t>(c_.size));
  double total = 0, loss_sum = 0;
  std::vector<double> part_sum(parts.size(), 0.0);
  for (int r = 0; r < c_.size; ++r) {
    const double* s = stats_all_.data() + static_cast<std::size_t>(r) * k;
    per_rank[static_cast<std::size_t>(r)] = static_cast<int>(s[0]);
    total += s[0];
    loss_sum += s[1];
    for (std::size_t i = 0; i < parts.size(); ++i) part_sum[i] += s[2 + i];
  }
  stats_done_ = false;
  const std::int64_t mine = zero_weight_ ? 0 : rows;
  zero_weight_ = false;
  if (total <= 0) return;
  loss = Tensor::scalar(loss_sum / total, float32, loss.device());
  for (std::size_t i = 0; i < parts.size(); ++i) parts[i] = Tensor::scalar(part_sum[i] / total, float32, parts[i].device());
  rows = static_cast<std::int64_t>(total);
  std::vector<Tensor*> targets;
  for (auto& t : y) targets.push_back(&t);
  for (auto& t : y_pred) targets.push_back(&t);
  if (sw.defined()) targets.push_back(&sw);
  std::vector<MPI_Request> reqs(targets.size(), MPI_REQUEST_NULL);
  Tensors outs;
  for (std::size_t i = 0; i < targets.size(); ++i) outs.push_back(start_gather(*targets[i], mine, per_rank, reqs[i]));
  c_.wait(reqs, "the gather of the metrics' batch");
  for (std::size_t i = 0; i < targets.size(); ++i) *targets[i] = outs[i].to(targets[i]->device());
  counts_.clear();
  displs_.clear();
  keep_.clear();
  c_.hook_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Tensors MpiHook::gather_rows(const Tensors& local) {
  int mine = local.empty() ? 0 : static_cast<int>(local[0].shape()[0]);
  std::vector<int> per_rank(static_cast<std::size_t>(c_.size));
  MPI_Request r = MPI_REQUEST_NULL;
  MPI_Iallgather(&mine, 1, MPI_INT, per_rank.data(), 1, MPI_INT, c_.comm, &r);
  c_.wait(r, "the gather of predict's row counts");
  std::vector<MPI_Request> reqs(local.size(), MPI_REQUEST_NULL);
  Tensors outs;
  for (std::size_t i = 0; i < local.size(); ++i) outs.push_back(start_gather(local[i], mine, per_rank, reqs[i]));
  c_.wait(reqs, "the gather of predict's outputs");
  for (std::size_t i = 0; i < local.size(); ++i) outs[i] = outs[i].to(local[i].device());
  counts_.clear();
  displs_.clear();
  keep_.clear();
  return outs;
}

bool MpiHook::any_done(bool mine) {
  int in = mine ? 1 : 0, out = 0;
  MPI_Request r = MPI_REQUEST_NULL;
  MPI_Iallreduce(&in, &out, 1, MPI_INT, MPI_MAX, c_.comm, &r);
  c_.wait(r, "the agreement on the end of the data");
  return out != 0;
}

void MpiHook::barrier(const char* what) {
  MPI_Request r = MPI_REQUEST_NULL;
  MPI_Ibarrier(c_.comm, &r);
  c_.wait(r, what);
}

void broadcast_bytes(void* data, std::size_t n) {
  MpiComm& c = mpi();
  if (c.size <= 1) return;
  MPI_Request r = MPI_REQUEST_NULL;
  MPI_Ibcast(data, static_cast<int>(n), MPI_BYTE, 0, c.comm, &r);
  c.wait(r, "a device communicator's id broadcast");
}

}  // namespace keras::distribution::detail
