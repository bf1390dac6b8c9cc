// keras::data::Dataset: the tf.data subset that training scripts use.
//
// A Dataset is an immutable description of a pipeline; iterating it (a
// range-for, or make_iterator()) runs the pipeline. Every iteration starts
// afresh (one per epoch), may stop at any point, and joins its background
// threads (map's thread pool, prefetch) when the iterator is destroyed.
// Elements are tuples of tensors (data::Element); datasets made from named
// tensors keep the names (element_names()).
//
//   auto ds = keras::data::Dataset::from_tensor_slices({x, y})
//                 .map([](const keras::data::Element& e) { return keras::data::Element{e[0] / 255.0, e[1]}; },
//                      keras::data::AUTOTUNE)
//                 .shuffle(1024, 42)
//                 .batch(32)
//                 .prefetch(keras::data::AUTOTUNE);
//   model.fit(ds, {.epochs = 5});
//
// Exceptions thrown by user functions (map, filter, generators) reach the
// caller of next() as the same keras exception kind (std::exception -> keras::RuntimeError)
// with the dataset op named, the original nested (std::rethrow_if_nested).
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::data {

// One element: a tuple of tensors, e.g. (x, y) or (x, y, sample_weight).
using Element = std::vector<Tensor>;

// tf.data.INFINITE_CARDINALITY, tf.data.UNKNOWN_CARDINALITY, tf.data.AUTOTUNE.
inline constexpr std::int64_t INFINITE_CARDINALITY = -1;
inline constexpr std::int64_t UNKNOWN_CARDINALITY = -2;
inline constexpr int AUTOTUNE = -1;

// One pass over a dataset. next() returns std::nullopt at the end.
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual std::optional<Element> next() = 0;
};

namespace detail {
class Node;  // src/data/node.hpp
}

class Dataset {
 public:
  using MapFn = std::function<Element(const Element&)>;
  using PredicateFn = std::function<bool(const Element&)>;
  using GeneratorFn = std::function<std::optional<Element>()>;

  // --- sources ---
  // Slices along axis 0: one element per row. All tensors need the same
  // number of rows (ValueError otherwise).
  static Dataset from_tensor_slices(const Tensor& t);
  static Dataset from_tensor_slices(const std::vector<Tensor>& ts);
  static Dataset from_tensor_slices(std::initializer_list<Tensor> ts) { return from_tensor_slices(std::vector<Tensor>(ts)); }
  static Dataset from_tensor_slices(const std::map<std::string, Tensor>& named);
  // One element holding the tensors whole.
  static Dataset from_tensors(const Element& e);
  // Calls `gen` until it returns std::nullopt. Every iteration (epoch) calls
  // `make_generator` for a fresh generator; the one-function form calls the
  // same function again (a stateful one must restart itself).
  static Dataset from_generator(GeneratorFn gen);
  static Dataset from_generator_factory(std::function<GeneratorFn()> make_generator);
  // int64 scalars start, start + step, ... before stop (stop = -1 with
  // step > 0 and infinite = true: counts forever).
  static Dataset range(std::int64_t start, std::int64_t stop, std::int64_t step = 1);
  static Dataset range(std::int64_t stop) { return range(0, stop, 1); }
  static Dataset counter(std::int64_t start = 0, std::int64_t step = 1);
  // Elements of each dataset side by side (stops at the shortest).
  static Dataset zip(const std::vector<Dataset>& datasets);

  // --- transformations ---
  // num_parallel_calls: 0 runs `f` on the caller's thread; n > 0 (or
  // AUTOTUNE: the machine's cores) on a pool of n threads. The order is
  // kept unless deterministic == false. The element names stay (fit uses
  // them only while they match the number of components).
  Dataset map(MapFn f, int num_parallel_calls = 0, bool deterministic = true) const;
  Dataset filter(PredicateFn pred) const;
  Dataset batch(std::int64_t batch_size, bool drop_remainder = false) const;
  // Pads every component to the largest element of the batch in each
  // dimension, or to padded_shapes (per component; -1: the largest).
  // padding_values: one per component (default 0).
  Dataset padded_batch(std::int64_t batch_size, std::vector<Shape> padded_shapes = {},
                       std::vector<double> padding_values = {}, bool drop_remainder = false) const;
  Dataset unbatch() const;
  // A buffer of buffer_size elements sampled uniformly. No seed: one drawn
  // from keras::random (so utils::set_random_seed makes runs repeatable).
  Dataset shuffle(std::int64_t buffer_size, std::optional<std::uint64_t> seed = std::nullopt,
                  bool reshuffle_each_iteration = true) const;
  Dataset repeat(std::int64_t count = -1) const;
  Dataset take(std::int64_t count) const;
  Dataset skip(std::int64_t count) const;
  Dataset zip(const Dataset& other) const { return zip({*this, other}); }
  Dataset concatenate(const Dataset& other) const;
  // The first complete pass is kept (in memory, or in `filename`) and later
  // passes read it. A pass stopped early keeps nothing.
  Dataset cache(const std::string& filename = "") const;
  // A background thread prepares up to buffer_size elements ahead of the
  // consumer (AUTOTUNE: 2).
  Dataset prefetch(int buffer_size = AUTOTUNE) const;

