// MultiHeadAttention: the attention computation, masks, call options and config.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/layers/attention.hpp"
#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {

namespace {

std::int64_t prod_of(const Shape& s, const std::vector<int>& axes) {
  std::int64_t n = 1;
  for (int a : axes) n *= s[static_cast<std::size_t>(a)];
  return n;
}

Tensor as_bool(const Tensor& m) { return m.dtype() == bool_ ? m : ops::cast(m, bool_); }
Tensor and_mask(const Tensor& a, const Tensor& b) { return a.defined() ? ops::logical_and(a, b) : b; }

bool broadcastable(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  for (std::size_t i = 1; i <= from.size(); ++i) {
    std::int64_t f = from[from.size() - i];
    if (f != 1 && f != to[to.size() - i]) return false;
  }
  return true;
}

nlohmann::json init_json(const initializers::InitializerArg& a) {
  return {{"module", "keras.initializers"}, {"class_name", a.ptr->class_name()}, {"config", a.ptr->get_config()},
          {"registered_name", nullptr}};
}

}  // namespace

Tensor MultiHeadAttention::combined_mask(const Tensor& q, const Tensor& v, const std::vector<Tensor>& masks,
                                         const Tensor& attention_mask, bool causal) const {
  Tensor m;
  const char* what[] = {"query", "value", "key"};
  for (std::size_t i = 0; i < masks.size() && i < 3; ++i) {
    if (!masks[i].defined()) continue;
    const Tensor& x = i == 0 ? q : v;  // the key's mask has the value's leading shape
    Shape want(x.shape().begin(), x.shape().end() - 1);
    KERAS_CHECK(masks[i].shape() == want, ValueError, "Layer \"", name_, "\" (MultiHeadAttention): the ", what[i],
                " mask must have shape ", shape_str(want), "; received ", shape_str(masks[i].shape()));
    m = and_mask(m, ops::expand_dims(as_bool(masks[i]), i == 0 ? -1 : -2));
  }
  if (causal) {
    std::int64_t tq = q.shape(1), tv = v.shape(1);
    Tensor rows = ops::reshape(ops::arange(tq), {1, tq, 1});
    Tensor cols = ops::reshape(ops::arange(tv), {1, 1, tv});
    m = and_mask(m, ops::greater_equal(rows, cols));
  }
  if (attention_mask.defined()) m = m.defined() ? ops::logical_and(as_bool(attention_mask), m) : as_bool(attention_mask);
  return m;
}

// The combined mask expanded as Keras expands it (at the head axis) and
// checked against the scores' shape, as (bb, tq, tk); or, for the fused op
// when it is the same for every head, (bb / heads, tq, tk) with rep = heads.
Tensor MultiHeadAttention::keep_mask(Tensor mask, const Shape& full, std::size_t head_axis, bool fused,
                                     const Shape& flat, const Tensor& q, const Tensor& v, std::int64_t& rep) const {
  int expand_at = -2 * static_cast<int>(axes_.size()) - 1;
  while (mask.ndim() < static_cast<int>(full.size())) mask = ops::expand_dims(mask, expand_at);
  KERAS_CHECK(broadcastable(mask.shape(), full), ValueError, "Layer \"", name_,
              "\" (MultiHeadAttention): the attention mask (combined with the input masks) has shape ",
              shape_str(mask.shape()), ", which does not broadcast to the attention scores of shape ",
              shape_str(full), " (query ", shape_str(q.shape()), ", value ", shape_str(v.shape()), ")");
  rep = 1;
  if (!fused || mask.shape()[head_axis] != 1) return ops::reshape(ops::broadcast_to(mask, full), flat);
  Shape per_head = full;
  per_head[head_axis] = 1;
  rep = num_heads_;
  return ops::reshape(ops::broadcast_to(mask, per_head), {flat[0] / num_heads_, flat[1], flat[2]});
}

