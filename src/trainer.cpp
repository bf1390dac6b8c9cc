// The training loop: compile, fit, evaluate, predict and the *_on_batch calls.
#include <algorithm>
#include <cmath>

#include "data/feed.hpp"
#include "data/step_runner.hpp"
#include "distribution/hook.hpp"
#include "executor.hpp"
#include "keras/autograd.hpp"
#include "keras/config.hpp"
#include "keras/models.hpp"
#include "keras/ops.hpp"
#include "model_losses.hpp"
#include "trainer_state.hpp"
#include "trainer_utils.hpp"

namespace keras {

using Tensors = std::vector<Tensor>;

// Friend of Model: the step functions and the loops over batches.
struct Trainer {
  Model& m;
  CompileState& s;
  std::vector<Variable> vars;  // trainable variables, cached per loop
  Tensors var_values;          // their tensors, for autograd::grad
  detail::ModelLosses extra;   // add_loss tensors and weight penalties

  distribution::detail::Hook* dh = distribution::detail::active();  // null: one process

  explicit Trainer(Model& model) : m(model), s(*model.state_) {}

  // The rows of [b, e) this process runs (all of them without a distribution).
  std::pair<std::int64_t, std::int64_t> local(std::int64_t b, std::int64_t e) const {
    return dh ? dh->shard(b, e) : std::pair{b, e};
  }

  void cache_variables() {
    vars = m.trainable_weights();
    var_values.clear();
    for (auto& v : vars) var_values.push_back(v.value());
  }

  // The device of the model's weights (data on another device is moved
  // there batch by batch, so a GPU model trains on CPU-resident data).
  Device device() {
    if (!device_known) {  // once per loop, not per batch
      auto w = m.weights();
      dev = w.empty() ? config::device() : w[0].value().device();
      device_known = !w.empty();
    }
    return dev;
  }
  Device dev;
  bool device_known = false;
  static void to_device(Tensors& ts, Device d) {
    for (auto& t : ts)
      if (t.defined() && t.device() != d) t = t.to(d);
  }

  void resolve_metrics(const Tensors& y, const Tensors& y_pred) {
    if (s.metrics_resolved) return;
    std::vector<Shape> ys, ps;
    for (auto& t : y) ys.push_back(t.shape());
    for (auto& t : y_pred) ps.push_back(t.shape());
    detail::resolve_metrics(s, ys, ps);
  }
  void reset_metrics() {
    s.loss_tracker.reset_state();
    for (auto& t : s.output_loss_trackers) t->reset_state();
    for (auto& ms : s.metrics)
      for (auto& mt : ms) mt->reset_state();
    for (auto& ms : s.weighted_metrics)
      for (auto& mt : ms) mt->reset_state();
    for (auto& mt : m.metrics()) mt->reset_state();  // a subclass's own trackers
  }

  // The logs a train_step / test_step override returned (custom_logs), or
  // the compiled trackers' results.
  bool custom_logs = false, builtin_ran = false;
  Logs step_logs;
  Logs logs(const std::string& prefix = "") const {
    Logs l;
    if (custom_logs) {
      for (auto& [k, v] : step_logs) l[prefix + k] = v;
      return l;
    }
    l[prefix + "loss"] = s.loss_tracker.result();
    for (std::size_t o = 0; o < s.output_loss_trackers.size(); ++o)
      l[prefix + s.prefixes[o] + "loss"] = s.output_loss_trackers[o]->result();
    for (auto& ms : s.metrics)
      for (auto& mt : ms) l[prefix + mt->name()] = mt->result();
    for (auto& ms : s.weighted_metrics)
      for (auto& mt : ms) l[prefix + mt->name()] = mt->result();
    return l;
  }

  // The model's outputs with the logits and masks the executor keeps.
  detail::RunResult run(const Tensors& x, bool training) {
    m.ensure_graph(x);
    KERAS_CHECK(m.executor_ != nullptr, ValueError, "Model \"", m.name(), "\" has no layers to run");
    if (!extra.initialized()) extra.init(m);
    extra.begin_step();
    layers::LossScope scope;  // the layers' add_loss tensors stay for compute_loss
    return m.executor_->run(x, training);
  }

