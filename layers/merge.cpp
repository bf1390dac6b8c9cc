// Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum,
// Concatenate, Dot.
#include "keras/layers/merge.hpp"

#include <nlohmann/json.hpp>

#include "keras/ops.hpp"

namespace keras::layers {

namespace {
std::string shapes_str(const std::vector<Shape>& s) {
  std::string r;
  for (auto& x : s) r += (r.empty() ? "" : ", ") + shape_str(x);
  return "[" + r + "]";
}
int norm(int axis, std::size_t rank) { return axis < 0 ? axis + static_cast<int>(rank) : axis; }
}  // namespace

// Keras's elementwise rule: equal ranks; each dimension equal, unknown, or
// 1 in all but one input (it broadcasts), as in squeeze-and-excite's
// (B, H, W, C) * (B, 1, 1, C).
static Shape broadcast_merge_shape(const std::vector<Shape>& shapes, bool* ok) {
  Shape out = shapes.at(0);
  *ok = true;
  for (auto& s : shapes) {
    if (s.size() != out.size()) return *ok = false, out;
    for (std::size_t i = 1; i < s.size(); ++i) {
      if (s[i] == out[i] || s[i] == 1) continue;
      if (out[i] == 1 || out[i] < 0 || s[i] < 0) out[i] = out[i] == 1 || out[i] < 0 ? s[i] : out[i];
      else *ok = false;
    }
  }
  return out;
}

void Merge::build_n(const std::vector<Shape>& shapes) {
  KERAS_CHECK(shapes.size() >= 2 && shapes.size() <= max_inputs(), ValueError, "Layer \"", name_, "\" (", class_name(),
              ") expects ", max_inputs() == 2 ? "exactly 2" : "at least 2", " inputs, received ", shapes.size());
  bool ok = true;
  broadcast_merge_shape(shapes, &ok);
  KERAS_CHECK(ok, ValueError, "Layer \"", name_, "\" (", class_name(),
              ") requires inputs of equal rank whose dimensions match or are 1 (broadcast), except for the batch "
              "dimension; received shapes ",
              shapes_str(shapes));
}

Shape Merge::compute_output_shape_n(const std::vector<Shape>& shapes) const {
  bool ok = true;
  return broadcast_merge_shape(shapes, &ok);
}

Tensor Merge::call(const Tensor& x, bool) {
  throw ValueError("Layer \"" + name_ + "\" (" + class_name() + ") must be called on a list of at least 2 inputs, received one of shape " +
                   shape_str(x.shape()));
}

Tensor Merge::call_n(const std::vector<Tensor>& xs, bool) {
  std::vector<Shape> shapes;
  for (auto& x : xs) shapes.push_back(x.shape());
  build_n(shapes);  // validates count and shapes (the batch dimension is not compared)
  return merge(xs);
}

Tensor Add::merge(const std::vector<Tensor>& xs) const {
  Tensor r = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) r = ops::add(r, xs[i]);
  return r;
}
Tensor Subtract::merge(const std::vector<Tensor>& xs) const { return ops::subtract(xs[0], xs[1]); }
Tensor Multiply::merge(const std::vector<Tensor>& xs) const {
  Tensor r = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) r = ops::multiply(r, xs[i]);
  return r;
}
Tensor Average::merge(const std::vector<Tensor>& xs) const {
  Tensor r = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) r = ops::add(r, xs[i]);
  return ops::divide(r, Tensor::scalar(static_cast<double>(xs.size()), float32, r.device()));
}
Tensor Maximum::merge(const std::vector<Tensor>& xs) const {
  Tensor r = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) r = ops::maximum(r, xs[i]);
  return r;
}
Tensor Minimum::merge(const std::vector<Tensor>& xs) const {
  Tensor r = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) r = ops::minimum(r, xs[i]);
  return r;
}

Concatenate::Concatenate(int axis, std::string name)
    : Layer(name.empty() ? unique_name("concatenate") : std::move(name)), axis_(axis) {}

void Concatenate::build_n(const std::vector<Shape>& shapes) {
  KERAS_CHECK(shapes.size() >= 2, ValueError, "Layer \"", name_, "\" (Concatenate) expects at least 2 inputs, received ",
              shapes.size());
  std::size_t r = shapes[0].size();
  int a = norm(axis_, r);
  bool ok = a >= 1 && a < static_cast<int>(r);
  for (auto& s : shapes) {
    ok = ok && s.size() == r;
    for (std::size_t i = 1; ok && i < r; ++i) ok = static_cast<int>(i) == a || s[i] == shapes[0][i];
  }
  KERAS_CHECK(ok, ValueError, "Layer \"", name_, "\" (Concatenate) requires inputs with matching shapes except for the ",
              "concatenation axis ", axis_, ", received shapes ", shapes_str(shapes));
}

