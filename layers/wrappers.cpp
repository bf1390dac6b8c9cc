// Bidirectional and TimeDistributed, and their from_config factories.
#include "keras/layers/wrappers.hpp"

#include <nlohmann/json.hpp>

#include "keras/layers/registry.hpp"
#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {
namespace {

using saving::json;

std::string strip(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

// A fresh layer from `layer`'s config, renamed (and go_backwards flipped when asked).
std::shared_ptr<RNN> copy_rnn(const RNN& layer, const std::string& name, bool flip, const std::string& owner) {
  json c = layer.get_config();
  c["name"] = name;
  if (flip) c["go_backwards"] = !layer.rnn_options().go_backwards;
  auto r = std::dynamic_pointer_cast<RNN>(from_config(layer.class_name(), c));
  KERAS_CHECK(r != nullptr, ValueError, "Layer \"", owner, "\" (Bidirectional): cannot copy layer \"", layer.name(),
              "\" (", layer.class_name(), ") as a recurrent layer");
  return r;
}

Tensor reverse_time(const Tensor& x) {
  const std::int64_t T = x.shape(1);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(T));
  for (std::int64_t t = 0; t < T; ++t) idx[t] = T - 1 - t;
  return ops::take(x, Tensor({T}, idx), 1);
}

}  // namespace

Bidirectional::Bidirectional(const std::shared_ptr<RNN>& layer, std::string merge_mode,
                             const std::shared_ptr<RNN>& backward_layer, std::string name)
    : Layer(name.empty() ? unique_name("bidirectional") : std::move(name)), merge_mode_(std::move(merge_mode)) {
  KERAS_CHECK(layer != nullptr, ValueError, "Layer \"", name_, "\" (Bidirectional): the layer is null");
  KERAS_CHECK(merge_mode_.empty() || merge_mode_ == "concat" || merge_mode_ == "sum" || merge_mode_ == "mul" ||
                  merge_mode_ == "ave",
              ValueError, "Layer \"", name_, "\" (Bidirectional): invalid merge_mode '", merge_mode_,
              "'; expected one of concat, sum, mul, ave or None (\"\")");
  forward_ = copy_rnn(*layer, "forward_" + strip(layer->name(), "forward_"), false, name_);
  backward_ = backward_layer ? backward_layer
                             : copy_rnn(*layer, "backward_" + strip(layer->name(), "backward_"), true, name_);
  const auto &f = forward_->rnn_options(), &b = backward_->rnn_options();
  KERAS_CHECK(f.go_backwards != b.go_backwards, ValueError, "Layer \"", name_,
              "\" (Bidirectional): forward_layer and backward_layer need different go_backwards values, received ",
              f.go_backwards, " for both");
  KERAS_CHECK(f.stateful == b.stateful && f.return_state == b.return_state && f.return_sequences == b.return_sequences,
              ValueError, "Layer \"", name_,
              "\" (Bidirectional): forward_layer and backward_layer need the same stateful, return_state and "
              "return_sequences");
  forward_->set_zero_output_for_mask(f.return_sequences);
  backward_->set_zero_output_for_mask(b.return_sequences);
  track("forward_layer", forward_);
  track("backward_layer", backward_);
  supports_masking_ = true;
}

void Bidirectional::build(const Shape& s) { build_n({s}); }

void Bidirectional::build_n(const std::vector<Shape>& shapes) {
  std::vector<Shape> fs{shapes.at(0)}, bs{shapes.at(0)};
  if (shapes.size() > 1) {
    const std::size_t half = (shapes.size() - 1) / 2;
    KERAS_CHECK(shapes.size() - 1 == 2 * half, ValueError, "Layer \"", name_,
                "\" (Bidirectional): expected an even number of initial states, received ", shapes.size() - 1);
    fs.insert(fs.end(), shapes.begin() + 1, shapes.begin() + 1 + half);
    bs.insert(bs.end(), shapes.begin() + 1 + half, shapes.end());
  }
  forward_->ensure_built_n(fs);
  backward_->ensure_built_n(bs);
}

