// Discretization (with Keras's approximate quantile summaries for adapt),
// the categorical encoding shared with CategoryEncoding and Hashing, and
// the augmentation layers' random streams.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "keras/data.hpp"
#include "keras/ops.hpp"
#include "layers/preprocessing_util.hpp"

namespace keras::layers {

namespace preprocessing {

Tensor encode_categorical(const Tensor& indices, const std::string& mode, std::int64_t depth,
                          const std::string& layer) {
  KERAS_CHECK(indices.dtype() == int32 || indices.dtype() == int64, ValueError, "Layer \"", layer,
              "\": expected integer token indices, received ", dtype_name(indices.dtype()), " of shape ",
              shape_str(indices.shape()));
  Tensor x = indices.ndim() == 0 ? ops::expand_dims(indices, 0) : indices;
  if (mode == "one_hot") {
    if (x.ndim() > 1 && x.shape(-1) == 1) x = ops::squeeze(x, x.ndim() - 1);
    return ops::one_hot(x, depth);
  }
  const Tensor codes = ops::one_hot(x, depth);
  const int axis = x.ndim() > 1 ? 1 : 0;
  if (mode == "multi_hot") return ops::max(codes, {axis});
  return ops::sum(codes, {axis});
}

Shape encoded_shape(const Shape& s, const std::string& mode, std::int64_t depth) {
  if (s.empty()) return {depth};
  if (mode == "one_hot") {
    Shape o = s;
    if (s.size() > 1 && s.back() == 1) o.pop_back();
    o.push_back(depth);
    return o;
  }
  if (s.size() == 1) return {depth};
  Shape o{s[0]};
  o.insert(o.end(), s.begin() + 2, s.end());
  o.push_back(depth);
  return o;
}

}  // namespace preprocessing

// ------------------------------------------------------------ random streams

std::uint64_t SeedStream::next() {
  if (!seed_) return random::next_seed();
  // splitmix64 of (seed, call number): a fixed sequence of call seeds.
  std::uint64_t z = static_cast<std::uint64_t>(*seed_) * 0x9e3779b97f4a7c15ULL + (++calls_) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::vector<double> uniform_draws(std::uint64_t seed, std::size_t n, double lo, double hi) {
  std::mt19937_64 gen(seed);
  std::vector<double> r(n);
  for (auto& v : r) v = lo + (hi - lo) * (static_cast<double>(gen() >> 11) * 0x1.0p-53);
  return r;
}

// -------------------------------------------------------- Discretization

namespace {

// numpy.interp for increasing xp.
double interp(double x, const std::vector<double>& xp, const std::vector<double>& fp) {
  if (x > xp.back()) return fp.back();
  if (x < xp.front()) return fp.front();
  if (x == xp.back()) return fp.back();
  const std::size_t j = static_cast<std::size_t>(std::upper_bound(xp.begin(), xp.end(), x) - xp.begin()) - 1;
  const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  return slope * (x - xp[j]) + fp[j];
}

// Keras's compress_summary: re-bins (values, weights) at the cumulative
// weight fractions eps, 2 eps, ..., 1.
void compress(std::vector<float>& values, std::vector<float>& weights, double eps) {
  if (static_cast<double>(values.size()) * eps < 1) return;
  const auto n = static_cast<std::size_t>(std::ceil(1.0 / eps));
  std::vector<double> cum(weights.size()), frac(weights.size()), fv(values.begin(), values.end());
  float acc = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) cum[i] = acc += weights[i];
  for (std::size_t i = 0; i < cum.size(); ++i)
    frac[i] = static_cast<double>(static_cast<float>(cum[i]) / static_cast<float>(cum.back()));
  std::vector<float> nv(n), nw(n);
  double prev = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double p = eps + static_cast<double>(i) * eps;
    nv[i] = static_cast<float>(interp(p, frac, fv));
    const double c = interp(p, frac, cum);
    nw[i] = static_cast<float>(c - prev);
    prev = c;
  }
  values = std::move(nv);
  weights = std::move(nw);
}

}  // namespace

Discretization::Discretization(DiscretizationOptions o)
    : Layer(o.name.empty() ? unique_name("discretization") : o.name), o_(std::move(o)) {
  const auto& m = o_.output_mode;
  KERAS_CHECK(m == "int" || m == "one_hot" || m == "multi_hot" || m == "count", ValueError, "Discretization \"",
              name_, "\": output_mode must be \"int\", \"one_hot\", \"multi_hot\" or \"count\"; received \"", m, "\"");
  KERAS_CHECK(!o_.num_bins || *o_.num_bins >= 0, ValueError, "Discretization \"", name_,
              "\": num_bins must be >= 0; received num_bins=", *o_.num_bins);
  KERAS_CHECK(o_.num_bins || o_.bin_boundaries, ValueError, "Discretization \"", name_,
              "\": one of num_bins or bin_boundaries must be set; received neither");
  if (o_.bin_boundaries)
    KERAS_CHECK(std::is_sorted(o_.bin_boundaries->begin(), o_.bin_boundaries->end()), ValueError,
                "Discretization \"", name_, "\": bin_boundaries must be sorted in increasing order");
}

