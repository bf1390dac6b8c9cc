// The training loop: compile, fit, evaluate, predict and the *_on_batch calls.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "keras/autograd.hpp"
#include "keras/models.hpp"
#include "keras/ops.hpp"
#include "trainer_state.hpp"

namespace keras {

// Friend of Model: the step functions and the loops over batches.
struct Trainer {
  Model& m;
  CompileState& s;
  std::vector<Variable> vars;      // trainable variables, cached per loop
  std::vector<Tensor> var_values;  // their tensors, for autograd::grad

  explicit Trainer(Model& model) : m(model), s(*model.state_) {}

  void cache_variables() {
    vars = m.trainable_weights();
    var_values.clear();
    for (auto& v : vars) var_values.push_back(v.value());
  }

  void resolve_metrics(const Tensor& y, const Tensor& y_pred) {
    if (s.metrics_resolved) return;
    s.metrics.clear();
    for (auto& a : s.metric_args)
      s.metrics.push_back(a.metric ? a.metric : metrics::get(a.name, s.loss.get(), y.shape(), y_pred.shape()));
    s.metrics_resolved = true;
  }

  void reset_metrics() {
    s.loss_tracker.reset_state();
    for (auto& mt : s.metrics) mt->reset_state();
  }

  Logs logs(const std::string& prefix = "") const {
    Logs l;
    l[prefix + "loss"] = s.loss_tracker.result();
    for (auto& mt : s.metrics) l[prefix + mt->name()] = mt->result();
    return l;
  }

  void update_metrics(const Tensor& loss, std::int64_t batch, const Tensor& y, const Tensor& y_pred,
                      const Tensor& sw) {
    s.loss_tracker.update(loss.detach(), Tensor::scalar(static_cast<double>(batch), float32, loss.device()));
    for (auto& mt : s.metrics) mt->update_state(y, y_pred, sw);
  }

  void train_step(const Tensor& x, const Tensor& y, const Tensor& sw) {
    Tensor y_pred = m.call(x, true);
    resolve_metrics(y, y_pred);
    Tensor loss = (*s.loss)(y, y_pred, sw);
    if (!var_values.empty()) {
      auto grads = autograd::grad(loss, var_values);
      s.optimizer->apply_gradients(grads, vars);
    }
    autograd::NoGradGuard ng;
    update_metrics(loss, x.shape()[0], y, y_pred.detach(), sw);
  }

