// Recurrent layers: the cells (SimpleRNNCell, LSTMCell, GRUCell), the
// generic RNN(cell) layer, and SimpleRNN, LSTM and GRU, with Keras 3's
// arguments, defaults, weight names and layouts.
//
// A user cell subclasses RecurrentCell: state_size() and step().
//   class MinimalCell : public keras::layers::RecurrentCell {
//    public:
//     MinimalCell(int units) : RecurrentCell(unique_name("minimal_cell")), units_(units) {}
//     KERAS_LAYER_CLASS(MinimalCell)
//     std::vector<std::int64_t> state_size() const override { return {units_}; }
//     void build(const keras::Shape& s) override { w_ = add_weight("kernel", {s.back(), units_}, "glorot_uniform"); }
//     std::vector<keras::Tensor> step(const keras::Tensor& x, const std::vector<keras::Tensor>& st, bool) override {
//       keras::Tensor h = keras::ops::tanh(keras::ops::matmul(x, w_.value()) + st[0]);
//       return {h, h};
//     }
//    ...
//   };
//   auto rnn = std::make_shared<keras::layers::RNN>(std::make_shared<MinimalCell>(8));
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keras/activations.hpp"
#include "keras/layers/layer.hpp"
#include "keras/ops_recurrent.hpp"

namespace keras::layers {

// One time step of a recurrent layer. build() receives (batch, features).
class RecurrentCell : public Layer {
 public:
  // The size of each state (each state is (batch, size)).
  virtual std::vector<std::int64_t> state_size() const = 0;
  virtual std::int64_t output_size() const { return state_size().at(0); }
  // x (batch, features) and the states -> {output, new states...}.
  virtual std::vector<Tensor> step(const Tensor& x, const std::vector<Tensor>& states, bool training) = 0;
  // Called before the first step of each sequence (dropout masks are
  // drawn once per sequence, as in Keras).
  virtual void begin_sequence(const Shape& /*step_input_shape*/, bool /*training*/) {}

  // The fused form of a built-in cell: its input kernel/bias, recurrent
  // kernel/bias and the op that runs its time loop. False when the cell
  // has none (a user cell, an activation the op does not compute).
  struct Fused {
    ops::RecurrentSpec spec;
    Tensor kernel, bias, recurrent_kernel, recurrent_bias;
    Tensor input_dropout, recurrent_dropout;  // (B, F) / (B, u) masks, or undefined
  };
  virtual bool fused(Fused& /*f*/) const { return false; }

  // Cells run inside RNN: call() raises ValueError.
  Tensor call(const Tensor& x, bool training) override;

 protected:
  explicit RecurrentCell(std::string name) : Layer(std::move(name)) {}
};
using CellPtr = std::shared_ptr<RecurrentCell>;

// Arguments shared by the built-in cells (Keras 3's defaults).
struct CellOptions {
  activations::Activation activation = "tanh";
  activations::Activation recurrent_activation = "sigmoid";  // LSTM and GRU
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg recurrent_initializer = "orthogonal";
  initializers::InitializerArg bias_initializer = "zeros";
  bool unit_forget_bias = true;  // LSTM: the forget gate's bias starts at 1
  bool reset_after = true;       // GRU: bias (2, 3u), reset gate after the matmul
  double dropout = 0.0;          // of the inputs, training only
  double recurrent_dropout = 0.0;  // of the state before the recurrent matmul, training only
  std::string name;
};

// kernel (F, g*u), recurrent_kernel (u, g*u), bias (g*u,) — or (2, 3u) for
// GRU with reset_after — with g = 1 (SimpleRNN), 4 (LSTM: i, f, c, o) or
// 3 (GRU: z, r, h).
class BuiltinCell : public RecurrentCell {
 public:
  enum class Kind { simple, lstm, gru };
  BuiltinCell(Kind kind, std::int64_t units, CellOptions o, const char* prefix);
  void build(const Shape& input_shape) override;
  std::vector<std::int64_t> state_size() const override;
  std::vector<Tensor> step(const Tensor& x, const std::vector<Tensor>& states, bool training) override;
  void begin_sequence(const Shape& step_input_shape, bool training) override;
  bool fused(Fused& f) const override;
  nlohmann::json get_config() const override;
  std::int64_t units() const { return units_; }
  const CellOptions& options() const { return o_; }
  Kind kind() const { return kind_; }
  const Variable& kernel() const { return kernel_; }
  const Variable& recurrent_kernel() const { return recurrent_kernel_; }
  const Variable& bias() const { return bias_; }

