// The Keras 3 format: ".keras" zips (config.json, metadata.json,
// model.weights.h5) and ".weights.h5" files.
//
// Weights are stored per object path, as keras/src/saving/saving_lib.py
// walks the model: "vars/" for the model itself, "layers/<name>/vars/0",
// "/1", ... for each layer in model.layers order, where <name> is the
// snake-cased class name made unique by a counter ("dense", "dense_1"),
// nested models under "layers/<name>/layers/...", and the optimizer's
// [iteration, learning_rate, slots...] under "optimizer/vars/".
#include <zip.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include "saving/keras2_config.hpp"
#include "saving/internal.hpp"

namespace keras::saving {
namespace {

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

// A layer's own variables (not its sublayers'), trainable ones first.
std::vector<Variable> own_variables(const layers::Layer& layer) {
  std::vector<Variable> t, n;
  for (auto& v : layer.own_weights()) (v.trainable() ? t : n).push_back(v);
  t.insert(t.end(), n.begin(), n.end());
  return t;
}

// Keras visits a layer's attributes sorted by name, private ("_x") ones last.
bool attribute_before(const layers::Layer::Tracked& a, const layers::Layer::Tracked& b) {
  auto key = [](const std::string& s) { return !s.empty() && s[0] == '_' ? "~" + s : s; };
  return key(a.attribute) < key(b.attribute);
}

// Calls f(path, layer) for the model and every layer below it, in Keras's
// order: a model's layers under "layers/<snake_case class>", a layer's own
// sub-layers under their attribute names.
template <class F>
void walk(const std::string& path, const layers::Layer& layer, std::set<const layers::Layer*>& seen, F&& f) {
  if (!seen.insert(&layer).second) return;
  f(path, layer);
  auto* m = dynamic_cast<const Model*>(&layer);
  if (!m) {
    auto subs = layer.sublayers();
    std::stable_sort(subs.begin(), subs.end(), attribute_before);
    for (auto& sub : subs) walk(join(path, sub.attribute), *sub.layer, seen, f);
    return;
  }
  std::map<std::string, int> used;
  for (auto& l : keras_layer_order(*m)) {
    std::string name = snake_case(l->class_name());
    auto it = used.find(name);
    if (it == used.end()) used[name] = 0;
    else name += "_" + std::to_string(++it->second);
    walk(join(path, "layers/" + name), *l, seen, f);
  }
}

struct Zip {
  zip_t* z = nullptr;
  ~Zip() {
    if (z) zip_discard(z);
  }
};

std::string zip_error_text(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string s = zip_error_strerror(&e);
  zip_error_fini(&e);
  return s;
}

void add_member(zip_t* z, const std::string& name, const void* data, std::size_t size, const std::string& path) {
  zip_source_t* src = zip_source_buffer(z, data, size, 0);
  if (!src) throw IOError("Cannot add '" + name + "' to '" + path + "': " + zip_strerror(z));
  if (zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) < 0) {
    zip_source_free(src);
    throw IOError("Cannot add '" + name + "' to '" + path + "': " + zip_strerror(z));
  }
}

std::string now_string() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S", &tm);
  return buf;
}

}  // namespace

void save_weights_v3(const h5::Object& root, const Model& model, bool include_optimizer) {
  std::set<const layers::Layer*> seen;
  walk("", model, seen, [&](const std::string& path, const layers::Layer& l) {
    auto g = root.create_group(join(path, "vars"));
    g.set_string_attr("name", l.name());
    auto vars = own_variables(l);
    for (std::size_t i = 0; i < vars.size(); ++i) g.write_dataset(std::to_string(i), vars[i].value());
  });
  if (include_optimizer && model.compiled() && model.optimizer().built()) {
    auto g = root.create_group("optimizer/vars");
    g.set_string_attr("name", model.optimizer().get_config().value("name", std::string("optimizer")));
    auto values = optimizer_state(model);
    for (std::size_t i = 0; i < values.size(); ++i) g.write_dataset(std::to_string(i), values[i]);
  }
}