  void test_step(const Tensor& x, const Tensor& y, const Tensor& sw) {
    autograd::NoGradGuard ng;
    Tensor y_pred = m.call(x, false);
    resolve_metrics(y, y_pred);
    Tensor loss = (*s.loss)(y, y_pred, sw);
    update_metrics(loss, x.shape()[0], y, y_pred, sw);
  }
};

namespace {

void check_xy(const Model& m, const char* fn, const Tensor& x, const Tensor& y) {
  KERAS_CHECK(x.defined(), ValueError, fn, ": x is undefined");
  KERAS_CHECK(x.ndim() >= 1 && x.shape()[0] > 0, ValueError, fn, ": x must have at least one sample, received shape ",
              shape_str(x.shape()));
  if (y.defined())
    KERAS_CHECK(y.ndim() >= 1 && y.shape()[0] == x.shape()[0], ValueError, fn,
                ": x and y must have the same number of samples, received x of shape ", shape_str(x.shape()),
                " and y of shape ", shape_str(y.shape()));
  KERAS_CHECK(!ops::any_nonfinite(x), ValueError, fn, ": x contains NaN or infinite values (shape ",
              shape_str(x.shape()), ")");
  if (y.defined())
    KERAS_CHECK(!ops::any_nonfinite(y), ValueError, fn, ": y contains NaN or infinite values (shape ",
                shape_str(y.shape()), ")");
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

int resolve_verbose(int v) { return v < 0 ? 1 : v; }

callbacks::CallbackList make_callbacks(Model* m, const std::vector<std::shared_ptr<callbacks::Callback>>& user,
                                       int verbose, std::shared_ptr<History> history) {
  callbacks::CallbackList cl;
  for (auto& c : user) cl.append(c);
  if (history) cl.append(history);
  if (verbose) cl.append(std::make_shared<callbacks::ProgbarLogger>());
  cl.set_model(m);
  return cl;
}

}  // namespace

bool Model::compiled() const { return state_ && state_->optimizer; }

void Model::compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metrics) {
  KERAS_CHECK(optimizer.ptr, ValueError, "compile: optimizer is null");
  KERAS_CHECK(loss.ptr, ValueError, "compile: loss is null");
  state_ = std::make_shared<CompileState>();
  state_->optimizer = std::move(optimizer.ptr);
  state_->loss = std::move(loss.ptr);
  state_->metric_args = std::move(metrics);
  for (auto& a : state_->metric_args)
    if (!a.metric) metrics::get(a.name, state_->loss.get(), {-1, 2}, {-1, 2});  // unknown names fail here
}

optimizers::Optimizer& Model::optimizer() const {
  KERAS_CHECK(compiled(), ValueError, "Model \"", name_, "\" is not compiled; call compile() first");
  return *state_->optimizer;
}

const losses::Loss& Model::loss() const {
  KERAS_CHECK(compiled(), ValueError, "Model \"", name_, "\" is not compiled; call compile() first");
  return *state_->loss;
}

History Model::fit(const Tensor& x_all, const Tensor& y_all, FitOptions o) {
  KERAS_CHECK(compiled(), ValueError, "You must call compile() before fit() on model \"", name_, "\"");
  KERAS_CHECK(y_all.defined(), ValueError, "fit: y is undefined");
  KERAS_CHECK(o.batch_size > 0, ValueError, "fit: batch_size must be positive, received ", o.batch_size);
  KERAS_CHECK(o.epochs >= 0 && o.initial_epoch >= 0, ValueError, "fit: epochs and initial_epoch must be >= 0");
  KERAS_CHECK(o.validation_split >= 0 && o.validation_split < 1, ValueError,
              "fit: validation_split must be in [0, 1), received ", o.validation_split);
  check_xy(*this, "fit", x_all, y_all);
  Tensor sw_all = o.sample_weight;
  if (sw_all.defined())
    KERAS_CHECK(sw_all.shape() == Shape{x_all.shape()[0]}, ValueError, "fit: sample_weight must have shape (",
                x_all.shape()[0], ",), received ", shape_str(sw_all.shape()));
  if (!o.class_weight.empty()) {
    Tensor cw = class_weights(o.class_weight, y_all);
    sw_all = sw_all.defined() ? ops::multiply(sw_all, cw) : cw;
  }

  // Validation data: the last fraction, taken before shuffling (as Keras does).
  Tensor x = x_all, y = y_all, sw = sw_all;
  ValidationData val = o.validation_data;
  if (o.validation_split > 0) {
    std::int64_t n = x_all.shape()[0];
    auto split = static_cast<std::int64_t>(std::ceil(n * (1.0 - o.validation_split)));
    KERAS_CHECK(split > 0 && split < n, ValueError, "fit: validation_split=", o.validation_split, " leaves no ",
                split == n ? "validation" : "training", " samples out of ", n);
    x = x_all.slice(0, split);
    y = y_all.slice(0, split);
    val = {x_all.slice(split, n), y_all.slice(split, n), sw_all.defined() ? sw_all.slice(split, n) : Tensor()};
    if (sw_all.defined()) sw = sw_all.slice(0, split);
  }
  if (val.x.defined()) check_xy(*this, "fit (validation_data)", val.x, val.y);

  const std::int64_t n = x.shape()[0];
  const std::int64_t bs = o.batch_size;
  std::int64_t steps = (n + bs - 1) / bs;
  if (o.steps_per_epoch > 0) steps = std::min(steps, o.steps_per_epoch);
  int verbose = resolve_verbose(o.verbose);
  auto history = std::make_shared<History>();
  auto cbs = make_callbacks(this, o.callbacks, verbose, history);
  CallbackParams params{o.epochs, steps, verbose};
  cbs.set_params(params);

  Trainer t(*this);
  stop_training = false;
  // Build now so the variables exist before the first step.
  if (!built_) {
    Shape s = x.shape();
    s[0] = -1;
    ensure_built(s);
  }
  t.cache_variables();
  Logs empty;
  cbs.on_train_begin(empty);
  for (int epoch = o.initial_epoch; epoch < o.epochs && !stop_training; ++epoch) {
    t.reset_metrics();
    cbs.on_epoch_begin(epoch, empty);
    Tensor perm = o.shuffle ? ops::random_permutation(n) : Tensor();
    for (std::int64_t step = 0; step < steps; ++step) {
      std::int64_t b = step * bs, e = std::min(n, b + bs);
      cbs.on_train_batch_begin(step, empty);
      t.train_step(rows(x, perm, b, e), rows(y, perm, b, e), rows(sw, perm, b, e));
      if (cbs.wants_batch_logs(step)) cbs.on_train_batch_end(step, t.logs());
      else cbs.on_train_batch_end(step, empty);
      if (stop_training) break;
    }
    Logs logs = t.logs();
    for (auto& [k, v] : logs)
      KERAS_CHECK(std::isfinite(v) || k != "loss", RuntimeError, "fit: the loss became ", v, " in epoch ", epoch + 1,
                  " (check the learning rate and the input data)");
    if (val.x.defined() && (epoch + 1 - o.initial_epoch) % std::max(1, o.validation_freq) == 0) {
      int vbs = o.validation_batch_size > 0 ? o.validation_batch_size : o.batch_size;
      std::int64_t vn = val.x.shape()[0];
      t.reset_metrics();
      for (std::int64_t b = 0; b < vn; b += vbs) {
        std::int64_t e = std::min(vn, b + vbs);
        t.test_step(val.x.slice(b, e), val.y.slice(b, e), val.sample_weight.defined() ? val.sample_weight.slice(b, e) : Tensor());
      }
      for (auto& [k, v] : t.logs("val_")) logs[k] = v;
    }
    cbs.on_epoch_end(epoch, logs);
  }
  cbs.on_train_end(empty);
  History h = *history;
  return h;
}

std::map<std::string, double> Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions o) {
  KERAS_CHECK(compiled(), ValueError, "You must call compile() before evaluate() on model \"", name_, "\"");
  KERAS_CHECK(y.defined(), ValueError, "evaluate: y is undefined");
  KERAS_CHECK(o.batch_size > 0, ValueError, "evaluate: batch_size must be positive, received ", o.batch_size);
  check_xy(*this, "evaluate", x, y);
  std::int64_t n = x.shape()[0], bs = o.batch_size, steps = (n + bs - 1) / bs;
  int verbose = resolve_verbose(o.verbose);
  auto cbs = make_callbacks(this, o.callbacks, verbose, nullptr);
  cbs.set_params({1, steps, verbose});
  Trainer t(*this);
  t.reset_metrics();
  Logs empty;
  cbs.on_test_begin(empty);
  for (std::int64_t step = 0; step < steps; ++step) {
    std::int64_t b = step * bs, e = std::min(n, b + bs);
    cbs.on_test_batch_begin(step, empty);
    t.test_step(x.slice(b, e), y.slice(b, e), o.sample_weight.defined() ? o.sample_weight.slice(b, e) : Tensor());
    if (cbs.wants_batch_logs(step)) cbs.on_test_batch_end(step, t.logs());
    else cbs.on_test_batch_end(step, empty);
  }
  Logs logs = t.logs();
  cbs.on_test_end(logs);
  return logs;
}

