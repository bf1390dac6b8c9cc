// The bounded pickle reader and the .npy/.npz reader (src/npy/) on files
// written by Python's pickle and NumPy's own writer
// (scripts/make_dataset_fixtures.py), their refusals, and truncated or
// corrupted copies of every data set fixture (a keras::Error, never a crash).
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "keras/errors.hpp"
#include "npy/npy.hpp"
#include "npy/pickle.hpp"

namespace fs = std::filesystem;
namespace pk = keras::detail::pickle;
namespace npy = keras::detail::npy;
using keras::Tensor;

namespace {

const fs::path kDir = fs::path(KERAS_SOURCE_DIR) / "tests" / "fixtures" / "datasets";

std::vector<unsigned char> bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string text(const pk::Unpickled& u, const pk::Value& v) {
  REQUIRE((v.kind == pk::Kind::str || v.kind == pk::Kind::bytes));
  return u.get(v).text;
}

template <class T>
std::vector<T> values(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.size());
}

// Calls f; any exception that is not a keras::Error fails the test.
// Returns whether f threw.
template <class F>
bool throws_keras_error(F&& f) {
  try {
    f();
  } catch (const keras::Error&) {
    return true;
  } catch (const std::exception& e) {
    FAIL("not a keras::Error: " << e.what());
  }
  return false;
}

}  // namespace

TEST_CASE("pickle reader: the same object pickled at protocols 2, 3 and 4") {
  for (const char* name : {"p2.pkl", "p3.pkl", "p4.pkl"}) {
    CAPTURE(name);
    const auto b = bytes_of(kDir / "pickles" / name);
    const pk::Unpickled u = pk::load(b.data(), b.size(), name);
    REQUIRE(u.root.kind == pk::Kind::dict);
    const pk::Value* ints = pk::dict_get(u, u.root, "ints");
    REQUIRE(ints);
    std::vector<std::int64_t> got;
    for (const auto& v : u.get(*ints).items) {
      REQUIRE(v.kind == pk::Kind::integer);
      got.push_back(v.i);
    }
    CHECK(got == std::vector<std::int64_t>{0, 1, -1, 255, 256, 65535, 65536, -70000,
                                           std::int64_t{1} << 31, std::int64_t{1} << 40,
                                           INT64_MIN, INT64_MAX});
    // Python 2 had no unicode str by default: p2.pkl's str are byte strings.
    CHECK(text(u, *pk::dict_get(u, u.root, "text")) == "h\xc3\xa9llo");
    const pk::Value* f = pk::dict_get(u, u.root, "float");
    REQUIRE(f);
    CHECK(f->kind == pk::Kind::floating);
    CHECK(f->f == 1.5);
    const auto& flags = u.get(*pk::dict_get(u, u.root, "flags")).items;
    REQUIRE(flags.size() == 3);
    CHECK(flags[0].kind == pk::Kind::none);
    CHECK((flags[1].kind == pk::Kind::boolean && flags[1].i == 1));
    CHECK((flags[2].kind == pk::Kind::boolean && flags[2].i == 0));
    const auto& nested = u.get(*pk::dict_get(u, u.root, "nested")).items;
    REQUIRE(nested.size() == 3);
    CHECK(nested[1].kind == pk::Kind::tuple);
    CHECK(nested[2].kind == pk::Kind::dict);

    Tensor arr = npy::to_tensor(npy::from_pickled(u, *pk::dict_get(u, u.root, "arr"), name));
    CHECK(arr.shape() == keras::Shape{2, 3});
    CHECK(values<std::int32_t>(arr) == std::vector<std::int32_t>{0, 1, 2, 3, 4, 5});
    Tensor big = npy::to_tensor(npy::from_pickled(u, *pk::dict_get(u, u.root, "big"), name));
    CHECK(values<float>(big) == std::vector<float>{1.0f, -2.5f});
    Tensor fo = npy::to_tensor(npy::from_pickled(u, *pk::dict_get(u, u.root, "fortran"), name));
    CHECK(fo.shape() == keras::Shape{2, 3});
    CHECK(values<std::uint8_t>(fo) == std::vector<std::uint8_t>{0, 1, 2, 3, 4, 5});
    const pk::Object& objs = u.get(*pk::dict_get(u, u.root, "objects"));
    CHECK(objs.dtype.kind == 'O');
    REQUIRE(u.get(objs.data).items.size() == 2);
    CHECK(u.get(u.get(objs.data).items[0]).items.size() == 3);
  }
}

