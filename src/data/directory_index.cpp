// File listing as Keras's dataset_utils.index_directory does it: class
// folders are the sorted, non-hidden subdirectories (or the given
// class_names in their order); in each, os.walk's (root, files) pairs are
// sorted by root and the files by name, filtered by extension (case
// insensitive); paths are directory/class/relative. Then NumPy's
// RandomState(seed) shuffles the paths, and a second RandomState(seed) the
// labels, so both stay aligned.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sys/stat.h>

#include "data/directory_index.hpp"
#include "keras/errors.hpp"
#include "numpy_random.hpp"

namespace keras::detail {
namespace fs = std::filesystem;

namespace {

// os.path.join(a, b) for relative b.
std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  return a.back() == '/' ? a + b : a + "/" + b;
}

bool wanted(const std::string& name, const std::vector<std::string>& formats) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const std::string& f : formats)
    if (lower.size() >= f.size() && lower.compare(lower.size() - f.size(), f.size(), f) == 0) return true;
  return false;
}

using Walk = std::vector<std::pair<std::string, std::vector<std::string>>>;

// os.walk(top, followlinks): every directory's (root, file names); an
// entry that is a directory (following links) is a directory, all else a
// file. With follow_links, a directory already visited is not re-entered.
void walk(const std::string& top, bool follow_links, Walk& out, std::set<std::pair<dev_t, ino_t>>& seen) {
  struct stat st;
  if (::stat(top.c_str(), &st) == 0) {
    if (!seen.insert({st.st_dev, st.st_ino}).second) return;
  }
  std::error_code ec;
  fs::directory_iterator it(top, ec);
  if (ec) return;  // os.walk ignores unreadable directories
  std::vector<std::string> files, dirs;
  for (const fs::directory_entry& e : it) {
    std::error_code e2;
    const std::string name = e.path().filename().string();
    if (e.is_directory(e2)) {
      if (follow_links || !e.is_symlink(e2)) dirs.push_back(name);
    } else {
      files.push_back(name);
    }
  }
  out.emplace_back(top, std::move(files));
  for (const std::string& d : dirs) walk(join(top, d), follow_links, out, seen);
}

// Relative paths (class/..., or ... for the whole directory) of the wanted files under one class folder.
std::vector<std::string> index_subdirectory(const std::string& dirpath, const std::string& dirname,
                                            const IndexRequest& r) {
  Walk w;
  std::set<std::pair<dev_t, ino_t>> seen;
  walk(dirpath, r.follow_links, w, seen);
  std::sort(w.begin(), w.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [root, files] : w) {
    std::sort(files.begin(), files.end());
    // os.path.relpath(join(root, f), dirpath): root below dirpath, plus f.
    std::string sub = root.size() > dirpath.size() ? root.substr(dirpath.size()) : "";
    while (!sub.empty() && sub.front() == '/') sub.erase(0, 1);
    for (const std::string& f : files)
      if (wanted(f, r.formats)) out.push_back(join(dirname, join(sub, f)));
  }
  return out;
}

std::vector<std::string> class_folders(const IndexRequest& r) {
  std::error_code ec;
  KERAS_CHECK(fs::is_directory(r.directory, ec), IOError, r.fn, ": the directory ", r.directory,
              " does not exist or is not a directory");
  std::vector<std::string> subdirs;
  for (const fs::directory_entry& e : fs::directory_iterator(r.directory, ec)) {
    std::error_code e2;
    const std::string name = e.path().filename().string();
    if (e.is_directory(e2) && name.front() != '.') subdirs.push_back(name);
  }
  std::sort(subdirs.begin(), subdirs.end());
  if (r.class_names.empty()) return subdirs;
  const std::set<std::string> have(subdirs.begin(), subdirs.end());
  for (const std::string& c : r.class_names) {
    if (have.count(c)) continue;
    std::string list;
    for (const std::string& s : subdirs) list += (list.empty() ? "" : ", ") + s;
    throw ValueError(detail::cat(r.fn, ": the class_names passed do not match the subdirectories of ", r.directory,
                                 ": expected a subset of [", list, "], received \"", c, "\""));
  }
  return r.class_names;
}

}  // namespace

FileIndex index_directory(const IndexRequest& r) {
  FileIndex ix;
  const bool inferred = std::holds_alternative<std::string>(r.labels) && std::get<std::string>(r.labels) == "inferred";
  const bool none = std::holds_alternative<std::string>(r.labels) && std::get<std::string>(r.labels) == "none";
  std::vector<std::string> subdirs;
  if (inferred) {
    subdirs = class_folders(r);
  } else {
    std::error_code ec;
    KERAS_CHECK(fs::is_directory(r.directory, ec), IOError, r.fn, ": the directory ", r.directory,
                " does not exist or is not a directory");
    subdirs = {""};
  }
  std::vector<std::string> rel;
  for (std::size_t k = 0; k < subdirs.size(); ++k) {
    std::vector<std::string> part = index_subdirectory(join(r.directory, subdirs[k]), subdirs[k], r);
    if (inferred) ix.labels.insert(ix.labels.end(), part.size(), static_cast<std::int64_t>(k));
    rel.insert(rel.end(), part.begin(), part.end());
  }
  if (inferred) {
    ix.class_names = subdirs;
    ix.has_labels = true;
  } else if (!none) {
    const auto& given = std::get<std::vector<std::int64_t>>(r.labels);
    KERAS_CHECK(given.size() == rel.size(), ValueError, r.fn,
                ": expected the length of labels to match the number of files in the target directory; "
                "len(labels) is ",
                given.size(), " while ", rel.size(), " files were found in ", r.directory);
    ix.labels = given;
    ix.has_labels = true;
    for (std::int64_t v : std::set<std::int64_t>(given.begin(), given.end())) ix.class_names.push_back(std::to_string(v));
  }
  if (r.verbose) {
    if (ix.has_labels)
      std::printf("Found %zu files belonging to %zu classes.\n", rel.size(), ix.class_names.size());
    else
      std::printf("Found %zu files.\n", rel.size());
  }
  for (const std::string& p : rel) ix.paths.push_back(join(r.directory, p));
  if (r.shuffle) {
    NumpyRandomState(r.seed).shuffle(ix.paths);
    if (ix.has_labels) NumpyRandomState(r.seed).shuffle(ix.labels);
  }
  return ix;
}

