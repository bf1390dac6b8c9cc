// Dataset sources (tensor slices, generators, range, zip) and the Dataset
// handle itself.
#include <algorithm>
#include <limits>

#include "data/node.hpp"

namespace keras::data {
namespace detail {
namespace {

class SlicesNode final : public Node {
 public:
  explicit SlicesNode(std::vector<Tensor> ts) : ts_(std::move(ts)) {}
  std::int64_t cardinality() const override { return ts_[0].shape()[0]; }
  const std::vector<Tensor>* slice_source() const override { return &ts_; }
  std::unique_ptr<Iterator> iterate_batched(std::int64_t b, bool drop) const override {
    return row_batches(ts_, {}, b, drop);
  }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      const SlicesNode* n;
      std::int64_t i = 0;
      std::optional<Element> next() override {
        if (i >= n->cardinality()) return std::nullopt;
        Element e;
        e.reserve(n->ts_.size());
        for (auto& t : n->ts_) e.push_back(t[i]);
        ++i;
        return e;
      }
    };
    auto it = std::make_unique<It>();
    it->n = this;
    return it;
  }

 private:
  std::vector<Tensor> ts_;
};

class TensorsNode final : public Node {
 public:
  explicit TensorsNode(Element e) : e_(std::move(e)) {}
  std::int64_t cardinality() const override { return 1; }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      Element e;
      bool done = false;
      std::optional<Element> next() override {
        if (done) return std::nullopt;
        done = true;
        return e;
      }
    };
    auto it = std::make_unique<It>();
    it->e = e_;
    return it;
  }

 private:
  Element e_;
};

class GeneratorNode final : public Node {
 public:
  explicit GeneratorNode(std::function<Dataset::GeneratorFn()> f) : make_(std::move(f)) {}
  std::int64_t cardinality() const override { return UNKNOWN_CARDINALITY; }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      Dataset::GeneratorFn gen;
      bool done = false;
      std::optional<Element> next() override {
        if (done) return std::nullopt;
        auto e = call_user("from_generator", [&] { return gen(); });
        if (!e) done = true;
        return e;
      }
    };
    auto it = std::make_unique<It>();
    it->gen = call_user("from_generator", [&] { return make_(); });
    KERAS_CHECK(it->gen, ValueError, "Dataset.from_generator: the generator factory returned an empty function");
    return it;
  }

 private:
  std::function<Dataset::GeneratorFn()> make_;
};

class RangeNode final : public Node {
 public:
  RangeNode(std::int64_t start, std::int64_t stop, std::int64_t step, bool infinite)
      : start_(start), stop_(stop), step_(step), infinite_(infinite) {}
  std::int64_t cardinality() const override {
    if (infinite_) return INFINITE_CARDINALITY;
    if (step_ > 0) return stop_ > start_ ? (stop_ - start_ + step_ - 1) / step_ : 0;
    return start_ > stop_ ? (start_ - stop_ - step_ - 1) / -step_ : 0;
  }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      const RangeNode* n;
      std::int64_t v, left;
      std::optional<Element> next() override {
        if (left == 0) return std::nullopt;
        if (left > 0) --left;
        Element e{Tensor::scalar(0, int64)};
        *e[0].data<std::int64_t>() = v;
        v += n->step_;
        return e;
      }
    };
    auto it = std::make_unique<It>();
    it->n = this;
    it->v = start_;
    it->left = infinite_ ? -1 : cardinality();
    return it;
  }

 private:
  std::int64_t start_, stop_, step_;
  bool infinite_;
};

class ZipNode final : public Node {
 public:
  explicit ZipNode(std::vector<std::shared_ptr<const Node>> in) : in_(std::move(in)) {}
  std::int64_t cardinality() const override {
    std::int64_t c = INFINITE_CARDINALITY;
    for (auto& n : in_) {
      std::int64_t k = n->cardinality();
      if (k == INFINITE_CARDINALITY) continue;
      if (k == UNKNOWN_CARDINALITY) return UNKNOWN_CARDINALITY;
      c = c == INFINITE_CARDINALITY ? k : std::min(c, k);
    }
    return c;
  }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      std::vector<std::unique_ptr<Iterator>> its;
      std::optional<Element> next() override {
        Element out;
        for (auto& it : its) {
          auto e = it->next();
          if (!e) return std::nullopt;
          out.insert(out.end(), e->begin(), e->end());
        }
        return out;
      }
    };
    auto it = std::make_unique<It>();
    for (auto& n : in_) it->its.push_back(n->iterate());
    return it;
  }

 private:
  std::vector<std::shared_ptr<const Node>> in_;
};

