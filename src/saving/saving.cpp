// save / load entry points: dispatch by extension or content, atomic writes.
#include "keras/saving.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

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
  KERAS_CHECK(std::filesystem::is_regular_file(path, ec), IOError, "No such file: '", path, "'");
}

// A v3 weights file has "layers" / "vars" at the root; a legacy one
// "layer_names" (at the root or in "model_weights").
bool is_v3_layout(const h5::Object& f) { return f.has_group("vars") || f.has_group("layers"); }

}  // namespace

void atomic_write(const std::string& path, const std::function<void(const std::string& tmp)>& write) {
  std::string tmpl = path + ".tmp-XXXXXX";
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
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    throw IOError("Cannot save '" + path + "': renaming the temporary file failed (" + std::strerror(e) + ")");
  }
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

Model model_from_json(const std::string& text) {
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
  return *saving::model_from_config(keras2 ? saving::keras2_to_keras3(j) : j);
}

Model load_model(const std::string& path, bool compile) {
  saving::require_exists(path);
  if (saving::is_zip(path)) return *saving::load_keras_zip(path, compile);
  if (saving::h5::is_hdf5(path)) return *saving::load_legacy_h5(path, compile);
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