std::uint32_t check_split_arguments(const char* fn, double validation_split, const std::string& subset, bool shuffle,
                                    const std::optional<std::uint32_t>& seed) {
  KERAS_CHECK(validation_split == 0.0 || (validation_split > 0.0 && validation_split < 1.0), ValueError, fn,
              ": validation_split must be between 0 and 1, received ", validation_split);
  KERAS_CHECK((validation_split == 0.0) == subset.empty(), ValueError, fn,
              ": if subset is set, validation_split must be set, and inversely (received validation_split=",
              validation_split, ", subset=\"", subset, "\")");
  KERAS_CHECK(subset.empty() || subset == "training" || subset == "validation" || subset == "both", ValueError, fn,
              ": subset must be \"training\", \"validation\" or \"both\", received \"", subset, "\"");
  KERAS_CHECK(!(validation_split > 0.0 && shuffle && !seed), ValueError, fn,
              ": with validation_split and shuffling, a seed is required so that the training and validation "
              "subsets do not overlap");
  if (seed) return *seed;
  std::random_device rd;
  return static_cast<std::uint32_t>(rd() % 1000000u);
}

bool check_label_arguments(const char* fn, const utils::Labels& labels, const std::string& label_mode,
                           const std::vector<std::string>& class_names) {
  if (const auto* s = std::get_if<std::string>(&labels)) {
    KERAS_CHECK(*s == "inferred" || *s == "none", ValueError, fn,
                ": labels must be \"inferred\", \"none\" or one integer label per file, received \"", *s, "\"");
  }
  const bool inferred = std::holds_alternative<std::string>(labels) && std::get<std::string>(labels) == "inferred";
  KERAS_CHECK(inferred || class_names.empty(), ValueError, fn,
              ": class_names can only be passed with labels \"inferred\"");
  KERAS_CHECK(label_mode == "int" || label_mode == "categorical" || label_mode == "binary" || label_mode == "none",
              ValueError, fn, ": label_mode must be \"int\", \"categorical\", \"binary\" or \"none\", received \"",
              label_mode, "\"");
  const bool none = std::holds_alternative<std::string>(labels) && std::get<std::string>(labels) == "none";
  return !none && label_mode != "none";
}

FileIndex split_subset(const FileIndex& all, double validation_split, const std::string& subset, bool verbose) {
  if (validation_split == 0.0) return all;
  const auto n = static_cast<std::int64_t>(all.paths.size());
  const auto n_val = static_cast<std::int64_t>(validation_split * static_cast<double>(n));
  const std::int64_t n_train = n - n_val;
  const bool train = subset == "training";
  if (verbose) {
    if (train)
      std::printf("Using %lld files for training.\n", static_cast<long long>(n_train));
    else
      std::printf("Using %lld files for validation.\n", static_cast<long long>(n_val));
  }
  FileIndex out;
  out.class_names = all.class_names;
  out.has_labels = all.has_labels;
  const std::int64_t b = train ? 0 : n_train, e = train ? n_train : n;
  out.paths.assign(all.paths.begin() + b, all.paths.begin() + e);
  if (all.has_labels) out.labels.assign(all.labels.begin() + b, all.labels.begin() + e);
  return out;
}

Tensor make_labels(const std::vector<std::int64_t>& labels, const std::int64_t* idx, std::int64_t n,
                   const std::string& label_mode, std::int64_t num_classes, bool scalar) {
  if (label_mode == "int") {
    std::vector<std::int32_t> v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) v[i] = static_cast<std::int32_t>(labels[idx[i]]);
    return scalar ? Tensor::scalar(v[0], int32) : Tensor(Shape{n}, v);
  }
  if (label_mode == "binary") {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(labels[idx[i]]);
    return scalar ? Tensor(Shape{1}, v) : Tensor(Shape{n, 1}, v);
  }
  // categorical: tf.one_hot (a label outside [0, num_classes) gives zeros)
  std::vector<float> v(static_cast<std::size_t>(n * num_classes), 0.0f);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t l = labels[idx[i]];
    if (l >= 0 && l < num_classes) v[i * num_classes + l] = 1.0f;
  }
  return scalar ? Tensor(Shape{num_classes}, v) : Tensor(Shape{n, num_classes}, v);
}

}  // namespace keras::detail