void check_slices(const std::vector<Tensor>& ts) {
  KERAS_CHECK(!ts.empty(), ValueError, "Dataset.from_tensor_slices: received no tensors");
  for (std::size_t i = 0; i < ts.size(); ++i) {
    KERAS_CHECK(ts[i].defined(), ValueError, "Dataset.from_tensor_slices: tensor ", i, " is undefined");
    KERAS_CHECK(ts[i].ndim() >= 1, ValueError, "Dataset.from_tensor_slices: tensor ", i,
                " must have at least one dimension to slice, received a scalar");
    KERAS_CHECK(ts[i].shape()[0] == ts[0].shape()[0], ValueError,
                "Dataset.from_tensor_slices: every tensor needs the same first dimension, received ",
                shape_str(ts[0].shape()), " and ", shape_str(ts[i].shape()), " (tensor ", i, ")");
  }
}

}  // namespace

std::uint64_t mix_seed(std::uint64_t base, std::uint64_t pass) {
  std::uint64_t z = base + 0x9E3779B97F4A7C15ull * (pass + 1);  // splitmix64
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace detail

using detail::make;

Dataset Dataset::from_tensor_slices(const Tensor& t) { return from_tensor_slices(std::vector<Tensor>{t}); }

Dataset Dataset::from_tensor_slices(const std::vector<Tensor>& ts) {
  detail::check_slices(ts);
  return make<detail::SlicesNode>({}, ts);
}

Dataset Dataset::from_tensor_slices(const std::map<std::string, Tensor>& named) {
  std::vector<Tensor> ts;
  std::vector<std::string> names;
  for (auto& [k, v] : named) {
    names.push_back(k);
    ts.push_back(v);
  }
  detail::check_slices(ts);
  return make<detail::SlicesNode>(std::move(names), std::move(ts));
}

Dataset Dataset::from_tensors(const Element& e) {
  KERAS_CHECK(!e.empty(), ValueError, "Dataset.from_tensors: received no tensors");
  return make<detail::TensorsNode>({}, e);
}

Dataset Dataset::from_generator(GeneratorFn gen) {
  KERAS_CHECK(gen, ValueError, "Dataset.from_generator: the generator is an empty function");
  return from_generator_factory([gen] { return gen; });
}

Dataset Dataset::from_generator_factory(std::function<GeneratorFn()> make_generator) {
  KERAS_CHECK(make_generator, ValueError, "Dataset.from_generator: the generator factory is an empty function");
  return make<detail::GeneratorNode>({}, std::move(make_generator));
}

Dataset Dataset::range(std::int64_t start, std::int64_t stop, std::int64_t step) {
  KERAS_CHECK(step != 0, ValueError, "Dataset.range: step must not be 0");
  return make<detail::RangeNode>({}, start, stop, step, false);
}

Dataset Dataset::counter(std::int64_t start, std::int64_t step) {
  KERAS_CHECK(step != 0, ValueError, "Dataset.counter: step must not be 0");
  return make<detail::RangeNode>({}, start, 0, step, true);
}

Dataset Dataset::zip(const std::vector<Dataset>& datasets) {
  KERAS_CHECK(!datasets.empty(), ValueError, "Dataset.zip: received no datasets");
  std::vector<std::shared_ptr<const detail::Node>> nodes;
  std::vector<std::string> names;
  bool named = true;
  for (auto& d : datasets) {
    d.checked();
    nodes.push_back(d.node());
    named = named && !d.element_names().empty();
    names.insert(names.end(), d.element_names().begin(), d.element_names().end());
  }
  if (!named) names.clear();
  return make<detail::ZipNode>(std::move(names), std::move(nodes));
}

const detail::Node& Dataset::checked() const {
  KERAS_CHECK(node_ != nullptr, ValueError, "Dataset: this dataset is empty (default-constructed)");
  return *node_;
}

std::int64_t Dataset::cardinality() const { return checked().cardinality(); }

std::unique_ptr<Iterator> Dataset::make_iterator() const { return checked().iterate(); }

std::vector<Element> Dataset::collect() const {
  KERAS_CHECK(cardinality() != INFINITE_CARDINALITY, ValueError,
              "Dataset.collect: the dataset is infinite (a repeat() without a count?)");
  std::vector<Element> out;
  auto it = make_iterator();
  while (auto e = it->next()) out.push_back(std::move(*e));
  return out;
}

Dataset::iterator::iterator(std::unique_ptr<Iterator> it) : it_(std::move(it)) { cur_ = it_->next(); }

Dataset::iterator& Dataset::iterator::operator++() {
  cur_ = it_->next();
  if (!cur_) it_.reset();
  return *this;
}

}  // namespace keras::data
