// Internal: what the training loops (src/trainer.cpp, src/data/fit_dataset.cpp)
// ask of an active distribution. One interface; the MPI implementation lives
// in src/distribution/mpi/ and is compiled only when MPI is found.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"

namespace keras {
class Model;
namespace distribution::detail {

using Tensors = std::vector<Tensor>;

class Hook {
 public:
  virtual ~Hook() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Before the first step of fit(): every variable of the model and of its
  // optimizer (and the optimizer's iteration count, the resume point) takes
  // rank 0's value.
  virtual void sync_model(Model& m) = 0;
  // Rank 0's permutation replaces this rank's (a shuffle shared by all).
  virtual void share_permutation(Tensor& perm) = 0;
  // The rows of global rows [b, e) this rank runs. A rank whose share is empty
  // runs row b with weight zero (so every rank runs the same collectives).
  virtual std::pair<std::int64_t, std::int64_t> shard(std::int64_t b, std::int64_t e) = 0;
  // After the loss: starts exchanging (rows, loss, per-output losses).
  virtual void exchange_stats(const Tensor& loss, const Tensors& parts, std::int64_t rows) = 0;
  // Gradients become the mean over every rank's rows (weighted by rows).
  virtual void reduce_gradients(Tensors& grads) = 0;
  // The step's values for the metrics become the global batch's: the loss
  // and per-output losses their row-weighted means, `rows` the global rows,
  // y / y_pred / sample weights every rank's rows in rank order.
  virtual void globalize(Tensor& loss, Tensors& parts, std::int64_t& rows, Tensors& y, Tensors& y_pred,
                         Tensor& sw) = 0;
  // Every rank's rows of each output, in rank order (predict).
  virtual Tensors gather_rows(const Tensors& local) = 0;
  // True when any rank has no more batches (a Dataset's end, agreed on).
  virtual bool any_done(bool mine) = 0;
  // Every rank waits here for every other (e.g. until rank 0's backup is written).
  virtual void barrier(const char* what) = 0;
};

// The active distribution, or nullptr (one process, none set, no MPI).
Hook* active();
// Rank 0 writes files (checkpoints, backups, logs); true without a distribution.
bool is_writer();

}  // namespace distribution::detail
}  // namespace keras
