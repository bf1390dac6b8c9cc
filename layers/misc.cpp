// Identity, Permute, RepeatVector, GaussianNoise, GaussianDropout and
// GroupNormalization.
#include "keras/layers/misc.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {

namespace {
nlohmann::json seed_json(const std::optional<std::int64_t>& s) { return s ? nlohmann::json(*s) : nlohmann::json(); }
nlohmann::json init_json(const initializers::InitializerArg& a) {
  return {{"module", "keras.initializers"}, {"class_name", a.ptr->class_name()}, {"config", a.ptr->get_config()},
          {"registered_name", nullptr}};
}
}  // namespace

Identity::Identity(std::string name) : Layer(name.empty() ? unique_name("identity") : std::move(name)) {
  supports_masking_ = true;
}

Tensor Identity::call(const Tensor& x, bool) { return x; }

Permute::Permute(std::vector<int> dims, std::string name)
    : Layer(name.empty() ? unique_name("permute") : std::move(name)), dims_(std::move(dims)) {
  std::vector<int> sorted = dims_;
  std::sort(sorted.begin(), sorted.end());
  bool ok = !sorted.empty();
  for (std::size_t i = 0; i < sorted.size(); ++i) ok = ok && sorted[i] == static_cast<int>(i) + 1;
  std::string got;
  for (int d : dims_) got += (got.empty() ? "" : ", ") + std::to_string(d);
  KERAS_CHECK(ok, ValueError, "Permute: invalid permutation argument `dims`: expected a permutation of 1..",
              dims_.size(), " (the batch axis is not included). Received: dims=(", got, ")");
}

Tensor Permute::call(const Tensor& x, bool) {
  check_input(x.ndim() == static_cast<int>(dims_.size()) + 1, "rank " + std::to_string(dims_.size() + 1), x.shape());
  std::vector<int> perm{0};
  perm.insert(perm.end(), dims_.begin(), dims_.end());
  return ops::transpose(x, perm);
}

Shape Permute::compute_output_shape(const Shape& s) const {
  if (s.size() != dims_.size() + 1) return s;
  Shape o{s[0]};
  for (int d : dims_) o.push_back(s[static_cast<std::size_t>(d)]);
  return o;
}

nlohmann::json Permute::get_config() const {
  auto c = Layer::get_config();
  c["dims"] = dims_;
  return c;
}

RepeatVector::RepeatVector(int n, std::string name)
    : Layer(name.empty() ? unique_name("repeat_vector") : std::move(name)), n_(n) {
  KERAS_CHECK(n > 0, ValueError, "RepeatVector: n must be a positive integer. Received: n=", n);
}

Tensor RepeatVector::call(const Tensor& x, bool) {
  check_input(x.ndim() == 2, "rank 2 (batch, features)", x.shape());
  return ops::broadcast_to(ops::expand_dims(x, 1), {x.shape(0), n_, x.shape(1)});
}

Shape RepeatVector::compute_output_shape(const Shape& s) const {
  if (s.size() != 2) return s;
  return {s[0], n_, s[1]};
}

nlohmann::json RepeatVector::get_config() const {
  auto c = Layer::get_config();
  c["n"] = n_;
  return c;
}

GaussianNoise::GaussianNoise(double stddev, std::optional<std::int64_t> seed, std::string name)
    : Layer(name.empty() ? unique_name("gaussian_noise") : std::move(name)), stddev_(stddev), seed_(seed) {
  KERAS_CHECK(stddev >= 0 && std::isfinite(stddev), ValueError,
              "GaussianNoise: stddev must be a non-negative number. Received: stddev=", stddev);
  supports_masking_ = true;
}

Tensor GaussianNoise::call(const Tensor& x, bool training) {
  if (!training || stddev_ == 0) return x;
  return ops::add(x, ops::random_normal(x.shape(), 0.0, stddev_));
}

nlohmann::json GaussianNoise::get_config() const {
  auto c = Layer::get_config();
  c["stddev"] = stddev_;
  c["seed"] = seed_json(seed_);
  return c;
}

GaussianDropout::GaussianDropout(double rate, std::optional<std::int64_t> seed, std::string name)
    : Layer(name.empty() ? unique_name("gaussian_dropout") : std::move(name)), rate_(rate), seed_(seed) {
  KERAS_CHECK(rate >= 0 && rate < 1, ValueError,
              "GaussianDropout: the rate must be a float in the range [0, 1). Received: rate=", rate);
  supports_masking_ = true;
}

Tensor GaussianDropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0) return x;
  return ops::multiply(x, ops::random_normal(x.shape(), 1.0, std::sqrt(rate_ / (1.0 - rate_))));
}

