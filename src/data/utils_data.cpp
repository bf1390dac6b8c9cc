// keras.utils data helpers: timeseries_dataset_from_array, split_dataset,
// pad_sequences.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "data/node.hpp"
#include "keras/variable.hpp"

namespace keras::data::detail {
std::int64_t batch_size_of(const Dataset& ds);  // batch.cpp
}

namespace keras::utils {
namespace {

void check_timeseries(const Tensor& data, std::int64_t len, const TimeseriesOptions& o) {
  KERAS_CHECK(data.defined() && data.ndim() >= 1, ValueError,
              "timeseries_dataset_from_array: data must have at least one dimension");
  const std::int64_t n = data.shape()[0];
  KERAS_CHECK(len > 0, ValueError, "timeseries_dataset_from_array: sequence_length must be positive, received ", len);
  KERAS_CHECK(o.start_index >= 0, ValueError,
              "timeseries_dataset_from_array: start_index must be 0 or greater, received ", o.start_index);
  KERAS_CHECK(o.start_index == 0 || o.start_index < n, ValueError, "timeseries_dataset_from_array: start_index must be "
              "lower than the length of the data (", n, "), received ", o.start_index);
  if (o.end_index >= 0) {
    KERAS_CHECK(o.start_index == 0 || o.end_index > o.start_index, ValueError, "timeseries_dataset_from_array: "
                "end_index must be higher than start_index (", o.start_index, "), received ", o.end_index);
    KERAS_CHECK(o.end_index < n, ValueError, "timeseries_dataset_from_array: end_index must be lower than the length "
                "of the data (", n, "), received ", o.end_index);
    KERAS_CHECK(o.end_index > 0, ValueError, "timeseries_dataset_from_array: end_index must be higher than 0");
  }
  KERAS_CHECK(o.sampling_rate > 0 && o.sampling_rate < n, ValueError, "timeseries_dataset_from_array: sampling_rate "
              "must be in [1, ", n, "), received ", o.sampling_rate);
  KERAS_CHECK(o.sequence_stride > 0 && o.sequence_stride < n, ValueError, "timeseries_dataset_from_array: "
              "sequence_stride must be in [1, ", n, "), received ", o.sequence_stride);
  if (o.targets.defined())
    KERAS_CHECK(o.targets.ndim() >= 1, ValueError, "timeseries_dataset_from_array: targets must have a first dimension");
}

}  // namespace

data::Dataset timeseries_dataset_from_array(const Tensor& data, std::int64_t sequence_length, TimeseriesOptions o) {
  check_timeseries(data, sequence_length, o);
  const std::int64_t start = o.start_index, end = o.end_index >= 0 ? o.end_index : data.shape()[0];
  std::int64_t num = end - start - (sequence_length - 1) * o.sampling_rate;
  if (o.targets.defined()) num = std::min(num, o.targets.shape()[0]);
  std::vector<std::int64_t> pos;
  for (std::int64_t p = 0; p < num; p += o.sequence_stride) pos.push_back(p);
  std::uint64_t seed = o.seed ? *o.seed : random::next_seed();
  if (o.shuffle) std::shuffle(pos.begin(), pos.end(), std::mt19937_64(seed));
  if (o.targets.defined() && !pos.empty()) {
    std::int64_t top = start + *std::max_element(pos.begin(), pos.end());
    KERAS_CHECK(top < o.targets.shape()[0], ValueError, "timeseries_dataset_from_array: targets has ",
                o.targets.shape()[0], " rows, but the window at ", top, " needs a target");
  }
  Tensor series = data.slice(start, end);
  Tensor targets = o.targets.defined() ? o.targets.slice(start, o.targets.shape()[0]) : Tensor();
  const std::int64_t len = sequence_length, rate = o.sampling_rate;
  auto window = [series, targets, len, rate](const data::Element& e) {
    const auto p = static_cast<std::int64_t>(e[0].item());
    std::vector<Tensor> rows(static_cast<std::size_t>(len));
    for (std::int64_t k = 0; k < len; ++k) rows[k] = series[p + k * rate];
    data::Element out{data::detail::stack_rows(rows, "timeseries_dataset_from_array", 0)};
    if (targets.defined()) out.push_back(targets[p]);
    return out;
  };
  Tensor positions({static_cast<std::int64_t>(pos.size())}, pos);
  data::Dataset ds = pos.empty() ? data::Dataset::range(0) : data::Dataset::from_tensor_slices(positions);
  ds = ds.map(window);
  if (o.batch_size > 0) {
    if (o.shuffle) ds = ds.shuffle(o.batch_size * 8, seed);
    return ds.batch(o.batch_size);
  }
  return o.shuffle ? ds.shuffle(1024, seed) : ds;
}

namespace {

// A split size as a count: a fraction in (0, 1) of `total` (rounded half to
// even, as Python's round), a whole count >= 1, or -1 (the rest).
std::int64_t split_count(double v, std::int64_t total, const char* side) {
  if (v < 0) return -1;
  bool fraction = v > 0 && v < 1;
  bool count = v >= 1 && std::floor(v) == v && v < static_cast<double>(total);
  KERAS_CHECK(fraction || count, ValueError, "split_dataset: ", side, "_size should be a whole number in [1, ", total,
              ") or a fraction in (0, 1), received ", v);
  return fraction ? static_cast<std::int64_t>(std::nearbyint(v * static_cast<double>(total)))
                  : static_cast<std::int64_t>(v);
}

data::Dataset from_samples(const std::vector<data::Element>& s, std::size_t b, std::size_t e,
                           const std::vector<std::string>& names) {
  std::vector<Tensor> cols;
  for (std::size_t c = 0; c < s[b].size(); ++c) {
    std::vector<Tensor> rows;
    for (std::size_t i = b; i < e; ++i) rows.push_back(s[i][c]);
    cols.push_back(data::detail::stack_rows(rows, "split_dataset", c));
  }
  if (names.size() != cols.size()) return data::Dataset::from_tensor_slices(cols);
  std::map<std::string, Tensor> named;
  for (std::size_t c = 0; c < cols.size(); ++c) named[names[c]] = cols[c];
  return data::Dataset::from_tensor_slices(named);
}

}  // namespace

std::pair<data::Dataset, data::Dataset> split_dataset(const data::Dataset& dataset, double left_size,
                                                      double right_size, bool shuffle,
                                                      std::optional<std::uint64_t> seed) {
  KERAS_CHECK(left_size >= 0 || right_size >= 0, ValueError,
              "split_dataset: at least one of left_size or right_size must be given");
  KERAS_CHECK(!(left_size == 0 && right_size == 0), ValueError, "split_dataset: left_size and right_size are both 0");
  KERAS_CHECK(!(left_size > 0 && left_size < 1 && right_size > 0 && right_size < 1 && left_size + right_size > 1),
              ValueError, "split_dataset: left_size + right_size is greater than 1");
  const std::int64_t batch = data::detail::batch_size_of(dataset);
  data::Dataset flat = batch > 0 ? dataset.unbatch() : dataset;
  std::vector<data::Element> samples = flat.collect();
  if (shuffle) std::shuffle(samples.begin(), samples.end(), std::mt19937_64(seed ? *seed : random::next_seed()));
  const auto total = static_cast<std::int64_t>(samples.size());
  std::int64_t left = split_count(left_size, total, "left"), right = split_count(right_size, total, "right");
  if (left < 0) left = total - right;
  if (right < 0) right = total - left;
  KERAS_CHECK(left + right <= total, ValueError, "split_dataset: left_size + right_size (", left + right,
              ") is more than the ", total, " samples");
  KERAS_CHECK(left > 0 && right > 0, ValueError, "split_dataset: with ", total, " samples, left_size=", left,
              " and right_size=", right, " leave one side empty");
  auto names = dataset.element_names();
  data::Dataset l = from_samples(samples, 0, static_cast<std::size_t>(left), names);
  data::Dataset r = from_samples(samples, static_cast<std::size_t>(total - right), samples.size(), names);
  if (batch > 0) return {l.batch(batch), r.batch(batch)};
  return {l, r};
}

Tensor pad_sequences(const std::vector<std::vector<double>>& sequences, std::int64_t maxlen, DType dtype,
                     const std::string& padding, const std::string& truncating, double value) {
  KERAS_CHECK(padding == "pre" || padding == "post", ValueError, "pad_sequences: padding must be \"pre\" or \"post\", "
              "received \"", padding, "\"");
  KERAS_CHECK(truncating == "pre" || truncating == "post", ValueError, "pad_sequences: truncating must be \"pre\" or "
              "\"post\", received \"", truncating, "\"");
  KERAS_CHECK(maxlen == -1 || maxlen > 0, ValueError, "pad_sequences: maxlen must be positive or -1, received ", maxlen);
  if (maxlen < 0) {
    maxlen = 0;
    for (auto& s : sequences) maxlen = std::max<std::int64_t>(maxlen, static_cast<std::int64_t>(s.size()));
  }
  const auto n = static_cast<std::int64_t>(sequences.size());
  std::vector<double> out(static_cast<std::size_t>(n * maxlen), value);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto& s = sequences[i];
    const auto len = std::min<std::int64_t>(maxlen, static_cast<std::int64_t>(s.size()));
    const std::int64_t from = truncating == "pre" ? static_cast<std::int64_t>(s.size()) - len : 0;
    const std::int64_t to = padding == "post" ? 0 : maxlen - len;
    for (std::int64_t k = 0; k < len; ++k) out[i * maxlen + to + k] = s[from + k];
  }
  std::vector<float> f(out.begin(), out.end());
  Tensor t({n, maxlen}, f);
  if (dtype == float32) return t;
  // NumPy's cast truncates toward zero; so does ours for the integer kinds.
  std::vector<std::int64_t> iv(out.size());
  for (std::size_t k = 0; k < out.size(); ++k) iv[k] = static_cast<std::int64_t>(out[k]);
  return Tensor({n, maxlen}, iv).astype(dtype);
}

}  // namespace keras::utils
