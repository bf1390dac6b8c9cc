// The legacy Keras HDF5 format (model.save("m.h5")), as tf.keras 2 and
// Keras 3's legacy_h5_format write it:
//   /  attrs keras_version, backend, model_config (JSON), training_config (JSON)
//   /model_weights  attrs layer_names, backend, keras_version
//   /model_weights/<layer>  attr weight_names; datasets at those names
//                           ("dense/kernel" in Keras 3, "dense/kernel:0" in tf.keras 2)
//   /optimizer_weights  attr weight_names; datasets ("adam/iteration", ...)
#include <algorithm>
#include <map>
#include <set>

#include "saving/internal.hpp"
#include "saving/keras2_config.hpp"

namespace keras::saving {
namespace {

// Dataset names for a layer's weights: the variable paths, prefixed with
// the layer's name for nested models (Keras: "nested/inner/kernel").
std::vector<std::string> weight_names(const layers::Layer& layer, const std::vector<Variable>& ws) {
  std::vector<std::string> names;
  std::set<std::string> used;
  for (std::size_t i = 0; i < ws.size(); ++i) {
    std::string p = ws[i].path().empty() ? ws[i].name() : ws[i].path();
    if (p.rfind(layer.name() + "/", 0) != 0) p = layer.name() + "/" + p;
    if (!used.insert(p).second) p += "_" + std::to_string(i);  // keep dataset names unique
    used.insert(p);
    names.push_back(p);
  }
  return names;
}

std::vector<Tensor> read_weights(const h5::Object& g, std::vector<std::string>* names = nullptr) {
  auto wn = g.string_list_attr("weight_names");
  std::vector<Tensor> values;
  for (auto& n : wn) values.push_back(g.dataset(n));
  if (names) *names = wn;
  return values;
}

// The slot of each saved optimizer value by its name: the model variable
// whose path the name contains (the longest such path) and the rest of the
// name as the slot kind. tf.keras 2.11+ names slots "Adam/m/dense/kernel:0"
// (interleaved per variable); older optimizers "Adam/dense/kernel/m:0" (each
// kind for every variable in turn). Returns false when a name matches no
// variable.
bool slots_by_name(const std::vector<std::string>& names, const std::vector<Variable>& vars,
                   std::vector<std::pair<std::size_t, std::string>>& slot) {
  for (std::size_t j = 1; j < names.size(); ++j) {
    std::size_t best = vars.size(), len = 0, at = 0;
    for (std::size_t i = 0; i < vars.size(); ++i) {
      const std::string& p = vars[i].path();
      auto pos = names[j].find(p);
      if (!p.empty() && pos != std::string::npos && p.size() > len) best = i, len = p.size(), at = pos;
    }
    std::size_t end = at + len;
    if (best == vars.size()) {
      // tf.keras 2 calls some weights differently ("<layer>/depthwise_kernel"
      // where Keras 3 has "<layer>/kernel"): the layer and the name's ending.
      for (std::size_t i = 0; i < vars.size(); ++i) {
        const std::string& p = vars[i].path();
        auto cut = p.rfind('/');
        if (cut == std::string::npos) continue;
        std::string layer = "/" + p.substr(0, cut + 1), weight = p.substr(cut + 1) + ":0";
        auto pos = names[j].find(layer);
        const std::string& nm = names[j];
        if (pos != std::string::npos && nm.size() >= weight.size() &&
            nm.compare(nm.size() - weight.size(), weight.size(), weight) == 0 && layer.size() > len)
          best = i, len = layer.size(), at = pos + 1, end = nm.size() - 2;
      }
    }
    if (best == vars.size()) return false;
    slot.emplace_back(best, names[j].substr(0, at) + "|" + names[j].substr(end));
  }
  return true;
}

// tf.keras 2 optimizers store [iter, slots...] without a learning_rate;
// Keras 3 stores [iteration, learning_rate (none for a schedule), slots in
// keras3_slot_layout].
std::vector<Tensor> to_keras3_order(std::vector<Tensor> v, const std::vector<std::string>& names, const Model& model) {
  auto& o = model.optimizer();
  auto vars = model.trainable_weights();
  if (!o.built()) o.build(vars);
  std::size_t slots = o.variables().size();
  if (v.size() != slots + 1 || vars.empty() || slots % vars.size() != 0) return v;
  // Keras 3 with a schedule also stores slots + 1 variables, in its own order.
  const bool tf2 = std::any_of(names.begin(), names.end(), [](auto& n) { return n.size() > 2 && n.substr(n.size() - 2) == ":0"; });
  if (o.learning_rate_schedule() && !tf2) return v;
  const std::size_t n = vars.size(), kinds = slots / n;
  // by_var[i * kinds + k]: kind k (creation order) of variable i.
  std::vector<Tensor> by_var(slots);
  std::vector<std::pair<std::size_t, std::string>> slot;
  bool named = false;
  if (names.size() == v.size() && slots_by_name(names, vars, slot)) {
    std::vector<std::string> kind_names;  // in order of first appearance
    for (auto& [i, k] : slot)
      if (std::find(kind_names.begin(), kind_names.end(), k) == kind_names.end()) kind_names.push_back(k);
    if (kind_names.size() == kinds) {
      for (std::size_t j = 0; j < slot.size(); ++j) {
        auto k = std::find(kind_names.begin(), kind_names.end(), slot[j].second) - kind_names.begin();
        by_var[slot[j].first * kinds + k] = v[j + 1];
      }
      named = std::all_of(by_var.begin(), by_var.end(), [](const Tensor& t) { return t.defined(); });
    }
  }
  // Unnamed slots: the older layout (each kind for every variable in turn).
  if (!named)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < kinds; ++k) by_var[i * kinds + k] = v[1 + k * n + i];
  std::vector<Tensor> r{v[0]};
  if (!o.learning_rate_schedule()) r.push_back(Tensor::scalar(o.learning_rate(), float32));
  auto layout = keras3_slot_layout(model);
  if (layout.empty())
    for (std::size_t k = 0; k < kinds; ++k)
      for (std::size_t i = 0; i < n; ++i) layout.push_back({i, k});
  for (auto [i, k] : layout) r.push_back(by_var[i * kinds + k]);
  return r;
}

}  // namespace

