// shuffle and cache (in memory or in a file).
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <numeric>
#include <algorithm>
#include <random>

#include "data/node.hpp"
#include "keras/variable.hpp"

namespace keras::data {
namespace detail {
namespace {

using NodePtr = std::shared_ptr<const Node>;

class ShuffleNode final : public Node {
 public:
  ShuffleNode(NodePtr in, std::int64_t buffer, std::uint64_t seed, bool reshuffle)
      : in_(std::move(in)), buffer_(buffer), seed_(seed), reshuffle_(reshuffle) {}
  std::int64_t cardinality() const override { return in_->cardinality(); }
  // A buffer that holds every slice samples a uniform permutation: draw it
  // whole and gather the rows of each batch.
  std::unique_ptr<Iterator> iterate_batched(std::int64_t b, bool drop) const override {
    const std::vector<Tensor>* src = in_->slice_source();
    if (!src || buffer_ < in_->cardinality()) return nullptr;
    std::vector<std::int64_t> rows(static_cast<std::size_t>(in_->cardinality()));
    std::iota(rows.begin(), rows.end(), std::int64_t(0));
    std::mt19937_64 rng(mix_seed(seed_, reshuffle_ ? passes_.fetch_add(1) : 0));
    std::shuffle(rows.begin(), rows.end(), rng);
    return row_batches(*src, std::move(rows), b, drop);
  }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      std::unique_ptr<Iterator> in;
      std::vector<Element> buf;
      std::mt19937_64 rng;
      std::int64_t cap;
      bool in_done = false;
      std::optional<Element> next() override {
        while (!in_done && static_cast<std::int64_t>(buf.size()) < cap) {
          auto e = in->next();
          if (!e) {
            in_done = true;
            break;
          }
          buf.push_back(std::move(*e));
        }
        if (buf.empty()) return std::nullopt;
        std::size_t j = std::uniform_int_distribution<std::size_t>(0, buf.size() - 1)(rng);
        Element out = std::move(buf[j]);
        if (j + 1 != buf.size()) buf[j] = std::move(buf.back());
        buf.pop_back();
        return out;
      }
    };
    auto it = std::make_unique<It>();
    std::uint64_t pass = reshuffle_ ? passes_.fetch_add(1) : 0;
    it->rng.seed(mix_seed(seed_, pass));
    it->cap = buffer_;
    it->in = in_->iterate();
    return it;
  }

