// keras::datasets: the IDX reader on generated files (plain and gzip), its
// errors on broken files, the directory search, and the real Fashion-MNIST
// when the Debian package is installed.
#include <doctest/doctest.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keras/datasets.hpp"
#include "keras/errors.hpp"

namespace fs = std::filesystem;
using keras::Tensor;

namespace {

using Bytes = std::vector<unsigned char>;

// An IDX file: magic 0x000008<ndim>, big-endian dims, then the data.
Bytes idx_bytes(const std::vector<std::uint32_t>& dims, const Bytes& data) {
  Bytes b = {0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  for (std::uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(d >> s));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

std::uint32_t crc32(const Bytes& data) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// A valid gzip file holding `data` in stored (uncompressed) deflate blocks,
// written by hand so that the test does not share code with the reader.
Bytes gzip_bytes(const Bytes& data) {
  Bytes g = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min<std::size_t>(data.size() - pos, 65535);
    const bool last = pos + n == data.size();
    g.push_back(last ? 1 : 0);  // BFINAL, BTYPE=00 (stored)
    g.push_back(n & 0xff);
    g.push_back(n >> 8);
    g.push_back(~n & 0xff);
    g.push_back((~n >> 8) & 0xff);
    g.insert(g.end(), data.begin() + pos, data.begin() + pos + n);
    pos += n;
  } while (pos < data.size());
  for (std::uint32_t v : {crc32(data), static_cast<std::uint32_t>(data.size())})
    for (int s = 0; s < 32; s += 8) g.push_back(static_cast<unsigned char>(v >> s));
  return g;
}

void write_file(const fs::path& p, const Bytes& b) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

Bytes iota_bytes(std::size_t n, unsigned mul = 7) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>((i * mul + 3) % 251);
  return b;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const keras::IOError& e) {
    return e.what();
  }
  FAIL("expected keras::IOError");
  return {};
}

