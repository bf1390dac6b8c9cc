// Customizing fit: Model's virtual train_step / test_step / predict_step /
// compute_loss, compile's metrics as model.metrics(), compile(CompileOptions)
// with weighted_metrics, and model.input() / model.output().
#include <algorithm>

#include "keras/autograd.hpp"
#include "keras/ops.hpp"
#include "trainer_state.hpp"

namespace keras {

using Tensors = std::vector<Tensor>;

Logs Model::train_step(const Tensors& x, const Tensors& y, const Tensor& sample_weight) {
  detail::builtin_train_step(*this, x, y, sample_weight);
  return {};  // the loop reads the compiled trackers itself
}

Logs Model::test_step(const Tensors& x, const Tensors& y, const Tensor& sample_weight) {
  detail::builtin_test_step(*this, x, y, sample_weight);
  return {};
}

Tensors Model::predict_step(const Tensors& x) { return call_all(x, false); }

Tensor Model::compute_loss(const Tensors& /*x*/, const Tensors& y, const Tensors& y_pred, const Tensor& sample_weight,
                           bool /*training*/) {
  return detail::builtin_compute_loss(*this, y, y_pred, sample_weight);
}

Logs Model::compute_metrics(const Tensors& /*x*/, const Tensors& y, const Tensors& y_pred, const Tensor& sample_weight) {
  KERAS_CHECK(compiled(), ValueError, "compute_metrics: model \"", name_, "\" is not compiled; call compile() first");
  KERAS_CHECK(y.size() == y_pred.size(), ValueError, "compute_metrics: model \"", name_, "\" received ", y.size(),
              " targets and ", y_pred.size(), " predictions");
  CompileState& s = *state_;
  std::vector<Shape> ys, ps;
  for (std::size_t o = 0; o < y.size(); ++o) {
    ys.push_back(y[o].shape());
    ps.push_back(y_pred[o].shape());
  }
  detail::resolve_metrics(s, ys, ps);
  autograd::NoGradGuard ng;
  for (std::size_t o = 0; o < s.metrics.size() && o < y.size(); ++o)
    for (auto& mt : s.metrics[o]) mt->update_state(y[o], y_pred[o].detach());
  for (std::size_t o = 0; o < s.weighted_metrics.size() && o < y.size(); ++o)
    for (auto& mt : s.weighted_metrics[o]) mt->update_state(y[o], y_pred[o].detach(), sample_weight);
  return get_metrics_result();
}

std::vector<std::shared_ptr<metrics::Metric>> Model::metrics() const {
  std::vector<std::shared_ptr<metrics::Metric>> r;
  if (!state_) return r;
  r.push_back(std::shared_ptr<metrics::Metric>(state_, &state_->loss_tracker));  // shares the state's lifetime
  for (auto& t : state_->output_loss_trackers) r.push_back(t);
  for (auto& ms : state_->metrics) r.insert(r.end(), ms.begin(), ms.end());
  for (auto& ms : state_->weighted_metrics) r.insert(r.end(), ms.begin(), ms.end());
  return r;
}

Logs Model::get_metrics_result() const {
  Logs l;
  for (auto& mt : metrics()) l[mt->name()] = mt->result();
  return l;
}

KerasTensor Model::input() const {
  KERAS_CHECK(!inputs_.empty(), ValueError, "Model \"", name_,
              "\" has no input yet: give it a keras::Input (or build it) before asking for model.input()");
  KERAS_CHECK(inputs_.size() == 1, ValueError, "Model \"", name_, "\" has ", inputs_.size(),
              " inputs: use model.inputs()");
  return inputs_[0];
}

KerasTensor Model::output() const {
  KERAS_CHECK(!outputs_.empty(), ValueError, "Model \"", name_,
              "\" has no output yet: give it a keras::Input (or build it) before asking for model.output()");
  KERAS_CHECK(outputs_.size() == 1, ValueError, "Model \"", name_, "\" has ", outputs_.size(),
              " outputs: use model.outputs()");
  return outputs_[0];
}

namespace {
void check_per_output(const char* what, std::size_t given, std::size_t nout, const std::string& model) {
  KERAS_CHECK(given == 0 || given == nout, ValueError, "compile: model \"", model, "\" has ", nout,
              " outputs, received ", what, " for ", given);
}
}  // namespace

void Model::compile(CompileOptions o) {
  KERAS_CHECK(o.optimizer.ptr, ValueError, "compile: optimizer is null");
  const std::size_t nout = static_cast<std::size_t>(num_outputs());
  check_per_output("losses", o.loss.size(), nout, name_);
  check_per_output("metrics", o.metrics.size(), nout, name_);
  check_per_output("weighted_metrics", o.weighted_metrics.size(), nout, name_);
  check_per_output("loss_weights", o.loss_weights.size(), nout, name_);
  auto st = std::make_shared<CompileState>();
  st->optimizer = std::move(o.optimizer.ptr);
  for (auto& l : o.loss) {
    KERAS_CHECK(l.ptr, ValueError, "compile: loss is null");
    st->losses.push_back(std::move(l.ptr));
  }
  st->loss_weights = o.loss_weights.empty() ? std::vector<double>(nout, 1.0) : o.loss_weights;
  st->metric_args = std::move(o.metrics);
  st->metric_args.resize(nout);
  st->weighted_metric_args = std::move(o.weighted_metrics);
  st->weighted_metric_args.resize(nout);
  auto names = output_names();
  for (std::size_t o2 = 0; o2 < nout; ++o2) {
    st->prefixes.push_back(nout > 1 ? names[o2] + "_" : "");
    if (nout > 1 && !st->losses.empty())
      st->output_loss_trackers.push_back(std::make_shared<metrics::Mean>(names[o2] + "_loss"));
    const losses::Loss* loss = st->losses.empty() ? nullptr : st->losses[o2].get();
    for (auto* args : {&st->metric_args[o2], &st->weighted_metric_args[o2]})
      for (auto& a : *args)
        if (!a.metric) metrics::get(a.name, loss, {-1, 2}, {-1, 2});  // unknown names fail here
  }
  state_ = std::move(st);
}

void detail::resolve_metrics(CompileState& s, const std::vector<Shape>& ys, const std::vector<Shape>& ps) {
  if (s.metrics_resolved) return;
  const std::size_t n = ys.size();
  s.metrics.assign(n, {});
  s.weighted_metrics.assign(n, {});
  for (std::size_t o = 0; o < n; ++o) {
    const losses::Loss* loss = o < s.losses.size() ? s.losses[o].get() : nullptr;
    auto make = [&](const MetricArg& a) { return a.metric ? a.metric : metrics::get(a.name, loss, ys[o], ps[o]); };
    const std::string& prefix = o < s.prefixes.size() ? s.prefixes[o] : std::string();
    std::vector<std::string> plain;  // the plain metrics' names, before the output prefix
    if (o < s.metric_args.size())
      for (auto& a : s.metric_args[o]) {
        auto mt = make(a);
        plain.push_back(mt->name());
        if (!prefix.empty() && mt->name().rfind(prefix, 0) != 0) mt->set_name(prefix + mt->name());
        s.metrics[o].push_back(mt);
      }
    if (o < s.weighted_metric_args.size())
      for (auto& a : s.weighted_metric_args[o]) {
        auto mt = make(a);
        std::string base = mt->name();
        if (!prefix.empty() && base.rfind(prefix, 0) == 0) base = base.substr(prefix.size());
        if (std::find(plain.begin(), plain.end(), base) != plain.end()) base = "weighted_" + base;
        mt->set_name(prefix + base);
        s.weighted_metrics[o].push_back(mt);
      }
  }
  s.metrics_resolved = true;
}

}  // namespace keras
