// compile() arguments and optimizer state in Keras's saved forms:
// compile_config (.keras), training_config (.h5), and the optimizer's
// variables [iteration, learning_rate, slots...].
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "saving/internal.hpp"

namespace keras::saving {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

json loss_json(const losses::Loss& loss) {
  // A loss equal to its string form is saved as the string, as Keras keeps
  // what compile() was given; others as a serialized object.
  try {
    auto plain = losses::get(loss.name());
    if (plain->class_name() == loss.class_name() && plain->get_config() == loss.get_config()) return loss.name();
  } catch (const ValueError&) {
  }
  json c = loss.get_config();
  return {{"module", "keras.losses"}, {"class_name", loss.class_name()}, {"config", c}, {"registered_name", nullptr}};
}

// A metric given by name is saved as the name; a metric object of a class
// with arguments (Precision, AUC, F1Score, ...) as Keras serializes it.
// The training loop names a metric of output "probs" "probs_auc" in the
// logs; its config keeps the metric's own name ("auc"), as Keras's does.
json metric_name(const MetricArg& m, const std::string& prefix = "") {
  if (!m.metric) return m.name;
  json c = m.metric->get_config();
  const std::string n = c.value("name", std::string());
  if (!prefix.empty() && n.size() > prefix.size() && n.rfind(prefix, 0) == 0) c["name"] = n.substr(prefix.size());
  json j = {{"module", "keras.metrics"}, {"class_name", m.metric->class_name()}, {"config", c},
            {"registered_name", nullptr}};
  if (metrics::deserialize(j)) return j;
  return m.metric->name();
}

// compile's metrics (or weighted_metrics): a flat list for one output, a
// list per output otherwise; null when there are none.
json metrics_json(const CompileState& s, const std::vector<std::vector<MetricArg>>& args) {
  const std::size_t n = s.prefixes.size();
  json metrics = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    json mi = json::array();
    if (i < args.size())
      for (auto& m : args[i]) mi.push_back(n == 1 ? metric_name(m) : metric_name(m, s.prefixes[i]));
    if (n == 1) metrics = mi;
    else metrics.push_back(mi);
  }
  bool none = std::all_of(metrics.begin(), metrics.end(), [](const json& m) { return m.is_array() && m.empty(); });
  return metrics.empty() || none ? json(nullptr) : metrics;
}

json base_config(const Model& model, const CompileState& s) {
  std::size_t n = s.losses.size();
  json loss;
  if (n == 1) {
    loss = loss_json(*s.losses[0]);
  } else if (n > 1) {
    loss = json::array();
    for (std::size_t i = 0; i < n; ++i) loss.push_back(loss_json(*s.losses[i]));
  }
  bool all_one = std::all_of(s.loss_weights.begin(), s.loss_weights.end(), [](double w) { return w == 1.0; });
  return {{"loss", loss},
          {"loss_weights", all_one ? json(nullptr) : json(s.loss_weights)},
          {"metrics", metrics_json(s, s.metric_args)},
          {"weighted_metrics", metrics_json(s, s.weighted_metric_args)},
          {"run_eagerly", false},
          {"steps_per_execution", 1},
          {"jit_compile", false}};
}

bool metric_known(const std::string& name) {
  if (name == "accuracy" || name == "acc") return true;
  auto known = metrics::registered_metrics();
  return std::find(known.begin(), known.end(), name) != known.end();
}

MetricArg metric_from_config(const json& j) {
  if (j.is_string()) return MetricArg(j.get<std::string>());
  if (j.is_object() && j.contains("class_name"))
    if (auto m = metrics::deserialize(j)) return MetricArg(m);
  // A serialized metric object: its name resolves like the string would.
  if (j.is_object() && j.contains("config") && j["config"].is_object() && j["config"].contains("name")) {
    // tf.keras 2 names a wrapped metric of a multi-output model after its
    // output ("cls_accuracy"); its function ("fn") says what it computes.
    const json& c = j["config"];
    std::string name = c["name"].get<std::string>();
    if (c.contains("fn") && c["fn"].is_string() && !metric_known(name)) return MetricArg(c["fn"].get<std::string>());
    return MetricArg(name);
  }
  throw ValueError("Cannot read metric " + j.dump().substr(0, 200));
}

// A per-output list from null, a value, a list or a {output_name: value} map.
std::vector<json> per_output(const json& j, const Model& model, const char* what) {
  std::size_t n = static_cast<std::size_t>(model.num_outputs());
  auto names = model.output_names();
  if (j.is_null()) return std::vector<json>(n, json(nullptr));
  if (j.is_object() && !j.contains("class_name")) {
    std::vector<json> r;
    for (auto& name : names) r.push_back(j.contains(name) ? j[name] : json(nullptr));
    return r;
  }
  if (j.is_array() && n > 1) {
    KERAS_CHECK(j.size() == n, ValueError, what, ": expected ", n, " entries (one per output), received ", j.dump());
    return std::vector<json>(j.begin(), j.end());
  }
  return std::vector<json>(n, j);
}

