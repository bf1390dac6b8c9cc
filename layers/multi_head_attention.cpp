// MultiHeadAttention with Keras 3's weights, masks and attention axes.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/layers/attention.hpp"
#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {

namespace {

std::int64_t prod(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string shapes_str(const std::vector<Shape>& ss) {
  std::string r = "[";
  for (std::size_t i = 0; i < ss.size(); ++i) r += (i ? ", " : "") + shape_str(ss[i]);
  return r + "]";
}

// Keras's EinsumDense as MultiHeadAttention uses it: contracts the last
// `contract` axes of the input with a kernel (in..., out...) and adds a
// bias (out...).
class EinsumProjection : public Layer {
 public:
  EinsumProjection(std::string name, int contract, Shape out, bool use_bias, initializers::InitializerArg k,
                   initializers::InitializerArg b)
      : Layer(std::move(name)), contract_(contract), out_(std::move(out)), use_bias_(use_bias), kinit_(std::move(k)),
        binit_(std::move(b)) {}
  KERAS_LAYER_CLASS(EinsumProjection)
  void build(const Shape& s) override {
    Shape ks(s.end() - contract_, s.end());
    in_ = prod(ks);
    ks.insert(ks.end(), out_.begin(), out_.end());
    kernel_ = add_weight("kernel", ks, kinit_);
    if (use_bias_) bias_ = add_weight("bias", out_, binit_);
  }
  Tensor call(const Tensor& x, bool) override {
    Shape lead(x.shape().begin(), x.shape().end() - contract_);
    Shape flat = lead;
    flat.push_back(in_);
    Tensor y = ops::matmul(ops::reshape(x, flat), ops::reshape(kernel_.value(), {in_, prod(out_)}));
    Shape o = lead;
    o.insert(o.end(), out_.begin(), out_.end());
    y = ops::reshape(y, o);
    return use_bias_ ? ops::add(y, bias_.value()) : y;
  }

 private:
  int contract_;
  Shape out_;
  bool use_bias_;
  initializers::InitializerArg kinit_, binit_;
  std::int64_t in_ = 0;
  Variable kernel_, bias_;
};


}  // namespace

MultiHeadAttention::MultiHeadAttention(int num_heads, int key_dim, MultiHeadAttentionOptions o)
    : Layer(o.name.empty() ? unique_name("multi_head_attention") : o.name), num_heads_(num_heads), key_dim_(key_dim),
      o_(std::move(o)) {
  KERAS_CHECK(num_heads > 0 && key_dim > 0, ValueError, "MultiHeadAttention: num_heads and key_dim must be positive; "
              "received num_heads=", num_heads, ", key_dim=", key_dim);
  if (o_.value_dim <= 0) o_.value_dim = key_dim;
  KERAS_CHECK(o_.dropout >= 0 && o_.dropout < 1, ValueError,
              "MultiHeadAttention: dropout must be a float in the range [0, 1). Received: dropout=", o_.dropout);
  for (auto d : o_.output_shape)
    KERAS_CHECK(d > 0, ValueError, "MultiHeadAttention: output_shape dimensions must be positive; received ",
                shape_str(o_.output_shape));
  supports_masking_ = true;
}

void MultiHeadAttention::check_inputs(const std::vector<Shape>& s) const {
  std::size_t need = 2 + call_.key + call_.attention_mask;
  KERAS_CHECK(s.size() == need, ValueError, "Layer \"", name_, "\" (MultiHeadAttention) expects ", need,
              " inputs (query, value", call_.key ? ", key" : "", call_.attention_mask ? ", attention_mask" : "",
              "), received ", s.size(), " with shapes ", shapes_str(s));
  const Shape& q = s[0];
  const Shape& v = s[1];
  const Shape& k = call_.key ? s[2] : s[1];
  bool ok = q.size() >= 3 && v.size() == q.size() && k.size() == v.size();
  for (std::size_t i = 1; ok && i + 1 < v.size(); ++i) ok = v[i] == k[i];
  KERAS_CHECK(ok, ValueError, "Layer \"", name_,
              "\" (MultiHeadAttention): expected query, value and key of the same rank >= 3, with all dimensions of "
              "value and key equal except the last one; received query_shape=",
              shape_str(q), ", value_shape=", shape_str(v), ", key_shape=", shape_str(k));
  KERAS_CHECK(q.back() > 0 && v.back() > 0 && k.back() > 0, ValueError, "Layer \"", name_,
              "\" (MultiHeadAttention): the last dimensions of query, value and key must be known; received ",
              shapes_str(s));
}

void MultiHeadAttention::build_n(const std::vector<Shape>& s) {
  check_inputs(s);
  const Shape& q = s[0];
  int m = static_cast<int>(q.size()) - 2;
  axes_.clear();
  if (o_.attention_axes.empty()) {
    for (int i = 1; i <= m; ++i) axes_.push_back(i);
  } else {
    for (int a : o_.attention_axes) axes_.push_back(a >= 0 ? a : a + m + 2);
    std::sort(axes_.begin(), axes_.end());
    bool ok = std::adjacent_find(axes_.begin(), axes_.end()) == axes_.end();
    for (int a : axes_) ok = ok && a >= 1 && a <= m;
    KERAS_CHECK(ok, ValueError, "Layer \"", name_, "\" (MultiHeadAttention): attention_axes must be distinct axes "
                "between 1 and ", m, " (neither batch nor features) for a query of shape ", shape_str(q));
  }
  auto& k = o_.kernel_initializer;
  auto& b = o_.bias_initializer;
  Shape hk{num_heads_, key_dim_}, hv{num_heads_, o_.value_dim};
  Shape out = o_.output_shape.empty() ? Shape{q.back()} : o_.output_shape;
  query_ = track("query_dense", std::make_shared<EinsumProjection>("query", 1, hk, o_.use_bias, k, b));
  key_ = track("key_dense", std::make_shared<EinsumProjection>("key", 1, hk, o_.use_bias, k, b));
  value_ = track("value_dense", std::make_shared<EinsumProjection>("value", 1, hv, o_.use_bias, k, b));
  output_ = track("output_dense", std::make_shared<EinsumProjection>("attention_output", 2, out, o_.use_bias, k, b));
  query_->ensure_built(q);
  key_->ensure_built(call_.key ? s[2] : s[1]);
  value_->ensure_built(s[1]);
  Shape ov(q.begin(), q.end() - 1);
  ov.push_back(num_heads_);
  ov.push_back(o_.value_dim);
  output_->ensure_built(ov);
}

Tensor MultiHeadAttention::call(const Tensor& x, bool training) { return call_n({x}, training); }

Tensor MultiHeadAttention::call_n(const std::vector<Tensor>& xs, bool training) { return compute(xs, {}, training)[0]; }

std::vector<Tensor> MultiHeadAttention::call_outputs(const std::vector<Tensor>& xs, bool training) {
  return compute(xs, {}, training);
}

std::vector<Tensor> MultiHeadAttention::call_masked(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                    bool training) {
  std::vector<Shape> shapes;
  for (auto& x : xs) shapes.push_back(x.shape());
  ensure_built_n(shapes);
  std::vector<Tensor> m(3);  // query, value, key masks (the attention_mask input carries none)
  for (std::size_t i = 0; i < masks.size() && i < 2u + call_.key; ++i) m[i] = masks[i];
  return compute(xs, m, training);
}

std::vector<Tensor> MultiHeadAttention::compute_mask(const std::vector<Tensor>&,
                                                     const std::vector<Tensor>& masks) const {
  std::vector<Tensor> r(static_cast<std::size_t>(num_outputs()));
  if (!masks.empty()) r[0] = masks[0];
  return r;
}

Shape MultiHeadAttention::scores_shape(const Shape& q, const Shape& k) const {
  Shape s{q[0]};
  for (std::size_t i = 1; i + 1 < q.size(); ++i)
    if (std::find(axes_.begin(), axes_.end(), static_cast<int>(i)) == axes_.end()) s.push_back(q[i]);
  s.push_back(num_heads_);
  for (int a : axes_) s.push_back(q[static_cast<std::size_t>(a)]);
  for (int a : axes_) s.push_back(k[static_cast<std::size_t>(a)]);
  return s;
}

Shape MultiHeadAttention::compute_output_shape_n(const std::vector<Shape>& s) const {
  return compute_output_shapes(s)[0];
}

std::vector<Shape> MultiHeadAttention::compute_output_shapes(const std::vector<Shape>& s) const {
  check_inputs(s);
  Shape out(s[0].begin(), s[0].end() - 1);
  if (o_.output_shape.empty()) out.push_back(s[0].back());
  else out.insert(out.end(), o_.output_shape.begin(), o_.output_shape.end());
  std::vector<Shape> r{out};
  if (call_.scores) r.push_back(scores_shape(s[0], call_.key ? s[2] : s[1]));
  return r;
}

}  // namespace keras::layers
