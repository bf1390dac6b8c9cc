// fit / evaluate / predict on a data::Dataset or a utils::PyDataset: the
// loops over batches (the steps themselves are src/trainer.cpp's).
#include <cmath>

#include "data/feed.hpp"
#include "data/step_runner.hpp"
#include "distribution/hook.hpp"
#include "keras/autograd.hpp"
#include "keras/config.hpp"
#include "keras/data.hpp"
#include "keras/ops.hpp"

namespace keras {

using Tensors = std::vector<Tensor>;
using data::detail::Batch;
using data::detail::Feed;

ValidationData::ValidationData(const data::Dataset& ds) : dataset(std::make_shared<const data::Dataset>(ds)) {}

namespace {

callbacks::CallbackList make_cbs(Model* m, const std::vector<std::shared_ptr<callbacks::Callback>>& user, int verbose,
                                 std::shared_ptr<History> history) {
  callbacks::CallbackList cl;
  for (auto& c : user) cl.append(c);
  if (history) cl.append(history);
  if (verbose && distribution::detail::is_writer()) cl.append(std::make_shared<callbacks::ProgbarLogger>());
  cl.set_model(m);
  return cl;
}

// The next batch of this process. With a distribution the batches are dealt
// in turn (batch i to process i mod N) and an epoch ends for every process
// as soon as one has none left (up to N - 1 last batches are dropped).
std::optional<data::Element> next_batch(Feed& feed) {
  auto* dh = distribution::detail::active();
  if (!dh) return feed.next();
  std::optional<data::Element> mine;
  for (int k = 0; k < dh->size(); ++k) {
    auto e = feed.next();
    if (!e) break;
    if (k == dh->rank()) mine = std::move(e);
  }
  if (dh->any_done(!mine)) return std::nullopt;
  return mine;
}

// Per-sample weights of one batch from class_weight (integer labels or one-hot rows).
Tensor class_weight_for(const std::map<int, double>& cw, const Tensor& y) {
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

// Tensors given as validation_data, as batches.
data::Dataset batched(const ValidationData& v, std::int64_t batch) {
  Tensors all = v.x;
  all.insert(all.end(), v.y.begin(), v.y.end());
  if (v.sample_weight.defined()) all.push_back(v.sample_weight);
  return data::Dataset::from_tensor_slices(all).batch(batch);
}

void check_fit_options(const Model& m, const FitOptions& o) {
  KERAS_CHECK(m.compiled(), ValueError, "You must call compile() before fit() on model \"", m.name(), "\"");
  KERAS_CHECK(o.epochs >= 0 && o.initial_epoch >= 0, ValueError, "fit: epochs and initial_epoch must be >= 0");
  KERAS_CHECK(o.validation_split == 0, ValueError,
              "fit: validation_split is only supported for tensors, not a Dataset; split it with "
              "keras::utils::split_dataset and pass validation_data");
  KERAS_CHECK(!o.sample_weight.defined(), ValueError,
              "fit: the sample_weight option is not supported with a Dataset; yield (x, y, sample_weight) batches");
}

struct DatasetFit {
  Model& m;
  const FitOptions& o;
  Feed feed;
  utils::PyDataset* seq;  // on_epoch_begin / on_epoch_end, when fitting a PyDataset
  detail::StepRunner run;
  std::shared_ptr<Feed> val;
  bool prepared = false;

  DatasetFit(Model& model, const data::Dataset& ds, const FitOptions& opts, utils::PyDataset* s)
      : m(model), o(opts), feed(ds, opts.steps_per_epoch, "fit"), seq(s), run(model) {
    const ValidationData& v = o.validation_data;
    std::int64_t vbs = o.validation_batch_size > 0 ? o.validation_batch_size : o.batch_size;
    if (v.dataset) val = data::detail::validation_feed(v, o.validation_steps);
    else if (v.defined()) val = std::make_shared<Feed>(batched(v, vbs), o.validation_steps, "fit (validation_data)");
  }

  void step(const data::Element& e) {
    Batch b = data::detail::split_batch(m, e, feed.dataset().element_names(), true, "fit");
    if (!prepared) {
      run.prepare_training(b.x);
      prepared = true;
    }
    if (!o.class_weight.empty()) {
      KERAS_CHECK(b.y.size() == 1, ValueError, "fit: class_weight is only supported for models with one output");
      Tensor cw = class_weight_for(o.class_weight, b.y[0]);
      b.sample_weight = b.sample_weight.defined() ? ops::multiply(ops::cast(b.sample_weight, float32), cw) : cw;
    }
    run.train_step(b.x, b.y, b.sample_weight);
  }

  // The test hooks of `cbs` run, as in Keras's evaluate inside fit.
  Logs validate(callbacks::CallbackList& cbs) {
    run.reset_metrics();
    cbs.on_test_begin(Logs{});
    data::detail::for_each_batch(*val, m, "fit (validation_data)",
                                 [this](const Batch& b) { run.test_step(b.x, b.y, b.sample_weight); });
    cbs.on_test_end(run.logs());
    return run.logs("val_");
  }

  History go();
};

History DatasetFit::go() {
  int verbose = o.verbose < 0 ? 1 : o.verbose;
  auto history = std::make_shared<History>();
  auto cbs = make_cbs(&m, o.callbacks, verbose, history);
  cbs.set_params(CallbackParams{o.epochs, feed.steps_for_params(), verbose});
  m.stop_training = false;
  Logs empty, last;
  cbs.on_train_begin(empty);
  for (int epoch = o.initial_epoch; epoch < o.epochs && !m.stop_training; ++epoch) {
    run.reset_metrics();
    cbs.on_epoch_begin(epoch, empty);
    if (seq) seq->on_epoch_begin();
    feed.begin_epoch();
    std::int64_t step = 0;
    for (; !m.stop_training; ++step) {
      auto e = next_batch(feed);
      if (!e) break;
      cbs.on_train_batch_begin(step, empty);
      this->step(*e);
      if (cbs.wants_train_batch_logs(step)) cbs.on_train_batch_end(step, run.logs());
      else cbs.on_train_batch_end(step, empty);
    }
    feed.end_epoch();
    if (seq) seq->on_epoch_end();
    KERAS_CHECK(step > 0 || m.stop_training, ValueError, "fit: the dataset gave no batches in epoch ", epoch + 1,
                " (is it empty, or does a filter drop everything?)");
    Logs logs = run.logs();
    KERAS_CHECK(step == 0 || m.stop_training || std::isfinite(logs["loss"]), RuntimeError, "fit: the loss of model \"", m.name(),
                "\" became ", logs["loss"], " in epoch ", epoch + 1, " (check the learning rate and the input data)");
    if (val && (epoch + 1 - o.initial_epoch) % std::max(1, o.validation_freq) == 0)
      for (auto& [k, v] : validate(cbs)) logs[k] = v;
    cbs.on_epoch_end(epoch, logs);
    last = std::move(logs);
  }
  if (o.epochs > 0) m.optimizer().finalize_variable_values(m.trainable_weights());  // EMA, as Keras
  cbs.on_train_end(last);
  History h = *history;
  return h;
}

std::map<std::string, double> evaluate_on(Model& m, const data::Dataset& ds, const EvaluateOptions& o,
                                          utils::PyDataset* seq) {
  KERAS_CHECK(m.compiled(), ValueError, "You must call compile() before evaluate() on model \"", m.name(), "\"");
  KERAS_CHECK(!o.sample_weight.defined(), ValueError,
              "evaluate: the sample_weight option is not supported with a Dataset; yield (x, y, sample_weight) batches");
  Feed feed(ds, o.steps, "evaluate");
  int verbose = o.verbose < 0 ? 1 : o.verbose;
  auto cbs = make_cbs(&m, o.callbacks, verbose, nullptr);
  cbs.set_params({1, feed.steps_for_params(), verbose});
  detail::StepRunner run(m);
  run.reset_metrics();
  Logs empty;
  cbs.on_test_begin(empty);
  if (seq) seq->on_epoch_begin();
  feed.begin_epoch();
  std::int64_t step = 0;
  for (; auto e = next_batch(feed); ++step) {
    cbs.on_test_batch_begin(step, empty);
    Batch b = data::detail::split_batch(m, *e, ds.element_names(), true, "evaluate");
    run.test_step(b.x, b.y, b.sample_weight);
    if (cbs.wants_test_batch_logs(step)) cbs.on_test_batch_end(step, run.logs());
    else cbs.on_test_batch_end(step, empty);
  }
  if (seq) seq->on_epoch_end();
  KERAS_CHECK(step > 0, ValueError, "evaluate: the dataset gave no batches");
  Logs logs = run.logs();
  cbs.on_test_end(logs);
  return logs;
}

Tensors predict_on(Model& m, const data::Dataset& ds, const PredictOptions& o, utils::PyDataset* seq) {
  Feed feed(ds, o.steps, "predict");
  auto cbs = make_cbs(&m, o.callbacks, o.verbose, nullptr);
  cbs.set_params({1, feed.steps_for_params(), o.verbose});
  autograd::NoGradGuard ng;
  std::vector<Tensors> parts;  // per output, per batch
  Device d = config::device();
  bool known = false;
  Logs empty;
  cbs.on_predict_begin(empty);
  if (seq) seq->on_epoch_begin();
  feed.begin_epoch();
  for (std::int64_t step = 0; auto e = feed.next(); ++step) {
    cbs.on_predict_batch_begin(step, empty);
    Tensors xb = data::detail::split_batch(m, *e, ds.element_names(), false, "predict").x;
    if (!known) {  // the weights' device, once the model is built
      auto w = m.weights();
      if (!w.empty()) d = w[0].value().device();
      known = !w.empty();
    }
    for (auto& t : xb)
      if (t.device() != d) t = t.to(d);
    Tensors outs = m.call_all(xb, false);
    parts.resize(outs.size());
    for (std::size_t i = 0; i < outs.size(); ++i) parts[i].push_back(outs[i]);
    cbs.on_predict_batch_end(step, empty);
  }
  if (seq) seq->on_epoch_end();
  cbs.on_predict_end(empty);
  KERAS_CHECK(!parts.empty(), ValueError, "predict: the dataset gave no batches");
  Tensors result;
  for (auto& p : parts) result.push_back(p.size() == 1 ? p[0] : ops::concatenate(p, 0));
  return result;
}

}  // namespace

History Model::fit(const data::Dataset& x, FitOptions o) {
  check_fit_options(*this, o);
  DatasetFit f(*this, x, o, nullptr);
  return f.go();
}

History Model::fit(utils::PyDataset& x, FitOptions o) {
  check_fit_options(*this, o);
  DatasetFit f(*this, utils::as_dataset(x, o.shuffle), o, &x);
  return f.go();
}

std::map<std::string, double> Model::evaluate(const data::Dataset& x, EvaluateOptions o) {
  return evaluate_on(*this, x, o, nullptr);
}

std::map<std::string, double> Model::evaluate(utils::PyDataset& x, EvaluateOptions o) {
  return evaluate_on(*this, utils::as_dataset(x), o, &x);
}

Tensors Model::predict_outputs(const data::Dataset& x, PredictOptions o) { return predict_on(*this, x, o, nullptr); }

Tensor Model::predict(const data::Dataset& x, PredictOptions o) {
  auto outs = predict_on(*this, x, o, nullptr);
  KERAS_CHECK(outs.size() == 1, ValueError, "predict: model \"", name(), "\" has ", outs.size(),
              " outputs; use predict_outputs");
  return outs[0];
}

Tensor Model::predict(utils::PyDataset& x, PredictOptions o) {
  auto outs = predict_on(*this, utils::as_dataset(x), o, &x);
  KERAS_CHECK(outs.size() == 1, ValueError, "predict: model \"", name(), "\" has ", outs.size(), " outputs");
  return outs[0];
}

namespace utils {

data::Dataset as_dataset(const PyDataset& seq, bool shuffle) {
  const std::int64_t n = seq.size();
  data::Dataset idx = n < 0 ? data::Dataset::counter() : data::Dataset::range(n);
  if (shuffle && n > 0) idx = idx.shuffle(n);
  const PyDataset* p = &seq;
  int threads = seq.workers > 1 ? seq.workers : 0;
  return idx.map([p](const data::Element& e) { return p->get(static_cast<std::int64_t>(e[0].item())); }, threads);
}

}  // namespace utils
}  // namespace keras