  // A mask over the per-sample losses weighs them as Keras does: masked
  // entries count zero and the mean is over the unmasked ones.
  static Tensor masked_weight(const Tensor& mask, const Tensor& sw) {
    Tensor w = ops::cast(mask, float32);
    Tensor scale = ops::divide(Tensor::scalar(static_cast<double>(w.size()), float32, w.device()),
                               ops::maximum(ops::sum(w), Tensor::scalar(1.0, float32, w.device())));
    w = ops::multiply(w, scale);
    if (!sw.defined()) return w;
    Tensor s = ops::cast(sw, float32);
    Shape sh = s.shape();
    sh.resize(w.ndim(), 1);
    return ops::multiply(w, s.reshape(sh));
  }

  // The weighted total loss; per-output losses go to their trackers.
  Tensor compute_loss(const Tensors& y, const detail::RunResult& r, const Tensor& sw, Tensors* parts) {
    Tensor total;
    for (std::size_t o = 0; o < y.size() && o < s.losses.size(); ++o) {  // (none: a model compiled without loss)
      const Tensor& mask = r.masks[o];
      Tensor l = (*s.losses[o])(y[o], r.outputs[o], mask.defined() ? masked_weight(mask, sw) : sw, r.logits[o]);
      if (parts) parts->push_back(l);
      if (s.loss_weights[o] != 1.0) l = ops::multiply(l, Tensor::scalar(s.loss_weights[o], float32, l.device()));
      total = total.defined() ? ops::add(total, l) : l;
    }
    if (Tensor e = extra.total(); e.defined()) total = total.defined() ? ops::add(total, e) : e;  // model.losses
    KERAS_CHECK(total.defined(), ValueError, "Model \"", m.name(), "\" has no loss to compute: compile() was given no "
                "loss and no layer adds one (give compile a loss, or override train_step / compute_loss)");
    return total;
  }

  void update_metrics(const Tensor& loss, const Tensors& parts, std::int64_t batch, const Tensors& y,
                      const Tensors& y_pred, const Tensor& sw) {
    Tensor n = Tensor::scalar(static_cast<double>(batch), float32, loss.device());
    s.loss_tracker.update(loss.detach(), n);
    if (parts.size() == s.output_loss_trackers.size())  // (a compute_loss override gives no parts)
      for (std::size_t o = 0; o < parts.size(); ++o) s.output_loss_trackers[o]->update(parts[o].detach(), n);
    update_compiled_metrics(y, y_pred, sw);
  }
  // Plain metrics unweighted, weighted_metrics with sample_weight (Keras).
  void update_compiled_metrics(const Tensors& y, const Tensors& y_pred, const Tensor& sw) {
    for (std::size_t o = 0; o < s.metrics.size(); ++o)
      for (auto& mt : s.metrics[o]) mt->update_state(y[o], y_pred[o]);
    for (std::size_t o = 0; o < s.weighted_metrics.size(); ++o)
      for (auto& mt : s.weighted_metrics[o]) mt->update_state(y[o], y_pred[o], sw);
  }