// A fresh temporary directory, with KERAS_HOME and HOME pointing into it so
// that no real cache is seen; everything is restored and removed at the end.
struct TempHome {
  fs::path root;
  std::optional<std::string> old_keras_home, old_home;
  TempHome() {
    static int counter = 0;
    root = fs::temp_directory_path() /
           ("keras_datasets_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(root);
    fs::create_directories(root / "keras_home");
    fs::create_directories(root / "home");
    if (const char* v = std::getenv("KERAS_HOME")) old_keras_home = v;
    if (const char* v = std::getenv("HOME")) old_home = v;
    ::setenv("KERAS_HOME", (root / "keras_home").c_str(), 1);
    ::setenv("HOME", (root / "home").c_str(), 1);
  }
  ~TempHome() {
    restore("KERAS_HOME", old_keras_home);
    restore("HOME", old_home);
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  static void restore(const char* name, const std::optional<std::string>& v) {
    if (v) ::setenv(name, v->c_str(), 1);
    else ::unsetenv(name);
  }
  fs::path dataset_dir(const std::string& name) const { return root / "keras_home" / "datasets" / name; }
};

void check_values(const Tensor& t, const Bytes& expected) {
  REQUIRE(t.size() == static_cast<std::int64_t>(expected.size()));
  const std::uint8_t* p = t.data<std::uint8_t>();
  CHECK(Bytes(p, p + t.size()) == expected);
}

// Writes a small data set in the fashion-mnist layout: n_train and n_test
// 28x28 images and their labels.
void write_mnist_like(const fs::path& dir, std::uint32_t n_train, std::uint32_t n_test,
                      bool gzip) {
  const auto put = [&](const char* name, const Bytes& idx) {
    if (gzip) write_file(dir / (std::string(name) + ".gz"), gzip_bytes(idx));
    else write_file(dir / name, idx);
  };
  put("train-images-idx3-ubyte", idx_bytes({n_train, 28, 28}, iota_bytes(n_train * 784)));
  put("train-labels-idx1-ubyte", idx_bytes({n_train}, iota_bytes(n_train, 1)));
  put("t10k-images-idx3-ubyte", idx_bytes({n_test, 28, 28}, iota_bytes(n_test * 784, 5)));
  put("t10k-labels-idx1-ubyte", idx_bytes({n_test}, iota_bytes(n_test, 3)));
}

}  // namespace

TEST_CASE("datasets read_idx reads plain and gzip files") {
  TempHome tmp;
  const Bytes images = iota_bytes(3 * 2 * 4);
  const Bytes labels = {4, 0, 9, 1, 255};
  write_file(tmp.root / "images.idx", idx_bytes({3, 2, 4}, images));
  write_file(tmp.root / "labels.idx", idx_bytes({5}, labels));
  write_file(tmp.root / "images.idx.gz", gzip_bytes(idx_bytes({3, 2, 4}, images)));
  // More than one 64 KiB stored block, so the gzip reader must join blocks.
  const Bytes big = iota_bytes(300 * 28 * 28);
  write_file(tmp.root / "big.gz", gzip_bytes(idx_bytes({300, 28, 28}, big)));

  for (const char* name : {"images.idx", "images.idx.gz"}) {
    CAPTURE(name);
    const Tensor t = keras::datasets::read_idx((tmp.root / name).string());
    CHECK(t.dtype() == keras::uint8);
    CHECK(t.shape() == keras::Shape{3, 2, 4});
    check_values(t, images);
    CHECK(t.at<std::uint8_t>(2, 1, 3) == images[2 * 8 + 1 * 4 + 3]);
  }
  const Tensor y = keras::datasets::read_idx((tmp.root / "labels.idx").string());
  CHECK(y.shape() == keras::Shape{5});
  check_values(y, labels);
  const Tensor b = keras::datasets::read_idx((tmp.root / "big.gz").string());
  CHECK(b.shape() == keras::Shape{300, 28, 28});
  check_values(b, big);
}

TEST_CASE("datasets read_idx reports truncated files") {
  TempHome tmp;
  const Bytes full = idx_bytes({3, 2, 4}, iota_bytes(24));

  const fs::path short_data = tmp.root / "short.idx";
  write_file(short_data, Bytes(full.begin(), full.end() - 14));  // 10 of 24 data bytes
  std::string m = message_of([&] { keras::datasets::read_idx(short_data.string()); });
  CHECK(m.find(short_data.string()) != std::string::npos);
  CHECK(m.find("truncated") != std::string::npos);
  CHECK(m.find("expected 24 bytes") != std::string::npos);
  CHECK(m.find("(3, 2, 4)") != std::string::npos);
  CHECK(m.find("found 10") != std::string::npos);

  const fs::path short_header = tmp.root / "header.idx";
  write_file(short_header, Bytes(full.begin(), full.begin() + 9));
  m = message_of([&] { keras::datasets::read_idx(short_header.string()); });
  CHECK(m.find(short_header.string()) != std::string::npos);
  CHECK(m.find("truncated") != std::string::npos);

  // A gzip stream cut in the middle: zlib's error or a short read, either
  // way an IOError naming the file.
  const Bytes gz = gzip_bytes(idx_bytes({100, 28, 28}, iota_bytes(100 * 784)));
  const fs::path cut = tmp.root / "cut.gz";
  write_file(cut, Bytes(gz.begin(), gz.begin() + gz.size() / 2));
  m = message_of([&] { keras::datasets::read_idx(cut.string()); });
  CHECK(m.find(cut.string()) != std::string::npos);

  // A header declaring far more data than the file could hold.
  const fs::path huge = tmp.root / "huge.idx";
  write_file(huge, idx_bytes({1000000, 28, 28}, iota_bytes(10)));
  m = message_of([&] { keras::datasets::read_idx(huge.string()); });
  CHECK(m.find(huge.string()) != std::string::npos);
  CHECK(m.find("(1000000, 28, 28)") != std::string::npos);
}

TEST_CASE("datasets read_idx rejects bad magic numbers, trailing data and missing files") {
  TempHome tmp;
  const fs::path text = tmp.root / "text.idx";
  write_file(text, {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  std::string m = message_of([&] { keras::datasets::read_idx(text.string()); });
  CHECK(m.find(text.string()) != std::string::npos);
  CHECK(m.find("0x00000803") != std::string::npos);  // what was expected
  CHECK(m.find("0x68656c6c") != std::string::npos);  // what was found ("hell")

  // Type 0x0D (float32) is valid IDX but not what the image files hold.
  Bytes floats = idx_bytes({2}, Bytes(8, 0));
  floats[2] = 0x0D;
  write_file(tmp.root / "floats.idx", floats);
  m = message_of([&] { keras::datasets::read_idx((tmp.root / "floats.idx").string()); });
  CHECK(m.find("0x00000d01") != std::string::npos);

  Bytes extra = idx_bytes({4}, {1, 2, 3, 4});
  extra.push_back(5);
  write_file(tmp.root / "extra.idx", extra);
  m = message_of([&] { keras::datasets::read_idx((tmp.root / "extra.idx").string()); });
  CHECK(m.find("trailing") != std::string::npos);
  CHECK(m.find("expected exactly 12 bytes") != std::string::npos);

  m = message_of([&] { keras::datasets::read_idx((tmp.root / "nope.gz").string()); });
  CHECK(m.find("nope.gz") != std::string::npos);
}

TEST_CASE("datasets search_paths follows KERAS_HOME, HOME, then /usr/share/datasets") {
  TempHome tmp;
  const auto dirs = keras::datasets::search_paths("fashion-mnist");
  REQUIRE(dirs.size() == 3);
  CHECK(dirs[0] == (tmp.root / "keras_home" / "datasets" / "fashion-mnist").string());
  CHECK(dirs[1] == (tmp.root / "home" / ".keras" / "datasets" / "fashion-mnist").string());
  CHECK(dirs[2] == "/usr/share/datasets/fashion-mnist");
  ::unsetenv("KERAS_HOME");
  CHECK(keras::datasets::search_paths("mnist").size() == 2);
}

TEST_CASE("datasets fashion_mnist and mnist load from $KERAS_HOME (gzip and plain)") {
  TempHome tmp;
  write_mnist_like(tmp.dataset_dir("fashion-mnist"), 6, 4, /*gzip=*/true);
  write_mnist_like(tmp.dataset_dir("mnist"), 5, 3, /*gzip=*/false);

  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  CHECK(x_train.shape() == keras::Shape{6, 28, 28});
  CHECK(y_train.shape() == keras::Shape{6});
  CHECK(x_test.shape() == keras::Shape{4, 28, 28});
  CHECK(y_test.shape() == keras::Shape{4});
  CHECK(x_train.dtype() == keras::uint8);
  check_values(x_test, iota_bytes(4 * 784, 5));
  check_values(y_test, iota_bytes(4, 3));

  const keras::datasets::Split m = keras::datasets::mnist::load_data();
  CHECK(m.x_train.shape() == keras::Shape{5, 28, 28});
  check_values(m.y_train, iota_bytes(5, 1));

  // Labels that do not match the images are a corrupt data set.
  write_file(tmp.dataset_dir("mnist") / "t10k-labels-idx1-ubyte", idx_bytes({2}, {1, 2}));
  const std::string msg = message_of([] { keras::datasets::mnist::load_data(); });
  CHECK(msg.find("t10k-labels-idx1-ubyte") != std::string::npos);
  CHECK(msg.find("found (2,)") != std::string::npos);
}

TEST_CASE("datasets missing files: the error names every path tried and how to get them") {
  TempHome tmp;
  const bool system_mnist = fs::exists("/usr/share/datasets/mnist/train-images-idx3-ubyte.gz");
  if (!system_mnist) {
    // Only some of the files in the first directory, and no mnist.npz.
    write_file(tmp.dataset_dir("mnist") / "train-images-idx3-ubyte.gz",
               gzip_bytes(idx_bytes({1, 28, 28}, Bytes(784, 0))));
    const std::string m = message_of([] { keras::datasets::mnist::load_data(); });
    for (const auto& dir : keras::datasets::search_paths("mnist"))
      CHECK(m.find(dir) != std::string::npos);
    CHECK(m.find("missing: train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz") !=
          std::string::npos);
    CHECK(m.find((tmp.root / "home" / ".keras" / "datasets" / "mnist.npz").string()) !=
          std::string::npos);
    CHECK(m.find("tf-keras-datasets/mnist.npz") != std::string::npos);
    // A mnist.npz in Keras's cache is read first; a broken one is an error naming it.
    write_file(tmp.root / "home" / ".keras" / "datasets" / "mnist.npz", {'P', 'K'});
    const std::string bad = message_of([] { keras::datasets::mnist::load_data(); });
    CHECK(bad.find("mnist.npz") != std::string::npos);
    CHECK(bad.find("zip") != std::string::npos);
  }
  if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    const std::string m = message_of([] { keras::datasets::fashion_mnist::load_data(); });
    for (const auto& dir : keras::datasets::search_paths("fashion-mnist"))
      CHECK(m.find(dir) != std::string::npos);
    CHECK(m.find("install the Debian package dataset-fashion-mnist") != std::string::npos);
  }
}

TEST_CASE("datasets fashion_mnist real data from the Debian package") {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: dataset-fashion-mnist is not installed");
    return;
  }
  TempHome tmp;  // empty caches, so the Debian files are the ones read
  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  CHECK(x_train.shape() == keras::Shape{60000, 28, 28});
  CHECK(y_train.shape() == keras::Shape{60000});
  CHECK(x_test.shape() == keras::Shape{10000, 28, 28});
  CHECK(y_test.shape() == keras::Shape{10000});
  for (const Tensor* t : {&x_train, &y_train, &x_test, &y_test}) CHECK(t->dtype() == keras::uint8);

  // Golden values from reading the same files with NumPy.
  CHECK(y_train.at<std::uint8_t>(0) == 9);  // an ankle boot
  CHECK(y_test.at<std::uint8_t>(1) == 2);
  CHECK(x_train.at<std::uint8_t>(0, 10, 14) == 228);
  std::int64_t first_sum = 0, total = 0;
  const std::uint8_t* px = x_train.data<std::uint8_t>();
  for (std::int64_t i = 0; i < x_train.size(); ++i) total += px[i];
  for (std::int64_t i = 0; i < 784; ++i) first_sum += px[i];
  CHECK(first_sum == 76247);
  CHECK(total == 3431114169LL);
  // Balanced classes: 6000 per class in training, 1000 in test.
  std::array<int, 10> train_counts{}, test_counts{};
  for (std::int64_t i = 0; i < 60000; ++i) ++train_counts.at(y_train.at<std::uint8_t>(i));
  for (std::int64_t i = 0; i < 10000; ++i) ++test_counts.at(y_test.at<std::uint8_t>(i));
  for (int c = 0; c < 10; ++c) {
    CHECK(train_counts[c] == 6000);
    CHECK(test_counts[c] == 1000);
  }
}
