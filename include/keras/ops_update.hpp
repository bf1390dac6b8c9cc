// Fused in-place optimizer updates (not recorded by autograd): one pass over
// a float32 variable, its gradient and its slots per step, for the rules of
// keras/update_step.hpp.
#pragma once

#include "keras/tensor.hpp"
#include "keras/update_step.hpp"

namespace keras::ops {

// True if fused_update accepts this variable and gradient (both float32, on
// one device); otherwise an optimizer composes its rule from ops.
inline bool can_fuse_update(const Tensor& var, const Tensor& grad) {
  return var.dtype() == float32 && grad.dtype() == float32 && var.device() == grad.device();
}

// Applies step.rule to var and its slots in place. Which slots a rule reads
// is listed in keras/update_step.hpp; unused ones may be null. All defined
// tensors float32 of var's shape, on var's device.
void fused_update(Tensor& var, const Tensor& grad, Tensor* slot0, Tensor* slot1, Tensor* slot2,
                  const backend::UpdateStep& step);

}  // namespace keras::ops