  // model.compute_loss (virtual); its default comes back to compute_loss
  // with the run's logits and masks.
  Tensor model_loss(const Tensors& x, const Tensors& y, const detail::RunResult& r, const Tensor& sw, Tensors& parts,
                    bool training) {
    struct Reset {
      Trainer* t;
      ~Reset() { t->current_run = nullptr, t->current_parts = nullptr; }
    } reset{this};
    current_run = &r;
    current_parts = &parts;
    return m.compute_loss(x, y, r.outputs, sw, training);
  }
  static Tensor default_loss(Model& m, const Tensors& y, const Tensors& y_pred, const Tensor& sw) {
    KERAS_CHECK(m.compiled(), ValueError, "compute_loss: model \"", m.name(), "\" is not compiled; call compile() first");
    Trainer* t = m.state_->trainer;
    bool same = t && t->current_run && t->current_run->outputs.size() == y_pred.size();
    for (std::size_t o = 0; same && o < y_pred.size(); ++o) same = t->current_run->outputs[o].impl() == y_pred[o].impl();
    if (same) return t->compute_loss(y, *t->current_run, sw, t->current_parts);
    CompileState& s = *m.state_;  // outside the default step: no logits or masks
    KERAS_CHECK(s.losses.empty() || (y.size() == s.losses.size() && y_pred.size() == s.losses.size()), ValueError,
                "compute_loss: model \"", m.name(), "\" has ", s.losses.size(), " losses, received ", y.size(),
                " targets and ", y_pred.size(), " predictions");
    Tensor total;
    for (std::size_t o = 0; o < s.losses.size(); ++o) {
      Tensor l = (*s.losses[o])(y[o], y_pred[o], sw);
      if (s.loss_weights[o] != 1.0) l = ops::multiply(l, Tensor::scalar(s.loss_weights[o], float32, l.device()));
      total = total.defined() ? ops::add(total, l) : l;
    }
    for (auto& l : m.losses()) total = total.defined() ? ops::add(total, l) : l;
    KERAS_CHECK(total.defined(), ValueError, "Model \"", m.name(), "\" has no loss to compute: compile() was given no "
                "loss and no layer adds one (give compile a loss, or override train_step / compute_loss)");
    return total;
  }
  static void default_step(Model& m, const Tensors& x, const Tensors& y, const Tensor& sw, bool training) {
    KERAS_CHECK(m.compiled(), ValueError, "You must call compile() before ", training ? "train_step" : "test_step",
                "() on model \"", m.name(), "\"");
    if (Trainer* t = m.state_->trainer) {
      t->builtin_ran = true;
      return training ? t->builtin_train(x, y, sw) : t->builtin_test(x, y, sw);
    }
    Trainer t(m);  // called outside fit / evaluate
    m.state_->trainer = &t;  // (the destructor clears it)
    t.builtin_ran = true;
    if (training) t.cache_variables();
    training ? t.builtin_train(x, y, sw) : t.builtin_test(x, y, sw);
  }

  // The model's (virtual) steps; the defaults come back to builtin_*.
  void train_step(const Tensors& x, const Tensors& y, const Tensor& sw) {
    s.trainer = this;
    builtin_ran = false;
    if (!s.metrics_resolved) presolve_metrics(y);
    Logs r = m.train_step(x, y, sw);
    custom_logs = !builtin_ran || !r.empty();  // (the default step returns no logs)
    if (custom_logs) step_logs = std::move(r);
  }
  void test_step(const Tensors& x, const Tensors& y, const Tensor& sw) {
    s.trainer = this;
    builtin_ran = false;
    if (!s.metrics_resolved) presolve_metrics(y);
    autograd::NoGradGuard ng;
    Logs r = m.test_step(x, y, sw);
    custom_logs = !builtin_ran || !r.empty();  // (the default step returns no logs)
    if (custom_logs) step_logs = std::move(r);
  }
  // Metrics resolved from the graph's output shapes before the first step,
  // so that a custom step sees them in model.metrics().
  void presolve_metrics(const Tensors& y) {
    auto& outs = m.outputs();
    if (outs.size() != y.size()) return;
    std::vector<Shape> ys, ps;
    for (std::size_t o = 0; o < y.size(); ++o) {
      ys.push_back(y[o].shape());
      ps.push_back(outs[o].shape());
      if (ps.back().empty()) return;
      ps.back()[0] = y[o].shape()[0];
      for (auto d : ps.back())
        if (d < 0) return;  // an unknown dimension: resolved from the first batch instead
    }
    detail::resolve_metrics(s, ys, ps);
  }
  ~Trainer() {
    if (s.trainer == this) s.trainer = nullptr;
  }
  const detail::RunResult* current_run = nullptr;  // the builtin step's run, for compute_loss
  Tensors* current_parts = nullptr;

  void builtin_train(Tensors x, Tensors y, Tensor sw) {
    Device d = var_values.empty() ? device() : var_values[0].device();
    to_device(x, d);
    to_device(y, d);
    if (sw.defined() && sw.device() != d) sw = sw.to(d);
    detail::RunResult r = run(x, true);
    Tensors& y_pred = r.outputs;
    resolve_metrics(y, y_pred);
    Tensors parts;
    Tensor loss = model_loss(x, y, r, sw, parts, true);
    std::int64_t rows = x[0].shape()[0];
    if (dh) dh->exchange_stats(loss, parts, rows);
    if (!var_values.empty()) {
      auto grads = autograd::grad(s.optimizer->scale_loss(loss), var_values);
      if (dh) dh->reduce_gradients(grads);  // the mean over every process's rows
      s.optimizer->apply_gradients(grads, vars);
    }
    autograd::NoGradGuard ng;
    for (auto& p : y_pred) p = p.detach();
    if (dh) dh->globalize(loss, parts, rows, y, y_pred, sw);  // the metrics see the global batch
    update_metrics(loss, parts, rows, y, y_pred, sw);
  }

