// Damaged files: truncated, corrupted, not HDF5 / zip, missing groups or
// attributes, wrong weight shapes, unknown classes. Each is an IOError or a
// ValueError naming the file (and the object), never a crash.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/saving.hpp"
#include "saving/h5.hpp"
#include "test_helpers.hpp"

namespace fs = std::filesystem;
namespace h5 = keras::saving::h5;
using json = nlohmann::json;

namespace {

std::string fixture(const std::string& name) { return std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/keras/" + name; }

struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() / ("keras_robust_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::vector<char> read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}
void write_all(const std::string& p, const std::vector<char>& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

// Loading must succeed or throw one of the library's errors naming the file.
void load_or_named_error(const std::string& path, const std::string& what) {
  INFO(what);
  try {
    keras::Model m = keras::models::load_model(path);
    (void)m;
  } catch (const keras::IOError& e) {
    CHECK(std::string(e.what()).find(fs::path(path).filename().string()) != std::string::npos);
  } catch (const keras::ValueError& e) {
    CHECK(std::string(e.what()).find(fs::path(path).filename().string()) != std::string::npos);
  }
}

// A legacy .h5 built from parts, to leave pieces out.
void write_h5(const std::string& path, const json* config, bool weights_group, bool layer_names,
              const keras::Shape& kernel_shape = {4, 2}) {
  auto f = h5::create_file(path);
  if (config) f.set_string_attr("model_config", config->dump());
  if (weights_group) {
    auto g = f.create_group("model_weights");
    if (layer_names) g.set_string_list_attr("layer_names", {"dense"});
    auto d = g.create_group("dense");
    d.set_string_list_attr("weight_names", {"dense/kernel", "dense/bias"});
    d.write_dataset("dense/kernel", keras::Tensor::zeros(kernel_shape));
    d.write_dataset("dense/bias", keras::Tensor::zeros({2}));
  }
  h5::close(f);
}

json small_config(const std::string& dense_class = "Dense") {
  return {{"class_name", "Sequential"},
          {"config",
           {{"name", "s"},
            {"layers",
             {{{"class_name", "InputLayer"}, {"config", {{"batch_shape", {nullptr, 4}}, {"name", "in"}}}},
              {{"class_name", dense_class}, {"config", {{"name", "dense"}, {"units", 2}}}}}}}}};
}

}  // namespace

TEST_CASE("robustness: missing, empty and non-HDF5 files are IOErrors naming the file") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "absent.h5"), doctest::Contains("absent.h5"), keras::IOError);
  write_all(dir / "text.h5", {'h', 'e', 'l', 'l', 'o'});
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "text.h5"), doctest::Contains("text.h5"), keras::IOError);
  write_all(dir / "empty.keras", {});
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "empty.keras"), doctest::Contains("empty.keras"), keras::IOError);
  keras::Sequential m({keras::Input({4}), keras::layers::Dense(2)});
  CHECK_THROWS_WITH_AS(m.load_weights(dir / "text.h5"), doctest::Contains("text.h5"), keras::IOError);
}

TEST_CASE("robustness: truncated copies of every fixture fail cleanly") {
  TempDir dir;
  for (std::string name : {"mlp.h5", "functional.keras", "nested.h5", "mlp.keras", "tf2_style.h5"}) {
    auto bytes = read_all(fixture(name));
    REQUIRE(bytes.size() > 1000);
    for (double frac : {0.02, 0.3, 0.6, 0.95}) {
      std::vector<char> cut(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() * frac));
      std::string p = dir / ("cut_" + std::to_string(int(frac * 100)) + "_" + name);
      write_all(p, cut);
      INFO(p);
      // A truncated file cannot load.
      CHECK_THROWS_AS(keras::models::load_model(p), keras::IOError);
      load_or_named_error(p, "truncated " + name);
    }
  }
}

TEST_CASE("robustness: corrupted bytes never crash the loader") {
  TempDir dir;
  for (std::string name : {"mlp.h5", "mlp.keras", "functional.h5"}) {
    auto bytes = read_all(fixture(name));
    std::mt19937 rng(7);
    for (int trial = 0; trial < 12; ++trial) {
      auto b = bytes;
      std::uniform_int_distribution<std::size_t> pos(0, b.size() - 1);
      for (int k = 0; k < 8; ++k) b[pos(rng)] ^= static_cast<char>(1 + rng() % 255);
      std::string p = dir / ("corrupt_" + std::to_string(trial) + "_" + name);
      write_all(p, b);
      load_or_named_error(p, "corrupted " + name + " trial " + std::to_string(trial));
    }
  }
}

TEST_CASE("robustness: missing groups and attributes name the object and the file") {
  TempDir dir;
  json cfg = small_config();
  write_h5(dir / "no_config.h5", nullptr, true, true);
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "no_config.h5"), doctest::Contains("model_config"), keras::IOError);
  write_h5(dir / "no_layer_names.h5", &cfg, true, false);
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "no_layer_names.h5"), doctest::Contains("layer_names"),
                       keras::IOError);
  write_h5(dir / "no_weights.h5", &cfg, false, false);
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "no_weights.h5"), doctest::Contains("no_weights.h5"),
                       keras::IOError);
  // layer_names lists a group that is not there.
  {
    auto f = h5::create_file(dir / "dangling.h5");
    f.set_string_attr("model_config", cfg.dump());
    f.create_group("model_weights").set_string_list_attr("layer_names", {"dense"});
    h5::close(f);
  }
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "dangling.h5"), doctest::Contains("/model_weights/dense"),
                       keras::IOError);
  // A dataset named in weight_names is missing.
  {
    auto f = h5::create_file(dir / "no_dataset.h5");
    f.set_string_attr("model_config", cfg.dump());
    auto g = f.create_group("model_weights");
    g.set_string_list_attr("layer_names", {"dense"});
    g.create_group("dense").set_string_list_attr("weight_names", {"dense/kernel", "dense/bias"});
    h5::close(f);
  }
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "no_dataset.h5"), doctest::Contains("dense/kernel"),
                       keras::IOError);
}

TEST_CASE("robustness: wrong weight shapes, bad JSON and unknown classes are ValueErrors naming the file") {
  TempDir dir;
  json cfg = small_config();
  write_h5(dir / "shape.h5", &cfg, true, true, {5, 2});
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "shape.h5"), doctest::Contains("(5, 2)"), keras::ValueError);
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "shape.h5"), doctest::Contains("shape.h5"), keras::ValueError);
  json unknown = small_config("SuperDense");
  write_h5(dir / "unknown.h5", &unknown, true, true);
  try {
    keras::models::load_model(dir / "unknown.h5");
    FAIL("expected a ValueError");
  } catch (const keras::ValueError& e) {
    CHECK(std::string(e.what()).find("SuperDense") != std::string::npos);
    CHECK(std::string(e.what()).find("unknown.h5") != std::string::npos);
  }
  {
    auto f = h5::create_file(dir / "badjson.h5");
    f.set_string_attr("model_config", "{\"class_name\": \"Sequential\", ");
    h5::close(f);
  }
  CHECK_THROWS_WITH_AS(keras::models::load_model(dir / "badjson.h5"), doctest::Contains("badjson.h5"), keras::IOError);
  // A .keras file under another name still loads: the content decides.
  auto bytes = read_all(fixture("mlp.keras"));
  write_all(dir / "renamed.h5", bytes);
  keras::Model ok = keras::models::load_model(dir / "renamed.h5");
  CHECK(ok.compiled());
}