  // Number of elements, INFINITE_CARDINALITY or UNKNOWN_CARDINALITY.
  std::int64_t cardinality() const;
  // Component names when made from named tensors (else empty).
  const std::vector<std::string>& element_names() const { return names_; }
  // A fresh pass over the data.
  std::unique_ptr<Iterator> make_iterator() const;
  // Every element of one pass (the dataset must be finite).
  std::vector<Element> collect() const;

  // Range-for support: for (const data::Element& e : ds) ...
  class iterator {
   public:
    iterator() = default;
    explicit iterator(std::unique_ptr<Iterator> it);
    const Element& operator*() const { return *cur_; }
    const Element* operator->() const { return &*cur_; }
    iterator& operator++();
    bool operator==(const iterator& o) const { return !cur_ && !o.cur_; }
    bool operator!=(const iterator& o) const { return !(*this == o); }

   private:
    std::shared_ptr<Iterator> it_;
    std::optional<Element> cur_;
  };
  iterator begin() const { return iterator(make_iterator()); }
  iterator end() const { return iterator(); }

  Dataset() = default;
  explicit Dataset(std::shared_ptr<const detail::Node> node, std::vector<std::string> names = {})
      : node_(std::move(node)), names_(std::move(names)) {}
  const std::shared_ptr<const detail::Node>& node() const { return node_; }

 private:
  const detail::Node& checked() const;
  std::shared_ptr<const detail::Node> node_;
  std::vector<std::string> names_;
};

}  // namespace keras::data

namespace keras::utils {

// keras.utils.PyDataset: a sequence of ready batches. size() is the number
// of batches (-1: infinite); get(i) returns batch i as (x, y) or
// (x, y, sample_weight), or x alone for predict. With workers > 1, that many
// threads call get() ahead of the consumer (up to max_queue_size batches).
class PyDataset {
 public:
  explicit PyDataset(int workers = 1, int max_queue_size = 10) : workers(workers), max_queue_size(max_queue_size) {}
  virtual ~PyDataset() = default;
  virtual std::int64_t size() const = 0;
  virtual data::Element get(std::int64_t index) const = 0;
  virtual void on_epoch_begin() {}
  virtual void on_epoch_end() {}
  int workers;
  int max_queue_size;
};

// The batches of a PyDataset as a Dataset (batch order shuffled per pass
// when `shuffle`). The PyDataset must outlive the Dataset.
data::Dataset as_dataset(const PyDataset& seq, bool shuffle = false);

struct TimeseriesOptions {
  Tensor targets = {};            // targets[i] goes with the window starting at i
  std::int64_t sequence_stride = 1;
  std::int64_t sampling_rate = 1;
  std::int64_t batch_size = 128;  // <= 0: unbatched windows
  bool shuffle = false;
  std::optional<std::uint64_t> seed = std::nullopt;
  std::int64_t start_index = 0;
  std::int64_t end_index = -1;  // -1: the end of the data (exclusive)
};
// keras.utils.timeseries_dataset_from_array: sliding windows over axis 0 of
// `data`, as (batch, sequence_length, ...) batches, or (window, target)
// pairs when targets are given. Throws ValueError on bad arguments.
data::Dataset timeseries_dataset_from_array(const Tensor& data, std::int64_t sequence_length,
                                            TimeseriesOptions options = {});

// keras.utils.split_dataset: (left, right) with left_size / right_size as
// fractions (< 1) or counts (>= 1); one may be negative (the rest). The
// dataset must be finite. Shuffles before splitting when `shuffle`.
std::pair<data::Dataset, data::Dataset> split_dataset(const data::Dataset& dataset, double left_size,
                                                      double right_size = -1, bool shuffle = false,
                                                      std::optional<std::uint64_t> seed = std::nullopt);

// keras.utils.pad_sequences: int32 (or `dtype`) of shape (n, maxlen);
// maxlen -1: the longest sequence. padding / truncating: "pre" or "post".
Tensor pad_sequences(const std::vector<std::vector<double>>& sequences, std::int64_t maxlen = -1,
                     DType dtype = int32, const std::string& padding = "pre", const std::string& truncating = "pre",
                     double value = 0.0);

}  // namespace keras::utils
