// Untrusted configs and files: integers that do not fit, sizes beyond the
// load budget, paths that are not files; crash-safe, tidy saves.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <doctest/doctest.h>
#include <keras/keras.hpp>
#include <keras/saving.hpp>

#include "test_helpers.hpp"

extern char** environ;

namespace fs = std::filesystem;
using keras::models::model_from_json;

namespace {

// A Sequential config: Input(batch_shape) then one layer.
std::string sequential_json(const std::string& batch_shape, const std::string& layer) {
  return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": )" + batch_shape + R"(, "dtype": "float32", "name": "in"}},
    )" + layer + "]}}";
}

std::string dense(const std::string& units) {
  return R"({"class_name": "Dense", "config": {"name": "d", "units": )" + units + R"(, "activation": "relu"}})";
}

std::string error_of(const std::string& json) {
  try {
    model_from_json(json);
  } catch (const keras::Error& e) {
    return e.what();
  }
  return "";
}

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("keras_hostile_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

int temporaries_of(const fs::path& path) {
  int n = 0;
  std::string prefix = path.filename().string() + ".tmp-";
  for (const auto& e : fs::directory_iterator(path.parent_path()))
    if (e.path().filename().string().rfind(prefix, 0) == 0) ++n;
  return n;
}

pid_t dead_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

}  // namespace

TEST_CASE("hostile configs: integers that do not fit an int are rejected, not wrapped") {
  std::string e = error_of(sequential_json("[null, 8]", dense("4294967299")));
  CHECK(e.find("'d'") != std::string::npos);
  CHECK(e.find("'units' = 4294967299") != std::string::npos);
  e = error_of(sequential_json("[null, 8]", dense("2147483648")));
  CHECK(e.find("'units' = 2147483648") != std::string::npos);
  e = error_of(sequential_json("[null, 28, 2147483648]", dense("4")));
  CHECK(e.find("'batch_shape' = 2147483648") != std::string::npos);
  e = error_of(sequential_json("[null, 8, 8, 3]",
      R"({"class_name": "Conv2D", "config": {"name": "c", "filters": 99999999999, "kernel_size": [3, 3]}})"));
  CHECK(e.find("'filters' = 99999999999") != std::string::npos);
}

TEST_CASE("hostile configs: sizes beyond the load budget raise ResourceExhaustedError before allocating") {
  // 784 x 2e9 floats of kernel: 6 TB.
  CHECK_THROWS_AS(model_from_json(sequential_json("[null, 784]", dense("2000000000"))), keras::ResourceExhaustedError);
  // The build's trial run on a declared 28 x 200,000,000 input.
  CHECK_THROWS_AS(model_from_json(sequential_json("[null, 28, 200000000]", dense("4"))), keras::ResourceExhaustedError);
  CHECK_THROWS_AS(model_from_json(sequential_json("[null, 8, 8, 3]",
      R"({"class_name": "Conv2D", "config": {"name": "c", "filters": 2000000000, "kernel_size": [3, 3]}})")),
      keras::ResourceExhaustedError);
  // The same model within a budget the user raises builds.
  keras::models::LoadOptions small{.max_bytes = 1024};
  CHECK_THROWS_AS(model_from_json(sequential_json("[null, 784]", dense("64")), small), keras::ResourceExhaustedError);
  CHECK(model_from_json(sequential_json("[null, 784]", dense("64"))).count_params() == 784 * 64 + 64);
}

TEST_CASE("load_model: a directory, an unreadable file and a non-Keras HDF5 file get clear errors") {
  fs::path dir = scratch("a_folder.keras");
  fs::create_directories(dir);
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir.string()), doctest::Contains("is a directory"), keras::IOError);
  CHECK_THROWS_WITH_AS(keras::models::load_model(scratch("missing.h5").string()), doctest::Contains("No such file"),
                       keras::IOError);
  fs::remove_all(dir.parent_path());
}

TEST_CASE("saves: stale temporaries of dead processes are removed, live ones kept") {
  fs::path path = scratch("tidy.keras");
  keras::Sequential model({keras::Input({4}), keras::layers::Dense(2)});
  std::string dead = path.string() + ".tmp-" + std::to_string(dead_pid()) + "-abcdef";
  std::string live = path.string() + ".tmp-" + std::to_string(::getppid()) + "-abcdef";
  for (const auto& f : {dead, live}) std::fclose(std::fopen(f.c_str(), "w"));
  model.save(path.string());
  CHECK_FALSE(fs::exists(dead));
  CHECK(fs::exists(live));
  CHECK(fs::exists(path));
  fs::remove_all(path.parent_path());
}

TEST_CASE("saves: SIGKILL at random moments never leaves an unloadable file, nor more than one temporary") {
  for (const char* ext : {".keras", ".h5"}) {
    fs::path path = scratch(std::string("killed") + ext);
    std::mt19937 rng(7);
    int loads = 0;
    for (int round = 0; round < 12; ++round) {
      pid_t pid;
      char* argv[] = {const_cast<char*>(KERAS_SAVE_LOOP), const_cast<char*>(path.c_str()), nullptr};
      REQUIRE(posix_spawn(&pid, KERAS_SAVE_LOOP, nullptr, nullptr, argv, environ) == 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 250));
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      CHECK(temporaries_of(path) <= 2);  // ours and libzip's, of the killed save
      if (fs::exists(path)) {
        CHECK_NOTHROW(keras::models::load_model(path.string()));
        CHECK(temporaries_of(path) == 0);  // load_model removed the dead process's temporaries
        ++loads;
      }
    }
    CHECK(loads > 0);
    fs::remove_all(path.parent_path());
  }
}