nlohmann::json GaussianDropout::get_config() const {
  auto c = Layer::get_config();
  c["rate"] = rate_;
  c["seed"] = seed_json(seed_);
  return c;
}

GroupNormalization::GroupNormalization(GroupNormalizationOptions o)
    : Layer(o.name.empty() ? unique_name("group_normalization") : o.name), o_(std::move(o)) {
  KERAS_CHECK(o_.groups > 0 || o_.groups == -1, ValueError,
              "GroupNormalization: groups must be a positive integer or -1. Received: groups=", o_.groups);
  KERAS_CHECK(o_.epsilon > 0, ValueError, "GroupNormalization: epsilon must be positive. Received: epsilon=",
              o_.epsilon);
  supports_masking_ = true;
}

void GroupNormalization::build(const Shape& s) {
  int r = static_cast<int>(s.size());
  axis_ = o_.axis < 0 ? o_.axis + r : o_.axis;
  KERAS_CHECK(r >= 2 && axis_ >= 1 && axis_ < r, ValueError, "Layer \"", name_, "\" (GroupNormalization): axis ",
              o_.axis, " is out of range for input shape ", shape_str(s));
  std::int64_t c = s[static_cast<std::size_t>(axis_)];
  KERAS_CHECK(c > 0, ValueError, "Layer \"", name_, "\" (GroupNormalization): axis ", o_.axis,
              " of the input should have a defined dimension, but the layer received an input with shape ",
              shape_str(s));
  if (o_.groups == -1) o_.groups = static_cast<int>(c);
  KERAS_CHECK(c >= o_.groups, ValueError, "Layer \"", name_, "\" (GroupNormalization): the number of groups (",
              o_.groups, ") cannot be more than the number of channels (", c, "); input shape ", shape_str(s));
  KERAS_CHECK(c % o_.groups == 0, ValueError, "Layer \"", name_, "\" (GroupNormalization): the number of groups (",
              o_.groups, ") must be a divisor of the number of channels (", c, "); input shape ", shape_str(s));
  if (o_.scale) gamma_ = add_weight("gamma", {c}, o_.gamma_initializer);
  if (o_.center) beta_ = add_weight("beta", {c}, o_.beta_initializer);
}

Tensor GroupNormalization::call(const Tensor& x, bool) {
  const Shape& b = build_input_shape();
  check_input(x.ndim() == static_cast<int>(b.size()) && x.shape(axis_) == b[static_cast<std::size_t>(axis_)],
              "shape " + shape_str(b), x.shape());
  std::int64_t c = x.shape(axis_), g = o_.groups;
  // Move the channel axis last, split it into (groups, c / groups), and
  // normalize over every non-batch axis but the group axis.
  int r = x.ndim();
  std::vector<int> perm;
  for (int i = 0; i < r; ++i) if (i != axis_) perm.push_back(i);
  perm.push_back(axis_);
  Tensor t = axis_ == r - 1 ? x : ops::transpose(x, perm);
  Shape ts = t.shape();
  Shape gs = ts;
  gs.back() = c / g;
  gs.insert(gs.end() - 1, g);
  Tensor xg = ops::reshape(t, gs);
  std::vector<int> axes;
  for (int i = 1; i < r + 1; ++i) if (i != r - 1) axes.push_back(i);
  Tensor mean = ops::mean(xg, axes, true);
  Tensor centered = ops::subtract(xg, mean);
  Tensor var = ops::mean(ops::square(centered), axes, true);
  Tensor y = ops::reshape(ops::multiply(centered, ops::rsqrt(ops::add(var, ops::full({}, o_.epsilon)))), ts);
  if (o_.scale) y = ops::multiply(y, gamma_.value());
  if (o_.center) y = ops::add(y, beta_.value());
  if (axis_ == r - 1) return y;
  std::vector<int> inv(static_cast<std::size_t>(r));
  for (int i = 0; i < r; ++i) inv[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)])] = i;
  return ops::transpose(y, inv);
}

nlohmann::json GroupNormalization::get_config() const {
  auto c = Layer::get_config();
  c["groups"] = o_.groups;
  c["axis"] = o_.axis;
  c["epsilon"] = o_.epsilon;
  c["center"] = o_.center;
  c["scale"] = o_.scale;
  c["beta_initializer"] = init_json(o_.beta_initializer);
  c["gamma_initializer"] = init_json(o_.gamma_initializer);
  for (const char* k : {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"})
    c[k] = nullptr;
  return c;
}

}  // namespace keras::layers
