// Per-sample metric functions (Keras 3's accuracy_metrics.py and
// regression_metrics.py), the metric classes built on them, and
// metrics::get with compile()'s resolution of "accuracy".
#include <algorithm>
#include <cctype>

#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "keras/registry.hpp"
#include "losses/loss_utils.hpp"

namespace keras::metrics {

namespace ld = losses::detail;

namespace {

// y_true and y_pred brought to one shape as Keras does ((N,) against (N, 1)
// is accepted); anything else is an error naming the metric and both shapes.
std::pair<Tensor, Tensor> aligned(const char* fn, const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = ld::squeeze_or_expand_to_same_rank(y_true, y_pred);
  KERAS_CHECK(t.shape() == p.shape(), ValueError, fn,
              ": y_true and y_pred must have the same shape; received y_true of shape ",
              shape_str(y_true.shape()), " and y_pred of shape ", shape_str(y_pred.shape()));
  return {t, p};
}

Tensor mean_last(const Tensor& x) { return x.ndim() >= 1 ? ops::mean(x, {-1}) : x; }

Tensor matches(const Tensor& a, const Tensor& b) { return ops::cast(ops::equal(a, b), float32); }

Tensor mse_fn(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("mean_squared_error", ld::as_float(y_true), ld::as_float(y_pred));
  return mean_last(ops::square(p - t));
}

Tensor mae_fn(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("mean_absolute_error", ld::as_float(y_true), ld::as_float(y_pred));
  return mean_last(ops::abs(p - t));
}

}  // namespace

Tensor accuracy(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = y_true.dtype() == y_pred.dtype() ? y_true : ops::cast(y_true, y_pred.dtype());
  auto [a, b] = aligned("accuracy", t, y_pred);
  return mean_last(matches(a, b));
}

Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = aligned("binary_accuracy", ld::as_float(y_true), ld::as_float(y_pred));
  // Keras: a prediction counts as 1 when strictly above the threshold 0.5.
  Tensor pred = ops::cast(ops::greater(p, ops::full_like(p, 0.5)), float32);
  return mean_last(matches(t, pred));
}

Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  KERAS_CHECK(y_pred.ndim() >= 1 && y_true.shape() == y_pred.shape(), ValueError,
              "categorical_accuracy: y_true (one-hot) and y_pred must have the same shape; "
              "received y_true of shape ",
              shape_str(y_true.shape()), " and y_pred of shape ", shape_str(y_pred.shape()));
  return matches(ops::argmax(y_true, -1), ops::argmax(y_pred, -1));
}

Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  KERAS_CHECK(y_pred.ndim() >= 1, ValueError,
              "sparse_categorical_accuracy: y_pred must have a class axis, received a scalar");
  Tensor labels = y_true;
  if (labels.ndim() == y_pred.ndim() && labels.shape(-1) == 1) labels = ld::drop_last_dim(labels);
  const Shape expect(y_pred.shape().begin(), y_pred.shape().end() - 1);
  KERAS_CHECK(labels.shape() == expect, ValueError,
              "sparse_categorical_accuracy: expected labels of shape ", shape_str(expect),
              " or with a trailing 1 for y_pred of shape ", shape_str(y_pred.shape()),
              "; received y_true of shape ", shape_str(y_true.shape()));
  Tensor pred = ops::argmax(y_pred, -1);  // int64
  // Compare in the labels' kind: float labels against float class indices.
  if (labels.dtype() == float32)
    pred = ops::cast(pred, float32);
  else if (labels.dtype() != int64)
    labels = ops::cast(labels, int64);
  return matches(labels, pred);
}

Accuracy::Accuracy(std::string name)
    : MeanMetricWrapper("Accuracy", std::move(name), &metrics::accuracy) {}
BinaryAccuracy::BinaryAccuracy(std::string name)
    : MeanMetricWrapper("BinaryAccuracy", std::move(name), &metrics::binary_accuracy) {}
CategoricalAccuracy::CategoricalAccuracy(std::string name)
    : MeanMetricWrapper("CategoricalAccuracy", std::move(name), &metrics::categorical_accuracy) {}
SparseCategoricalAccuracy::SparseCategoricalAccuracy(std::string name)
    : MeanMetricWrapper("SparseCategoricalAccuracy", std::move(name),
                        &metrics::sparse_categorical_accuracy) {}