  void builtin_test(Tensors x, Tensors y, Tensor sw) {
    autograd::NoGradGuard ng;
    Device d = device();
    to_device(x, d);
    to_device(y, d);
    if (sw.defined() && sw.device() != d) sw = sw.to(d);
    detail::RunResult r = run(x, false);
    resolve_metrics(y, r.outputs);
    Tensors parts;
    Tensor loss = model_loss(x, y, r, sw, parts, false);
    Tensors y_pred = r.outputs;
    std::int64_t rows = x[0].shape()[0];
    if (dh) dh->globalize(loss, parts, rows, y, y_pred, sw);
    update_metrics(loss, parts, rows, y, y_pred, sw);
  }

  // The "val_" logs of one pass over the validation data (the test hooks
  // of `cbs` run, as in Keras's evaluate inside fit).
  Logs validate(const ValidationData& val, std::int64_t batch, callbacks::CallbackList& cbs);

  // Data of one fit() call, for the loop over epochs.
  struct FitData {
    Tensors x, y;
    Tensor sw;
    ValidationData val;
    std::int64_t n = 0, steps = 0;
  };
  // The epochs of fit(): returns the last epoch's logs.
  Logs fit_epochs(const FitData& d, const FitOptions& o, callbacks::CallbackList& cbs);
  std::shared_ptr<data::detail::Feed> val_feed;  // validation_data given as a Dataset
};

using namespace detail::trainer_utils;

bool Model::compiled() const { return state_ && state_->optimizer; }

void Model::compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metrics) {
  std::vector<std::vector<MetricArg>> per_output;
  per_output.push_back(std::move(metrics));
  compile(std::move(optimizer), std::vector<LossArg>{std::move(loss)}, std::move(per_output));
}

void Model::compile(OptimizerArg optimizer, std::vector<LossArg> losses, std::vector<std::vector<MetricArg>> metrics,
                    std::vector<double> loss_weights) {
  KERAS_CHECK(losses.size() == static_cast<std::size_t>(num_outputs()), ValueError, "compile: model \"", name_,
              "\" has ", num_outputs(), " outputs, received ", losses.size(), " losses");
  compile(CompileOptions{std::move(optimizer), std::move(losses), std::move(metrics), std::move(loss_weights), {}});
}

optimizers::Optimizer& Model::optimizer() const {
  KERAS_CHECK(compiled(), ValueError, "Model \"", name_, "\" is not compiled; call compile() first");
  return *state_->optimizer;
}

const losses::Loss& Model::loss() const {
  KERAS_CHECK(compiled(), ValueError, "Model \"", name_, "\" is not compiled; call compile() first");
  return *state_->losses[0];
}

History Model::fit(const Tensor& x, const Tensor& y, FitOptions o) { return fit(Tensors{x}, Tensors{y}, std::move(o)); }

Logs Trainer::validate(const ValidationData& val, std::int64_t batch, callbacks::CallbackList& cbs) {
  Logs empty;
  if (val_feed) {
    reset_metrics();
    cbs.on_test_begin(empty);
    data::detail::for_each_batch(*val_feed, m, "fit (validation_data)",
                                 [this](const data::detail::Batch& b) { test_step(b.x, b.y, b.sample_weight); });
    cbs.on_test_end(logs());
    return logs("val_");
  }
  std::int64_t vn = val.x[0].shape()[0];
  reset_metrics();
  cbs.on_test_begin(empty);
  for (std::int64_t b = 0, step = 0; b < vn; b += batch, ++step) {
    auto [lb, le] = local(b, std::min(vn, b + batch));
    cbs.on_test_batch_begin(step, empty);
    test_step(slice_all(val.x, lb, le), slice_all(val.y, lb, le),
              val.sample_weight.defined() ? val.sample_weight.slice(lb, le) : Tensor());
    if (cbs.wants_test_batch_logs(step)) cbs.on_test_batch_end(step, logs());
    else cbs.on_test_batch_end(step, empty);
  }
  Logs l = logs();
  cbs.on_test_end(l);
  Logs out;
  for (auto& [k, v] : l) out["val_" + k] = v;
  return out;
}

