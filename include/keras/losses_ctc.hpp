// Keras 3's CTC loss (keras.losses.CTC / keras.losses.ctc): connectionist
// temporal classification of y_pred (batch, time, classes) logits against
// y_true (batch, max_label_length) integer labels. As in Keras 3, class 0
// is the blank, every sequence uses the whole time axis of y_pred and the
// whole width of y_true (label_length = y_true.shape[1]), and y_pred goes
// through log_softmax. Per-sample values are the negative log likelihood.
#pragma once
#include "keras/losses.hpp"

namespace keras::losses {

// Per-sample CTC losses (batch,), differentiable in y_pred. Throws
// ValueError unless y_true is 2-D and y_pred 3-D with the same batch.
Tensor ctc(const Tensor& y_true, const Tensor& y_pred);

// The general form (keras.ops.ctc_loss): per-sample label and logit
// lengths (int tensors of shape (batch,)), blank class `mask_index`.
Tensor ctc_loss(const Tensor& target, const Tensor& output, const Tensor& target_length,
                const Tensor& output_length, int mask_index = 0);

class CTC : public Loss {
 public:
  explicit CTC(LossOptions o = {});
  std::string class_name() const override { return "CTC"; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
};

}  // namespace keras::losses
