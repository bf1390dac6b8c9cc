// batch, padded_batch and unbatch.
#include <algorithm>
#include <cstring>

#include "data/node.hpp"
#include "keras/ops.hpp"

namespace keras::data {
namespace detail {

Tensor stack_rows(const std::vector<Tensor>& rows, const char* op, std::size_t component) {
  const Tensor& first = rows[0];
  for (std::size_t i = 1; i < rows.size(); ++i) {
    KERAS_CHECK(rows[i].shape() == first.shape() && rows[i].dtype() == first.dtype(), ValueError, "Dataset.", op,
                ": cannot batch elements of different shapes or dtypes: component ", component, " is ",
                dtype_name(first.dtype()), shape_str(first.shape()), " in the first element and ",
                dtype_name(rows[i].dtype()), shape_str(rows[i].shape()), " in element ", i,
                " (padded_batch pads them)");
  }
  Shape s = first.shape();
  s.insert(s.begin(), static_cast<std::int64_t>(rows.size()));
  bool host = std::all_of(rows.begin(), rows.end(), [](const Tensor& t) { return t.device().is_cpu(); });
  if (!host) {
    std::vector<Tensor> parts;
    for (auto& r : rows) parts.push_back(ops::expand_dims(r, 0));
    return ops::concatenate(parts, 0);
  }
  Tensor out = Tensor::empty(s, first.dtype());
  const std::size_t nb = first.nbytes();
  auto* dst = static_cast<char*>(out.data_ptr());
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (nb) std::memcpy(dst + i * nb, rows[i].data_ptr(), nb);
  return out;
}

namespace {

using NodePtr = std::shared_ptr<const Node>;

// Rows `idx` of t as a new (host) tensor, or by ops::take off the host.
Tensor gather_rows(const Tensor& t, const std::int64_t* idx, std::int64_t n) {
  if (!t.device().is_cpu()) {
    Tensor i({n}, std::vector<std::int64_t>(idx, idx + n));
    return ops::take(t, i.to(t.device()), 0);
  }
  Shape s = t.shape();
  s[0] = n;
  Tensor out = Tensor::empty(s, t.dtype());
  const std::size_t row = t.shape()[0] ? t.nbytes() / static_cast<std::size_t>(t.shape()[0]) : 0;
  const auto* src = static_cast<const char*>(t.data_ptr());
  auto* dst = static_cast<char*>(out.data_ptr());
  for (std::int64_t k = 0; k < n && row; ++k) std::memcpy(dst + k * row, src + idx[k] * row, row);
  return out;
}

struct RowBatches final : Iterator {
  std::vector<Tensor> ts;
  std::vector<std::int64_t> rows;  // empty: in order (views)
  std::int64_t b, n, at = 0;
  bool drop;
  std::optional<Element> next() override {
    std::int64_t e = std::min(n, at + b);
    if (at >= n || (drop && e - at < b)) return std::nullopt;
    Element out;
    out.reserve(ts.size());
    for (auto& t : ts) out.push_back(rows.empty() ? t.slice(at, e) : gather_rows(t, rows.data() + at, e - at));
    at = e;
    return out;
  }
};

std::int64_t batched_cardinality(std::int64_t c, std::int64_t b, bool drop) {
  if (c < 0) return c;
  return drop ? c / b : (c + b - 1) / b;
}

// Copies `src` (host, row-major) into the leading corner of `dst` (same
// rank, every dimension at least as large).
void copy_corner(const Tensor& src, char* dst, const Shape& dshape, std::size_t esize) {
  const Shape& s = src.shape();
  const auto* p = static_cast<const char*>(src.data_ptr());
  if (s.empty()) {
    std::memcpy(dst, p, esize);
    return;
  }
  const int nd = static_cast<int>(s.size());
  const std::size_t row = static_cast<std::size_t>(s[nd - 1]) * esize;
  std::int64_t outer = 1;
  for (int d = 0; d + 1 < nd; ++d) outer *= s[d];
  std::vector<std::int64_t> idx(nd, 0);
  for (std::int64_t r = 0; r < outer; ++r) {
    std::int64_t off = 0;  // offset of row r in dst, in elements
    for (int d = 0; d + 1 < nd; ++d) off = off * dshape[d] + idx[d];
    off *= dshape[nd - 1];
    if (row) std::memcpy(dst + off * esize, p + r * row, row);
    for (int d = nd - 2; d >= 0; --d) {
      if (++idx[d] < s[d]) break;
      idx[d] = 0;
    }
  }
}

class BatchNode final : public Node {
 public:
  BatchNode(NodePtr in, std::int64_t b, bool drop, bool padded, std::vector<Shape> shapes, std::vector<double> values)
      : in_(std::move(in)), b_(b), drop_(drop), padded_(padded), shapes_(std::move(shapes)), values_(std::move(values)) {}
  std::int64_t cardinality() const override { return batched_cardinality(in_->cardinality(), b_, drop_); }
  std::int64_t batch_size() const { return b_; }
  std::unique_ptr<Iterator> iterate() const override {
    if (!padded_)
      if (auto fast = in_->iterate_batched(b_, drop_)) return fast;
    struct It final : Iterator {
      const BatchNode* n;
      std::unique_ptr<Iterator> in;
      std::vector<Element> buf;
      std::optional<Element> next() override {
        buf.clear();
        while (static_cast<std::int64_t>(buf.size()) < n->b_) {
          auto e = in->next();
          if (!e) break;
          KERAS_CHECK(buf.empty() || e->size() == buf[0].size(), ValueError, "Dataset.", n->op(),
                      ": elements have different numbers of components (", buf.empty() ? 0 : buf[0].size(), " and ",
                      e->size(), ")");
          buf.push_back(std::move(*e));
        }
        if (buf.empty() || (n->drop_ && static_cast<std::int64_t>(buf.size()) < n->b_)) return std::nullopt;
        return n->combine(buf);
      }
    };
    auto it = std::make_unique<It>();
    it->n = this;
    it->in = in_->iterate();
    it->buf.reserve(static_cast<std::size_t>(std::min<std::int64_t>(b_, 1 << 16)));
    return it;
  }