Shape Concatenate::compute_output_shape_n(const std::vector<Shape>& shapes) const {
  Shape o = shapes.at(0);
  int a = norm(axis_, o.size());
  for (std::size_t i = 1; i < shapes.size(); ++i) o[a] = o[a] < 0 || shapes[i][a] < 0 ? -1 : o[a] + shapes[i][a];
  return o;
}

Tensor Concatenate::call(const Tensor& x, bool) {
  throw ValueError("Layer \"" + name_ + "\" (Concatenate) must be called on a list of inputs, received one of shape " +
                   shape_str(x.shape()));
}

Tensor Concatenate::call_n(const std::vector<Tensor>& xs, bool) {
  std::vector<Shape> shapes;
  for (auto& x : xs) shapes.push_back(x.shape());
  build_n(shapes);
  return ops::concatenate(xs, axis_);
}

nlohmann::json Concatenate::get_config() const {
  auto c = Layer::get_config();
  c["axis"] = axis_;
  return c;
}

Dot::Dot(int axes, bool normalize, std::string name) : Dot(std::pair<int, int>{axes, axes}, normalize, std::move(name)) {}

Dot::Dot(std::pair<int, int> axes, bool normalize, std::string name)
    : Layer(name.empty() ? unique_name("dot") : std::move(name)), a0_(axes.first), a1_(axes.second),
      normalize_(normalize) {}

void Dot::build_n(const std::vector<Shape>& s) {
  KERAS_CHECK(s.size() == 2, ValueError, "Layer \"", name_, "\" (Dot) expects exactly 2 inputs, received ", s.size());
  KERAS_CHECK(s[0].size() >= 2 && s[0].size() <= 3 && s[1].size() == s[0].size(), ValueError, "Layer \"", name_,
              "\" (Dot) supports inputs of rank 2 or 3 with equal ranks, received shapes ", shapes_str(s));
  int a = norm(a0_, s[0].size()), b = norm(a1_, s[1].size());
  KERAS_CHECK(a >= 1 && b >= 1 && a < static_cast<int>(s[0].size()) && b < static_cast<int>(s[1].size()) &&
                  s[0][a] == s[1][b],
              ValueError, "Layer \"", name_, "\" (Dot): dimension ", a0_, " of the first input and ", a1_,
              " of the second must be equal, received shapes ", shapes_str(s));
}

Shape Dot::compute_output_shape_n(const std::vector<Shape>& s) const {
  int a = norm(a0_, s[0].size()), b = norm(a1_, s[1].size());
  Shape o{s[0][0]};
  for (int i = 1; i < static_cast<int>(s[0].size()); ++i)
    if (i != a) o.push_back(s[0][i]);
  for (int i = 1; i < static_cast<int>(s[1].size()); ++i)
    if (i != b) o.push_back(s[1][i]);
  if (o.size() == 1) o.push_back(1);
  return o;
}

Tensor Dot::call(const Tensor& x, bool) {
  throw ValueError("Layer \"" + name_ + "\" (Dot) must be called on a list of 2 inputs, received one of shape " +
                   shape_str(x.shape()));
}

Tensor Dot::call_n(const std::vector<Tensor>& xs, bool) {
  KERAS_CHECK(xs.size() == 2, ValueError, "Layer \"", name_, "\" (Dot) expects exactly 2 inputs, received ", xs.size());
  build_n({xs[0].shape(), xs[1].shape()});
  Tensor x = xs[0], y = xs[1];
  int a = norm(a0_, x.ndim()), b = norm(a1_, y.ndim());
  if (normalize_) {
    auto l2 = [](const Tensor& t, int axis) {
      Tensor n = ops::sqrt(ops::maximum(ops::sum(ops::square(t), {axis}, true),
                                        Tensor::scalar(1e-12, float32, t.device())));
      return ops::divide(t, n);
    };
    x = l2(x, a);
    y = l2(y, b);
  }
  if (x.ndim() == 2) return ops::sum(ops::multiply(x, y), {1}, true);  // (N, 1)
  // Rank 3: move the contracted axis last in x and first (after batch) in y.
  Tensor xm = a == 2 ? x : ops::transpose(x, {0, 2, 1});
  Tensor ym = b == 1 ? y : ops::transpose(y, {0, 2, 1});
  return ops::matmul(xm, ym);
}

nlohmann::json Dot::get_config() const {
  auto c = Layer::get_config();
  c["axes"] = a0_ == a1_ ? nlohmann::json(a0_) : nlohmann::json::array({a0_, a1_});
  c["normalize"] = normalize_;
  return c;
}

}  // namespace keras::layers