Tensor Model::predict(const Tensor& x, PredictOptions o) {
  KERAS_CHECK(x.defined(), ValueError, "predict: x is undefined");
  KERAS_CHECK(o.batch_size > 0, ValueError, "predict: batch_size must be positive, received ", o.batch_size);
  check_xy(*this, "predict", x, Tensor());
  std::int64_t n = x.shape()[0], bs = o.batch_size, steps = (n + bs - 1) / bs;
  auto cbs = make_callbacks(this, o.callbacks, o.verbose, nullptr);
  cbs.set_params({1, steps, o.verbose});
  autograd::NoGradGuard ng;
  std::vector<Tensor> outs;
  Logs empty;
  cbs.on_predict_begin(empty);
  for (std::int64_t step = 0; step < steps; ++step) {
    std::int64_t b = step * bs, e = std::min(n, b + bs);
    cbs.on_predict_batch_begin(step, empty);
    outs.push_back(call(x.slice(b, e), false));
    cbs.on_predict_batch_end(step, empty);
  }
  cbs.on_predict_end(empty);
  return outs.size() == 1 ? outs[0] : ops::concatenate(outs, 0);
}

std::map<std::string, double> Model::train_on_batch(const Tensor& x, const Tensor& y, const Tensor& sw) {
  KERAS_CHECK(compiled(), ValueError, "You must call compile() before train_on_batch() on model \"", name_, "\"");
  check_xy(*this, "train_on_batch", x, y);
  if (!built_) {
    Shape s = x.shape();
    s[0] = -1;
    ensure_built(s);
  }
  Trainer t(*this);
  t.cache_variables();
  t.reset_metrics();
  t.train_step(x, y, sw);
  return t.logs();
}

std::map<std::string, double> Model::test_on_batch(const Tensor& x, const Tensor& y, const Tensor& sw) {
  KERAS_CHECK(compiled(), ValueError, "You must call compile() before test_on_batch() on model \"", name_, "\"");
  check_xy(*this, "test_on_batch", x, y);
  Trainer t(*this);
  t.reset_metrics();
  t.test_step(x, y, sw);
  return t.logs();
}

Tensor Model::predict_on_batch(const Tensor& x) {
  check_xy(*this, "predict_on_batch", x, Tensor());
  autograd::NoGradGuard ng;
  return call(x, false);
}

}  // namespace keras