Tensor Bidirectional::call(const Tensor& x, bool training) { return run({x}, {}, training)[0]; }
Tensor Bidirectional::call_n(const std::vector<Tensor>& xs, bool training) { return run(xs, {}, training)[0]; }
std::vector<Tensor> Bidirectional::call_outputs(const std::vector<Tensor>& xs, bool training) { return run(xs, {}, training); }
std::vector<Tensor> Bidirectional::call_masked(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                               bool training) {
  return run(xs, masks, training);
}

void Bidirectional::reset_states() {
  forward_->reset_states();
  backward_->reset_states();
}

int Bidirectional::num_outputs() const {
  return (merge_mode_.empty() ? 2 : 1) + (forward_->num_outputs() - 1) + (backward_->num_outputs() - 1);
}

std::vector<Tensor> Bidirectional::run(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) {
  KERAS_CHECK(!xs.empty() && xs[0].defined(), ValueError, "Layer \"", name_, "\" (Bidirectional) received no input");
  std::vector<Tensor> fx{xs[0]}, bx{xs[0]};
  if (xs.size() > 1) {
    const std::size_t half = (xs.size() - 1) / 2;
    KERAS_CHECK(xs.size() - 1 == 2 * half, ValueError, "Layer \"", name_,
                "\" (Bidirectional): expected an even number of initial states, received ", xs.size() - 1);
    fx.insert(fx.end(), xs.begin() + 1, xs.begin() + 1 + half);
    bx.insert(bx.end(), xs.begin() + 1 + half, xs.end());
  }
  std::vector<Tensor> m;
  if (!masks.empty() && masks[0].defined()) m = {masks[0]};
  auto y = forward_->call_masked(fx, m, training);
  auto yr = backward_->call_masked(bx, m, training);
  Tensor back = backward_->rnn_options().return_sequences ? reverse_time(yr[0]) : yr[0];
  auto out = merge(y[0], back);
  out.insert(out.end(), y.begin() + 1, y.end());
  out.insert(out.end(), yr.begin() + 1, yr.end());
  return out;
}

std::vector<Tensor> Bidirectional::merge(const Tensor& y, const Tensor& yr) const {
  if (merge_mode_ == "concat") return {ops::concatenate({y, yr}, -1)};
  if (merge_mode_ == "sum") return {y + yr};
  if (merge_mode_ == "mul") return {y * yr};
  if (merge_mode_ == "ave") return {(y + yr) * 0.5};
  return {y, yr};
}

Shape Bidirectional::compute_output_shape(const Shape& s) const { return compute_output_shapes({s})[0]; }
Shape Bidirectional::compute_output_shape_n(const std::vector<Shape>& s) const { return compute_output_shapes(s)[0]; }

std::vector<Shape> Bidirectional::compute_output_shapes(const std::vector<Shape>& shapes) const {
  auto f = forward_->compute_output_shapes({shapes.at(0)});
  auto b = backward_->compute_output_shapes({shapes.at(0)});
  std::vector<Shape> r;
  if (merge_mode_ == "concat") {
    Shape s = f[0];
    s.back() += b[0].back();
    r.push_back(s);
  } else if (merge_mode_.empty()) {
    r = {f[0], b[0]};
  } else {
    r.push_back(f[0]);
  }
  r.insert(r.end(), f.begin() + 1, f.end());
  r.insert(r.end(), b.begin() + 1, b.end());
  return r;
}

std::vector<Tensor> Bidirectional::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  std::vector<Tensor> r(static_cast<std::size_t>(num_outputs()));
  if (forward_->rnn_options().return_sequences && !masks.empty()) {
    r[0] = masks[0];
    if (merge_mode_.empty()) r[1] = masks[0];
  }
  return r;
}

nlohmann::json Bidirectional::get_config() const {
  auto c = Layer::get_config();
  c["merge_mode"] = merge_mode_.empty() ? json(nullptr) : json(merge_mode_);
  c["layer"] = saving::serialize_layer(*forward_);
  c["backward_layer"] = saving::serialize_layer(*backward_);
  return c;
}

