// Models with named inputs and outputs: fit / evaluate / predict / compile
// with tensors and losses keyed by layer name, reordered to the graph's order.
#include <algorithm>
#include <set>

#include "keras/models.hpp"

namespace keras {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string r;
  for (auto& s : v) r += (r.empty() ? "" : ", ") + ("\"" + s + "\"");
  return "[" + r + "]";
}

template <class Map, class Value>
std::vector<Value> ordered(const Model& m, const Map& by_name, const std::vector<std::string>& names, const char* what) {
  std::vector<Value> r;
  std::vector<std::string> missing, unknown;
  for (auto& n : names) {
    auto it = by_name.find(n);
    if (it == by_name.end()) missing.push_back(n);
    else r.push_back(it->second);
  }
  std::set<std::string> known(names.begin(), names.end());
  for (auto& [k, v] : by_name)
    if (!known.count(k)) unknown.push_back(k);
  KERAS_CHECK(missing.empty() && unknown.empty(), ValueError, "Model \"", m.name(), "\": the ", what, " names are ",
              join(names), (missing.empty() ? "" : "; missing: " + join(missing)),
              (unknown.empty() ? "" : "; unknown: " + join(unknown)));
  return r;
}

}  // namespace

std::vector<std::string> Model::input_names() const {
  if (!is_functional()) return {input_layer_ ? input_layer_->name() : name_ + "_input"};
  std::vector<std::string> r;
  for (auto& t : inputs_) r.push_back(t.source()->name());
  return r;
}

std::vector<Tensor> Model::inputs_from(const TensorMap& x) const {
  return ordered<TensorMap, Tensor>(*this, x, input_names(), "input");
}

std::vector<Tensor> Model::outputs_from(const TensorMap& y) const {
  return ordered<TensorMap, Tensor>(*this, y, output_names(), "output");
}

History Model::fit(const TensorMap& x, const TensorMap& y, FitOptions options) {
  return fit(inputs_from(x), outputs_from(y), std::move(options));
}

std::map<std::string, double> Model::evaluate(const TensorMap& x, const TensorMap& y, EvaluateOptions options) {
  return evaluate(inputs_from(x), outputs_from(y), std::move(options));
}

TensorMap Model::predict(const TensorMap& x, PredictOptions options) {
  auto outs = predict(inputs_from(x), std::move(options));
  auto names = output_names();
  TensorMap r;
  for (std::size_t i = 0; i < outs.size(); ++i) r[names[i]] = outs[i];
  return r;
}

void Model::compile(OptimizerArg optimizer, const LossMap& losses,
                    const std::map<std::string, std::vector<MetricArg>>& metrics,
                    const std::map<std::string, double>& loss_weights) {
  auto names = output_names();
  auto l = ordered<LossMap, LossArg>(*this, losses, names, "output");
  std::vector<std::vector<MetricArg>> m(names.size());
  for (auto& [k, v] : metrics) {
    auto it = std::find(names.begin(), names.end(), k);
    KERAS_CHECK(it != names.end(), ValueError, "compile: model \"", name_, "\" has no output \"", k,
                "\" for metrics; its outputs are ", join(names));
    m[it - names.begin()] = v;
  }
  std::vector<double> w;
  if (!loss_weights.empty()) {
    w.assign(names.size(), 1.0);
    for (auto& [k, v] : loss_weights) {
      auto it = std::find(names.begin(), names.end(), k);
      KERAS_CHECK(it != names.end(), ValueError, "compile: model \"", name_, "\" has no output \"", k,
                  "\" for loss_weights; its outputs are ", join(names));
      w[it - names.begin()] = v;
    }
  }
  compile(std::move(optimizer), std::move(l), std::move(m), std::move(w));
}

}  // namespace keras
