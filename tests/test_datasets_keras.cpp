// keras::datasets loaders on small files in each exact format (written by
// scripts/make_dataset_fixtures.py with NumPy's writer and pickle), compared
// with what Keras's own load_data returned on the same files
// (tests/fixtures/datasets/golden.json), and on truncated or corrupted
// copies of every file (a keras::Error, never a crash).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "keras/datasets.hpp"
#include "keras/errors.hpp"

namespace fs = std::filesystem;
namespace ds = keras::datasets;
using keras::Tensor;
using nlohmann::json;

namespace {

const fs::path kDir = fs::path(KERAS_SOURCE_DIR) / "tests" / "fixtures" / "datasets";

const json& golden() {
  static const json g = json::parse(std::ifstream(kDir / "golden.json"));
  return g;
}

// Points KERAS_HOME at `home` (and HOME at nowhere) for one scope.
struct KerasHome {
  std::optional<std::string> old_kh, old_home;
  explicit KerasHome(const fs::path& home) {
    if (const char* v = std::getenv("KERAS_HOME")) old_kh = v;
    if (const char* v = std::getenv("HOME")) old_home = v;
    ::setenv("KERAS_HOME", home.c_str(), 1);
    ::setenv("HOME", "/nonexistent-keras-test-home", 1);
  }
  ~KerasHome() {
    for (auto [name, v] : {std::pair{"KERAS_HOME", &old_kh}, std::pair{"HOME", &old_home}}) {
      if (*v) ::setenv(name, (*v)->c_str(), 1);
      else ::unsetenv(name);
    }
  }
};

std::vector<double> as_doubles(const Tensor& t) {
  std::vector<double> out;
  for (std::int64_t i = 0; i < t.size(); ++i) {
    switch (t.dtype()) {
      case keras::float32: out.push_back(t.data<float>()[i]); break;
      case keras::int64: out.push_back(static_cast<double>(t.data<std::int64_t>()[i])); break;
      case keras::int32: out.push_back(t.data<std::int32_t>()[i]); break;
      default: out.push_back(t.data<std::uint8_t>()[i]); break;
    }
  }
  return out;
}

std::optional<std::int64_t> opt(const json& args, const char* key, std::optional<std::int64_t> dflt) {
  if (!args.contains(key)) return dflt;
  if (args[key].is_null()) return std::nullopt;
  return args[key].get<std::int64_t>();
}

template <class O>
void fill_text_options(O& o, const json& a) {
  o.num_words = opt(a, "num_words", std::nullopt);
  o.skip_top = a.value("skip_top", std::int64_t{0});
  o.maxlen = opt(a, "maxlen", std::nullopt);
  o.seed = a.value("seed", std::int64_t{113});
  o.start_char = opt(a, "start_char", 1);
  o.oov_char = opt(a, "oov_char", 2);
  o.index_from = a.value("index_from", std::int64_t{3});
}

void check_sequence_split(const ds::SequenceSplit& s, const json& c) {
  CHECK(s.x_train == c["x_train"].get<ds::Sequences>());
  CHECK(s.x_test == c["x_test"].get<ds::Sequences>());
  CHECK(as_doubles(s.y_train) == c["y_train"].get<std::vector<double>>());
  CHECK(as_doubles(s.y_test) == c["y_test"].get<std::vector<double>>());
  // float64 (NumPy's dtype of an empty label list) is float32 here.
  auto dtype = [](const json& d) { return d == "float64" ? std::string("float32") : d.get<std::string>(); };
  CHECK(keras::dtype_name(s.y_train.dtype()) == dtype(c["y_train_dtype"]));
  CHECK(keras::dtype_name(s.y_test.dtype()) == dtype(c["y_test_dtype"]));
}

void check_close(const Tensor& t, const json& expected_rows) {
  std::vector<double> want;
  for (const auto& row : expected_rows)
    if (row.is_array()) for (double v : row) want.push_back(v);
    else want.push_back(row.get<double>());
  const std::vector<double> got = as_doubles(t);
  REQUIRE(got.size() == want.size());
  for (std::size_t k = 0; k < got.size(); ++k)
    CHECK(got[k] == doctest::Approx(want[k]).epsilon(1e-6));  // float64 -> float32
}

std::vector<std::int64_t> row_keys(const Tensor& x) {
  std::vector<std::int64_t> keys;
  const float* p = x.data<float>();
  for (std::int64_t r = 0; r < x.shape(0); ++r) {
    std::int64_t key = 0, w = 1;
    for (int c = 0; c < 8; ++c, w *= 4) key += static_cast<std::int64_t>(p[r * 8 + c]) * w;
    keys.push_back(key);
  }
  return keys;
}

}  // namespace

