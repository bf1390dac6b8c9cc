// RNN(cell): the time loop over a cell, with masks, initial and kept
// states, go_backwards and several outputs; SimpleRNN, LSTM and GRU.
//
// A built-in cell whose activations the backend computes runs fused: the
// input projection of every time step as one matmul ((T*B, F) @ (F, P)),
// then ops::recurrent_sequence (one recurrent matmul per step, the gates,
// backpropagation through time). Any other cell runs step by step.
#include <nlohmann/json.hpp>

#include "keras/layers/recurrent.hpp"
#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {
namespace {

RNNOptions named(RNNOptions o, const char* prefix) {
  if (o.name.empty()) o.name = Layer::unique_name(prefix);
  return o;
}
CellOptions cell_named(CellOptions c, const char* name) {
  c.name = name;  // Keras names a layer's cell after its class: "lstm_cell"
  return c;
}

// x (B, T, ...) with the time axis reversed.
Tensor reverse_time(const Tensor& x) {
  const std::int64_t T = x.shape(1);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(T));
  for (std::int64_t t = 0; t < T; ++t) idx[t] = T - 1 - t;
  return ops::take(x, Tensor({T}, idx), 1);
}

std::string shapes_str(const std::vector<Tensor>& xs, std::size_t from) {
  std::string r;
  for (std::size_t i = from; i < xs.size(); ++i) r += (r.empty() ? "" : ", ") + shape_str(xs[i].shape());
  return "[" + r + "]";
}

}  // namespace

RNN::RNN(CellPtr cell, RNNOptions o) : Layer(o.name.empty() ? unique_name("rnn") : o.name), cell_(std::move(cell)), ro_(std::move(o)) {
  KERAS_CHECK(cell_ != nullptr, ValueError, "Layer \"", name_, "\" (RNN): the cell is null");
  KERAS_CHECK(!cell_->state_size().empty(), ValueError, "Layer \"", name_, "\" (RNN): the cell \"", cell_->name(),
              "\" has no states (state_size() is empty)");
  track("cell", cell_);
  supports_masking_ = true;
}

void RNN::build(const Shape& s) { build_n({s}); }

void RNN::build_n(const std::vector<Shape>& shapes) {
  const Shape& s = shapes.at(0);
  KERAS_CHECK(s.size() == 3, ValueError, "Input 0 of layer \"", name_, "\" (", class_name(),
              ") is incompatible with the layer: expected ndim=3 (batch, timesteps, features), found ndim=", s.size(),
              ". Full shape received: ", shape_str(s));
  KERAS_CHECK(s[2] > 0, ValueError, "Layer \"", name_, "\" (", class_name(),
              ") needs a known feature dimension, received shape ", shape_str(s));
  const auto sizes = cell_->state_size();
  KERAS_CHECK(shapes.size() == 1 || shapes.size() == 1 + sizes.size(), ValueError, "Layer \"", name_, "\" (",
              class_name(), ") expects ", sizes.size(), " initial states, received ", shapes.size() - 1);
  for (std::size_t i = 1; i < shapes.size(); ++i)
    KERAS_CHECK(shapes[i].size() == 2 && shapes[i][1] == sizes[i - 1], ValueError, "Layer \"", name_, "\" (",
                class_name(), "): initial state ", i - 1, " must have shape (batch, ", sizes[i - 1], "), received ",
                shape_str(shapes[i]));
  cell_->ensure_built({-1, s[2]});
}

Tensor RNN::call(const Tensor& x, bool training) { return call_outputs({x}, training)[0]; }
Tensor RNN::call_n(const std::vector<Tensor>& xs, bool training) { return call_outputs(xs, training)[0]; }

int RNN::num_outputs() const {
  return 1 + (ro_.return_state ? static_cast<int>(cell_->state_size().size()) : 0);
}

std::vector<Tensor> RNN::call_outputs(const std::vector<Tensor>& xs, bool training) { return run(xs, Tensor(), training); }

std::vector<Tensor> RNN::call_masked(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) {
  KERAS_CHECK(!xs.empty(), ValueError, "Layer \"", name_, "\" received no inputs");
  if (xs.size() == 1) {
    prepare_call(xs[0]);
  } else if (!built_) {
    std::vector<Shape> shapes;
    for (auto& x : xs) shapes.push_back(x.shape());
    ensure_built_n(shapes);
  }
  return run(xs, masks.empty() ? Tensor() : masks[0], training);
}

Tensor RNN::check_mask(const Tensor& x, const Tensor& mask) const {
  if (!mask.defined()) return mask;
  const Shape want{x.shape(0), x.shape(1)};
  KERAS_CHECK(mask.shape() == want, ValueError, "Layer \"", name_, "\" (", class_name(), "): expected a mask of shape ",
              shape_str(want), " (batch, timesteps) for an input of shape ", shape_str(x.shape()), ", received a mask of shape ",
              shape_str(mask.shape()));
  return mask.dtype() == bool_ ? mask : ops::not_equal(mask, ops::zeros({}, mask.dtype()));
}