TimeDistributed::TimeDistributed(LayerPtr layer, std::string name)
    : Layer(name.empty() ? unique_name("time_distributed") : std::move(name)), layer_(std::move(layer)) {
  KERAS_CHECK(layer_ != nullptr, ValueError, "Layer \"", name_, "\" (TimeDistributed): the layer is null");
  track("layer", layer_);
  supports_masking_ = true;
}

void TimeDistributed::build(const Shape& s) {
  KERAS_CHECK(s.size() >= 3, ValueError, "Layer \"", name_,
              "\" (TimeDistributed) expects inputs of rank >= 3 (batch, time, ...), received shape ", shape_str(s));
  Shape inner{-1};
  inner.insert(inner.end(), s.begin() + 2, s.end());
  layer_->ensure_built(inner);
}

Tensor TimeDistributed::call(const Tensor& x, bool training) {
  check_input(x.ndim() >= 3, "rank >= 3 (batch, time, ...)", x.shape());
  const std::int64_t B = x.shape(0), T = x.shape(1);
  Shape flat{B * T};
  flat.insert(flat.end(), x.shape().begin() + 2, x.shape().end());
  Tensor y = (*layer_)(ops::reshape(x, flat), training);
  Shape out{B, T};
  out.insert(out.end(), y.shape().begin() + 1, y.shape().end());
  return ops::reshape(y, out);
}

Shape TimeDistributed::compute_output_shape(const Shape& s) const {
  Shape inner{-1};
  inner.insert(inner.end(), s.begin() + 2, s.end());
  Shape y = layer_->compute_output_shape(inner);
  Shape out{s[0], s[1]};
  out.insert(out.end(), y.begin() + 1, y.end());
  return out;
}

nlohmann::json TimeDistributed::get_config() const {
  auto c = Layer::get_config();
  c["layer"] = saving::serialize_layer(*layer_);
  return c;
}

bool takes_initial_state(const Layer& layer) {
  return dynamic_cast<const RNN*>(&layer) != nullptr || dynamic_cast<const Bidirectional*>(&layer) != nullptr;
}

namespace {

LayerPtr sub_layer(const json& c, const char* key, const std::string& owner) {
  KERAS_CHECK(c.contains(key) && c[key].is_object() && c[key].contains("class_name"), ValueError, "Layer \"", owner,
              "\": expected a serialized \"", key, "\" in the config, received ", c.dump().substr(0, 300));
  const json& j = c[key];
  return from_config(j["class_name"].get<std::string>(), j.value("config", json::object()));
}

std::shared_ptr<Layer> bidirectional_from(const json& c) {
  const std::string name = saving::name_of(c);
  auto fw = std::dynamic_pointer_cast<RNN>(sub_layer(c, "layer", name));
  KERAS_CHECK(fw != nullptr, ValueError, "Layer \"", name, "\" (Bidirectional): \"layer\" must be a recurrent layer");
  std::shared_ptr<RNN> bw;
  if (c.contains("backward_layer") && !c["backward_layer"].is_null()) {
    bw = std::dynamic_pointer_cast<RNN>(sub_layer(c, "backward_layer", name));
    KERAS_CHECK(bw != nullptr, ValueError, "Layer \"", name,
                "\" (Bidirectional): \"backward_layer\" must be a recurrent layer");
  }
  std::string mode = c.contains("merge_mode") && c["merge_mode"].is_string() ? c["merge_mode"].get<std::string>() : "";
  auto l = std::make_shared<Bidirectional>(fw, mode, bw, name);
  saving::apply_common(*l, c);
  return l;
}

std::shared_ptr<Layer> time_distributed_from(const json& c) {
  const std::string name = saving::name_of(c);
  auto l = std::make_shared<TimeDistributed>(sub_layer(c, "layer", name), name);
  saving::apply_common(*l, c);
  return l;
}

}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(Bidirectional, bidirectional_from);
KERAS_REGISTER_BUILTIN_LAYER(TimeDistributed, time_distributed_from);

}  // namespace keras::layers
