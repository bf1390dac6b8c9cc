// Keras 3's IoU metrics (keras/metrics_iou.hpp): a confusion matrix kept on
// the device, updated with one matmul of one-hot rows per batch.
#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/metrics_iou.hpp"
#include "keras/ops.hpp"

namespace keras::metrics {

namespace {
using json = nlohmann::json;

bool int_dtype(const std::string& d) { return d.rfind("int", 0) == 0 || d.rfind("uint", 0) == 0; }

// Keras's "int" dtype: values cast to integers truncate toward zero.
Tensor as_dtype(const Tensor& x, const std::string& dtype) {
  Tensor f = ops::cast(x, float32);
  if (!int_dtype(dtype)) return f;
  return ops::multiply(ops::sign(f), ops::floor(ops::abs(f)));
}

IoUOptions with_defaults(IoUOptions o, bool all_classes, bool sparse_true, std::optional<bool> sparse_pred) {
  if (all_classes) {
    o.target_class_ids.clear();
    for (int i = 0; i < o.num_classes; ++i) o.target_class_ids.push_back(i);
  }
  if (!sparse_true) o.sparse_y_true = false;
  if (!o.sparse_y_pred) o.sparse_y_pred = sparse_pred.value_or(true);
  return o;
}
}  // namespace

IoU::IoU(IoUOptions o) : IoU(std::move(o), "IoU", "io_u") {}

IoU::IoU(IoUOptions o, std::string class_name, std::string default_name)
    : Metric(o.name.empty() ? default_name : o.name), o_(std::move(o)), class_name_(std::move(class_name)) {
  if (!o_.sparse_y_pred) o_.sparse_y_pred = true;
  KERAS_CHECK(o_.num_classes >= 1, ValueError, class_name_, ": num_classes must be at least 1, received ",
              o_.num_classes);
  KERAS_CHECK(!o_.target_class_ids.empty(), ValueError, class_name_, ": target_class_ids must not be empty");
  for (int id : o_.target_class_ids)
    KERAS_CHECK(id >= 0 && id < o_.num_classes, ValueError, class_name_, ": target class id ", id,
                " is out of range, which is [0, ", o_.num_classes, ")");
  reset_state();
}

void IoU::reset_state() { total_ = ops::zeros({o_.num_classes, o_.num_classes}, float32); }

void IoU::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  KERAS_CHECK(y_true.defined() && y_pred.defined(), ValueError, name_, ": y_true and y_pred must be defined");
  Tensor t = o_.sparse_y_true ? y_true : ops::argmax(y_true, o_.axis);
  Tensor p = *o_.sparse_y_pred ? y_pred : ops::argmax(y_pred, o_.axis);
  accumulate(t, p, sample_weight);
}

void IoU::accumulate(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  Tensor t = ops::reshape(as_dtype(y_true, o_.dtype), {-1});
  Tensor p = ops::reshape(as_dtype(y_pred, o_.dtype), {-1});
  KERAS_CHECK(t.size() == p.size(), ValueError, name_, ": y_true has ", t.size(), " labels but y_pred has ", p.size(),
              " (shapes ", shape_str(y_true.shape()), " and ", shape_str(y_pred.shape()), ")");
  const std::int64_t n = t.size();
  Tensor w = ops::ones({n}, float32);
  if (sample_weight.defined()) {
    Tensor sw = as_dtype(sample_weight, o_.dtype);
    if (sw.ndim() > 1) sw = ops::reshape(sw, {-1});
    KERAS_CHECK(sw.size() == 1 || sw.size() == n, ValueError, name_, ": sample_weight of shape ",
                shape_str(sample_weight.shape()), " does not match ", n, " labels");
    w = ops::multiply(w, sw);
  }
  const double c = o_.num_classes;
  Tensor zero = Tensor::scalar(0.0, float32), nc = Tensor::scalar(c, float32);
  Tensor valid = ops::logical_and(ops::logical_and(ops::greater_equal(t, zero), ops::less(t, nc)),
                                  ops::logical_and(ops::greater_equal(p, zero), ops::less(p, nc)));
  if (o_.ignore_class)
    valid = ops::logical_and(valid, ops::not_equal(t, Tensor::scalar(*o_.ignore_class, float32)));
  w = ops::where(valid, w, ops::zeros_like(w));
  t = ops::where(valid, t, ops::zeros_like(t));
  p = ops::where(valid, p, ops::zeros_like(p));
  // cm[i, j] += sum of w over samples with true class i and predicted j.
  Tensor rows = ops::multiply(ops::one_hot(ops::cast(t, int64), o_.num_classes), ops::reshape(w, {n, 1}));
  Tensor cols = ops::one_hot(ops::cast(p, int64), o_.num_classes);
  total_ = ops::add(total_, ops::matmul(ops::transpose(rows, {1, 0}), cols));
}

