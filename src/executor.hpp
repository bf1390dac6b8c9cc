// The model executor: one plan per model graph, run for every batch.
//
// A plan is the graph's calls in execution order, the value slots each step
// reads and writes, when a value can be freed, which steps carry masks, and
// the fused kernels a planning pass chose for exact-class patterns:
//   Dense / Conv1D / Conv2D + a built-in activation  -> one bias+activation op
//   Conv2D + MaxPooling2D (strides = pool size, valid) -> one conv+pool op
//   Dense / Conv / Activation with a built-in softmax at an output
//                                                     -> the logits are kept
// A subclass, or an activation that is a user's callable, is never fused.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "keras/keras_tensor.hpp"
#include "keras/layers/layer.hpp"

namespace keras::detail {

// What one run returns, per model output.
struct RunResult {
  std::vector<Tensor> outputs;
  std::vector<Tensor> logits;  // pre-softmax values where the plan kept them
  std::vector<Tensor> masks;   // output masks (undefined: none)
};

class Executor {
 public:
  // Throws ValueError for a disconnected graph, an input given twice, or an
  // input that feeds no output.
  // `input_owner` is the layer input errors name (a Sequential's first
  // layer, as in Keras); the model by default.
  Executor(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, const std::string& model_name,
           const std::string& input_owner = "");

  RunResult run(const std::vector<Tensor>& xs, bool training) const;
  std::vector<Tensor> outputs(const std::vector<Tensor>& xs, bool training) const { return run(xs, training).outputs; }

  const std::vector<KerasTensor>& inputs() const { return inputs_; }
  const std::vector<KerasTensor>& model_outputs() const { return outputs_; }
  // The graph's call nodes in execution order (inputs excluded).
  std::vector<const GraphNode*> nodes() const;
  // Each layer once: the inputs, then in execution order.
  std::vector<std::shared_ptr<layers::Layer>> layers() const;
  // How many steps the planning pass fused (for tests and the profiler).
  int fused_steps() const;

  enum class Kind { call, dense, conv, conv_pool };
  struct Step {
    std::shared_ptr<GraphNode> node;
    std::vector<int> args;       // slots read
    int out = 0;                 // first slot written (one per output)
    Kind kind = Kind::call;
    bool masked = false;         // masks may reach this step
    bool keep_logits = false;    // a softmax output: keep its input
    int skip = 0;                // steps folded into this one (conv_pool: the pool)
    std::vector<int> release;    // slots no later step reads
  };

 private:
  void plan_fusion();
  void plan_lifetimes();
  void check_inputs(const std::vector<Tensor>& xs) const;

  std::string name_, input_owner_;
  std::vector<KerasTensor> inputs_, outputs_;
  std::vector<Step> steps_;
  std::vector<int> output_slots_;
  int num_slots_ = 0;
};

}  // namespace keras::detail