std::vector<Tensor> RNN::initial_states(const std::vector<Tensor>& xs, std::int64_t batch) const {
  const auto sizes = cell_->state_size();
  std::vector<Tensor> st;
  if (xs.size() > 1) {
    bool ok = xs.size() == 1 + sizes.size();
    for (std::size_t i = 0; ok && i < sizes.size(); ++i)
      ok = xs[i + 1].shape() == Shape({batch, sizes[i]});
    std::string want;
    for (auto n : sizes) want += (want.empty() ? "" : ", ") + shape_str({batch, n});
    KERAS_CHECK(ok, ValueError, "Layer \"", name_, "\" (", class_name(), "): initial_state must be ", sizes.size(),
                " tensors of shapes [", want, "] for an input of shape ", shape_str(xs[0].shape()), ", received ",
                xs.size() - 1, " of shapes ", shapes_str(xs, 1));
    st.assign(xs.begin() + 1, xs.end());
    return st;
  }
  if (ro_.stateful && !states_.empty() && states_[0].shape(0) == batch) return states_;
  for (auto n : sizes) st.push_back(ops::zeros({batch, n}));
  return st;
}

std::vector<Tensor> RNN::run(const std::vector<Tensor>& xs, const Tensor& mask_in, bool training) {
  const Tensor& x0 = xs.at(0);
  const Shape& bs = cell_->build_input_shape();
  KERAS_CHECK(x0.ndim() == 3 && (bs.empty() || x0.shape(2) == bs.back()), ValueError, "Input 0 of layer \"", name_,
              "\" (", class_name(), ") is incompatible with the layer: expected shape (batch, timesteps, ",
              bs.empty() ? std::string("features") : std::to_string(bs.back()), "), received shape ",
              shape_str(x0.shape()));
  const std::int64_t B = x0.shape(0), T = x0.shape(1);
  KERAS_CHECK(T > 0, ValueError, "Layer \"", name_, "\" (", class_name(), ") received an input with no time steps: ",
              shape_str(x0.shape()));
  Tensor mask = check_mask(x0, mask_in);
  std::vector<Tensor> states = initial_states(xs, B);
  Tensor x = ro_.go_backwards ? reverse_time(x0) : x0;
  if (mask.defined() && ro_.go_backwards) mask = reverse_time(mask);
  Tensor mask_tb = mask.defined() ? ops::transpose(mask, {1, 0}) : Tensor();
  cell_->begin_sequence({B, x.shape(2)}, training);
  RecurrentCell::Fused f;
  std::vector<Tensor> finals;
  Tensor ys = cell_->fused(f) ? run_fused(x, mask_tb, states, f, finals)
                              : run_steps(ops::transpose(x, {1, 0, 2}), mask_tb, states, training, finals);
  if (ro_.zero_output_for_mask && mask_tb.defined())
    ys = ys * ops::expand_dims(ops::cast(mask_tb, float32), -1);
  if (ro_.stateful) {
    states_.clear();
    for (auto& s : finals) states_.push_back(s.detach());
  }
  std::vector<Tensor> out{ro_.return_sequences ? ops::transpose(ys, {1, 0, 2}) : ys[T - 1]};
  if (ro_.return_state) out.insert(out.end(), finals.begin(), finals.end());
  return out;
}

Tensor RNN::run_fused(const Tensor& x, const Tensor& mask_tb, std::vector<Tensor> states,
                    const RecurrentCell::Fused& f, std::vector<Tensor>& finals) {
  const std::int64_t B = x.shape(0), T = x.shape(1), F = x.shape(2);
  Tensor xin = f.input_dropout.defined() ? x * ops::expand_dims(f.input_dropout, 1) : x;
  Tensor xt = ops::reshape(ops::transpose(xin, {1, 0, 2}), {T * B, F});
  Tensor xp = ops::matmul(xt, f.kernel);
  if (f.bias.defined()) xp = xp + f.bias;
  xp = ops::reshape(xp, {T, B, -1});
  Tensor y = ops::recurrent_sequence(f.spec, xp, f.recurrent_kernel, f.recurrent_bias, states, mask_tb,
                                     f.recurrent_dropout);
  const std::int64_t u = f.recurrent_kernel.shape(0);
  if (f.spec.kind != ops::RecurrentKind::lstm) {
    finals = {y[T - 1]};
    return y;
  }
  Tensor last = y[T - 1];
  finals = {ops::slice_axis(last, 1, 0, u), ops::slice_axis(last, 1, u, 2 * u)};
  return ops::slice_axis(y, 2, 0, u);
}

