// Global settings (keras.config).
#pragma once
#include "keras/dtype.hpp"

namespace keras::config {

// The device new tensors and models use (CPU unless set; see
// keras::backend::available_devices()).
Device device();
// Throws ValueError if no backend for `d` is available.
void set_device(Device d);

}  // namespace keras::config