std::vector<std::vector<MetricArg>> metrics_from_config(json mj, const Model& model, const char* what) {
  std::vector<std::vector<MetricArg>> ms;
  // One flat list of names for a one-output model.
  if (model.num_outputs() == 1 && mj.is_array() && !mj.empty() && !mj[0].is_array()) mj = json::array({mj});
  if (model.num_outputs() == 1 && mj.is_array() && mj.empty()) mj = nullptr;
  for (auto& m : model.num_outputs() == 1 && mj.is_array() ? std::vector<json>(mj.begin(), mj.end())
                                                           : per_output(mj, model, what)) {
    std::vector<MetricArg> row;
    if (m.is_array())
      for (auto& e : m) row.push_back(metric_from_config(e));
    else if (!m.is_null())
      row.push_back(metric_from_config(m));
    ms.push_back(std::move(row));
  }
  return ms;
}

}  // namespace

json compile_config(const Model& model) {
  const CompileState* s = ModelSavingAccess::state(model);
  if (!s || !s->optimizer) return nullptr;
  json c = base_config(model, *s);
  c["optimizer"] = {{"module", "keras.optimizers"},
                    {"class_name", s->optimizer->class_name()},
                    {"config", s->optimizer->get_config()},
                    {"registered_name", nullptr}};
  return c;
}

json training_config(const Model& model) {
  const CompileState* s = ModelSavingAccess::state(model);
  if (!s || !s->optimizer) return nullptr;
  json c = base_config(model, *s);
  c["optimizer_config"] = {{"class_name", s->optimizer->class_name()}, {"config", s->optimizer->get_config()}};
  return c;
}

bool compile_from_config(Model& model, const json& config, const std::string& source) {
  try {
    if (!config.is_object() || !config.contains("loss") || config["loss"].is_null()) return false;
    json oj = config.contains("optimizer") ? config["optimizer"]
                                           : config.contains("optimizer_config") ? config["optimizer_config"] : json("rmsprop");
    auto optimizer = optimizers::deserialize(oj);
    std::vector<LossArg> ls;
    for (auto& l : per_output(config["loss"], model, "loss")) {
      KERAS_CHECK(!l.is_null(), ValueError, "Every output needs a loss; received ", config["loss"].dump());
      ls.emplace_back(losses::deserialize(l));
    }
    auto ms = metrics_from_config(config.value("metrics", json(nullptr)), model, "metrics");
    auto wms = metrics_from_config(config.value("weighted_metrics", json(nullptr)), model, "weighted_metrics");
    std::vector<double> lw;
    json wj = config.value("loss_weights", json(nullptr));
    if (!wj.is_null())
      for (auto& w : per_output(wj, model, "loss_weights")) lw.push_back(w.is_null() ? 1.0 : w.get<double>());
    model.compile(CompileOptions{optimizer, ls, ms, lw, wms});
    return true;
  } catch (const ValueError& e) {
    throw ValueError(std::string("Cannot compile the model from the training config in '") + source + "': " + e.what());
  } catch (const json::exception& e) {
    throw ValueError(std::string("Invalid training config in '") + source + "': " + e.what());
  }
}

namespace {
// The optimizer variables in Keras 3's file order (each optimizer knows its
// slot groups, EMA averages and accumulators, see saved_variables()).
std::vector<Variable> keras_slot_order(const Model& model) { return model.optimizer().saved_variables(); }
}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> keras3_slot_layout(const Model& model) {
  auto slots = model.optimizer().variables();
  auto saved = model.optimizer().saved_variables();
  auto vars = model.trainable_weights();
  if (slots.empty() || vars.empty() || slots.size() % vars.size() != 0 || saved.size() != slots.size()) return {};
  // variables() holds kind k of variable i at k * n + i; find each saved
  // variable there (by identity).
  const std::size_t n = vars.size();
  std::vector<std::pair<std::size_t, std::size_t>> layout;
  for (const Variable& v : saved) {
    auto it = std::find(slots.begin(), slots.end(), v);
    if (it == slots.end()) return {};
    const auto j = static_cast<std::size_t>(it - slots.begin());
    layout.push_back({j % n, j / n});
  }
  return layout;
}