void save_legacy_weights(const h5::Object& g, const Model& model) {
  auto order = keras_layer_order(model);
  std::vector<std::string> names;
  for (auto& l : order) names.push_back(l->name());
  g.set_string_list_attr("layer_names", names);
  g.set_string_attr("backend", kBackend);
  g.set_string_attr("keras_version", kKerasVersion);
  // Keras creates the groups sorted by name (no group is a prefix of a later one).
  std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return a->name() < b->name(); });
  for (auto& l : order) {
    auto lg = g.create_group(l->name());
    auto ws = legacy_weights(*l);
    auto wn = weight_names(*l, ws);
    lg.set_string_list_attr("weight_names", wn);
    for (std::size_t i = 0; i < ws.size(); ++i) lg.write_dataset(wn[i], ws[i].value());
  }
  g.create_group("top_level_model_weights").set_string_list_attr("weight_names", {});
}

void load_legacy_weights(const h5::Object& g, Model& model, bool by_name) {
  const std::string& file = g.file();
  auto file_layers = g.string_list_attr("layer_names");
  std::vector<std::string> with_weights;
  for (auto& n : file_layers) {
    KERAS_CHECK(g.has_group(n), IOError, "Missing group ", g.where(n), " (listed in layer_names)");
    if (!g.group(n).string_list_attr("weight_names").empty()) with_weights.push_back(n);
  }
  auto order = keras_layer_order(model);
  if (by_name) {
    std::map<std::string, std::shared_ptr<layers::Layer>> by;
    for (auto& l : order) by[l->name()] = l;
    for (auto& n : with_weights) {
      auto it = by.find(n);
      if (it == by.end()) continue;  // as Keras: layers the model lacks are skipped
      assign_weights(legacy_weights(*it->second), read_weights(g.group(n)), n, file);
    }
    return;
  }
  std::vector<std::shared_ptr<layers::Layer>> targets;
  for (auto& l : order)
    if (!legacy_weights(*l).empty()) targets.push_back(l);
  if (targets.size() != with_weights.size()) {
    std::string a, b;
    for (auto& n : with_weights) a += (a.empty() ? "" : ", ") + n;
    for (auto& l : targets) b += (b.empty() ? "" : ", ") + l->name();
    throw ValueError("Layer count mismatch when loading weights from '" + file + "': the file has weights for " +
                     std::to_string(with_weights.size()) + " layers [" + a + "], the model has " +
                     std::to_string(targets.size()) + " layers with weights [" + b + "]");
  }
  for (std::size_t i = 0; i < targets.size(); ++i)
    assign_weights(legacy_weights(*targets[i]), read_weights(g.group(with_weights[i])), targets[i]->name(), file);
}

