// Attention (dot / concat scores) and AdditiveAttention.
#include <nlohmann/json.hpp>

#include "keras/layers/attention.hpp"
#include "keras/ops.hpp"

namespace keras::layers {

namespace {
Tensor swap_last2(const Tensor& x) {
  std::vector<int> perm;
  for (int i = 0; i < x.ndim(); ++i) perm.push_back(i);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return ops::transpose(x, perm);
}

std::string shapes_str(const std::vector<Shape>& ss) {
  std::string r = "[";
  for (std::size_t i = 0; i < ss.size(); ++i) r += (i ? ", " : "") + shape_str(ss[i]);
  return r + "]";
}

Tensor as_bool(const Tensor& m) { return m.dtype() == bool_ ? m : ops::cast(m, bool_); }

// (1, Tq, Tv): row i may attend to columns j <= i.
Tensor causal_mask(std::int64_t tq, std::int64_t tv) {
  Tensor rows = ops::reshape(ops::arange(tq), {1, tq, 1});
  Tensor cols = ops::reshape(ops::arange(tv), {1, 1, tv});
  return ops::greater_equal(rows, cols);
}

// The shapes of two tensors agree except possibly in the listed trailing axes.
bool same_lead(const Shape& a, const Shape& b, std::size_t trailing) {
  if (a.size() != b.size() || a.size() < trailing) return false;
  for (std::size_t i = 0; i + trailing < a.size(); ++i)
    if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i]) return false;
  return true;
}
}  // namespace

Attention::Attention(AttentionOptions o)
    : Layer(o.name.empty() ? unique_name("attention") : o.name), o_(std::move(o)) {
  KERAS_CHECK(o_.score_mode == "dot" || o_.score_mode == "concat", ValueError,
              "Attention: invalid value for argument score_mode: expected one of {\"dot\", \"concat\"}. Received: "
              "score_mode=",
              o_.score_mode);
  KERAS_CHECK(o_.dropout >= 0 && o_.dropout < 1, ValueError,
              "Attention: dropout must be a float in the range [0, 1). Received: dropout=", o_.dropout);
  supports_masking_ = true;
}

void Attention::check_shapes(const std::vector<Shape>& s) const {
  KERAS_CHECK(s.size() == 2 || s.size() == 3, ValueError, "Layer \"", name_, "\" (", class_name(),
              ") must be called on a list of inputs, namely [query, value] or [query, value, key]; received ",
              s.size(), " inputs");
  const Shape& q = s[0];
  const Shape& v = s[1];
  const Shape& k = s.size() > 2 ? s[2] : s[1];
  bool ok = q.size() >= 3 && same_lead(q, v, 2) && same_lead(v, k, 1) && k[k.size() - 2] == v[v.size() - 2];
  ok = ok && (q.back() < 0 || k.back() < 0 || q.back() == k.back());
  KERAS_CHECK(ok, ValueError, "Layer \"", name_, "\" (", class_name(),
              "): expected query (batch, Tq, dim), value (batch, Tv, dim_v) and key (batch, Tv, dim) with the same "
              "batch dimensions, the same Tv for value and key, and the same dim for query and key; received "
              "shapes ",
              shapes_str(s));
}

void Attention::build_n(const std::vector<Shape>& s) {
  check_shapes(s);
  if (o_.use_scale) scale_ = add_weight("scale", {}, "ones");
  if (o_.score_mode == "concat") concat_weight_ = add_weight("concat_score_weight", {}, "ones");
}

Tensor Attention::call(const Tensor& x, bool training) { return call_n({x}, training); }

Tensor Attention::call_n(const std::vector<Tensor>& xs, bool training) { return compute(xs, {}, training)[0]; }

std::vector<Tensor> Attention::call_outputs(const std::vector<Tensor>& xs, bool training) {
  return compute(xs, {}, training);
}

std::vector<Tensor> Attention::call_masked(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                           bool training) {
  std::vector<Shape> shapes;
  for (auto& x : xs) shapes.push_back(x.shape());
  ensure_built_n(shapes);
  return compute(xs, masks, training);
}

std::vector<Tensor> Attention::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  std::vector<Tensor> r(static_cast<std::size_t>(num_outputs()));
  if (!masks.empty()) r[0] = masks[0];
  return r;
}

Shape Attention::compute_output_shape_n(const std::vector<Shape>& s) const { return compute_output_shapes(s)[0]; }

std::vector<Shape> Attention::compute_output_shapes(const std::vector<Shape>& s) const {
  check_shapes(s);
  Shape out = s[0];
  out.back() = s[1].back();
  std::vector<Shape> r{out};
  if (call_.return_attention_scores) {
    Shape sc = s[0];
    sc.back() = s[1][s[1].size() - 2];
    r.push_back(sc);
  }
  return r;
}

Tensor Attention::scores(const Tensor& q, const Tensor& k) const {
  if (o_.score_mode == "dot") {
    Tensor sc = ops::matmul(q, swap_last2(k));
    return o_.use_scale ? ops::multiply(sc, scale_.value()) : sc;
  }
  Tensor sum = ops::add(ops::expand_dims(q, -2), ops::expand_dims(k, -3));
  if (o_.use_scale) sum = ops::multiply(scale_.value(), sum);
  return ops::multiply(concat_weight_.value(), ops::sum(ops::tanh(sum), {-1}));
}