Tensor RNN::run_steps(const Tensor& x_tbf, const Tensor& mask_tb, std::vector<Tensor> states,
                                   bool training, std::vector<Tensor>& finals) {
  const std::int64_t T = x_tbf.shape(0), B = x_tbf.shape(1);
  const std::size_t ns = states.size();
  Tensor mf = mask_tb.defined() ? ops::expand_dims(ops::cast(mask_tb, float32), -1) : Tensor();
  Tensor prev = ops::zeros({B, cell_->output_size()});
  std::vector<Tensor> outs;
  outs.reserve(static_cast<std::size_t>(T));
  for (std::int64_t t = 0; t < T; ++t) {
    auto r = cell_->step(x_tbf[t], states, training);
    KERAS_CHECK(r.size() == 1 + ns, ValueError, "Layer \"", cell_->name(), "\" (", cell_->class_name(),
                "): step() must return the output and ", ns, " states, returned ", r.size(), " tensors");
    Tensor y = r[0];
    if (mf.defined()) {
      Tensor m = mf[t];
      y = prev + m * (y - prev);
      for (std::size_t i = 0; i < ns; ++i) r[i + 1] = states[i] + m * (r[i + 1] - states[i]);
    }
    for (std::size_t i = 0; i < ns; ++i) states[i] = r[i + 1];
    prev = y;
    outs.push_back(ops::expand_dims(y, 0));
  }
  finals = states;
  return ops::concatenate(outs, 0);
}

void RNN::reset_states() {
  for (auto& s : states_) s = ops::zeros(s.shape());
}

Shape RNN::compute_output_shape(const Shape& s) const { return compute_output_shapes({s})[0]; }
Shape RNN::compute_output_shape_n(const std::vector<Shape>& s) const { return compute_output_shapes(s)[0]; }

std::vector<Shape> RNN::compute_output_shapes(const std::vector<Shape>& shapes) const {
  const Shape& s = shapes.at(0);
  KERAS_CHECK(s.size() == 3, ValueError, "Input 0 of layer \"", name_, "\" (", class_name(),
              ") is incompatible with the layer: expected ndim=3, found ndim=", s.size(), ". Full shape received: ",
              shape_str(s));
  std::vector<Shape> r;
  const std::int64_t out = cell_->output_size();
  r.push_back(ro_.return_sequences ? Shape{s[0], s[1], out} : Shape{s[0], out});
  if (ro_.return_state)
    for (auto n : cell_->state_size()) r.push_back({s[0], n});
  return r;
}

std::vector<Tensor> RNN::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  std::vector<Tensor> r(static_cast<std::size_t>(num_outputs()));
  if (ro_.return_sequences && !masks.empty()) r[0] = masks[0];
  return r;
}

nlohmann::json RNN::base_config() const {
  auto c = Layer::get_config();
  c["return_sequences"] = ro_.return_sequences;
  c["return_state"] = ro_.return_state;
  c["go_backwards"] = ro_.go_backwards;
  c["stateful"] = ro_.stateful;
  c["unroll"] = ro_.unroll;
  c["zero_output_for_mask"] = ro_.zero_output_for_mask;
  return c;
}

nlohmann::json RNN::get_config() const {
  auto c = base_config();
  c["cell"] = saving::serialize_layer(*cell_);
  return c;
}

namespace {
// The layer's config: the RNN keys, then the cell's arguments.
nlohmann::json flat_config(nlohmann::json c, const RecurrentCell& cell) {
  const nlohmann::json cc = cell.get_config();
  for (auto& [k, v] : cc.items())
    if (k != "name" && k != "trainable" && k != "dtype") c[k] = v;
  c["activity_regularizer"] = nullptr;
  return c;
}
}  // namespace

SimpleRNN::SimpleRNN(std::int64_t units, CellOptions c, RNNOptions o)
    : RNN(std::make_shared<SimpleRNNCell>(units, cell_named(std::move(c), "simple_rnn_cell")), named(std::move(o), "simple_rnn")) {}
LSTM::LSTM(std::int64_t units, CellOptions c, RNNOptions o)
    : RNN(std::make_shared<LSTMCell>(units, cell_named(std::move(c), "lstm_cell")), named(std::move(o), "lstm")) {}
GRU::GRU(std::int64_t units, CellOptions c, RNNOptions o)
    : RNN(std::make_shared<GRUCell>(units, cell_named(std::move(c), "gru_cell")), named(std::move(o), "gru")) {}

nlohmann::json SimpleRNN::get_config() const { return flat_config(base_config(), *cell()); }
nlohmann::json LSTM::get_config() const { return flat_config(base_config(), *cell()); }
nlohmann::json GRU::get_config() const { return flat_config(base_config(), *cell()); }

}  // namespace keras::layers