 private:
  NodePtr in_;
  std::int64_t buffer_;
  std::uint64_t seed_;
  bool reshuffle_;
  mutable std::atomic<std::uint64_t> passes_{0};
};

// --- the cache file: "KDCACHE1", then per element: u32 components, and per
// component: u8 dtype, u32 rank, i64 dims, raw bytes; then u32 0xFFFFFFFF.
constexpr char kMagic[8] = {'K', 'D', 'C', 'A', 'C', 'H', 'E', '1'};
constexpr std::uint32_t kEnd = 0xFFFFFFFFu;

template <class T>
void put(std::ofstream& f, T v) {
  f.write(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
T get(std::ifstream& f, const std::string& path) {
  T v{};
  f.read(reinterpret_cast<char*>(&v), sizeof v);
  KERAS_CHECK(f.good(), IOError, "Dataset.cache: the cache file \"", path, "\" is truncated");
  return v;
}

void write_element(std::ofstream& f, const Element& e) {
  put<std::uint32_t>(f, static_cast<std::uint32_t>(e.size()));
  for (auto& t0 : e) {
    Tensor t = t0.cpu();
    put<std::uint8_t>(f, static_cast<std::uint8_t>(t.dtype()));
    put<std::uint32_t>(f, static_cast<std::uint32_t>(t.ndim()));
    for (auto d : t.shape()) put<std::int64_t>(f, d);
    f.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  }
}

std::optional<Element> read_element(std::ifstream& f, const std::string& path) {
  auto n = get<std::uint32_t>(f, path);
  if (n == kEnd) return std::nullopt;
  KERAS_CHECK(n < 4096, IOError, "Dataset.cache: the cache file \"", path, "\" is corrupt (", n, " components)");
  Element e;
  for (std::uint32_t c = 0; c < n; ++c) {
    auto dt = get<std::uint8_t>(f, path);
    KERAS_CHECK(dt <= static_cast<std::uint8_t>(DType::bool_), IOError, "Dataset.cache: the cache file \"", path,
                "\" is corrupt (dtype code ", int(dt), ")");
    auto rank = get<std::uint32_t>(f, path);
    KERAS_CHECK(rank <= 32, IOError, "Dataset.cache: the cache file \"", path, "\" is corrupt (rank ", rank, ")");
    Shape s(rank);
    for (auto& d : s) {
      d = get<std::int64_t>(f, path);
      KERAS_CHECK(d >= 0 && d < (std::int64_t(1) << 40), IOError, "Dataset.cache: the cache file \"", path,
                  "\" is corrupt (dimension ", d, ")");
    }
    Tensor t = Tensor::empty(s, static_cast<DType>(dt));
    f.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
    KERAS_CHECK(f.good() || t.nbytes() == 0, IOError, "Dataset.cache: the cache file \"", path, "\" is truncated");
    e.push_back(std::move(t));
  }
  return e;
}

bool complete_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char m[8];
  return f.read(m, 8) && std::memcmp(m, kMagic, 8) == 0;
}

class CacheNode final : public Node {
 public:
  CacheNode(NodePtr in, std::string file) : in_(std::move(in)), file_(std::move(file)) {}
  std::int64_t cardinality() const override { return in_->cardinality(); }
  std::unique_ptr<Iterator> iterate() const override;

 private:
  struct State {
    std::mutex mu;
    bool complete = false;
    std::shared_ptr<const std::vector<Element>> data;
  };
  NodePtr in_;
  std::string file_;
  std::shared_ptr<State> st_ = std::make_shared<State>();
};

// Reads the cached elements (memory or file).
struct CacheReader final : Iterator {
  std::shared_ptr<const std::vector<Element>> data;
  std::size_t i = 0;
  std::ifstream f;
  std::string path;
  std::optional<Element> next() override {
    if (data) return i < data->size() ? std::optional<Element>((*data)[i++]) : std::nullopt;
    return read_element(f, path);
  }
};

// Passes the input through, recording it; commits at the end of the input.
struct CacheWriter final : Iterator {
  std::unique_ptr<Iterator> in;
  std::function<void(std::vector<Element>&&)> commit;
  std::vector<Element> seen;
  std::ofstream f;
  std::string tmp, path;
  bool done = false;
  ~CacheWriter() override {
    if (!done && f.is_open()) {
      f.close();
      std::remove(tmp.c_str());
    }
  }
  std::optional<Element> next() override {
    if (done) return std::nullopt;
    auto e = in->next();
    if (!e) {
      done = true;
      if (f.is_open()) {
        put<std::uint32_t>(f, kEnd);
        f.close();
        KERAS_CHECK(!f.fail() && std::rename(tmp.c_str(), path.c_str()) == 0, IOError,
                    "Dataset.cache: could not write the cache file \"", path, "\"");
      } else {
        commit(std::move(seen));
      }
      return e;
    }
    if (f.is_open()) write_element(f, *e);
    else seen.push_back(*e);
    return e;
  }
};

std::unique_ptr<Iterator> CacheNode::iterate() const {
  if (!file_.empty()) {
    if (complete_file(file_)) {
      auto r = std::make_unique<CacheReader>();
      r->path = file_;
      r->f.open(file_, std::ios::binary);
      r->f.seekg(8);
      return r;
    }
    auto w = std::make_unique<CacheWriter>();
    w->path = file_;
    w->tmp = file_ + ".tmp";
    w->f.open(w->tmp, std::ios::binary | std::ios::trunc);
    KERAS_CHECK(w->f.is_open(), IOError, "Dataset.cache: cannot create the cache file \"", w->tmp, "\"");
    w->f.write(kMagic, 8);
    w->in = in_->iterate();
    return w;
  }
  {
    std::lock_guard<std::mutex> lock(st_->mu);
    if (st_->complete) {
      auto r = std::make_unique<CacheReader>();
      r->data = st_->data;
      return r;
    }
  }
  auto w = std::make_unique<CacheWriter>();
  w->in = in_->iterate();
  std::weak_ptr<State> st = st_;
  w->commit = [st](std::vector<Element>&& v) {
    if (auto s = st.lock()) {
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->complete) return;
      s->data = std::make_shared<const std::vector<Element>>(std::move(v));
      s->complete = true;
    }
  };
  return w;
}

}  // namespace
}  // namespace detail

using detail::make;

Dataset Dataset::shuffle(std::int64_t buffer_size, std::optional<std::uint64_t> seed,
                         bool reshuffle_each_iteration) const {
  checked();
  KERAS_CHECK(buffer_size > 0, ValueError, "Dataset.shuffle: buffer_size must be positive, received ", buffer_size);
  std::uint64_t s = seed ? *seed : random::next_seed();
  return make<detail::ShuffleNode>(names_, node_, buffer_size, s, reshuffle_each_iteration);
}

Dataset Dataset::cache(const std::string& filename) const {
  checked();
  return make<detail::CacheNode>(names_, node_, filename);
}

}  // namespace keras::data