 private:
  const char* op() const { return padded_ ? "padded_batch" : "batch"; }
  Element combine(const std::vector<Element>& buf) const {
    Element out(buf[0].size());
    std::vector<Tensor> rows(buf.size());
    for (std::size_t c = 0; c < out.size(); ++c) {
      for (std::size_t i = 0; i < buf.size(); ++i) rows[i] = buf[i][c];
      out[c] = padded_ ? pad_stack(rows, c) : stack_rows(rows, "batch", c);
    }
    return out;
  }
  Shape padded_shape(const std::vector<Tensor>& rows, std::size_t c) const {
    Shape s = rows[0].shape();
    for (auto& r : rows) {
      KERAS_CHECK(r.ndim() == static_cast<int>(s.size()) && r.dtype() == rows[0].dtype(), ValueError,
                  "Dataset.padded_batch: component ", c, " has different ranks or dtypes across elements (",
                  shape_str(s), " and ", shape_str(r.shape()), ")");
      for (std::size_t d = 0; d < s.size(); ++d) s[d] = std::max(s[d], r.shape()[d]);
    }
    if (c < shapes_.size() && !shapes_[c].empty()) {
      KERAS_CHECK(shapes_[c].size() == s.size(), ValueError, "Dataset.padded_batch: padded_shapes[", c, "] is ",
                  shape_str(shapes_[c]), " but the component has rank ", s.size());
      for (std::size_t d = 0; d < s.size(); ++d) {
        if (shapes_[c][d] < 0) continue;
        KERAS_CHECK(shapes_[c][d] >= s[d], ValueError, "Dataset.padded_batch: component ", c, " has size ", s[d],
                    " in dimension ", d, ", larger than padded_shapes[", c, "] = ", shape_str(shapes_[c]));
        s[d] = shapes_[c][d];
      }
    }
    return s;
  }
  Tensor pad_stack(const std::vector<Tensor>& rows, std::size_t c) const {
    Shape s = padded_shape(rows, c);
    DType dt = rows[0].dtype();
    double v = c < values_.size() ? values_[c] : 0.0;
    Shape bs = s;
    bs.insert(bs.begin(), static_cast<std::int64_t>(rows.size()));
    Tensor out = Tensor::full(bs, v, dt);
    const std::size_t es = dtype_size(dt), per = static_cast<std::size_t>(shape_size(s)) * es;
    auto* dst = static_cast<char*>(out.data_ptr());
    for (std::size_t i = 0; i < rows.size(); ++i) copy_corner(rows[i].cpu(), dst + i * per, s, es);
    return out;
  }

