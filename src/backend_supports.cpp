// The Backend's default capability answers (supports) and the op names used
// in the front end's "not supported" messages.
#include "keras/backend.hpp"

namespace keras::backend {
namespace {

bool all_float(std::initializer_list<DType> dtypes) {
  for (DType d : dtypes)
    if (d != DType::float32) return false;
  return true;
}

bool all_of(std::initializer_list<DType> dtypes, std::initializer_list<DType> allowed) {
  for (DType d : dtypes) {
    bool ok = false;
    for (DType a : allowed) ok = ok || d == a;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

const char* op_name(Op op) {
  switch (op) {
    case Op::unary: return "unary";
    case Op::binary: return "binary";
    case Op::reduce: return "reduce";
    case Op::take: return "take";
    case Op::one_hot: return "one_hot";
    case Op::matmul: return "matmul";
    case Op::softmax: return "softmax";
    case Op::sparse_softmax_cross_entropy: return "sparse_softmax_cross_entropy";
    case Op::bias_activation: return "bias_activation";
    case Op::conv2d: return "conv2d";
    case Op::pool2d: return "pool2d";
    case Op::conv2d_bias_activation: return "conv2d_bias_activation";
    case Op::conv2d_bias_activation_max_pool: return "conv2d_bias_activation_max_pool";
    case Op::batch_norm: return "batch_norm";
    case Op::layer_norm: return "layer_norm";
    case Op::attention: return "attention";
  }
  return "unknown op";
}

bool Backend::supports(Op op, std::initializer_list<DType> dtypes, const ConvPoolShapes* /*shapes*/) const {
  using enum DType;
  switch (op) {
    case Op::unary: return all_of(dtypes, {float32, int32, int64});
    case Op::binary:
    case Op::reduce: return all_of(dtypes, {float32, int32, int64, uint8, bool_});
    case Op::take: return true;  // any data dtype; indices are checked by the front end
    case Op::one_hot: return all_of(dtypes, {int32, int64});
    case Op::sparse_softmax_cross_entropy: return all_of(dtypes, {float32, int32, int64});
    case Op::conv2d_bias_activation_max_pool: return false;  // no composed default
    case Op::attention: return false;                        // the front end composes it
    default: return all_float(dtypes);
  }
}

}  // namespace keras::backend