Tensor Discretization::call(const Tensor& x, bool) {
  KERAS_CHECK(o_.bin_boundaries.has_value(), ValueError, "Discretization \"", name_,
              "\": the layer has no bin boundaries yet: call adapt() first (num_bins=", o_.num_bins.value_or(0),
              ") or pass bin_boundaries");
  const auto& b = *o_.bin_boundaries;
  const Tensor f = x.dtype() == float32 ? x : ops::cast(x, float32);
  Tensor idx;
  if (b.empty()) {
    idx = ops::zeros(f.shape(), int32);
  } else {
    const Tensor bounds = Tensor(Shape{static_cast<std::int64_t>(b.size())}, b).to(f.device());
    const Tensor ge = ops::cast(ops::greater_equal(ops::expand_dims(f, -1), bounds), float32);
    idx = ops::cast(ops::sum(ge, {-1}), int32);
  }
  if (o_.output_mode == "int") return idx;
  return preprocessing::encode_categorical(idx, o_.output_mode, static_cast<std::int64_t>(b.size()) + 1, name_);
}

Shape Discretization::compute_output_shape(const Shape& s) const {
  if (o_.output_mode == "int") return s;
  const std::int64_t depth = o_.bin_boundaries ? static_cast<std::int64_t>(o_.bin_boundaries->size()) + 1
                                               : o_.num_bins.value_or(0);
  return preprocessing::encoded_shape(s, o_.output_mode, depth);
}

nlohmann::json Discretization::get_config() const {
  // Keras 3 writes (and its __init__ takes) no "trainable" here.
  nlohmann::json c{{"name", name_}, {"dtype", "float32"}};
  c["bin_boundaries"] = o_.bin_boundaries ? nlohmann::json(*o_.bin_boundaries) : nlohmann::json();
  c["num_bins"] = o_.num_bins ? nlohmann::json(*o_.num_bins) : nlohmann::json();
  c["epsilon"] = o_.epsilon;
  c["output_mode"] = o_.output_mode;
  c["sparse"] = false;
  return c;
}

// Keras's summarize + merge_summaries: every step-th sorted value with
// weight step, merged (by value) with the summary so far, then compressed.
void Discretization::update_summary(const Tensor& batch) {
  std::vector<float> v = batch.astype(float32).to_vector<float>();
  std::sort(v.begin(), v.end());
  const double n = static_cast<double>(v.size()), step = std::max(n / (1.0 / o_.epsilon), 1.0);
  std::vector<float> values, weights;
  const auto stride = static_cast<std::size_t>(step);
  for (auto i = static_cast<std::size_t>(step - 1); i < v.size(); i += stride) {
    values.push_back(v[i]);
    weights.push_back(static_cast<float>(step));
  }
  values.insert(values.end(), summary_values_.begin(), summary_values_.end());
  weights.insert(weights.end(), summary_weights_.begin(), summary_weights_.end());
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  summary_values_.clear();
  summary_weights_.clear();
  for (auto i : order) {
    summary_values_.push_back(values[i]);
    summary_weights_.push_back(weights[i]);
  }
  compress(summary_values_, summary_weights_, o_.epsilon);
}

void Discretization::finalize() {
  std::vector<float> v = summary_values_, w = summary_weights_;
  compress(v, w, 1.0 / *o_.num_bins);
  if (!v.empty()) v.pop_back();
  o_.bin_boundaries = v;
}

void Discretization::adapt(const Tensor& data) {
  KERAS_CHECK(o_.num_bins.has_value(), ValueError, "Discretization \"", name_,
              "\": adapt() needs num_bins (the layer was created with fixed bin_boundaries)");
  summary_values_.clear();
  summary_weights_.clear();
  update_summary(data);
  finalize();
}

void Discretization::adapt(const data::Dataset& data) {
  KERAS_CHECK(o_.num_bins.has_value(), ValueError, "Discretization \"", name_,
              "\": adapt() needs num_bins (the layer was created with fixed bin_boundaries)");
  summary_values_.clear();
  summary_weights_.clear();
  for (const data::Element& e : data) update_summary(e.at(0));
  finalize();
}

}  // namespace keras::layers
