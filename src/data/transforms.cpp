// Element-wise and counting ops: map (sequential), filter, take, skip,
// repeat, concatenate.
#include <algorithm>

#include "data/node.hpp"

namespace keras::data {
namespace detail {

// Declared in parallel.cpp.
Dataset parallel_map(const Dataset& in, Dataset::MapFn f, int threads, bool deterministic,
                     std::vector<std::string> names);

namespace {

using NodePtr = std::shared_ptr<const Node>;

class MapNode final : public Node {
 public:
  MapNode(NodePtr in, Dataset::MapFn f) : in_(std::move(in)), f_(std::move(f)) {}
  std::int64_t cardinality() const override { return in_->cardinality(); }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      std::unique_ptr<Iterator> in;
      const Dataset::MapFn* f;
      std::optional<Element> next() override {
        auto e = in->next();
        if (!e) return e;
        return call_user("map", [&] { return (*f)(*e); });
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->iterate();
    it->f = &f_;
    return it;
  }

 private:
  NodePtr in_;
  Dataset::MapFn f_;
};

class FilterNode final : public Node {
 public:
  FilterNode(NodePtr in, Dataset::PredicateFn f) : in_(std::move(in)), f_(std::move(f)) {}
  std::int64_t cardinality() const override { return UNKNOWN_CARDINALITY; }  // as tf.data, even on infinite input
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      std::unique_ptr<Iterator> in;
      const Dataset::PredicateFn* f;
      std::optional<Element> next() override {
        while (auto e = in->next())
          if (call_user("filter", [&] { return (*f)(*e); })) return e;
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->iterate();
    it->f = &f_;
    return it;
  }

 private:
  NodePtr in_;
  Dataset::PredicateFn f_;
};

// take(count) and skip(count); count -1 means all.
class TakeSkipNode final : public Node {
 public:
  TakeSkipNode(NodePtr in, std::int64_t count, bool take) : in_(std::move(in)), count_(count), take_(take) {}
  std::int64_t cardinality() const override {
    std::int64_t c = in_->cardinality();
    if (take_) {
      if (count_ < 0) return c;
      if (c == INFINITE_CARDINALITY) return count_;
      return c == UNKNOWN_CARDINALITY ? c : std::min(c, count_);
    }
    if (count_ < 0) return 0;
    if (c < 0) return c;
    return std::max<std::int64_t>(0, c - count_);
  }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      std::unique_ptr<Iterator> in;
      std::int64_t left;  // take: elements left to give; skip: to drop first
      bool take;
      std::optional<Element> next() override {
        if (take) {
          if (left == 0) return std::nullopt;
          if (left > 0) --left;
          auto e = in->next();
          if (!e) left = 0;
          return e;
        }
        for (; left != 0; left > 0 ? --left : left)
          if (!in->next()) {
            left = 0;
            return std::nullopt;
          }
        return in->next();
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->iterate();
    it->left = count_;
    it->take = take_;
    return it;
  }

 private:
  NodePtr in_;
  std::int64_t count_;
  bool take_;
};

class RepeatNode final : public Node {
 public:
  RepeatNode(NodePtr in, std::int64_t count) : in_(std::move(in)), count_(count) {}
  std::int64_t cardinality() const override {
    std::int64_t c = in_->cardinality();
    if (c == 0 || count_ == 0) return 0;
    if (count_ < 0) return c == UNKNOWN_CARDINALITY ? c : INFINITE_CARDINALITY;
    return c < 0 ? c : c * count_;
  }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      const RepeatNode* n;
      std::unique_ptr<Iterator> in;
      std::int64_t pass = 0;
      bool got_any = false;
      std::optional<Element> next() override {
        while (n->count_ < 0 || pass < n->count_) {
          if (!in) in = n->in_->iterate();
          if (auto e = in->next()) {
            got_any = true;
            return e;
          }
          in.reset();
          ++pass;
          if (!got_any) break;  // an empty input repeats to nothing
        }
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->n = this;
    return it;
  }

 private:
  NodePtr in_;
  std::int64_t count_;
};

class ConcatNode final : public Node {
 public:
  ConcatNode(NodePtr a, NodePtr b) : a_(std::move(a)), b_(std::move(b)) {}
  std::int64_t cardinality() const override {
    std::int64_t x = a_->cardinality(), y = b_->cardinality();
    if (x == INFINITE_CARDINALITY || y == INFINITE_CARDINALITY) return INFINITE_CARDINALITY;
    if (x < 0 || y < 0) return UNKNOWN_CARDINALITY;
    return x + y;
  }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      const ConcatNode* n;
      std::unique_ptr<Iterator> cur;
      bool second = false;
      std::optional<Element> next() override {
        for (;;) {
          if (auto e = cur->next()) return e;
          if (second) return std::nullopt;
          second = true;
          cur = n->b_->iterate();
        }
      }
    };
    auto it = std::make_unique<It>();
    it->n = this;
    it->cur = a_->iterate();
    return it;
  }

 private:
  NodePtr a_, b_;
};

}  // namespace
}  // namespace detail

using detail::make;

Dataset Dataset::map(MapFn f, int num_parallel_calls, bool deterministic) const {
  checked();
  KERAS_CHECK(f, ValueError, "Dataset.map: the function is empty");
  KERAS_CHECK(num_parallel_calls >= 0 || num_parallel_calls == AUTOTUNE, ValueError,
              "Dataset.map: num_parallel_calls must be >= 0 or AUTOTUNE, received ", num_parallel_calls);
  if (num_parallel_calls != 0) return detail::parallel_map(*this, std::move(f), num_parallel_calls, deterministic, names_);
  return make<detail::MapNode>(names_, node_, std::move(f));
}

Dataset Dataset::filter(PredicateFn pred) const {
  checked();
  KERAS_CHECK(pred, ValueError, "Dataset.filter: the predicate is empty");
  return make<detail::FilterNode>(names_, node_, std::move(pred));
}

Dataset Dataset::take(std::int64_t count) const {
  checked();
  KERAS_CHECK(count >= -1, ValueError, "Dataset.take: count must be >= -1, received ", count);
  return make<detail::TakeSkipNode>(names_, node_, count, true);
}

Dataset Dataset::skip(std::int64_t count) const {
  checked();
  KERAS_CHECK(count >= -1, ValueError, "Dataset.skip: count must be >= -1, received ", count);
  return make<detail::TakeSkipNode>(names_, node_, count, false);
}

Dataset Dataset::repeat(std::int64_t count) const {
  checked();
  KERAS_CHECK(count >= -1, ValueError, "Dataset.repeat: count must be >= -1, received ", count);
  return make<detail::RepeatNode>(names_, node_, count);
}

Dataset Dataset::concatenate(const Dataset& other) const {
  checked();
  other.checked();
  KERAS_CHECK(names_ == other.names_, ValueError,
              "Dataset.concatenate: both datasets need the same element names (or none)");
  return make<detail::ConcatNode>(names_, node_, other.node_);
}

}  // namespace keras::data
