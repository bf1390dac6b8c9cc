// keras.datasets.imdb and keras.datasets.reuters: .npz files whose x arrays
// are object arrays of Python lists of word indices; the same shuffles,
// index shifts, length filter and vocabulary cut as Keras, in that order.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "datasets/common.hpp"
#include "keras/errors.hpp"
#include "numpy_random.hpp"

namespace keras::datasets {

namespace npy = keras::detail::npy;
using keras::detail::cat;

namespace {

struct Labelled {
  Sequences x;
  std::vector<std::int64_t> rows;  // rows of `labels` that belong to x, in x's order
};

void check_labels(const npy::Array& y, std::size_t n, const std::string& path) {
  KERAS_CHECK(y.dtype.kind != 'O' && y.shape.size() == 1 && y.shape[0] == std::int64_t(n),
              IOError, path, ": expected ", n, " numeric labels in ", y.where, " (one per sequence), ",
              "found dtype ", y.dtype.str(), " with ", y.shape.size(), " dimensions");
}

// x[indices] with the rows of the labels in the same order.
Labelled shuffle(Sequences x, keras::detail::NumpyRandomState& rng) {
  Labelled out;
  out.rows.resize(x.size());
  std::iota(out.rows.begin(), out.rows.end(), std::int64_t{0});
  rng.shuffle(out.rows);
  out.x.reserve(x.size());
  for (std::int64_t r : out.rows) out.x.push_back(std::move(x[static_cast<std::size_t>(r)]));
  return out;
}

// [start_char] + [w + index_from for w in x], as Keras does.
void shift(Labelled& d, const std::optional<std::int64_t>& start_char, std::int64_t index_from,
           const char* fn) {
  for (auto& seq : d.x) {
    for (auto& w : seq)
      KERAS_CHECK(!__builtin_add_overflow(w, index_from, &w), ValueError, fn, ": word index ", w,
                  " + index_from=", index_from, " overflows int64");
    if (start_char) seq.insert(seq.begin(), *start_char);
  }
}

// keras.utils remove_long_seq: keeps sequences shorter than maxlen.
void remove_long(Labelled& d, std::int64_t maxlen) {
  Labelled kept;
  for (std::size_t k = 0; k < d.x.size(); ++k)
    if (static_cast<std::int64_t>(d.x[k].size()) < maxlen) {
      kept.x.push_back(std::move(d.x[k]));
      kept.rows.push_back(d.rows[k]);
    }
  d = std::move(kept);
}

// Words outside [skip_top, num_words) become oov_char (or are dropped);
// num_words defaults to the largest index present (which is then cut, as in Keras).
void cut_vocabulary(Sequences& xs, std::optional<std::int64_t> num_words, std::int64_t skip_top,
                    const std::optional<std::int64_t>& oov_char, const char* fn) {
  if (!num_words || *num_words == 0) {
    KERAS_CHECK(!xs.empty(), ValueError, fn, ": no sequence is left to take num_words from");
    std::int64_t m = std::numeric_limits<std::int64_t>::min();
    for (const auto& seq : xs) {
      KERAS_CHECK(!seq.empty(), ValueError, fn, ": an empty sequence has no largest word index ",
                  "(pass num_words, or keep start_char)");
      m = std::max(m, *std::max_element(seq.begin(), seq.end()));
    }
    num_words = m;
  }
  for (auto& seq : xs) {
    if (oov_char) {
      for (auto& w : seq)
        if (!(skip_top <= w && w < *num_words)) w = *oov_char;
    } else {
      std::erase_if(seq, [&](std::int64_t w) { return !(skip_top <= w && w < *num_words); });
    }
  }
}

keras::detail::NumpyRandomState random_state(std::int64_t seed, const char* fn) {
  KERAS_CHECK(seed >= 0 && seed <= 0xFFFFFFFFLL, ValueError, fn, ": seed must be between 0 and ",
              "2**32 - 1 (as for np.random.RandomState); received seed=", seed);
  return keras::detail::NumpyRandomState(static_cast<std::uint32_t>(seed));
}

// Labels rows [begin, end) of `rows`; an empty list of Python labels
// becomes float64 in NumPy (float32 here), as np.array([]) does.
Tensor labels_of(const npy::Array& y, const std::vector<std::int64_t>& rows, std::size_t begin,
                 std::size_t end, bool from_list) {
  if (from_list && begin == end) return Tensor::empty({0}, float32);
  return npy::to_tensor(detail::take_rows(
      y, std::vector<std::int64_t>(rows.begin() + static_cast<std::ptrdiff_t>(begin),
                                   rows.begin() + static_cast<std::ptrdiff_t>(end))));
}

std::map<std::string, std::int64_t> read_word_index(const std::string& path) {
  std::ifstream in(path);
  KERAS_CHECK(in, IOError, "get_word_index: cannot open '", path, "'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw IOError(cat("get_word_index: '", path, "' is not valid JSON: ", e.what()));
  }
  KERAS_CHECK(j.is_object(), IOError, "get_word_index: '", path,
              "' must hold a JSON object mapping words to indices");
  std::map<std::string, std::int64_t> out;
  for (const auto& [word, index] : j.items()) {
    KERAS_CHECK(index.is_number_integer(), IOError, "get_word_index: '", path, "': the index of '",
                word, "' is not an integer: ", index.dump());
    out[word] = index.get<std::int64_t>();
  }
  return out;
}

}  // namespace

namespace imdb {
SequenceSplit load_data(const Options& o) {
  const char* fn = "imdb.load_data";
  auto rng = random_state(o.seed, fn);
  const std::string path = find_file(o.path, std::string(detail::kOrigin) + "imdb.npz");
  const auto npz = npy::read_npz(path);
  const npy::Array& y_tr = detail::member(npz, "y_train", path);
  const npy::Array& y_te = detail::member(npz, "y_test", path);
  Sequences xtr = npy::int_lists(detail::member(npz, "x_train", path));
  Sequences xte = npy::int_lists(detail::member(npz, "x_test", path));
  check_labels(y_tr, xtr.size(), path);
  check_labels(y_te, xte.size(), path);
  KERAS_CHECK(y_tr.dtype.str() == y_te.dtype.str(), IOError, path, ": y_train (", y_tr.dtype.str(),
              ") and y_test (", y_te.dtype.str(), ") differ in dtype");
  Labelled tr = shuffle(std::move(xtr), rng), te = shuffle(std::move(xte), rng);
  if (o.start_char || o.index_from) {
    shift(tr, o.start_char, o.index_from, fn);
    shift(te, o.start_char, o.index_from, fn);
  }
  if (o.maxlen && *o.maxlen) {
    remove_long(tr, *o.maxlen);
    remove_long(te, *o.maxlen);
    KERAS_CHECK(!tr.x.empty() && !te.x.empty(), ValueError, fn,
                ": after filtering for sequences shorter than maxlen=", *o.maxlen,
                ", no sequence was kept. Increase maxlen.");
  }
  const std::size_t n_train = tr.x.size();
  Sequences xs = std::move(tr.x);
  for (auto& s : te.x) xs.push_back(std::move(s));
  cut_vocabulary(xs, o.num_words, o.skip_top, o.oov_char, fn);
  SequenceSplit out;
  out.x_test.assign(std::make_move_iterator(xs.begin() + static_cast<std::ptrdiff_t>(n_train)),
                    std::make_move_iterator(xs.end()));
  xs.resize(n_train);
  out.x_train = std::move(xs);
  out.y_train = labels_of(y_tr, tr.rows, 0, tr.rows.size(), false);
  out.y_test = labels_of(y_te, te.rows, 0, te.rows.size(), false);
  return out;
}

std::map<std::string, std::int64_t> get_word_index(const std::string& path) {
  return read_word_index(find_file(path, std::string(detail::kOrigin) + "imdb_word_index.json"));
}
}  // namespace imdb

namespace reuters {
SequenceSplit load_data(const Options& o) {
  const char* fn = "reuters.load_data";
  const std::string path = find_file(o.path, std::string(detail::kOrigin) + "reuters.npz");
  const auto npz = npy::read_npz(path);
  const npy::Array& y = detail::member(npz, "y", path);
  Sequences x = npy::int_lists(detail::member(npz, "x", path));
  check_labels(y, x.size(), path);
  auto rng = random_state(o.seed, fn);
  Labelled d = shuffle(std::move(x), rng);
  if (o.start_char || o.index_from) shift(d, o.start_char, o.index_from, fn);
  const bool filtered = o.maxlen && *o.maxlen;
  if (filtered) remove_long(d, *o.maxlen);
  cut_vocabulary(d.x, o.num_words, o.skip_top, o.oov_char, fn);
  const std::size_t n = d.x.size();
  // xs[:idx] with idx = int(len(xs) * (1 - test_split)), as Python slices it
  // (Keras does not check test_split here: a negative idx counts from the end).
  const double cut_d = static_cast<double>(n) * (1 - o.test_split);
  KERAS_CHECK(std::isfinite(cut_d) && std::abs(cut_d) < 9e18, ValueError, fn,
              ": invalid test_split=", o.test_split);
  std::int64_t idx = static_cast<std::int64_t>(cut_d);  // truncates toward zero, as int()
  if (idx < 0) idx = std::max<std::int64_t>(0, idx + static_cast<std::int64_t>(n));
  const std::size_t cut = std::min(n, static_cast<std::size_t>(idx));
  SequenceSplit out;
  out.x_test.assign(std::make_move_iterator(d.x.begin() + static_cast<std::ptrdiff_t>(cut)),
                    std::make_move_iterator(d.x.end()));
  d.x.resize(cut);
  out.x_train = std::move(d.x);
  out.y_train = labels_of(y, d.rows, 0, cut, filtered);
  out.y_test = labels_of(y, d.rows, cut, n, filtered);
  return out;
}

std::map<std::string, std::int64_t> get_word_index(const std::string& path) {
  return read_word_index(
      find_file(path, std::string(detail::kOrigin) + "reuters_word_index.json"));
}

std::vector<std::string> get_label_names() {
  return {"cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
          "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
          "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum",
          "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi",
          "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
          "dlr", "gas", "silver", "wpi", "hog", "lead"};
}
}  // namespace reuters

}  // namespace keras::datasets