void save_legacy_h5(const Model& model, const std::string& path, bool include_optimizer, bool keras2) {
  // Everything that can throw for reasons other than I/O runs first.
  json config = {{"class_name", model.class_name()}, {"config", model.get_config()}};
  json training = include_optimizer ? training_config(model) : json(nullptr);
  // tf.keras 2 files get Keras 2's config conventions; the optimizer's
  // variables are left out there (tf.keras 2 starts its optimizer afresh).
  if (keras2) {
    config = keras3_to_keras2(std::move(config));
    if (!training.is_null()) training = training_to_keras2(std::move(training));
  } else {
    check_keras3_representable(config);
  }
  bool with_state = !keras2 && include_optimizer && model.compiled() && model.optimizer().built();
  atomic_write(path, [&](const std::string& tmp) {
    auto f = h5::create_file(tmp);
    f.set_string_attr("backend", keras2 ? "tensorflow" : kBackend);
    f.set_string_attr("keras_version", keras2 ? kKeras2Version : kKerasVersion);
    f.set_string_attr("model_config", config.dump());
    save_legacy_weights(f.create_group("model_weights"), model);
    if (!training.is_null()) {
      f.set_string_attr("training_config", training.dump());
      if (with_state) {
        auto og = f.create_group("optimizer_weights");
        auto names = optimizer_state_names(model);
        auto values = optimizer_state(model);
        og.set_string_list_attr("weight_names", names);
        for (std::size_t i = 0; i < names.size(); ++i) og.write_dataset(names[i], values[i]);
      }
    }
    h5::close(f);
  });
}

std::shared_ptr<Model> load_legacy_h5(const std::string& path, bool compile) {
  auto f = h5::open_file(path);
  KERAS_CHECK(f.has_attr("model_config"), IOError, "No model found in '", path,
              "': it has no 'model_config' attribute (a weights-only file? use load_weights)");
  json config;
  try {
    config = json::parse(f.string_attr("model_config"));
  } catch (const json::exception& e) {
    throw IOError("The 'model_config' attribute of '" + path + "' is not valid JSON: " + e.what());
  }
  // A file from tf.keras 2 (its keras_version says so) is read with Keras 2's meanings.
  bool keras2 = f.has_attr("keras_version") ? is_keras2_version(f.string_attr("keras_version")) : looks_like_keras2(config);
  if (keras2) {
    try {
      config = keras2_to_keras3(std::move(config));
    } catch (const ValueError& e) {
      throw ValueError(std::string(e.what()) + " in '" + path + "'");
    }
  }
  auto model = model_from_config(config, path);
  load_legacy_weights(f.has_group("model_weights") ? f.group("model_weights") : f.group("/"), *model, false);
  if (compile && f.has_attr("training_config")) {
    json training;
    try {
      training = json::parse(f.string_attr("training_config"));
    } catch (const json::exception& e) {
      throw IOError("The 'training_config' attribute of '" + path + "' is not valid JSON: " + e.what());
    }
    if (compile_from_config(*model, training, path) && f.has_group("optimizer_weights")) {
      auto og = f.group("optimizer_weights");
      std::vector<std::string> names;
      auto raw = read_weights(og, &names);
      auto values = to_keras3_order(std::move(raw), names, *model);
      bool tf2 = std::any_of(names.begin(), names.end(), [](auto& n) { return n.size() > 2 && n.substr(n.size() - 2) == ":0"; });
      // tf.keras 2 optimizers can hold variables Keras 3 has no place for
      // (e.g. a "decay" step); like Keras, such state is not restored.
      const std::size_t head = model->optimizer().learning_rate_schedule() ? 1 : 2;
      if (!tf2 || values.size() == model->optimizer().variables().size() + head)
        set_optimizer_state(*model, values, path);
    }
  }
  return model;
}

}  // namespace keras::saving
