// save / load entry points: dispatch by extension or content, atomic writes.
#include "keras/saving.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "alloc_budget.hpp"
#include "saving/durable.hpp"
#include "saving/internal.hpp"
#include "saving/keras2_config.hpp"

namespace keras {
namespace saving {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_zip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char sig[4] = {};
  return in.read(sig, 4) && std::memcmp(sig, "PK\x03\x04", 4) == 0;
}

void require_exists(const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found || ec)
    throw IOError("No such file: '" + path + "'");
  KERAS_CHECK(st.type() != std::filesystem::file_type::directory, IOError, "Cannot load '", path,
              "': it is a directory, not a .keras or .h5 file (Keras 3 writes SavedModel folders only with "
              "model.export; give the path of a file)");
  KERAS_CHECK(std::filesystem::is_regular_file(st), IOError, "Cannot load '", path, "': not a regular file");
  KERAS_CHECK(::access(path.c_str(), R_OK) == 0, IOError, "Cannot load '", path, "': ", std::strerror(errno));
}

std::size_t load_budget(const std::string& path, std::size_t requested) {
  if (requested) return requested;
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  std::size_t floor = std::size_t{1} << 30;
  return ec ? floor : std::max<std::size_t>(floor, 16 * static_cast<std::size_t>(size));
}

// A v3 weights file has "layers" / "vars" at the root; a legacy one
// "layer_names" (at the root or in "model_weights").
bool is_v3_layout(const h5::Object& f) { return f.has_group("vars") || f.has_group("layers"); }

}  // namespace

void atomic_write(const std::string& path, const std::function<void(const std::string& tmp)>& write) {
  remove_stale_temporaries(path);
  std::string tmpl = temporary_prefix(path) + std::to_string(::getpid()) + "-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0)
    throw IOError("Cannot save '" + path + "': cannot create a temporary file next to it (" + std::strerror(errno) + ")");
  // mkstemp makes the file private; give it the usual permissions.
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  ::close(fd);
  std::string tmp(name.data());
  try {
    write(tmp);
    sync_file(tmp, path);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    throw IOError("Cannot save '" + path + "': renaming the temporary file failed (" + std::strerror(e) + ")");
  }
  sync_directory_of(path);
}

}  // namespace saving

void Model::save(const std::string& path, bool include_optimizer) const {
  if (saving::ends_with(path, ".keras")) return saving::save_keras_zip(*this, path);
  if (saving::ends_with(path, ".h5") || saving::ends_with(path, ".hdf5"))
    return saving::save_legacy_h5(*this, path, include_optimizer);
  throw ValueError("Invalid filepath extension for saving: expected '.keras', '.h5' or '.hdf5'. Received: filepath=" + path);
}

void Model::save_weights(const std::string& path) const {
  bool v3 = saving::ends_with(path, ".weights.h5");
  KERAS_CHECK(v3 || saving::ends_with(path, ".h5") || saving::ends_with(path, ".hdf5"), ValueError,
              "The filename must end in '.weights.h5' (or '.h5' for the legacy layout). Received: filepath=", path);
  saving::atomic_write(path, [&](const std::string& tmp) {
    auto f = saving::h5::create_file(tmp);
    if (v3) saving::save_weights_v3(f, *this, true);
    else saving::save_legacy_weights(f, *this);
    saving::h5::close(f);
  });
}

void Model::load_weights(const std::string& path, bool by_name) {
  saving::require_exists(path);
  if (saving::is_zip(path)) {
    auto f = saving::h5::open_image(saving::read_zip_member(path, "model.weights.h5"), path + ":model.weights.h5");
    return saving::load_weights_v3(f, *this, compiled());
  }
  auto f = saving::h5::open_file(path);
  if (saving::is_v3_layout(f)) return saving::load_weights_v3(f, *this, compiled());
  saving::load_legacy_weights(f.has_group("model_weights") ? f.group("model_weights") : f.group("/"), *this, by_name);
}

std::string Model::to_json() const { return saving::model_to_json(*this).dump(); }

namespace models {

std::string to_json(const Model& model) { return model.to_json(); }

Model model_from_json(const std::string& text) { return model_from_json(text, LoadOptions{}); }

Model model_from_json(const std::string& text, const LoadOptions& options) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(std::string("model_from_json: invalid JSON: ") + e.what());
  }
  // tf.keras 2's to_json names its version; older configs show by their form.
  bool keras2 = j.is_object() && j.contains("keras_version") && j["keras_version"].is_string()
                    ? saving::is_keras2_version(j["keras_version"].get<std::string>())
                    : saving::looks_like_keras2(j);
  std::size_t budget = options.max_bytes ? options.max_bytes : std::size_t{1} << 30;
  try {
    detail::AllocationBudget guard(budget, "building a model from JSON");
    return *saving::model_from_config(keras2 ? saving::keras2_to_keras3(j) : j);
  } catch (const std::bad_alloc&) {
    throw ResourceExhaustedError("model_from_json: out of memory while building the model");
  }
}

Model load_model(const std::string& path, bool compile) { return load_model(path, LoadOptions{.compile = compile}); }

Model load_model(const std::string& path, const LoadOptions& options) {
  saving::require_exists(path);
  saving::remove_stale_temporaries(path);
  try {
    detail::AllocationBudget guard(saving::load_budget(path, options.max_bytes), "loading '" + path + "'");
    if (saving::is_zip(path)) return *saving::load_keras_zip(path, options.compile);
    if (saving::h5::is_hdf5(path)) return *saving::load_legacy_h5(path, options.compile);
  } catch (const std::bad_alloc&) {
    throw ResourceExhaustedError("Cannot load '" + path + "': out of memory while loading the model");
  }
  throw IOError("Cannot load '" + path + "': it is neither a .keras (zip) nor an HDF5 (.h5) file");
}

void save_model(const Model& model, const std::string& path, bool include_optimizer) {
  model.save(path, include_optimizer);
}

void save_model(const Model& model, const std::string& path, const SaveOptions& options) {
  if (options.format == SaveFormat::keras3) return model.save(path, options.include_optimizer);
  KERAS_CHECK(saving::ends_with(path, ".h5") || saving::ends_with(path, ".hdf5"), ValueError,
              "SaveFormat::tf_keras2 writes tf.keras 2's HDF5 format: the path must end in '.h5' or '.hdf5'. "
              "Received: filepath=",
              path);
  saving::save_legacy_h5(model, path, options.include_optimizer, /*keras2=*/true);
}

}  // namespace models
}  // namespace keras
