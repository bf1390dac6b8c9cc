// Internal: the MPI implementation of the training loops' distribution hook.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "distribution/hook.hpp"
#include "distribution/mpi/comm.hpp"

namespace keras::distribution::detail {

class MpiHook : public Hook {
 public:
  MpiHook(MpiComm& c, std::int64_t bucket_bytes) : c_(c), bucket_floats_(std::max<std::int64_t>(1, bucket_bytes / 4)) {}
  int rank() const override { return c_.rank; }
  int size() const override { return c_.size; }
  void sync_model(Model& m) override;
  void share_permutation(Tensor& perm) override;
  std::pair<std::int64_t, std::int64_t> shard(std::int64_t b, std::int64_t e) override;
  void exchange_stats(const Tensor& loss, const Tensors& parts, std::int64_t rows) override;
  void reduce_gradients(Tensors& grads) override;
  void globalize(Tensor& loss, Tensors& parts, std::int64_t& rows, Tensors& y, Tensors& y_pred,
                 Tensor& sw) override;
  Tensors gather_rows(const Tensors& local) override;
  bool any_done(bool mine) override;
  void barrier(const char* what) override;

 private:
  void wait_stats();
  // Every rank's first rows[r] rows of `t`, concatenated (started, not waited).
  Tensor start_gather(const Tensor& t, std::int64_t mine, const std::vector<int>& rows, MPI_Request& req);
  void reduce_on_device(Tensors& grads, double scale);

  MpiComm& c_;
  std::int64_t bucket_floats_;
  bool zero_weight_ = false;  // this step's share was empty: the rows count zero
  // The step's stats: per rank [rows, loss * rows, part_i * rows...].
  std::vector<double> stats_mine_, stats_all_;
  MPI_Request stats_req_ = MPI_REQUEST_NULL;
  bool stats_pending_ = false, stats_done_ = false;
  std::vector<std::vector<float>> buckets_;  // reused every step
  // The gathers in flight: their counts, offsets and send buffers.
  std::vector<std::vector<int>> counts_, displs_;
  Tensors keep_;
};

}  // namespace keras::distribution::detail