std::vector<double> IoU::confusion_matrix() const {
  auto v = total_.to_vector<float>();
  return std::vector<double>(v.begin(), v.end());
}

double IoU::result() const {
  const int c = o_.num_classes;
  auto cm = confusion_matrix();
  double sum = 0, valid = 0;
  for (int id : o_.target_class_ids) {
    double tp = cm[id * c + id], row = 0, col = 0;
    for (int j = 0; j < c; ++j) {
      row += cm[id * c + j];  // true class id
      col += cm[j * c + id];  // predicted class id
    }
    // float32, as Keras computes it
    float denom = static_cast<float>(row + col - tp);
    if (denom > 1e-9f) {
      sum += static_cast<float>(tp) / (denom + 1e-7f);
      valid += 1;
    }
  }
  return static_cast<float>(sum) / (static_cast<float>(valid) + 1e-7f);
}

json IoU::get_config() const {
  json j = {{"name", name_}, {"dtype", o_.dtype}};
  auto put_common = [&](bool ids, bool sparse_true) {
    j["num_classes"] = o_.num_classes;
    if (ids) j["target_class_ids"] = o_.target_class_ids;
    j["ignore_class"] = o_.ignore_class ? json(*o_.ignore_class) : json(nullptr);
    if (sparse_true) j["sparse_y_true"] = o_.sparse_y_true;
    j["sparse_y_pred"] = *o_.sparse_y_pred;
    j["axis"] = o_.axis;
  };
  if (class_name_ == "BinaryIoU") {
    j["target_class_ids"] = o_.target_class_ids;
    j["threshold"] = o_.threshold;
  } else {
    put_common(class_name_ == "IoU" || class_name_ == "OneHotIoU", class_name_ == "IoU" || class_name_ == "MeanIoU");
  }
  return j;
}

MeanIoU::MeanIoU(IoUOptions o) : IoU(with_defaults(std::move(o), true, true, std::nullopt), "MeanIoU", "mean_io_u") {}

OneHotIoU::OneHotIoU(IoUOptions o)
    : IoU(with_defaults(std::move(o), false, false, false), "OneHotIoU", "one_hot_io_u") {}

OneHotMeanIoU::OneHotMeanIoU(IoUOptions o)
    : IoU(with_defaults(std::move(o), true, false, false), "OneHotMeanIoU", "one_hot_mean_io_u") {}

namespace {
IoUOptions binary_options(IoUOptions o) {
  o.num_classes = 2;
  if (o.target_class_ids.empty()) o.target_class_ids = {0, 1};
  o.sparse_y_true = true;
  o.sparse_y_pred = true;
  return o;
}
}  // namespace

BinaryIoU::BinaryIoU(IoUOptions o) : IoU(binary_options(std::move(o)), "BinaryIoU", "binary_io_u") {}

void BinaryIoU::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  KERAS_CHECK(y_true.defined() && y_pred.defined(), ValueError, name_, ": y_true and y_pred must be defined");
  Tensor p = ops::cast(ops::greater_equal(ops::cast(y_pred, float32), Tensor::scalar(o_.threshold, float32)), float32);
  accumulate(y_true, p, sample_weight);
}

// Keras's saved form {"class_name": "MeanIoU", "config": {...}}; null for
// other classes (registry_more.cpp).
std::shared_ptr<Metric> iou_from_config(const std::string& cls, const json& c) {
  if (cls != "IoU" && cls != "MeanIoU" && cls != "BinaryIoU" && cls != "OneHotIoU" && cls != "OneHotMeanIoU")
    return nullptr;
  IoUOptions o;
  o.name = c.value("name", std::string());
  if (c.contains("dtype") && c["dtype"].is_string()) o.dtype = c["dtype"].get<std::string>();
  o.num_classes = c.value("num_classes", 2);
  if (c.contains("target_class_ids") && c["target_class_ids"].is_array())
    o.target_class_ids = c["target_class_ids"].get<std::vector<int>>();
  if (c.contains("ignore_class") && c["ignore_class"].is_number_integer()) o.ignore_class = c["ignore_class"].get<int>();
  o.sparse_y_true = c.value("sparse_y_true", cls == "IoU" || cls == "MeanIoU");
  if (c.contains("sparse_y_pred") && c["sparse_y_pred"].is_boolean()) o.sparse_y_pred = c["sparse_y_pred"].get<bool>();
  o.axis = c.value("axis", -1);
  o.threshold = c.value("threshold", 0.5);
  if (cls == "IoU") return std::make_shared<IoU>(o);
  if (cls == "MeanIoU") return std::make_shared<MeanIoU>(o);
  if (cls == "BinaryIoU") return std::make_shared<BinaryIoU>(o);
  if (cls == "OneHotIoU") return std::make_shared<OneHotIoU>(o);
  return std::make_shared<OneHotMeanIoU>(o);
}

}  // namespace keras::metrics
