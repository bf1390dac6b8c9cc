// Helpers of the training loops (see trainer_utils.hpp).
#include "trainer_utils.hpp"

#include "distribution/hook.hpp"

#include "keras/ops.hpp"

namespace keras::detail::trainer_utils {

void check_data(const Model& m, const char* fn, const Tensors& x, const Tensors& y, bool need_y) {
  KERAS_CHECK(!x.empty(), ValueError, fn, ": x is empty");
  std::size_t nin = m.is_functional() ? m.inputs().size() : 1;
  KERAS_CHECK(x.size() == nin, ValueError, fn, ": model \"", m.name(), "\" expects ", nin, " inputs, received ",
              x.size());
  if (need_y) {
    KERAS_CHECK(y.size() == static_cast<std::size_t>(m.num_outputs()), ValueError, fn, ": model \"", m.name(), "\" has ", m.num_outputs(),
                " outputs, received ", y.size(), " targets");
  }
  std::int64_t n = -1;
  auto check = [&](const Tensor& t, const char* what, std::size_t i) {
    KERAS_CHECK(t.defined(), ValueError, fn, ": ", what, "[", i, "] is undefined");
    KERAS_CHECK(t.ndim() >= 1 && t.shape()[0] > 0, ValueError, fn, ": ", what,
                " must have at least one sample, received shape ", shape_str(t.shape()));
    if (n < 0) n = t.shape()[0];
    KERAS_CHECK(t.shape()[0] == n, ValueError, fn,
                ": x and y must have the same number of samples, received x of shape ", shape_str(x[0].shape()),
                " and ", what, " of shape ", shape_str(t.shape()));
    KERAS_CHECK(!ops::any_nonfinite(t), ValueError, fn, ": ", what, " contains NaN or infinite values (shape ",
                shape_str(t.shape()), ")");
  };
  for (std::size_t i = 0; i < x.size(); ++i) check(x[i], "x", i);
  for (std::size_t i = 0; i < y.size(); ++i) check(y[i], "y", i);
}

// Per-sample weights from class_weight (labels as integers or one-hot rows).
Tensor class_weights(const std::map<int, double>& cw, const Tensor& y) {
  Tensor labels = y.ndim() >= 2 && y.shape(-1) > 1 ? ops::argmax(y, -1) : ops::cast(ops::reshape(y, {y.shape()[0]}), int64);
  auto lv = labels.to_vector<std::int64_t>();
  std::vector<float> w(lv.size());
  for (std::size_t i = 0; i < lv.size(); ++i) {
    auto it = cw.find(static_cast<int>(lv[i]));
    KERAS_CHECK(it != cw.end(), ValueError, "fit: class_weight has no entry for class ", lv[i]);
    w[i] = static_cast<float>(it->second);
  }
  return Tensor({static_cast<std::int64_t>(w.size())}, w).to(y.device());
}

Tensor rows(const Tensor& t, const Tensor& idx, std::int64_t b, std::int64_t e) {
  if (!t.defined()) return t;
  return idx.defined() ? ops::take(t, idx.slice(b, e), 0) : t.slice(b, e);
}

void rows(const Tensors& ts, const Tensor& idx, std::int64_t b, std::int64_t e, Tensors& out) {
  out.resize(ts.size());
  for (std::size_t i = 0; i < ts.size(); ++i) out[i] = rows(ts[i], idx, b, e);
}

Tensors slice_all(const Tensors& ts, std::int64_t b, std::int64_t e) {
  Tensors r;
  for (auto& t : ts) r.push_back(t.slice(b, e));
  return r;
}

int resolve_verbose(int v) { return v < 0 ? 1 : v; }

callbacks::CallbackList make_callbacks(Model* m, const std::vector<std::shared_ptr<callbacks::Callback>>& user,
                                       int verbose, std::shared_ptr<History> history) {
  callbacks::CallbackList cl;
  for (auto& c : user) cl.append(c);
  if (history) cl.append(history);
  if (verbose && distribution::detail::is_writer()) cl.append(std::make_shared<callbacks::ProgbarLogger>());
  cl.set_model(m);
  return cl;
}

}  // namespace keras::detail::trainer_utils