std::vector<Tensor> MultiHeadAttention::compute(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                bool training) {
  std::vector<Shape> shapes;
  for (auto& x : xs) {
    KERAS_CHECK(x.defined(), ValueError, "Layer \"", name_, "\" received an undefined input tensor");
    shapes.push_back(x.shape());
  }
  check_inputs(shapes);
  const Tensor& q = xs[0];
  const Tensor& v = xs[1];
  const Tensor& k = call_.key ? xs[2] : xs[1];
  const Shape& bq = query_->build_input_shape();
  const Shape& bv = value_->build_input_shape();
  const Shape& bk = key_->build_input_shape();
  KERAS_CHECK(q.ndim() == static_cast<int>(bq.size()) && q.shape(-1) == bq.back() && v.shape(-1) == bv.back() &&
                  k.shape(-1) == bk.back(),
              ValueError, "Layer \"", name_, "\" (MultiHeadAttention) was built for query ", shape_str(bq),
              ", value ", shape_str(bv), " and key ", shape_str(bk), "; received query ", shape_str(q.shape()),
              ", value ", shape_str(v.shape()), " and key ", shape_str(k.shape()));
  int m = q.ndim() - 2;
  std::vector<int> other;
  for (int i = 1; i <= m; ++i)
    if (std::find(axes_.begin(), axes_.end(), i) == axes_.end()) other.push_back(i);
  for (int a : other)
    KERAS_CHECK(q.shape(a) == v.shape(a), ValueError, "Layer \"", name_, "\" (MultiHeadAttention): axis ", a,
                " is not an attention axis, so query and value must agree on it; received query ",
                shape_str(q.shape()), " and value ", shape_str(v.shape()));
  // The fused op serves calls without scores or dropout; a causal mask over
  // the single attention axis 1 is its flag, any other goes into the mask.
  const bool fused = !call_.scores && !(training && o_.dropout > 0);
  const bool fused_causal = fused && call_.causal && axes_ == std::vector<int>{1};
  Tensor mask = combined_mask(q, v, masks, call_.attention_mask ? xs.back() : Tensor(), call_.causal && !fused_causal);
  // (B, d..., N, H) -> (B * other * N, T, H): attention over the flattened attention axes.
  std::vector<int> perm{0};
  perm.insert(perm.end(), other.begin(), other.end());
  perm.push_back(m + 1);
  perm.insert(perm.end(), axes_.begin(), axes_.end());
  perm.push_back(m + 2);
  std::int64_t bb = q.shape(0) * prod_of(q.shape(), other) * num_heads_;
  std::int64_t tq = prod_of(q.shape(), axes_), tk = prod_of(k.shape(), axes_);
  auto heads = [&](const Tensor& t, std::int64_t len) {
    return ops::reshape(ops::transpose(t, perm), {bb, len, t.shape(-1)});
  };
  Tensor qh = heads(ops::multiply((*query_)(q), ops::full({}, 1.0 / std::sqrt(double(key_dim_)))), tq);
  Tensor kh = heads((*key_)(k), tk);
  Tensor vh = heads((*value_)(v), tk);
  Shape full = scores_shape(q.shape(), k.shape());
  std::int64_t rep = 1;
  Tensor keep = mask.defined() ? keep_mask(mask, full, other.size() + 1, fused, {bb, tq, tk}, q, v, rep) : Tensor();
  Tensor ctx, probs;  // ctx (bb, tq, value_dim)
  if (fused) {
    ctx = ops::dot_product_attention(qh, kh, vh, keep, 1.0, fused_causal, rep);
  } else {
    Tensor sc = ops::matmul(qh, ops::transpose(kh, {0, 2, 1}));
    probs = keep.defined()
                ? ops::where(keep, ops::softmax(ops::where(keep, sc, ops::full({}, -1e9)), -1), ops::zeros({}))
                : ops::softmax(sc, -1);
    ctx = ops::matmul(training && o_.dropout > 0 ? ops::dropout(probs, o_.dropout) : probs, vh);
  }
  Shape ctx_shape{q.shape(0)};
  for (int a : other) ctx_shape.push_back(q.shape(a));
  ctx_shape.push_back(num_heads_);
  for (int a : axes_) ctx_shape.push_back(q.shape(a));
  ctx_shape.push_back(o_.value_dim);
  std::vector<int> inv(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inv[static_cast<std::size_t>(perm[i])] = static_cast<int>(i);
  Tensor y = (*output_)(ops::transpose(ops::reshape(ctx, ctx_shape), inv));
  if (call_.scores) return {y, ops::reshape(probs, full)};
  return {y};
}

void MultiHeadAttention::set_state(CallState s) {
  KERAS_CHECK(num_nodes() == 0 || s == call_, ValueError, "Layer \"", name_,
              "\" (MultiHeadAttention) is already called in a graph with other call arguments (key, "
              "attention_mask, use_causal_mask or return_attention_scores); use another layer");
  call_ = s;
}

std::vector<KerasTensor> MultiHeadAttention::call_all(const KerasTensor& query, const KerasTensor& value,
                                                      MultiHeadAttentionCall<KerasTensor> c) {
  set_state({c.key.defined(), c.attention_mask.defined(), c.use_causal_mask, c.return_attention_scores, false, false});
  std::vector<KerasTensor> xs{query, value};
  if (c.key.defined()) xs.push_back(c.key);
  if (c.attention_mask.defined()) xs.push_back(c.attention_mask);
  auto outs = Layer::call_all(xs);
  outs[0].node()->list_call = false;  // Keras's call(query, value, ...): positional tensors, not a list
  return outs;
}

std::vector<Tensor> MultiHeadAttention::attend(const Tensor& query, const Tensor& value, MultiHeadAttentionCall<Tensor> c,
                                               bool training, const std::vector<Tensor>& masks) {
  call_ = {c.key.defined(), c.attention_mask.defined(), c.use_causal_mask, c.return_attention_scores, false, false};
  std::vector<Tensor> xs{query, value};
  if (c.key.defined()) xs.push_back(c.key);
  if (c.attention_mask.defined()) xs.push_back(c.attention_mask);
  std::vector<Shape> shapes;
  for (auto& x : xs) {
    KERAS_CHECK(x.defined(), ValueError, "Layer \"", name_, "\" received an undefined input tensor");
    shapes.push_back(x.shape());
  }
  ensure_built_n(shapes);
  return compute(xs, masks, training);
}

nlohmann::json MultiHeadAttention::call_kwargs() const {
  nlohmann::json k = nlohmann::json::object();
  if (call_.causal) k["use_causal_mask"] = true;
  if (call_.scores) k["return_attention_scores"] = true;
  return k;
}

std::vector<std::string> MultiHeadAttention::tensor_kwargs() const {
  std::vector<std::string> r;
  if (call_.value_kwarg) r.push_back("value");
  if (call_.key && call_.key_kwarg) r.push_back("key");
  if (call_.attention_mask) r.push_back("attention_mask");
  return r;
}

void MultiHeadAttention::set_call_kwargs(const nlohmann::json& kw, int num_positional) {
  auto is_tensor = [&](const char* key) {
    return kw.is_object() && kw.contains(key) && kw[key].is_object() &&
           kw[key].value("class_name", "") == "__keras_tensor__";
  };
  for (const char* key : {"query_mask", "value_mask", "key_mask"})
    KERAS_CHECK(!is_tensor(key), ValueError, "Layer \"", name_, "\" (MultiHeadAttention): a ", key,
                " given as a call argument is not supported (masks come from the inputs)");
  CallState s;
  s.key_kwarg = is_tensor("key");
  s.value_kwarg = num_positional < 2 && is_tensor("value");
  KERAS_CHECK(num_positional >= 2 || s.value_kwarg, ValueError, "Layer \"", name_,
              "\" (MultiHeadAttention): the call has no value tensor; received ", kw.dump());
  s.key = num_positional >= 3 || s.key_kwarg;
  s.attention_mask = is_tensor("attention_mask");
  if (kw.is_object()) {
    s.causal = kw.value("use_causal_mask", false);
    s.scores = kw.value("return_attention_scores", false);
  }
  set_state(s);
}

nlohmann::json MultiHeadAttention::get_config() const {
  auto c = Layer::get_config();
  c["num_heads"] = num_heads_;
  c["key_dim"] = key_dim_;
  c["value_dim"] = o_.value_dim;
  c["dropout"] = o_.dropout;
  c["use_bias"] = o_.use_bias;
  c["use_gate"] = false;
  c["output_shape"] = o_.output_shape.empty() ? nlohmann::json() : nlohmann::json(o_.output_shape);
  const std::vector<int>& axes = built() ? axes_ : o_.attention_axes;
  c["attention_axes"] = axes.empty() ? nlohmann::json() : nlohmann::json(axes);
  c["sliding_window"] = nullptr;
  c["kernel_initializer"] = init_json(o_.kernel_initializer);
  c["bias_initializer"] = init_json(o_.bias_initializer);
  for (const char* k : {"kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                        "bias_constraint"})
    c[k] = nullptr;
  c["seed"] = o_.seed ? nlohmann::json(*o_.seed) : nlohmann::json();
  return c;
}

}  // namespace keras::layers