// A callback may move the start (BackupAndRestore sets model.resume_epoch
// and resume_step in on_train_begin); batches before resume_step of that
// epoch are skipped after its shuffle is drawn.
Logs Trainer::fit_epochs(const FitData& d, const FitOptions& o, callbacks::CallbackList& cbs) {
  int first = o.initial_epoch;
  std::int64_t skip = 0;
  if (m.resume_epoch >= 0) {
    first = m.resume_epoch;
    skip = m.resume_step;
  }
  m.resume_epoch = -1;
  m.resume_step = 0;
  const std::int64_t bs = o.batch_size;
  Logs empty, last;
  Tensors xb, yb;
  for (int epoch = first; epoch < o.epochs && !m.stop_training; ++epoch) {
    reset_metrics();
    cbs.on_epoch_begin(epoch, empty);
    Tensor perm = o.shuffle ? ops::random_permutation(d.n).to(d.x[0].device()) : Tensor();
    if (dh && perm.defined()) dh->share_permutation(perm);  // rank 0's shuffle
    for (std::int64_t step = epoch == first ? skip : 0; step < d.steps; ++step) {
      auto [b, e] = local(step * bs, std::min(d.n, step * bs + bs));
      cbs.on_train_batch_begin(step, empty);
      rows(d.x, perm, b, e, xb);
      rows(d.y, perm, b, e, yb);
      train_step(xb, yb, rows(d.sw, perm, b, e));
      if (cbs.wants_train_batch_logs(step)) cbs.on_train_batch_end(step, logs());
      else cbs.on_train_batch_end(step, empty);
      if (m.stop_training) break;
    }
    Logs l = logs();
    // A callback that stopped training (TerminateOnNaN) has dealt with it.
    auto li = l.find("loss");
    KERAS_CHECK(m.stop_training || li == l.end() || std::isfinite(li->second), RuntimeError, "fit: the loss of model \"",
                m.name(), "\" became ", li->second, " in epoch ", epoch + 1, " (check the learning rate and the input data)");
    if (d.val.defined() && (epoch + 1 - o.initial_epoch) % std::max(1, o.validation_freq) == 0)
      for (auto& [k, v] : validate(d.val, o.validation_batch_size > 0 ? o.validation_batch_size : o.batch_size, cbs))
        l[k] = v;
    cbs.on_epoch_end(epoch, l);
    last = std::move(l);
  }
  return last;
}

