// One mechanism for building objects from a Keras name: layers,
// activations, initializers, losses, metrics and optimizers each keep a
// Registry<Factory> of their kind. Names are matched exactly after the
// kind's own normalization (module prefixes, case); an unknown name raises
// one ValueError listing the closest known names:
//
//   Unknown activation: 'rleu'. Did you mean 'relu'? Known: elu, gelu, ...
//
// Built-in entries are added with builtin = true. A user entry under a name
// that is already taken raises unless `replace` is set, which shadows the
// earlier entry explicitly (and is_builtin() then reports false).
#pragma once
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "keras/errors.hpp"

namespace keras::registry {

// Edit distance (optimal string alignment: a swap of neighbours counts 1), case-insensitive.
std::size_t edit_distance(const std::string& a, const std::string& b);
// Up to `max` known names closest to `name` (within a third of its length,
// at least 2 edits), nearest first.
std::vector<std::string> closest(const std::string& name, const std::vector<std::string>& known, std::size_t max = 3);
// "Unknown <kind>: '<name>'. Did you mean 'x' or 'y'? Known: a, b, c"
std::string unknown_message(const std::string& kind, const std::string& name, const std::vector<std::string>& known);
// "<Kind> 'name' is already registered; pass replace=true to shadow it"
[[noreturn]] void throw_taken(const std::string& kind, const std::string& name);
// "'name' is a built-in <kind> and cannot be registered; use another name"
[[noreturn]] void throw_builtin(const std::string& kind, const std::string& name);
// {"module": module, "class_name": ..., "config": ..., "registered_name": null}:
// an object as Keras 3 serializes it.
nlohmann::json serialized(const std::string& module, const std::string& class_name, const nlohmann::json& config);

template <class Factory>
class Registry {
 public:
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(const std::string& name, Factory f, bool builtin, bool replace = false) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(name);
    if (it != entries_.end() && !replace) throw_taken(kind_, name);
    entries_[name] = Entry{std::move(f), builtin};
  }
  std::optional<Factory> find(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return std::nullopt;
    return it->second.factory;
  }
  // The factory for `name`; ValueError with close matches when unknown.
  Factory at(const std::string& name) const {
    if (auto f = find(name)) return *f;
    throw ValueError(unknown_message(kind_, name, names()));
  }
  // A user entry under `key`; `name` (as the user spelled it) is in the
  // errors. A built-in key raises ValueError; a taken user key raises
  // unless `replace` is set.
  void add_user(const std::string& key, const std::string& name, Factory f, bool replace) {
    if (is_builtin(key)) throw_builtin(kind_, name);
    add(key, std::move(f), /*builtin=*/false, replace);
  }
  bool contains(const std::string& name) const { return find(name).has_value(); }
  bool is_builtin(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(name);
    return it != entries_.end() && it->second.builtin;
  }
  std::vector<std::string> names() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [k, e] : entries_) out.push_back(k);
    return out;
  }
  const std::string& kind() const { return kind_; }

 private:
  struct Entry {
    Factory factory;
    bool builtin = true;
  };
  std::string kind_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

// A registry that lives as long as the program and is safe to use from
// other files' static initializers: `static auto& r = registry::make<F>("layer")`.
template <class Factory>
Registry<Factory>& make(const std::string& kind) {
  return *new Registry<Factory>(kind);
}

}  // namespace keras::registry
