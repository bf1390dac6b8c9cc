// Internal: the conventions tf.keras 2 files follow where Keras 3 differs,
// in both directions, applied to a whole model entry ({"class_name",
// "config"}) before it is built (reading) or after it is serialized
// (writing a tf.keras-2-compatible .h5).
//
//   - hard_sigmoid is clip(0.2 x + 0.5, 0, 1) in Keras 2 and
//     clip(x / 6 + 0.5, 0, 1) in Keras 3: a Keras 2 file's "hard_sigmoid"
//     becomes the activation "hard_sigmoid_keras2" here, and back.
//   - A nested model built from an Input owns call node 0 in tf.keras 2, so
//     the outer graph's references to its calls start at 1 (Keras 3: 0).
//   - Keras 2 writes "batch_input_shape", dtype strings and list-form
//     inbound nodes ([[layer, node, tensor, kwargs], ...]); Keras 3
//     "batch_shape", DTypePolicy objects and {"args", "kwargs"} nodes.
//   - BatchNormalization's renorm / virtual_batch_size / adjustment exist
//     only in Keras 2; a file that uses them is refused, never approximated.
#pragma once
#include <string>

#include "saving/config_utils.hpp"

namespace keras::saving {

// A keras_version attribute ("2.15.0") that names Keras 2.
bool is_keras2_version(const std::string& version);
// True when the model entry's functional graphs use tf.keras 2's list-form
// inbound nodes (a config from Keras 2 without a version attribute).
bool looks_like_keras2(const json& entry);

// Reading: a tf.keras 2 model entry rewritten with Keras 3's meanings.
json keras2_to_keras3(json entry);
// Writing: a model entry as tf.keras 2.15 reads it. Throws ValueError
// naming the layer when something has no Keras 2 equivalent.
json keras3_to_keras2(json entry);
// training_config for tf.keras 2.15 (optimizer arguments it accepts).
json training_to_keras2(json training);

// Writing Keras 3 formats: ValueError naming the layer when the entry holds
// a Keras-2-only meaning (the activation hard_sigmoid_keras2).
void check_keras3_representable(const json& entry);

// Raises one ValueError naming every layer class in the entry (nested
// models and wrapped layers included) that is not registered here.
void check_layer_classes(const json& entry);

}  // namespace keras::saving