void load_weights_v3(const h5::Object& root, Model& model, bool include_optimizer) {
  std::set<const layers::Layer*> seen;
  walk("", model, seen, [&](const std::string& path, const layers::Layer& l) {
    auto vars = own_variables(l);
    std::string vp = join(path, "vars");
    if (vars.empty() && !root.has_group(vp)) return;  // nothing to read
    auto g = root.group(vp);
    std::size_t stored = g.children().size();
    KERAS_CHECK(stored == vars.size(), ValueError, "Layer \"", l.name(), "\" (", l.class_name(), ") expects ",
                vars.size(), " variables, but ", g.where(), " has ", stored);
    std::vector<Tensor> values;
    for (std::size_t i = 0; i < vars.size(); ++i) values.push_back(g.dataset(std::to_string(i)));
    assign_weights(vars, values, l.name(), root.file());
  });
  if (include_optimizer && model.compiled() && root.has_group("optimizer/vars")) {
    auto g = root.group("optimizer/vars");
    std::size_t n = g.children().size();
    std::vector<Tensor> values;
    for (std::size_t i = 0; i < n; ++i) values.push_back(g.dataset(std::to_string(i)));
    set_optimizer_state(model, values, root.file());
  }
}

std::vector<char> read_zip_member(const std::string& path, const std::string& member) {
  int err = 0;
  Zip z;
  z.z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!z.z) throw IOError("Cannot open '" + path + "' as a zip file: " + zip_error_text(err));
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z.z, member.c_str(), 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE))
    throw IOError("Missing '" + member + "' in '" + path + "'");
  if (st.size > (std::uint64_t(1) << 34)) throw IOError("'" + member + "' in '" + path + "' is implausibly large");
  zip_file_t* f = zip_fopen(z.z, member.c_str(), 0);
  if (!f) throw IOError("Cannot read '" + member + "' in '" + path + "': " + zip_strerror(z.z));
  std::vector<char> buf(static_cast<std::size_t>(st.size));
  zip_int64_t n = buf.empty() ? 0 : zip_fread(f, buf.data(), buf.size());
  std::string reason = n < 0 ? zip_file_strerror(f) : "";
  zip_fclose(f);
  if (n != static_cast<zip_int64_t>(buf.size()))
    throw IOError("Cannot read '" + member + "' in '" + path + "' (truncated or corrupt" +
                  (reason.empty() ? std::string(")") : "): " + reason));
  return buf;
}

void save_keras_zip(const Model& model, const std::string& path) {
  json config = model_to_json(model);
  check_keras3_representable(config);
  json cc = compile_config(model);
  if (!cc.is_null()) config["compile_config"] = cc;
  std::string config_s = config.dump(), meta_s = json{{"keras_version", kKerasVersion}, {"date_saved", now_string()}}.dump();
  std::vector<char> weights;
  {
    auto f = h5::create_memory_file(path + ":model.weights.h5");
    save_weights_v3(f, model, true);
    weights = h5::image(f);
  }
  atomic_write(path, [&](const std::string& tmp) {
    int err = 0;
    Zip z;
    z.z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!z.z) throw IOError("Cannot create zip file '" + tmp + "': " + zip_error_text(err));
    add_member(z.z, "metadata.json", meta_s.data(), meta_s.size(), path);
    add_member(z.z, "config.json", config_s.data(), config_s.size(), path);
    add_member(z.z, "model.weights.h5", weights.data(), weights.size(), path);
    if (zip_close(z.z) < 0) throw IOError("Cannot write '" + tmp + "': " + zip_strerror(z.z));
    z.z = nullptr;
  });
}

std::shared_ptr<Model> load_keras_zip(const std::string& path, bool compile) {
  json config;
  auto bytes = read_zip_member(path, "config.json");
  try {
    config = json::parse(bytes.begin(), bytes.end());
  } catch (const json::exception& e) {
    throw IOError("'config.json' in '" + path + "' is not valid JSON: " + e.what());
  }
  auto model = model_from_config(config, path);
  bool compiled = compile && config.contains("compile_config") &&
                  compile_from_config(*model, config["compile_config"], path);
  auto f = h5::open_image(read_zip_member(path, "model.weights.h5"), path + ":model.weights.h5");
  load_weights_v3(f, *model, compiled);
  return model;
}

}  // namespace keras::saving