History Model::fit(const Tensors& x_all, const Tensors& y_all, FitOptions o) {
  KERAS_CHECK(compiled(), ValueError, "You must call compile() before fit() on model \"", name_, "\"");
  KERAS_CHECK(o.batch_size > 0, ValueError, "fit: batch_size must be positive, received ", o.batch_size);
  KERAS_CHECK(o.epochs >= 0 && o.initial_epoch >= 0, ValueError, "fit: epochs and initial_epoch must be >= 0");
  KERAS_CHECK(o.validation_split >= 0 && o.validation_split < 1, ValueError,
              "fit: validation_split must be in [0, 1), received ", o.validation_split);
  check_data(*this, "fit", x_all, y_all, true);
  const std::int64_t n_all = x_all[0].shape()[0];
  Tensor sw_all = o.sample_weight;
  if (sw_all.defined())
    KERAS_CHECK(sw_all.shape() == Shape{n_all}, ValueError, "fit: sample_weight must have shape (", n_all,
                ",), received ", shape_str(sw_all.shape()));
  if (!o.class_weight.empty()) {
    KERAS_CHECK(y_all.size() == 1, ValueError, "fit: class_weight is only supported for models with one output");
    Tensor cw = class_weights(o.class_weight, y_all[0]);
    sw_all = sw_all.defined() ? ops::multiply(sw_all, cw) : cw;
  }

  // Validation data: the last fraction, taken before shuffling (as Keras does).
  Tensors x = x_all, y = y_all;
  Tensor sw = sw_all;
  ValidationData val = o.validation_data;
  if (o.validation_split > 0) {
    auto split = static_cast<std::int64_t>(std::ceil(n_all * (1.0 - o.validation_split)));
    KERAS_CHECK(split > 0 && split < n_all, ValueError, "fit: validation_split=", o.validation_split, " leaves no ",
                split == n_all ? "validation" : "training", " samples out of ", n_all);
    x = slice_all(x_all, 0, split);
    y = slice_all(y_all, 0, split);
    val = ValidationData(slice_all(x_all, split, n_all), slice_all(y_all, split, n_all),
                         sw_all.defined() ? sw_all.slice(split, n_all) : Tensor());
    if (sw_all.defined()) sw = sw_all.slice(0, split);
  }
  if (val.defined() && !val.dataset) check_data(*this, "fit (validation_data)", val.x, val.y, true);

  const std::int64_t n = x[0].shape()[0];
  std::int64_t steps = (n + o.batch_size - 1) / o.batch_size;
  if (o.steps_per_epoch > 0) steps = std::min(steps, o.steps_per_epoch);
  int verbose = resolve_verbose(o.verbose);
  auto history = std::make_shared<History>();
  auto cbs = make_callbacks(this, o.callbacks, verbose, history);
  cbs.set_params(CallbackParams{o.epochs, steps, verbose});

  Trainer t(*this);
  t.val_feed = data::detail::validation_feed(val, o.validation_steps);
  stop_training = false;
  if (!built_) {
    Shape s = x[0].shape();
    s[0] = -1;
    ensure_built(s);
  }
  t.cache_variables();
  cbs.on_train_begin(Logs{});
  if (t.dh) t.dh->sync_model(*this);  // rank 0's weights, optimizer state and resume point
  Logs last = t.fit_epochs(Trainer::FitData{x, y, sw, val, n, steps}, o, cbs);
  if (o.epochs > 0) optimizer().finalize_variable_values(trainable_weights());  // EMA, as Keras
  cbs.on_train_end(last);
  History h = *history;
  return h;
}

std::map<std::string, double> Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions o) {
  return evaluate(Tensors{x}, Tensors{y}, std::move(o));
}

std::map<std::string, double> Model::evaluate(const Tensors& x, const Tensors& y, EvaluateOptions o) {
  KERAS_CHECK(compiled(), ValueError, "You must call compile() before evaluate() on model \"", name_, "\"");
  KERAS_CHECK(o.batch_size > 0, ValueError, "evaluate: batch_size must be positive, received ", o.batch_size);
  check_data(*this, "evaluate", x, y, true);
  std::int64_t n = x[0].shape()[0], bs = o.batch_size, steps = (n + bs - 1) / bs;
  if (o.steps > 0) steps = std::min(steps, o.steps);
  int verbose = resolve_verbose(o.verbose);
  auto cbs = make_callbacks(this, o.callbacks, verbose, nullptr);
  cbs.set_params({1, steps, verbose});
  Trainer t(*this);
  t.reset_metrics();
  Logs empty;
  cbs.on_test_begin(empty);
  for (std::int64_t step = 0; step < steps; ++step) {
    auto [b, e] = t.local(step * bs, std::min(n, step * bs + bs));
    cbs.on_test_batch_begin(step, empty);
    t.test_step(slice_all(x, b, e), slice_all(y, b, e), o.sample_weight.defined() ? o.sample_weight.slice(b, e) : Tensor());
    if (cbs.wants_test_batch_logs(step)) cbs.on_test_batch_end(step, t.logs());
    else cbs.on_test_batch_end(step, empty);
  }
  Logs logs = t.logs();
  cbs.on_test_end(logs);
  return logs;
}

Tensor Model::predict(const Tensor& x, PredictOptions o) {
  auto outs = predict(Tensors{x}, std::move(o));
  KERAS_CHECK(outs.size() == 1, ValueError, "predict: model \"", name_, "\" has ", outs.size(),
              " outputs; use the std::vector overload");
  return outs[0];
}