std::vector<Tensor> Attention::compute(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                       bool training) {
  std::vector<Shape> shapes;
  for (auto& x : xs) {
    KERAS_CHECK(x.defined(), ValueError, "Layer \"", name_, "\" received an undefined input tensor");
    shapes.push_back(x.shape());
  }
  check_shapes(shapes);
  const Tensor& q = xs[0];
  const Tensor& v = xs[1];
  const Tensor& k = xs.size() > 2 ? xs[2] : xs[1];
  Tensor qm = masks.size() > 0 ? masks[0] : Tensor(), vm = masks.size() > 1 ? masks[1] : Tensor();
  std::int64_t tq = q.shape(-2), tv = v.shape(-2);
  Shape qm_want(q.shape().begin(), q.shape().end() - 1), vm_want(v.shape().begin(), v.shape().end() - 1);
  KERAS_CHECK(!qm.defined() || qm.shape() == qm_want, ValueError, "Layer \"", name_, "\" (", class_name(),
              "): the query mask must have shape ", shape_str(qm_want), "; received ", shape_str(qm.shape()));
  KERAS_CHECK(!vm.defined() || vm.shape() == vm_want, ValueError, "Layer \"", name_, "\" (", class_name(),
              "): the value mask must have shape ", shape_str(vm_want), "; received ", shape_str(vm.shape()));
  Tensor sc = scores(q, k);
  Tensor keep;
  if (vm.defined()) keep = ops::expand_dims(as_bool(vm), -2);
  if (call_.use_causal_mask) {
    Tensor c = causal_mask(tq, tv);
    keep = keep.defined() ? ops::logical_and(keep, c) : c;
  }
  if (keep.defined()) sc = ops::where(keep, sc, ops::subtract(sc, ops::full({}, 1e9)));
  Tensor w = ops::softmax(sc, -1);
  Tensor wd = training && o_.dropout > 0 ? ops::dropout(w, o_.dropout) : w;
  Tensor out = ops::matmul(wd, v);
  if (qm.defined()) out = ops::where(ops::expand_dims(as_bool(qm), -1), out, ops::zeros({}));
  if (call_.return_attention_scores) return {out, w};
  return {out};
}

void Attention::set_call(AttentionCall c) {
  KERAS_CHECK(num_nodes() == 0 || (c.use_causal_mask == call_.use_causal_mask &&
                                   c.return_attention_scores == call_.return_attention_scores),
              ValueError, "Layer \"", name_, "\" (", class_name(),
              ") is already called in a graph with other call options (use_causal_mask=", call_.use_causal_mask,
              ", return_attention_scores=", call_.return_attention_scores, "); use another layer");
  call_ = c;
}

std::vector<KerasTensor> Attention::call_all(const std::vector<KerasTensor>& xs, AttentionCall c) {
  set_call(c);
  return Layer::call_all(xs);
}

std::vector<Tensor> Attention::attend(const std::vector<Tensor>& xs, AttentionCall c, bool training,
                                      const std::vector<Tensor>& masks) {
  call_ = c;
  std::vector<Shape> shapes;
  for (auto& x : xs) shapes.push_back(x.defined() ? x.shape() : Shape{});
  ensure_built_n(shapes);
  return compute(xs, masks, training);
}

nlohmann::json Attention::get_config() const {
  auto c = Layer::get_config();
  c["use_scale"] = o_.use_scale;
  c["score_mode"] = o_.score_mode;
  c["dropout"] = o_.dropout;
  c["seed"] = o_.seed ? nlohmann::json(*o_.seed) : nlohmann::json();
  return c;
}

nlohmann::json Attention::call_kwargs() const {
  nlohmann::json k = nlohmann::json::object();
  if (call_.use_causal_mask) k["use_causal_mask"] = true;
  if (call_.return_attention_scores) k["return_attention_scores"] = true;
  return k;
}

void Attention::set_call_kwargs(const nlohmann::json& kw, int) {
  AttentionCall c;
  if (kw.is_object()) {
    c.use_causal_mask = kw.value("use_causal_mask", false);
    c.return_attention_scores = kw.value("return_attention_scores", false);
  }
  set_call(c);
}

AdditiveAttention::AdditiveAttention(AttentionOptions o)
    : Attention([&] {
        if (o.name.empty()) o.name = unique_name("additive_attention");
        o.score_mode = "dot";
        return o;
      }()) {}

void AdditiveAttention::build_n(const std::vector<Shape>& s) {
  check_shapes(s);
  KERAS_CHECK(s[0].back() > 0, ValueError, "Layer \"", name_,
              "\" (AdditiveAttention): the query's last dimension must be known; received shapes ", shapes_str(s));
  if (o_.use_scale) scale_ = add_weight("scale", {s[0].back()}, "glorot_uniform");
}

Tensor AdditiveAttention::scores(const Tensor& q, const Tensor& k) const {
  Tensor t = ops::tanh(ops::add(ops::expand_dims(q, -2), ops::expand_dims(k, -3)));
  if (o_.use_scale) t = ops::multiply(scale_.value(), t);
  return ops::sum(t, {-1});
}

nlohmann::json AdditiveAttention::get_config() const {
  auto c = Attention::get_config();
  c.erase("score_mode");
  return c;
}

}  // namespace keras::layers