MeanSquaredError::MeanSquaredError(std::string name)
    : MeanMetricWrapper("MeanSquaredError", std::move(name), &mse_fn) {}
MeanAbsoluteError::MeanAbsoluteError(std::string name)
    : MeanMetricWrapper("MeanAbsoluteError", std::move(name), &mae_fn) {}

namespace {
template <class M>
std::shared_ptr<Metric> make() {
  return std::make_shared<M>();
}

}  // namespace
void add_more_metrics(registry::Registry<MetricFactory>& reg);  // registry_more.cpp
namespace {

// Keras's function names, their short aliases and the class names;
// "accuracy" / "acc" are resolved from the shapes in get().
registry::Registry<MetricFactory>& table() {
  static registry::Registry<MetricFactory>& r = []() -> registry::Registry<MetricFactory>& {
    auto& reg = registry::make<MetricFactory>("metric");
    const std::pair<const char*, MetricFactory> builtins[] = {
        {"binary_accuracy", make<BinaryAccuracy>},
        {"BinaryAccuracy", make<BinaryAccuracy>},
        {"categorical_accuracy", make<CategoricalAccuracy>},
        {"CategoricalAccuracy", make<CategoricalAccuracy>},
        {"sparse_categorical_accuracy", make<SparseCategoricalAccuracy>},
        {"SparseCategoricalAccuracy", make<SparseCategoricalAccuracy>},
        {"mse", make<MeanSquaredError>},
        {"MSE", make<MeanSquaredError>},
        {"mean_squared_error", make<MeanSquaredError>},
        {"MeanSquaredError", make<MeanSquaredError>},
        {"mae", make<MeanAbsoluteError>},
        {"MAE", make<MeanAbsoluteError>},
        {"mean_absolute_error", make<MeanAbsoluteError>},
        {"MeanAbsoluteError", make<MeanAbsoluteError>},
    };
    for (const auto& [name, f] : builtins) reg.add(name, f, /*builtin=*/true);
    add_more_metrics(reg);
    return reg;
  }();
  return r;
}

MetricFactory factory(const std::string& name) {
  const auto dot = name.rfind('.');  // "keras.metrics.mae"
  const std::string key = dot == std::string::npos ? name : name.substr(dot + 1);
  if (auto f = table().find(key)) return *f;
  std::vector<std::string> known = table().names();
  known.insert(known.begin(), {"accuracy", "acc"});
  throw ValueError(registry::unknown_message("metric", name, known));
}
}  // namespace

void register_metric(const std::string& name, MetricFactory factory, bool replace) {
  if (name == "accuracy" || name == "acc") registry::throw_builtin("metric", name);
  table().add_user(name, name, std::move(factory), replace);
}

std::vector<std::string> registered_metrics() { return table().names(); }

std::shared_ptr<Metric> get(const std::string& name, const losses::Loss* loss,
                            const Shape& y_true_shape, const Shape& y_pred_shape) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::shared_ptr<Metric> m;
  if (lower == "accuracy" || lower == "acc") {
    // Keras 3's compile_utils.get_metric: binary when the output has one
    // unit, sparse when the labels have lower rank or a unit last axis
    // against several classes, else categorical. Also binary when the loss
    // is binary crossentropy (multi-label outputs), as tf.keras did.
    const std::int64_t p_last = y_pred_shape.empty() ? 1 : y_pred_shape.back();
    const std::int64_t t_last = y_true_shape.empty() ? 1 : y_true_shape.back();
    const bool is_binary =
        p_last == 1 || dynamic_cast<const losses::BinaryCrossentropy*>(loss) != nullptr;
    const bool is_sparse = y_true_shape.size() < y_pred_shape.size() || (t_last == 1 && p_last > 1);
    if (is_binary)
      m = std::make_shared<BinaryAccuracy>();
    else if (is_sparse)
      m = std::make_shared<SparseCategoricalAccuracy>();
    else
      m = std::make_shared<CategoricalAccuracy>();
  } else {
    m = factory(name)();
  }
  // Keras logs a metric given by name under that name ("accuracy", "mse").
  m->set_name(name);
  return m;
}

}  // namespace keras::metrics