Tensors Model::predict(const Tensors& x, PredictOptions o) {
  KERAS_CHECK(o.batch_size > 0, ValueError, "predict: batch_size must be positive, received ", o.batch_size);
  check_data(*this, "predict", x, {}, false);
  auto* dh = distribution::detail::active();
  const bool shard = dh && x[0].shape()[0] >= dh->size() && o.steps <= 0;  // each process predicts its share
  const Tensors xs = shard ? slice_all(x, x[0].shape()[0] * dh->rank() / dh->size(),
                                       x[0].shape()[0] * (dh->rank() + 1) / dh->size())
                           : x;
  std::int64_t n = xs[0].shape()[0], bs = o.batch_size, steps = (n + bs - 1) / bs;
  if (o.steps > 0) steps = std::min(steps, o.steps);
  auto cbs = make_callbacks(this, o.callbacks, o.verbose, nullptr);
  cbs.set_params({1, steps, o.verbose});
  autograd::NoGradGuard ng;
  auto w = weights();
  Device d = w.empty() ? config::device() : w[0].value().device();
  std::vector<Tensors> parts;  // per output, per batch
  Logs empty;
  cbs.on_predict_begin(empty);
  for (std::int64_t step = 0; step < steps; ++step) {
    std::int64_t b = step * bs, e = std::min(n, b + bs);
    cbs.on_predict_batch_begin(step, empty);
    Tensors xb = slice_all(xs, b, e);
    Trainer::to_device(xb, d);
    Tensors outs = predict_step(xb);
    parts.resize(outs.size());
    for (std::size_t i = 0; i < outs.size(); ++i) parts[i].push_back(outs[i]);
    cbs.on_predict_batch_end(step, empty);
  }
  cbs.on_predict_end(empty);
  Tensors result;
  for (auto& p : parts) result.push_back(p.size() == 1 ? p[0] : ops::concatenate(p, 0));
  return shard ? dh->gather_rows(result) : result;
}

std::map<std::string, double> Model::train_on_batch(const Tensor& x, const Tensor& y, const Tensor& sw) {
  KERAS_CHECK(compiled(), ValueError, "You must call compile() before train_on_batch() on model \"", name_, "\"");
  check_data(*this, "train_on_batch", {x}, {y}, true);
  if (!built_) {
    Shape s = x.shape();
    s[0] = -1;
    ensure_built(s);
  }
  Trainer t(*this);
  t.cache_variables();
  t.reset_metrics();
  t.train_step({x}, {y}, sw);
  return t.logs();
}

std::map<std::string, double> Model::test_on_batch(const Tensor& x, const Tensor& y, const Tensor& sw) {
  KERAS_CHECK(compiled(), ValueError, "You must call compile() before test_on_batch() on model \"", name_, "\"");
  check_data(*this, "test_on_batch", {x}, {y}, true);
  Trainer t(*this);
  t.reset_metrics();
  t.test_step({x}, {y}, sw);
  return t.logs();
}

Tensor Model::predict_on_batch(const Tensor& x) {
  check_data(*this, "predict_on_batch", {x}, {}, false);
  autograd::NoGradGuard ng;
  return call(x, false);
}

void detail::builtin_train_step(Model& m, const Tensors& x, const Tensors& y, const Tensor& sw) {
  Trainer::default_step(m, x, y, sw, true);
}
void detail::builtin_test_step(Model& m, const Tensors& x, const Tensors& y, const Tensor& sw) {
  Trainer::default_step(m, x, y, sw, false);
}
Tensor detail::builtin_compute_loss(Model& m, const Tensors& y, const Tensors& y_pred, const Tensor& sw) {
  return Trainer::default_loss(m, y, y_pred, sw);
}

// The steps for the loops over Datasets (src/data/fit_dataset.cpp).
namespace detail {
StepRunner::StepRunner(Model& m) : t_(std::make_unique<Trainer>(m)) {}
StepRunner::~StepRunner() = default;
void StepRunner::prepare_training(const Tensors& x) {
  if (!t_->m.built()) {
    Shape s = x[0].shape();
    s[0] = -1;
    t_->m.ensure_built(s);
  }
  if (t_->dh) t_->dh->sync_model(t_->m);  // rank 0's weights, optimizer state and resume point
  t_->cache_variables();
}
void StepRunner::reset_metrics() { t_->reset_metrics(); }
void StepRunner::train_step(const Tensors& x, const Tensors& y, const Tensor& sw) { t_->train_step(x, y, sw); }
void StepRunner::test_step(const Tensors& x, const Tensors& y, const Tensor& sw) { t_->test_step(x, y, sw); }
Logs StepRunner::logs(const std::string& prefix) const { return t_->logs(prefix); }
}  // namespace detail

}  // namespace keras