std::vector<std::string> optimizer_state_names(const Model& model) {
  auto& o = model.optimizer();
  std::string prefix = o.get_config().value("name", std::string("optimizer")) + "/";
  std::vector<std::string> names{prefix + "iteration"};
  if (!o.learning_rate_schedule()) names.push_back(prefix + "learning_rate");  // a schedule is no variable
  for (auto& v : keras_slot_order(model)) names.push_back(prefix + v.name());
  return names;
}

std::vector<Tensor> optimizer_state(const Model& model) {
  auto& o = model.optimizer();
  std::vector<Tensor> values{Tensor::scalar(static_cast<double>(o.iterations()), int64)};
  if (!o.learning_rate_schedule()) values.push_back(Tensor::scalar(o.learning_rate(), float32));
  for (auto& v : keras_slot_order(model)) values.push_back(v.value());
  return values;
}

void set_optimizer_state(Model& model, const std::vector<Tensor>& values, const std::string& source) {
  auto& o = model.optimizer();
  if (!o.built()) o.build(model.trainable_weights());
  auto slots = keras_slot_order(model);
  // With a schedule Keras keeps no learning_rate variable: [iteration, slots...].
  const std::size_t head = o.learning_rate_schedule() ? 1 : 2;
  // A compiled model that never trained: Keras stores [iteration,
  // learning_rate] only; the slots stay at their initial values.
  if (values.size() == head && !slots.empty()) slots.clear();
  KERAS_CHECK(values.size() == slots.size() + head, ValueError, "The optimizer state in '", source, "' has ",
              values.size(), " variables, but ", o.class_name(), " for this model has ", slots.size() + head,
              head == 2 ? " (iteration, learning_rate and " : " (iteration and ", slots.size(), " slots)");
  for (std::size_t i = 0; i < slots.size(); ++i) {
    KERAS_CHECK(values[i + head].shape() == slots[i].shape(), ValueError, "Optimizer variable ", i + head, " ('",
                slots[i].name(), "') in '", source, "' has shape ", shape_str(values[i + head].shape()),
                ", expected ", shape_str(slots[i].shape()));
    slots[i].assign(values[i + head].dtype() == float32 ? values[i + head] : values[i + head].astype(float32));
  }
  KERAS_CHECK(values[0].size() == 1 && values[head - 1].size() == 1, ValueError,
              "The optimizer's iteration and learning_rate in '", source, "' must be scalars");
  o.set_iterations(static_cast<std::int64_t>(values[0].item()));
  if (head == 1) return;  // the schedule gives the rate
  // The saved rate is a float32 copy of the configured one; only a real
  // change (a callback lowered it) is applied, so a float64 rate stays exact.
  double lr = values[1].item(), cur = o.learning_rate();
  if (std::abs(lr - cur) > 1e-6 * std::max(std::abs(cur), 1e-12)) {
    try {
      o.set_learning_rate(lr);
    } catch (const TypeError&) {  // a schedule: the rate follows iterations
    }
  }
}

std::vector<Variable> legacy_weights(const layers::Layer& layer) {
  auto w = layer.trainable_weights();
  for (auto& v : layer.non_trainable_weights()) w.push_back(v);
  return w;
}

void assign_weights(const std::vector<Variable>& vars, const std::vector<Tensor>& values, const std::string& layer,
                    const std::string& source) {
  KERAS_CHECK(vars.size() == values.size(), ValueError, "Layer \"", layer, "\" expects ", vars.size(),
              " weights, but '", source, "' has ", values.size(), " for it");
  for (std::size_t i = 0; i < vars.size(); ++i) {
    KERAS_CHECK(values[i].shape() == vars[i].shape(), ValueError, "Layer \"", layer, "\" weight ", i, " ('",
                vars[i].name(), "') has shape ", shape_str(vars[i].shape()), ", but '", source, "' has shape ",
                shape_str(values[i].shape()));
  }
  for (std::size_t i = 0; i < vars.size(); ++i)
    vars[i].assign(values[i].dtype() == vars[i].dtype() ? values[i] : values[i].astype(vars[i].dtype()));
}

std::string snake_case(const std::string& name) {
  // Keras's naming.to_snake_case: "(.)([A-Z][a-z]+)" -> "\1_\2", then
  // "([a-z])([A-Z])" -> "\1_\2", lower-cased.
  std::string a;
  for (std::size_t i = 0; i < name.size(); ++i) {
    bool upper_word = i > 0 && std::isupper(static_cast<unsigned char>(name[i])) && i + 1 < name.size() &&
                      std::islower(static_cast<unsigned char>(name[i + 1]));
    if (upper_word && a.back() != '_') a += '_';
    a += name[i];
  }
  std::string b;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && std::islower(static_cast<unsigned char>(a[i - 1])) && std::isupper(static_cast<unsigned char>(a[i])))
      b += '_';
    b += a[i];
  }
  return lower(b);
}

}  // namespace keras::saving
