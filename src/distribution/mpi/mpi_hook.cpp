// The MPI distribution hook: weights broadcast from rank 0, gradients summed
// in buckets with non-blocking all-reduces, the metrics fed the global batch.
#include "distribution/mpi/mpi_hook.hpp"

#include <chrono>
#include <cstring>

#include "distribution/device_reduce.hpp"
#include "keras/models.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"

namespace keras::distribution::detail {
namespace {

using Clock = std::chrono::steady_clock;

void ibcast(void* data, std::size_t bytes, MpiComm& c, const char* what) {
  MPI_Request r = MPI_REQUEST_NULL;
  MPI_Ibcast(data, static_cast<int>(bytes), MPI_BYTE, 0, c.comm, &r);
  c.wait(r, what);
}

}  // namespace

void MpiHook::sync_model(Model& m) {
  std::vector<Variable> vars = m.weights();
  const std::size_t n_model = vars.size();
  if (m.compiled())
    for (auto& v : m.optimizer().variables()) vars.push_back(v);
  std::int64_t bytes = 0;
  for (auto& v : vars) bytes += static_cast<std::int64_t>(v.value().nbytes());
  std::int64_t meta[6] = {static_cast<std::int64_t>(n_model), static_cast<std::int64_t>(vars.size()), bytes,
                          m.compiled() ? m.optimizer().iterations() : 0, m.resume_epoch, m.resume_step};
  std::int64_t root[6];
  std::memcpy(root, meta, sizeof meta);
  ibcast(root, sizeof root, c_, "the broadcast of the weights from rank 0");
  KERAS_CHECK(root[0] == meta[0] && root[1] == meta[1] && root[2] == meta[2], ValueError, "distribution: model \"",
              m.name(), "\" on rank ", c_.rank, " has ", meta[0], " weights and ", meta[1] - meta[0],
              " optimizer variables (", meta[2], " bytes); rank 0 has ", root[0], " and ", root[1] - root[0], " (",
              root[2], " bytes): every process must build the same model and optimizer");
  std::vector<unsigned char> buf(static_cast<std::size_t>(bytes));
  if (c_.rank == 0) {
    std::size_t off = 0;
    for (auto& v : vars) {
      Tensor h = v.value().detach().cpu();
      std::memcpy(buf.data() + off, h.data_ptr(), h.nbytes());
      off += h.nbytes();
    }
  }
  ibcast(buf.data(), buf.size(), c_, "the broadcast of the weights from rank 0");
  if (c_.rank != 0) {
    std::size_t off = 0;
    for (auto& v : vars) {
      const Tensor& t = v.value();
      v.assign(Tensor::from_data(t.shape(), t.dtype(), buf.data() + off, t.device()));
      off += t.nbytes();
    }
    if (m.compiled()) m.optimizer().set_iterations(root[3]);
    m.resume_epoch = static_cast<int>(root[4]);
    m.resume_step = root[5];
  }
}

void MpiHook::share_permutation(Tensor& perm) {
  Tensor h = perm.cpu().clone();
  ibcast(h.data_ptr(), h.nbytes(), c_, "the broadcast of the shuffle from rank 0");
  perm = h.to(perm.device());
}

std::pair<std::int64_t, std::int64_t> MpiHook::shard(std::int64_t b, std::int64_t e) {
  const std::int64_t len = e - b;
  std::int64_t lb = b + len * c_.rank / c_.size, le = b + len * (c_.rank + 1) / c_.size;
  zero_weight_ = lb == le;
  if (zero_weight_) return {b, b + 1};  // runs a row, counts none
  return {lb, le};
}

void MpiHook::exchange_stats(const Tensor& loss, const Tensors& parts, std::int64_t rows) {
  const double w = zero_weight_ ? 0.0 : static_cast<double>(rows);
  stats_mine_.assign(1, w);
  stats_mine_.push_back(loss.item() * w);
  for (auto& p : parts) stats_mine_.push_back(p.item() * w);
  const int k = static_cast<int>(stats_mine_.size());
  stats_all_.resize(static_cast<std::size_t>(k) * static_cast<std::size_t>(c_.size));
  MPI_Iallgather(stats_mine_.data(), k, MPI_DOUBLE, stats_all_.data(), k, MPI_DOUBLE, c_.comm, &stats_req_);
  stats_pending_ = true;
  stats_done_ = false;
}

void MpiHook::wait_stats() {
  if (!stats_pending_) return;
  c_.wait(stats_req_, "the exchange of the step's losses");
  stats_pending_ = false;
  stats_done_ = true;
}

void MpiHook::reduce_gradients(Tensors& grads) {
  auto t0 = Clock::now();
  const double w = stats_mine_.empty() ? 0.0 : stats_mine_[0];
  for (auto& g : grads)
    if (g.defined() && g.device() != Device::cpu()) {
      reduce_on_device(grads, w);
      return;
    }
  std::vector<MPI_Request> reqs;
  std::size_t bi = 0;
  std::int64_t pos = 0;
  auto start = [&]() {
    reqs.push_back(MPI_REQUEST_NULL);
    MPI_Iallreduce(MPI_IN_PLACE, buckets_[bi].data(), static_cast<int>(pos), MPI_FLOAT, MPI_SUM, c_.comm,
                   &reqs.back());
    ++bi;
    pos = 0;
  };
  for (auto& g : grads) {
    if (!g.defined()) continue;
    KERAS_CHECK(g.dtype() == float32, ValueError, "distribution: gradients must be float32 to be all-reduced, received ",
                dtype_name(g.dtype()), " of shape ", shape_str(g.shape()));
    const std::int64_t n = g.size();
    if (pos > 0 && pos + n > bucket_floats_) start();  // this bucket is full: its sum starts now
    if (buckets_.size() <= bi) buckets_.emplace_back();
    auto& b = buckets_[bi];
    if (static_cast<std::int64_t>(b.size()) < pos + n) b.resize(static_cast<std::size_t>(pos + n));
    const float* src = g.data<float>();
    float* dst = b.data() + pos;
    const float fw = static_cast<float>(w);
    for (std::int64_t i = 0; i < n; ++i) dst[i] = src[i] * fw;
    pos += n;
  }
  if (pos > 0) start();
  wait_stats();
  double total = 0;
  const std::size_t k = stats_mine_.size();
  for (int r = 0; r < c_.size; ++r) total += stats_all_[static_cast<std::size_t>(r) * k];
  c_.wait(reqs, "the gradient all-reduce");
  const float inv = total > 0 ? static_cast<float>(1.0 / total) : 0.0f;
  bi = 0;
  pos = 0;
  for (auto& g : grads) {
    if (!g.defined()) continue;
    const std::int64_t n = g.size();
    if (pos > 0 && pos + n > bucket_floats_) {
      ++bi;
      pos = 0;
    }
    Tensor out = Tensor::empty(g.shape(), float32);
    const float* src = buckets_[bi].data() + pos;
    float* dst = out.data<float>();
    for (std::int64_t i = 0; i < n; ++i) dst[i] = src[i] * inv;
    g = out;
    pos += n;
  }
  c_.hook_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
}

// Gradients on a device: its own all-reduce (NCCL) on its stream, or the host path.
void MpiHook::reduce_on_device(Tensors& grads, double w) {
  Device d = Device::cpu();
  for (auto& g : grads)
    if (g.defined()) d = g.device();
  DeviceAllReduce fn = device_allreduce(d.type);
  if (!fn) {
    for (auto& g : grads)
      if (g.defined()) g = g.cpu();
    reduce_gradients(grads);
    for (auto& g : grads)
      if (g.defined()) g = g.to(d);
    return;
  }
  Tensors scaled;
  for (auto& g : grads) {
    if (!g.defined()) continue;
    Tensor t = ops::multiply(g, Tensor::scalar(w, float32, d));
    fn(t.data_ptr(), t.size(), d, c_.rank, c_.size);
    g = t;
  }
  wait_stats();
  double total = 0;
  for (int r = 0; r < c_.size; ++r) total += stats_all_[static_cast<std::size_t>(r) * stats_mine_.size()];
  Tensor inv = Tensor::scalar(total > 0 ? 1.0 / total : 0.0, float32, d);
  for (auto& g : grads)
    if (g.defined()) g = ops::multiply(g, inv);
}

}  // namespace keras::distribution::detail
