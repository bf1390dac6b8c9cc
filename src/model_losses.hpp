// Internal: the losses fit adds to the compiled loss (Keras's model.losses):
// tensors layers recorded with add_loss during the step's forward pass
// (activity regularization included) and the weight penalties.
#pragma once
#include <vector>

#include "keras/layers/layer.hpp"
#include "keras/variable.hpp"

namespace keras {
class Model;
}

namespace keras::detail {

class ModelLosses {
 public:
  // Flattens the model's layers and finds its regularized trainable
  // weights; once per fit / evaluate loop, not per step.
  void init(const Model& model);
  bool initialized() const { return initialized_; }
  // Forgets the call losses of the previous step (before the forward pass,
  // which runs inside a layers::LossScope).
  void begin_step() const;
  // The sum of the call losses and penalties; undefined when there are none.
  Tensor total() const;

 private:
  bool initialized_ = false;
  std::vector<layers::Layer*> layers_;
  std::vector<Variable> regularized_;
};

}  // namespace keras::detail