 private:
  std::vector<Tensor> step_lstm(const Tensor& xw, const Tensor& hu, const std::vector<Tensor>& states) const;
  std::vector<Tensor> step_gru(const Tensor& xw, const Tensor& h_in, const Tensor& h_prev) const;
  Kind kind_;
  std::int64_t units_;
  CellOptions o_;
  Variable kernel_, recurrent_kernel_, bias_;
  Tensor dp_mask_, rec_dp_mask_;  // this sequence's dropout masks (training)
};

class SimpleRNNCell : public BuiltinCell {
 public:
  explicit SimpleRNNCell(std::int64_t units, CellOptions o = {});
  KERAS_LAYER_CLASS(SimpleRNNCell)
};
class LSTMCell : public BuiltinCell {
 public:
  explicit LSTMCell(std::int64_t units, CellOptions o = {});
  KERAS_LAYER_CLASS(LSTMCell)
};
class GRUCell : public BuiltinCell {
 public:
  explicit GRUCell(std::int64_t units, CellOptions o = {});
  KERAS_LAYER_CLASS(GRUCell)
};

struct RNNOptions {
  bool return_sequences = false;
  bool return_state = false;   // outputs: [output, state...]
  bool go_backwards = false;   // the sequence is read last step first (outputs in that order)
  bool stateful = false;       // the last states start the next batch (reset_states())
  bool unroll = false;         // accepted; the loop is the same
  bool zero_output_for_mask = false;  // masked steps output zeros (Bidirectional sets it with return_sequences)
  std::string name;
};

// Runs `cell` over the time axis of (batch, time, features). Inputs:
// the sequence, then optionally one initial state per state_size() entry
// (each (batch, size)). Masks (batch, time): masked steps keep the
// previous output and states.
class RNN : public Layer {
 public:
  explicit RNN(CellPtr cell, RNNOptions o = {});
  KERAS_LAYER_CLASS(RNN)
  void build(const Shape& input_shape) override;
  void build_n(const std::vector<Shape>& input_shapes) override;
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_n(const std::vector<Tensor>& xs, bool training) override;
  int num_outputs() const override;
  std::vector<Tensor> call_outputs(const std::vector<Tensor>& xs, bool training) override;
  std::vector<Tensor> call_masked(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                  bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  Shape compute_output_shape_n(const std::vector<Shape>& input_shapes) const override;
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const override;
  bool shapes_by_dry_run() const override { return false; }
  nlohmann::json get_config() const override;

  // Stateful layers: the states kept between calls go back to zeros.
  void reset_states();
  const std::vector<Tensor>& states() const { return states_; }
  const CellPtr& cell() const { return cell_; }
  const RNNOptions& rnn_options() const { return ro_; }
  void set_zero_output_for_mask(bool z) { ro_.zero_output_for_mask = z; }
  void set_go_backwards(bool b) { ro_.go_backwards = b; }

 protected:
  // The RNN base's config keys (return_sequences, ... zero_output_for_mask).
  nlohmann::json base_config() const;

 private:
  std::vector<Tensor> run(const std::vector<Tensor>& xs, const Tensor& mask, bool training);
  std::vector<Tensor> initial_states(const std::vector<Tensor>& xs, std::int64_t batch) const;
  Tensor check_mask(const Tensor& x, const Tensor& mask) const;
  Tensor run_steps(const Tensor& x_tbf, const Tensor& mask_tb, std::vector<Tensor> states,
                                bool training, std::vector<Tensor>& final_states);
  Tensor run_fused(const Tensor& x, const Tensor& mask_tb, std::vector<Tensor> states,
                                const RecurrentCell::Fused& f, std::vector<Tensor>& final_states);
  CellPtr cell_;
  RNNOptions ro_;
  std::vector<Tensor> states_;  // stateful: the states after the last call
};

// The built-in recurrent layers: RNN over the matching cell, with the
// cell's arguments at the layer level as Keras configs have them.
class SimpleRNN : public RNN {
 public:
  explicit SimpleRNN(std::int64_t units, CellOptions c = {}, RNNOptions o = {});
  KERAS_LAYER_CLASS(SimpleRNN)
  nlohmann::json get_config() const override;
};
class LSTM : public RNN {
 public:
  explicit LSTM(std::int64_t units, CellOptions c = {}, RNNOptions o = {});
  KERAS_LAYER_CLASS(LSTM)
  nlohmann::json get_config() const override;
};
class GRU : public RNN {
 public:
  explicit GRU(std::int64_t units, CellOptions c = {}, RNNOptions o = {});
  KERAS_LAYER_CLASS(GRU)
  nlohmann::json get_config() const override;
};

// True for the layers whose extra inputs are initial states (RNN and its
// subclasses, Bidirectional): configs write them as Keras's initial_state.
bool takes_initial_state(const Layer& layer);

}  // namespace keras::layers
