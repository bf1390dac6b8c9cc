// SimpleRNNCell, LSTMCell and GRUCell: weights, one step, the fused form.
#include <nlohmann/json.hpp>

#include "keras/layers/recurrent.hpp"
#include "keras/ops.hpp"

namespace keras::layers {
namespace {

// Keras's unit_forget_bias: [init(u), ones(u), init(2u)].
class UnitForgetBias : public initializers::Initializer {
 public:
  UnitForgetBias(initializers::InitializerPtr base, std::int64_t units) : base_(std::move(base)), units_(units) {}
  std::string class_name() const override { return "UnitForgetBias"; }
  Tensor operator()(const Shape&, DType dtype) const override {
    return ops::concatenate({(*base_)({units_}, dtype), ops::ones({units_}, dtype), (*base_)({2 * units_}, dtype)}, 0);
  }

 private:
  initializers::InitializerPtr base_;
  std::int64_t units_;
};

int gates(BuiltinCell::Kind k) { return k == BuiltinCell::Kind::simple ? 1 : k == BuiltinCell::Kind::lstm ? 4 : 3; }

Tensor cols(const Tensor& x, std::int64_t u, int k) { return ops::slice_axis(x, 1, k * u, (k + 1) * u); }

Tensor bias_row(const Tensor& b, int row) {
  return ops::reshape(ops::slice_axis(b, 0, row, row + 1), {b.shape(1)});
}

double clamp_rate(double r) { return r < 0 ? 0 : r > 1 ? 1 : r; }
bool active(double rate) { return rate > 0 && rate < 1; }

}  // namespace

Tensor RecurrentCell::call(const Tensor&, bool) {
  throw ValueError("Layer \"" + name_ + "\" (" + class_name() +
                   ") is a recurrent cell: run it over a sequence with keras::layers::RNN(cell)");
}

BuiltinCell::BuiltinCell(Kind kind, std::int64_t units, CellOptions o, const char* prefix)
    : RecurrentCell(o.name.empty() ? unique_name(prefix) : o.name), kind_(kind), units_(units), o_(std::move(o)) {
  KERAS_CHECK(units > 0, ValueError, "Received an invalid value for argument `units`, expected a positive integer, got ",
              units, " (layer \"", name_, "\")");
  o_.dropout = clamp_rate(o_.dropout);
  o_.recurrent_dropout = clamp_rate(o_.recurrent_dropout);
}

SimpleRNNCell::SimpleRNNCell(std::int64_t units, CellOptions o) : BuiltinCell(Kind::simple, units, std::move(o), "simple_rnn_cell") {}
LSTMCell::LSTMCell(std::int64_t units, CellOptions o) : BuiltinCell(Kind::lstm, units, std::move(o), "lstm_cell") {}
GRUCell::GRUCell(std::int64_t units, CellOptions o) : BuiltinCell(Kind::gru, units, std::move(o), "gru_cell") {}

std::vector<std::int64_t> BuiltinCell::state_size() const {
  if (kind_ == Kind::lstm) return {units_, units_};
  return {units_};
}

void BuiltinCell::build(const Shape& s) {
  KERAS_CHECK(s.size() == 2 && s.back() > 0, ValueError, "Layer \"", name_, "\" (", class_name(),
              ") expects step inputs (batch, features) with known features, received shape ", shape_str(s));
  const std::int64_t g = gates(kind_) * units_;
  kernel_ = add_weight("kernel", {s.back(), g}, o_.kernel_initializer);
  recurrent_kernel_ = add_weight("recurrent_kernel", {units_, g}, o_.recurrent_initializer);
  if (!o_.use_bias) return;
  if (kind_ == Kind::lstm && o_.unit_forget_bias)
    bias_ = add_weight("bias", {g}, initializers::InitializerArg(std::make_shared<UnitForgetBias>(o_.bias_initializer.ptr, units_)));
  else if (kind_ == Kind::gru && o_.reset_after)
    bias_ = add_weight("bias", {2, g}, o_.bias_initializer);
  else
    bias_ = add_weight("bias", {g}, o_.bias_initializer);
}

void BuiltinCell::begin_sequence(const Shape& s, bool training) {
  dp_mask_ = rec_dp_mask_ = Tensor();
  if (!training) return;
  if (active(o_.dropout)) dp_mask_ = ops::dropout(ops::ones(s), o_.dropout);
  if (active(o_.recurrent_dropout)) rec_dp_mask_ = ops::dropout(ops::ones({s[0], units_}), o_.recurrent_dropout);
}

bool BuiltinCell::fused(Fused& f) const {
  const bool gated = kind_ != Kind::simple;
  if (!o_.activation.builtin() || (gated && !o_.recurrent_activation.builtin())) return false;
  const std::string ra = gated ? o_.recurrent_activation.name : "sigmoid";
  if (!ops::recurrent_sequence_supported(o_.activation.name, ra)) return false;
  f.spec.kind = kind_ == Kind::simple ? ops::RecurrentKind::simple
                : kind_ == Kind::lstm ? ops::RecurrentKind::lstm
                : o_.reset_after      ? ops::RecurrentKind::gru
                                      : ops::RecurrentKind::gru_before;
  f.spec.activation = o_.activation.name;
  f.spec.recurrent_activation = ra;
  f.kernel = kernel_.value();
  f.recurrent_kernel = recurrent_kernel_.value();
  f.bias = f.recurrent_bias = Tensor();
  if (o_.use_bias) {
    const bool two_rows = kind_ == Kind::gru && o_.reset_after;
    f.bias = two_rows ? bias_row(bias_.value(), 0) : bias_.value();
    if (two_rows) f.recurrent_bias = bias_row(bias_.value(), 1);
  }
  f.input_dropout = dp_mask_;
  f.recurrent_dropout = rec_dp_mask_;
  return true;
}

std::vector<Tensor> BuiltinCell::step(const Tensor& x_in, const std::vector<Tensor>& states, bool) {
  const std::int64_t n = static_cast<std::int64_t>(state_size().size());
  KERAS_CHECK(static_cast<std::int64_t>(states.size()) == n, ValueError, "Layer \"", name_, "\" expects ", n,
              " states, received ", states.size());
  Tensor x = dp_mask_.defined() ? x_in * dp_mask_ : x_in;
  Tensor h_in = rec_dp_mask_.defined() ? states[0] * rec_dp_mask_ : states[0];
  const bool two_rows = kind_ == Kind::gru && o_.reset_after;
  Tensor xw = ops::matmul(x, kernel_.value());
  if (o_.use_bias) xw = xw + (two_rows ? bias_row(bias_.value(), 0) : bias_.value());
  if (kind_ == Kind::simple) {
    Tensor h = o_.activation(xw + ops::matmul(h_in, recurrent_kernel_.value()));
    return {h, h};
  }
  if (kind_ == Kind::lstm) return step_lstm(xw, ops::matmul(h_in, recurrent_kernel_.value()), states);
  return step_gru(xw, h_in, states[0]);
}

std::vector<Tensor> BuiltinCell::step_lstm(const Tensor& xw, const Tensor& hu, const std::vector<Tensor>& st) const {
  const std::int64_t u = units_;
  Tensor z = xw + hu;
  const auto& ra = o_.recurrent_activation;
  Tensor i = ra(cols(z, u, 0)), f = ra(cols(z, u, 1)), o = ra(cols(z, u, 3));
  Tensor c = f * st[1] + i * o_.activation(cols(z, u, 2));
  Tensor h = o * o_.activation(c);
  return {h, h, c};
}

std::vector<Tensor> BuiltinCell::step_gru(const Tensor& xw, const Tensor& h_in, const Tensor& h_prev) const {
  const std::int64_t u = units_;
  const auto& ra = o_.recurrent_activation;
  const Tensor& U = recurrent_kernel_.value();
  Tensor z, r, hh;
  if (o_.reset_after) {
    Tensor rec = ops::matmul(h_in, U);
    if (o_.use_bias) rec = rec + bias_row(bias_.value(), 1);
    z = ra(cols(xw, u, 0) + cols(rec, u, 0));
    r = ra(cols(xw, u, 1) + cols(rec, u, 1));
    hh = o_.activation(cols(xw, u, 2) + r * cols(rec, u, 2));
  } else {
    Tensor rzr = ops::matmul(h_in, ops::slice_axis(U, 1, 0, 2 * u));
    z = ra(cols(xw, u, 0) + cols(rzr, u, 0));
    r = ra(cols(xw, u, 1) + cols(rzr, u, 1));
    hh = o_.activation(cols(xw, u, 2) + ops::matmul(r * h_in, ops::slice_axis(U, 1, 2 * u, 3 * u)));
  }
  Tensor h = hh + z * (h_prev - hh);
  return {h, h};
}

nlohmann::json BuiltinCell::get_config() const {
  auto c = Layer::get_config();
  c["units"] = units_;
  c["activation"] = activations::serialize(o_.activation);
  if (kind_ != Kind::simple) c["recurrent_activation"] = activations::serialize(o_.recurrent_activation);
  c["use_bias"] = o_.use_bias;
  c["kernel_initializer"] = initializers::serialize(*o_.kernel_initializer.ptr);
  c["recurrent_initializer"] = initializers::serialize(*o_.recurrent_initializer.ptr);
  c["bias_initializer"] = initializers::serialize(*o_.bias_initializer.ptr);
  if (kind_ == Kind::lstm) c["unit_forget_bias"] = o_.unit_forget_bias;
  for (const char* k : {"kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                        "recurrent_constraint", "bias_constraint"})
    c[k] = nullptr;
  c["dropout"] = o_.dropout;
  c["recurrent_dropout"] = o_.recurrent_dropout;
  if (kind_ == Kind::gru) c["reset_after"] = o_.reset_after;
  c["seed"] = nullptr;
  return c;
}

}  // namespace keras::layers