TEST_CASE("datasets imdb and reuters match Keras's load_data, arguments included") {
  KerasHome home(kDir / "keras_home");
  for (const json& c : golden()["imdb"]) {
    CAPTURE(c["args"].dump());
    ds::imdb::Options o;
    fill_text_options(o, c["args"]);
    check_sequence_split(ds::imdb::load_data(o), c);
  }
  for (const json& c : golden()["reuters"]) {
    CAPTURE(c["args"].dump());
    ds::reuters::Options o;
    fill_text_options(o, c["args"]);
    o.test_split = c["args"].value("test_split", 0.2);
    check_sequence_split(ds::reuters::load_data(o), c);
  }
  const auto wi = ds::imdb::get_word_index();
  CHECK(json(wi) == golden()["imdb_word_index"]);
  CHECK(ds::reuters::get_word_index().at("reuters") == 4);
  CHECK(ds::reuters::get_label_names().size() == 46);
  // Keras's own argument errors.
  CHECK_THROWS_WITH_AS(ds::imdb::load_data({.maxlen = 1}), doctest::Contains("Increase maxlen"),
                       keras::ValueError);
  CHECK_THROWS_AS(ds::imdb::load_data({.seed = -1}), keras::ValueError);
}

TEST_CASE("datasets boston_housing and california_housing match Keras's load_data") {
  KerasHome home(kDir / "keras_home");
  for (const json& c : golden()["boston_housing"]) {
    CAPTURE(c["args"].dump());
    const json& a = c["args"];
    const ds::Split s = ds::boston_housing::load_data("boston_housing.npz", a.value("test_split", 0.2),
                                                      a.value("seed", std::int64_t{113}));
    CHECK(s.x_train.shape() == keras::Shape(c["x_train_shape"].begin(), c["x_train_shape"].end()));
    CHECK(s.x_train.dtype() == keras::float32);
    check_close(s.x_train, c["x_train"]);
    check_close(s.x_test, c["x_test"]);
    check_close(s.y_train, c["y_train"]);
    check_close(s.y_test, c["y_test"]);
  }
  for (const json& c : golden()["california_housing"]) {
    CAPTURE(c["args"].dump());
    const json& a = c["args"];
    const ds::Split s = ds::california_housing::load_data(
        a.value("version", std::string("large")), "california_housing.npz",
        a.value("test_split", 0.2), a.value("seed", std::int64_t{113}));
    CHECK(s.x_train.shape() == keras::Shape(c["x_train_shape"].begin(), c["x_train_shape"].end()));
    CHECK(s.x_test.shape() == keras::Shape(c["x_test_shape"].begin(), c["x_test_shape"].end()));
    CHECK(row_keys(s.x_train) == c["x_train_keys"].get<std::vector<std::int64_t>>());
    CHECK(row_keys(s.x_test) == c["x_test_keys"].get<std::vector<std::int64_t>>());
    check_close(s.y_train, c["y_train"]);
    check_close(s.y_test, c["y_test"]);
  }
  CHECK_THROWS_AS(ds::boston_housing::load_data("boston_housing.npz", 1.0), keras::ValueError);
  CHECK_THROWS_WITH_AS(ds::california_housing::load_data("medium"), doctest::Contains("'small', 'large'"),
                       keras::ValueError);
}

TEST_CASE("datasets mnist reads Keras's mnist.npz") {
  KerasHome home(kDir / "keras_home");
  const ds::Split s = ds::mnist::load_data();
  const json& g = golden()["mnist"];
  CHECK(s.x_train.dtype() == keras::uint8);
  CHECK(s.x_train.shape() == keras::Shape(g["x_train_shape"].begin(), g["x_train_shape"].end()));
  double sum = 0;
  for (double v : as_doubles(s.x_train)) sum += v;
  CHECK(sum == g["x_train_sum"].get<double>());
  CHECK(as_doubles(s.y_train) == g["y_train"].get<std::vector<double>>());
  CHECK(as_doubles(s.y_test) == g["y_test"].get<std::vector<double>>());
  const auto first = as_doubles(s.x_test);
  CHECK(std::vector<double>(first.begin(), first.begin() + 28) ==
        g["x_test_first_row"].get<std::vector<double>>());
}

namespace {

// The generator's pixel formula, channels last: image i, row r, column c, channel ch.
void check_cifar_images(const Tensor& x, const std::vector<int>& first_of) {
  const std::uint8_t* p = x.data<std::uint8_t>();
  bool ok = true;
  for (std::int64_t i = 0; i < x.shape(0); ++i)
    for (int pos = 0; pos < 1024; ++pos)
      for (int ch = 0; ch < 3; ++ch) {
        const int img = first_of[static_cast<std::size_t>(i)];
        ok = ok && p[(i * 1024 + pos) * 3 + ch] == (img * 37 + ch * 11 + pos) % 256;
      }
  CHECK(ok);
}

}  // namespace

