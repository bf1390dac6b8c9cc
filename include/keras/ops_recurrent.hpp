// keras::ops::recurrent_sequence: a whole recurrent layer's time loop as one
// differentiable op (SimpleRNN, LSTM, GRU), with backpropagation through
// time in its own backward pass.
//
// The caller projects every time step's input at once (one matmul:
// xp = x @ kernel + bias, time-major (T, B, P)); the op runs one
// recurrent matmul per step and the gate arithmetic, and keeps what the
// backward pass needs. Masked steps carry the previous state forward.
#pragma once
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::ops {

enum class RecurrentKind {
  simple,     // h = act(xp + h @ U)                              P = u
  lstm,       // gates i, f, c, o (Keras order)                    P = 4u
  gru,        // z, r, h; reset gate after the matmul (reset_after) P = 3u
  gru_before  // z, r, h; reset gate before the matmul             P = 3u
};

struct RecurrentSpec {
  RecurrentKind kind = RecurrentKind::lstm;
  std::string activation = "tanh";  // linear, tanh, sigmoid, relu or hard_sigmoid
  std::string recurrent_activation = "sigmoid";  // the gates' (not simple)
};

// True when the op computes these activations (else compose per step).
bool recurrent_sequence_supported(const std::string& activation, const std::string& recurrent_activation);

// xp (T, B, P) float32; recurrent_kernel (u, P); recurrent_bias (P,) for
// gru (the second row of GRU's (2, 3u) bias) or undefined; states {h0}
// or {h0, c0} for lstm, each (B, u); mask (T, B) bool or undefined;
// recurrent_dropout (B, u) multiplies h before the recurrent matmul, or
// undefined. Returns (T, B, u) — the state h after each step — or
// (T, B, 2u) for lstm: [h | c]. Differentiable in xp, recurrent_kernel,
// recurrent_bias and the states. Throws ValueError naming the op and the
// shapes when they disagree.
Tensor recurrent_sequence(const RecurrentSpec& spec, const Tensor& xp, const Tensor& recurrent_kernel,
                          const Tensor& recurrent_bias, const std::vector<Tensor>& states, const Tensor& mask,
                          const Tensor& recurrent_dropout = {});

}  // namespace keras::ops
