// Batches from a Dataset for fit/evaluate/predict: splitting an element into
// (x, y, sample_weight) and Keras's rules for steps per epoch.
#include "data/feed.hpp"

#include <algorithm>
#include <cstdio>

#include "keras/errors.hpp"

namespace keras::data::detail {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += (s.empty() ? "\"" : ", \"") + x + "\"";
  return s;
}

// By name; returns false when no component is named after the model's inputs.
bool split_named(const Model& m, const Element& e, const std::vector<std::string>& names, bool need_y,
                 const char* fn, Batch& b) {
  auto in = m.input_names(), out = m.output_names();
  b.x.assign(in.size(), Tensor());
  b.y.assign(out.size(), Tensor());
  bool any = false;
  std::vector<std::string> unknown;
  for (std::size_t c = 0; c < e.size(); ++c) {
    auto i = std::find(in.begin(), in.end(), names[c]);
    auto o = std::find(out.begin(), out.end(), names[c]);
    if (i != in.end()) b.x[i - in.begin()] = e[c], any = true;
    else if (o != out.end()) b.y[o - out.begin()] = e[c];
    else if (names[c] == "sample_weight") b.sample_weight = e[c];
    else unknown.push_back(names[c]);
  }
  if (!any) return false;
  KERAS_CHECK(unknown.empty(), ValueError, fn, ": the dataset components ", join(unknown), " name no input (",
              join(in), ") or output (", join(out), ") of model \"", m.name(), "\", nor \"sample_weight\"");
  for (std::size_t i = 0; i < in.size(); ++i)
    KERAS_CHECK(b.x[i].defined(), ValueError, fn, ": the dataset has no component for input \"", in[i], "\"");
  if (need_y)
    for (std::size_t i = 0; i < out.size(); ++i)
      KERAS_CHECK(b.y[i].defined(), ValueError, fn, ": the dataset has no component for output \"", out[i], "\"");
  if (!need_y) b.y.clear();
  return true;
}

}  // namespace

Batch split_batch(const Model& m, const Element& e, const std::vector<std::string>& names, bool need_y,
                  const char* fn) {
  Batch b;
  if (names.size() == e.size() && split_named(m, e, names, need_y, fn, b)) return b;
  const std::size_t nin = m.is_functional() ? m.inputs().size() : 1;
  const std::size_t nout = static_cast<std::size_t>(m.num_outputs());
  const std::size_t n = e.size();
  const bool ok = n == nin + nout || n == nin + nout + 1 || (!need_y && n == nin);
  KERAS_CHECK(ok, ValueError, fn, ": model \"", m.name(), "\" has ", nin, " input(s) and ", nout,
              " output(s), so each batch must be (x, y) or (x, y, sample_weight)", need_y ? "" : " or x alone",
              " with x and y of those sizes; received ", n, " components");
  b.x.assign(e.begin(), e.begin() + nin);
  if (need_y && n > nin) {
    b.y.assign(e.begin() + nin, e.begin() + nin + nout);
    if (n > nin + nout) b.sample_weight = e[nin + nout];
  }
  const std::int64_t rows = b.x[0].ndim() ? b.x[0].shape()[0] : -1;
  auto check = [&](const Tensor& t, const char* what) {
    KERAS_CHECK(t.ndim() >= 1 && t.shape()[0] == rows, ValueError, fn, ": every part of a batch needs the same "
                "number of samples, received x of shape ", shape_str(b.x[0].shape()), " and ", what, " of shape ",
                shape_str(t.shape()), " (is the dataset batched?)");
  };
  for (auto& t : b.x) check(t, "x");
  for (auto& t : b.y) check(t, "y");
  if (b.sample_weight.defined()) check(b.sample_weight, "sample_weight");
  return b;
}

Feed::Feed(Dataset ds, std::int64_t steps, const char* fn)
    : ds_(std::move(ds)), steps_(steps > 0 ? steps : -1), card_(ds_.cardinality()), fn_(fn) {
  KERAS_CHECK(!(card_ == INFINITE_CARDINALITY && steps_ < 0), ValueError, fn,
              ": the dataset is infinite; give the number of batches to run (steps_per_epoch for fit, "
              "validation_steps for validation data, steps for evaluate and predict), or do not repeat() it forever");
}

std::int64_t Feed::steps_for_params() const {
  if (steps_ > 0) return card_ >= 0 ? std::min(steps_, card_) : steps_;
  return card_ >= 0 ? card_ : 0;
}

void Feed::begin_epoch() {
  step_ = 0;
  if (steps_ < 0 || !it_) {
    it_ = ds_.make_iterator();
    seen_ = 0;
  }
}

std::optional<Element> Feed::next() {
  if (steps_ > 0 && step_ >= steps_) return std::nullopt;
  auto e = it_ ? it_->next() : std::nullopt;
  if (!e) {
    if (steps_ > 0 && !warned_ && step_ < steps_) {
      std::fprintf(stderr,
                   "keras: %s: your input ran out of data after %lld of %lld steps; interrupting this epoch. "
                   "Make sure the dataset can give steps_per_epoch * epochs batches (repeat() it).\n",
                   fn_, static_cast<long long>(step_), static_cast<long long>(steps_));
      warned_ = true;
    }
    it_.reset();
    return e;
  }
  ++step_;
  ++seen_;
  return e;
}

void Feed::end_epoch() {
  if (steps_ < 0 || (card_ >= 0 && seen_ >= card_)) it_.reset();  // the next epoch starts a new pass
}

std::shared_ptr<Feed> validation_feed(const ValidationData& v, std::int64_t steps) {
  return v.dataset ? std::make_shared<Feed>(*v.dataset, steps, "fit (validation_data)") : nullptr;
}

void for_each_batch(Feed& f, const Model& m, const char* fn, const std::function<void(const Batch&)>& step) {
  f.begin_epoch();
  while (auto e = f.next()) step(split_batch(m, *e, f.dataset().element_names(), true, fn));
  f.end_epoch();
}

}  // namespace keras::data::detail