TEST_CASE("pickle reader refuses what Keras's RestrictedUnpickler refuses") {
  const auto codecs = bytes_of(kDir / "pickles" / "codecs.pkl");
  try {
    pk::load(codecs.data(), codecs.size(), "codecs.pkl");
    FAIL("expected an error");
  } catch (const keras::IOError& e) {
    CHECK(std::string(e.what()).find("'_codecs.encode'") != std::string::npos);
    CHECK(std::string(e.what()).find("codecs.pkl") != std::string::npos);
  }
  const auto global = bytes_of(kDir / "pickles" / "global.pkl");
  CHECK_THROWS_WITH_AS(pk::load(global.data(), global.size(), "global.pkl"),
                       doctest::Contains("refusing to load the global 'posix.system'"), keras::IOError);
  const unsigned char proto5[] = {0x80, 5, 'N', '.'};
  CHECK_THROWS_WITH_AS(pk::load(proto5, sizeof proto5, "p5"), doctest::Contains("protocol 5"),
                       keras::IOError);
  const unsigned char empty_pop[] = {0x80, 2, 'a', '.'};
  CHECK_THROWS_AS(pk::load(empty_pop, sizeof empty_pop, "x"), keras::IOError);
  const unsigned char long_bytes[] = {0x80, 3, 'B', 0xff, 0xff, 0xff, 0x7f, 'x', '.'};
  CHECK_THROWS_WITH_AS(pk::load(long_bytes, sizeof long_bytes, "x"), doctest::Contains("truncated"),
                       keras::IOError);
}

TEST_CASE("npy reader: NumPy's own files, every dtype, byte order and order") {
  const fs::path d = kDir / "pickles" / "npy";
  auto load = [&](const char* n) { return npy::to_tensor(npy::read_npy_file((d / n).string())); };
  CHECK(values<std::uint8_t>(load("u1.npy")) == std::vector<std::uint8_t>{0, 1, 2, 3, 4});
  CHECK(values<std::int32_t>(load("i2.npy")) == std::vector<std::int32_t>{-3, 7});
  Tensor be = load("be_i4.npy");
  CHECK(be.shape() == keras::Shape{2, 2});
  CHECK(values<std::int32_t>(be) == std::vector<std::int32_t>{1, -2, 3, 4});
  CHECK(values<float>(load("f8.npy")) == std::vector<float>{0.5f, -1.25f});
  CHECK(values<float>(load("f2.npy")) == std::vector<float>{1.5f, -0.25f});
  Tensor b = load("b1.npy");
  CHECK(b.dtype() == keras::bool_);
  CHECK(values<bool>(b) == std::vector<bool>{true, false, true});
  CHECK(values<std::int64_t>(load("u8.npy")) == std::vector<std::int64_t>{3, std::int64_t{1} << 40});
  Tensor s = load("scalar.npy");
  CHECK(s.ndim() == 0);
  CHECK(values<float>(s) == std::vector<float>{3.25f});
  CHECK(load("empty.npy").shape() == keras::Shape{0, 4});
  Tensor f = load("fortran.npy");
  CHECK(f.shape() == keras::Shape{2, 3, 4});
  std::vector<std::int32_t> iota(24);
  for (int k = 0; k < 24; ++k) iota[k] = k;
  CHECK(values<std::int32_t>(f) == iota);
  CHECK(values<std::int64_t>(load("v2.npy")) == std::vector<std::int64_t>{0, 1, 2});
  const npy::Array objs = npy::read_npy_file((d / "objects.npy").string());
  CHECK(npy::int_lists(objs) == std::vector<std::vector<std::int64_t>>{{5, 6}, {7, 8, 9}, {}});
  CHECK_THROWS_WITH_AS(npy::to_tensor(objs), doctest::Contains("object array"), keras::IOError);
}

TEST_CASE("npy/npz/pickle readers: truncated and corrupted fixtures give keras errors") {
  int files = 0, truncations = 0, flips = 0;
  for (const auto& e : fs::recursive_directory_iterator(kDir)) {
    if (!e.is_regular_file() || e.path().extension() == ".json") continue;
    const std::string ext = e.path().extension().string();
    if (ext == ".bin") continue;  // raw records; covered by the loader test
    const auto orig = bytes_of(e.path());
    ++files;
    const fs::path tmp = fs::temp_directory_path() / ("keras_npy_corrupt" + ext);
    auto run = [&](const std::vector<unsigned char>& b) {
      std::ofstream(tmp, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                                 static_cast<std::streamsize>(b.size()));
      return throws_keras_error([&] {
        if (ext == ".npz") npy::read_npz(tmp.string());
        else if (ext == ".npy") npy::read_npy_file(tmp.string());
        else pk::load(b.data(), b.size(), tmp.string());
      });
    };
    CAPTURE(e.path().string());
    for (std::size_t len : {std::size_t{0}, std::size_t{1}, orig.size() / 3, orig.size() / 2,
                            orig.size() - 1}) {
      CHECK(run(std::vector<unsigned char>(orig.begin(), orig.begin() + static_cast<std::ptrdiff_t>(len))));
      ++truncations;
    }
    std::uint32_t state = 12345;
    for (int k = 0; k < 40; ++k) {
      auto b = orig;
      state = state * 1664525u + 1013904223u;
      b[state % b.size()] ^= static_cast<unsigned char>(1u << (state >> 29));
      run(b);  // may load (a flipped data byte), must not crash
      ++flips;
    }
    fs::remove(tmp);
  }
  MESSAGE(files << " files, " << truncations << " truncations, " << flips << " flipped copies");
  CHECK(files >= 15);
}