TEST_CASE("datasets cifar10 and cifar100: Keras's pickled folders and the binary layouts") {
  for (const char* home_dir : {"keras_home", "binary_home"}) {
    CAPTURE(home_dir);
    KerasHome home(kDir / home_dir);
    const ds::Split c10 = ds::cifar10::load_data();
    CHECK(c10.x_train.shape() == keras::Shape{6, 32, 32, 3});
    CHECK(c10.x_test.shape() == keras::Shape{2, 32, 32, 3});
    CHECK(c10.y_train.shape() == keras::Shape{6, 1});
    CHECK(c10.y_train.dtype() == keras::uint8);
    check_cifar_images(c10.x_train, {0, 1, 2, 3, 4, 5});
    check_cifar_images(c10.x_test, {0, 1});
    CHECK(as_doubles(c10.y_train) == std::vector<double>{0, 1, 2, 3, 4, 5});
    for (const char* mode : {"fine", "coarse"}) {
      const ds::Split c = ds::cifar100::load_data(mode);
      CHECK(c.x_train.shape() == keras::Shape{3, 32, 32, 3});
      CHECK(c.y_train.dtype() == keras::int64);
      check_cifar_images(c.x_train, {0, 1, 2});
      std::vector<double> want;
      for (int k = 0; k < 3; ++k) want.push_back(mode[0] == 'f' ? (7 * k + 3) % 100 : (7 * k + 3) % 100 % 20);
      CHECK(as_doubles(c.y_train) == want);
    }
  }
  CHECK_THROWS_AS(ds::cifar100::load_data("medium"), keras::ValueError);
}

TEST_CASE("datasets: a missing file names the paths tried and Keras's URL") {
  KerasHome home("/nonexistent-keras-home");
  CHECK_THROWS_WITH_AS(ds::imdb::load_data(), doctest::Contains("/nonexistent-keras-home/datasets/imdb.npz"),
                       keras::IOError);
  CHECK_THROWS_WITH_AS(ds::reuters::load_data(),
                       doctest::Contains("https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters.npz"),
                       keras::IOError);
  CHECK_THROWS_WITH_AS(ds::cifar10::load_data(), doctest::Contains("cifar-10-python.tar.gz"), keras::IOError);
  CHECK_THROWS_WITH_AS(ds::boston_housing::load_data(), doctest::Contains("boston_housing.npz"), keras::IOError);
}

TEST_CASE("datasets loaders on truncated and corrupted files: keras errors, never a crash") {
  const fs::path tmp = fs::temp_directory_path() / ("keras_ds_corrupt_" + std::to_string(::getpid()));
  int cases = 0;
  for (const char* home_dir : {"keras_home", "binary_home"}) {
    for (const auto& e : fs::recursive_directory_iterator(kDir / home_dir)) {
      if (!e.is_regular_file() || e.path().filename() == "keras.json") continue;
      const fs::path rel = fs::relative(e.path(), kDir / home_dir);
      std::ifstream in(e.path(), std::ios::binary);
      const std::vector<char> orig{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      const std::string name = rel.string();
      std::function<void()> load;
      if (name.find("imdb") != std::string::npos) load = [] { ds::imdb::load_data(); ds::imdb::get_word_index(); };
      else if (name.find("reuters") != std::string::npos) load = [] { ds::reuters::load_data(); ds::reuters::get_word_index(); };
      else if (name.find("boston") != std::string::npos) load = [] { ds::boston_housing::load_data(); };
      else if (name.find("california") != std::string::npos) load = [] { ds::california_housing::load_data("small"); };
      else if (name.find("mnist") != std::string::npos) load = [] { ds::mnist::load_data(); };
      else if (name.find("cifar-100") != std::string::npos) load = [] { ds::cifar100::load_data("coarse"); };
      else load = [] { ds::cifar10::load_data(); };
      CAPTURE(name);
      auto run = [&](const std::vector<char>& bytes) {
        fs::remove_all(tmp);
        fs::copy(kDir / home_dir, tmp, fs::copy_options::recursive);
        std::ofstream(tmp / rel, std::ios::binary | std::ios::trunc)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        KerasHome home(tmp);
        try {
          load();
        } catch (const keras::Error&) {
          return true;
        } catch (const std::exception& ex) {
          FAIL("not a keras::Error: " << ex.what());
        }
        return false;
      };
      for (std::size_t len : {std::size_t{0}, orig.size() / 2 + 1, orig.size() - 1})
        CHECK(run(std::vector<char>(orig.begin(), orig.begin() + static_cast<std::ptrdiff_t>(len))));
      std::uint32_t state = 777;
      for (int k = 0; k < 12; ++k) {
        auto b = orig;
        state = state * 1664525u + 1013904223u;
        b[state % b.size()] ^= static_cast<char>(1u << (state >> 29));
        run(b);
      }
      ++cases;
    }
  }
  fs::remove_all(tmp);
  CHECK(cases >= 20);
}
