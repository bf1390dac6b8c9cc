// keras.datasets.cifar10 and cifar100: Keras's extracted folders of Python
// pickles (cifar-10-batches-py, cifar-100-python), read with the bounded
// pickle reader, or the binary versions (cifar-10-batches-bin,
// cifar-100-binary). Images come out channels last, as Keras's default.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "datasets/common.hpp"
#include "keras/errors.hpp"

namespace keras::datasets {
namespace {

namespace fs = std::filesystem;
namespace npy = keras::detail::npy;
namespace pk = keras::detail::pickle;
using keras::detail::cat;

constexpr std::int64_t kPixels = 3 * 32 * 32;

// Images (n, 3, 32, 32) as bytes, labels as int64, before conversion.
struct Batch {
  std::vector<unsigned char> chw;
  std::vector<std::int64_t> labels;
};

std::vector<unsigned char> read_all(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  KERAS_CHECK(!ec, IOError, "cannot read '", path, "': ", ec.message());
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> buf(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
  KERAS_CHECK(in.gcount() == static_cast<std::streamsize>(buf.size()), IOError, "cannot read '",
              path, "'");
  return buf;
}

// Keras's cifar.load_batch: a dict with b"data" (uint8, n x 3072) and the labels list.
Batch load_pickled(const std::string& path, const std::string& label_key) {
  const auto bytes = read_all(path);
  const pk::Unpickled u = pk::load(bytes.data(), bytes.size(), path);
  KERAS_CHECK(u.root.kind == pk::Kind::dict, IOError, path, ": expected a pickled dict, found a ",
              pk::kind_name(u.root.kind));
  const pk::Value* data = pk::dict_get(u, u.root, "data");
  const pk::Value* labels = pk::dict_get(u, u.root, label_key);
  KERAS_CHECK(data && labels, IOError, path, ": the batch lacks its '", data ? label_key : "data",
              "' entry");
  const npy::Array a = npy::from_pickled(u, *data, path + ": data");
  KERAS_CHECK(a.dtype.kind == 'u' && a.dtype.itemsize == 1 && !a.shape.empty() &&
                  a.size() == a.shape[0] * kPixels,
              IOError, path, ": expected uint8 data of shape (n, 3072), found dtype ", a.dtype.str(),
              " with ", a.size(), " elements");
  KERAS_CHECK(labels->kind == pk::Kind::list, IOError, path, ": '", label_key,
              "' must be a list, found a ", pk::kind_name(labels->kind));
  Batch b{a.data, {}};
  for (const pk::Value& v : u.get(*labels).items) {
    KERAS_CHECK(v.kind == pk::Kind::integer, IOError, path, ": '", label_key,
                "' holds a ", pk::kind_name(v.kind), ", expected ints");
    b.labels.push_back(v.i);
  }
  KERAS_CHECK(std::int64_t(b.labels.size()) == a.shape[0], IOError, path, ": ", a.shape[0],
              " images but ", b.labels.size(), " labels in '", label_key, "'");
  return b;
}

// Binary records: `label_bytes` label bytes (the last one is read) then 3072 pixels.
Batch load_binary(const std::string& path, int label_bytes, int label_index) {
  const auto bytes = read_all(path);
  const std::size_t rec = static_cast<std::size_t>(label_bytes + kPixels);
  KERAS_CHECK(!bytes.empty() && bytes.size() % rec == 0, IOError, path, ": expected whole ",
              rec, "-byte records (", label_bytes, " label byte(s) + 3072 pixels), the file has ",
              bytes.size(), " bytes");
  Batch b;
  for (std::size_t off = 0; off < bytes.size(); off += rec) {
    b.labels.push_back(bytes[off + static_cast<std::size_t>(label_index)]);
    b.chw.insert(b.chw.end(), bytes.begin() + static_cast<std::ptrdiff_t>(off) + label_bytes,
                 bytes.begin() + static_cast<std::ptrdiff_t>(off + rec));
  }
  return b;
}

// (n, 3, 32, 32) -> (n, 32, 32, 3) uint8 tensor, and (n, 1) labels.
std::pair<Tensor, Tensor> to_tensors(const std::vector<Batch>& batches, DType label_type,
                                     const std::string& where) {
  std::int64_t n = 0;
  for (const Batch& b : batches) n += static_cast<std::int64_t>(b.labels.size());
  Tensor x = Tensor::empty({n, 32, 32, 3}, uint8), y = Tensor::empty({n, 1}, label_type);
  std::uint8_t* px = x.data<std::uint8_t>();
  std::int64_t i = 0;
  for (const Batch& b : batches)
    for (std::size_t k = 0; k < b.labels.size(); ++k, ++i) {
      const unsigned char* src = b.chw.data() + k * kPixels;
      std::uint8_t* dst = px + i * kPixels;
      for (int c = 0; c < 3; ++c)
        for (int p = 0; p < 1024; ++p) dst[p * 3 + c] = src[c * 1024 + p];
      if (label_type == uint8) {
        KERAS_CHECK(b.labels[k] >= 0 && b.labels[k] <= 255, IOError, where, ": label ",
                    b.labels[k], " of image ", i, " does not fit in uint8");
        y.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(b.labels[k]);
      } else {
        y.data<std::int64_t>()[i] = b.labels[k];
      }
    }
  return {x, y};
}

struct Layout {
  fs::path dir;
  bool binary;
};

// The first candidate folder, under $KERAS_HOME/datasets then
// ~/.keras/datasets, that holds every file.
Layout find_layout(const std::vector<std::pair<std::string, bool>>& subdirs,
                   const std::vector<std::string>& py_files, const std::vector<std::string>& bin_files,
                   const std::string& help) {
  std::vector<fs::path> roots;
  if (const char* kh = std::getenv("KERAS_HOME"); kh && *kh) roots.push_back(fs::path(kh) / "datasets");
  if (const char* home = std::getenv("HOME"); home && *home)
    roots.push_back(fs::path(home) / ".keras" / "datasets");
  std::string tried;
  std::error_code ec;
  for (const fs::path& root : roots)
    for (const auto& [sub, binary] : subdirs) {
      const fs::path dir = root / sub;
      bool all = true;
      for (const std::string& f : binary ? bin_files : py_files) all = all && fs::is_regular_file(dir / f, ec);
      if (all) return {dir, binary};
      tried += "\n  " + dir.string();
    }
  throw IOError(cat("load_data: the CIFAR files were not found. Tried:", tried,
                    "\nNothing is downloaded: ", help));
}

}  // namespace

namespace cifar10 {
Split load_data() {
  const std::vector<std::string> py = {"data_batch_1", "data_batch_2", "data_batch_3",
                                       "data_batch_4", "data_batch_5", "test_batch"};
  std::vector<std::string> bin;
  for (const auto& f : py) bin.push_back(f + ".bin");
  const Layout l = find_layout(
      {{"cifar-10-batches-py-target/cifar-10-batches-py", false}, {"cifar-10-batches-py", false},
       {"cifar-10-batches-bin", true}},
      py, bin,
      "extract https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (Keras's origin) into "
      "$KERAS_HOME/datasets/, or the binary version cifar-10-binary.tar.gz from the same place.");
  std::vector<Batch> train, test;
  for (std::size_t k = 0; k < py.size(); ++k) {
    const std::string path = (l.dir / (l.binary ? bin[k] : py[k])).string();
    (k < 5 ? train : test).push_back(l.binary ? load_binary(path, 1, 0) : load_pickled(path, "labels"));
  }
  auto [x_train, y_train] = to_tensors(train, uint8, l.dir.string());
  auto [x_test, y_test] = to_tensors(test, uint8, l.dir.string());
  return {x_train, y_train, x_test, y_test};
}
}  // namespace cifar10

namespace cifar100 {
Split load_data(const std::string& label_mode) {
  KERAS_CHECK(label_mode == "fine" || label_mode == "coarse", ValueError,
              "cifar100.load_data: label_mode must be one of \"fine\", \"coarse\". Received: ",
              "label_mode=", label_mode);
  const Layout l = find_layout(
      {{"cifar-100-python-target/cifar-100-python", false}, {"cifar-100-python", false},
       {"cifar-100-binary", true}},
      {"train", "test"}, {"train.bin", "test.bin"},
      "extract https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz (Keras's origin) into "
      "$KERAS_HOME/datasets/, or the binary version cifar-100-binary.tar.gz from the same place.");
  const int index = label_mode == "fine" ? 1 : 0;  // binary records: coarse, then fine
  auto load = [&](const char* name) {
    const std::string path = (l.dir / (l.binary ? std::string(name) + ".bin" : name)).string();
    return l.binary ? load_binary(path, 2, index) : load_pickled(path, label_mode + "_labels");
  };
  auto [x_train, y_train] = to_tensors({load("train")}, int64, l.dir.string());
  auto [x_test, y_test] = to_tensors({load("test")}, int64, l.dir.string());
  return {x_train, y_train, x_test, y_test};
}
}  // namespace cifar100

}  // namespace keras::datasets