  NodePtr in_;
  std::int64_t b_;
  bool drop_, padded_;
  std::vector<Shape> shapes_;
  std::vector<double> values_;
};

class UnbatchNode final : public Node {
 public:
  explicit UnbatchNode(NodePtr in) : in_(std::move(in)) {}
  std::int64_t cardinality() const override {
    return in_->cardinality() == INFINITE_CARDINALITY ? INFINITE_CARDINALITY : UNKNOWN_CARDINALITY;
  }
  std::unique_ptr<Iterator> iterate() const override {
    struct It final : Iterator {
      std::unique_ptr<Iterator> in;
      Element cur;
      std::int64_t i = 0, n = 0;
      std::optional<Element> next() override {
        while (i >= n) {
          auto e = in->next();
          if (!e) return std::nullopt;
          cur = std::move(*e);
          i = 0;
          n = -1;
          for (auto& t : cur) {
            KERAS_CHECK(t.ndim() >= 1, ValueError, "Dataset.unbatch: every component needs a batch dimension, "
                        "received a scalar");
            KERAS_CHECK(n < 0 || t.shape()[0] == n, ValueError, "Dataset.unbatch: components have different batch "
                        "sizes (", n, " and ", t.shape()[0], ")");
            n = t.shape()[0];
          }
        }
        Element out;
        for (auto& t : cur) out.push_back(t[i]);
        ++i;
        return out;
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->iterate();
    return it;
  }

 private:
  NodePtr in_;
};

}  // namespace

std::unique_ptr<Iterator> row_batches(const std::vector<Tensor>& ts, std::vector<std::int64_t> rows, std::int64_t b,
                                      bool drop) {
  auto it = std::make_unique<RowBatches>();
  it->ts = ts;
  it->n = ts[0].shape()[0];
  it->rows = std::move(rows);
  it->b = b;
  it->drop = drop;
  return it;
}

std::int64_t batch_size_of(const Dataset& ds) {
  auto* b = dynamic_cast<const BatchNode*>(ds.node().get());
  return b ? b->batch_size() : -1;
}

}  // namespace detail

using detail::make;

Dataset Dataset::batch(std::int64_t batch_size, bool drop_remainder) const {
  checked();
  KERAS_CHECK(batch_size > 0, ValueError, "Dataset.batch: batch_size must be positive, received ", batch_size);
  return make<detail::BatchNode>(names_, node_, batch_size, drop_remainder, false, std::vector<Shape>{},
                                 std::vector<double>{});
}

Dataset Dataset::padded_batch(std::int64_t batch_size, std::vector<Shape> padded_shapes,
                              std::vector<double> padding_values, bool drop_remainder) const {
  checked();
  KERAS_CHECK(batch_size > 0, ValueError, "Dataset.padded_batch: batch_size must be positive, received ", batch_size);
  return make<detail::BatchNode>(names_, node_, batch_size, drop_remainder, true, std::move(padded_shapes),
                                 std::move(padding_values));
}

Dataset Dataset::unbatch() const {
  checked();
  return make<detail::UnbatchNode>(names_, node_);
}

}  // namespace keras::data
