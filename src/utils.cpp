// keras.utils helpers that work on host data.
#include "keras/utils.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "keras/errors.hpp"

namespace keras::utils {
namespace {

// Labels as int64 on the host, whatever their dtype; floats must hold whole
// numbers (NumPy's int cast would silently truncate 2.7 to 2).
std::vector<std::int64_t> labels_as_int64(const Tensor& y) {
  const Tensor h = y.cpu();
  const std::int64_t n = h.size();
  std::vector<std::int64_t> out(static_cast<std::size_t>(n));
  switch (h.dtype()) {
    case DType::int64:
      if (n) std::memcpy(out.data(), h.data<std::int64_t>(), n * sizeof(std::int64_t));
      break;
    case DType::int32: {
      const auto* p = h.data<std::int32_t>();
      for (std::int64_t i = 0; i < n; ++i) out[i] = p[i];
      break;
    }
    case DType::uint8: {
      const auto* p = h.data<std::uint8_t>();
      for (std::int64_t i = 0; i < n; ++i) out[i] = p[i];
      break;
    }
    case DType::float32: {
      const auto* p = h.data<float>();
      for (std::int64_t i = 0; i < n; ++i) {
        KERAS_CHECK(std::isfinite(p[i]) && p[i] == std::trunc(p[i]), ValueError,
                    "to_categorical: labels must be whole numbers; received y[", i,
                    "]=", p[i]);
        out[i] = static_cast<std::int64_t>(p[i]);
      }
      break;
    }
    default:
      throw TypeError(detail::cat("to_categorical: expected integer labels (int32, int64, ",
                                  "uint8 or whole-number float32); received dtype ",
                                  dtype_name(h.dtype())));
  }
  return out;
}

}  // namespace

Tensor to_categorical(const Tensor& y, std::int64_t num_classes) {
  KERAS_CHECK(y.defined(), ValueError, "to_categorical: received an undefined tensor");
  const std::vector<std::int64_t> labels = labels_as_int64(y);
  if (num_classes == -1) {
    KERAS_CHECK(!labels.empty(), ValueError,
                "to_categorical: cannot infer num_classes from an empty tensor; pass it");
    std::int64_t mx = labels[0];
    for (std::int64_t v : labels) mx = v > mx ? v : mx;
    num_classes = mx + 1;
  }
  KERAS_CHECK(num_classes > 0, ValueError,
              "to_categorical: num_classes must be positive (or -1 to infer it); received "
              "num_classes=", num_classes);

  // As in Keras, a trailing axis of size 1 is replaced rather than extended:
  // (n, 1) labels give (n, num_classes).
  Shape shape = y.shape();
  if (shape.size() > 1 && shape.back() == 1) shape.pop_back();
  shape.push_back(num_classes);

  Tensor out = Tensor::zeros(shape, float32);
  float* p = out.data<float>();
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::int64_t c = labels[i];
    KERAS_CHECK(c >= 0 && c < num_classes, ValueError, "to_categorical: expected labels in [0, ",
                num_classes, "); received y[", i, "]=", c, " (flat index)");
    p[i * num_classes + c] = 1.0f;
  }
  return y.device().is_cpu() ? out : out.to(y.device());
}

}  // namespace keras::utils
