// Saving and loading models in Keras's file formats.
//
//   model.save("model.keras");                 // Keras 3 zip: config.json, metadata.json, model.weights.h5
//   model.save("model.h5");                    // legacy HDF5, as tf.keras 2 and Keras 3 write it
//   keras::Model m = keras::models::load_model("model.h5");   // compiled, optimizer state restored
//   std::string js = keras::models::to_json(model);
//   keras::Model same = keras::models::model_from_json(js);  // new weights; copy with set_weights
//
// Files written by Keras (tf.keras 2.x and Keras 3) load here, and files
// written here load in Keras 3. Errors: keras::IOError for unreadable,
// truncated or corrupt files; keras::ValueError for configs this library
// cannot rebuild (an unknown layer class, named with the file) or weights
// that do not fit the model (named with the layer and the file);
// keras::ResourceExhaustedError for a file or config declaring more memory
// than the load budget (LoadOptions::max_bytes). Stale temporary files that
// an interrupted save left next to a path are removed by the next save.
#pragma once
#include <cstddef>
#include <string>

#include "keras/models.hpp"

namespace keras::models {

// Limits for loading files that may come from anywhere.
struct LoadOptions {
  bool compile = true;
  // Bytes the load may allocate in all (weights, the build's trial run,
  // buffers read from the file). 0: the default, 1 GiB or 16 x the file's
  // size if larger. A file declaring more raises ResourceExhaustedError
  // before the memory is touched.
  std::size_t max_bytes = 0;
};
// Keras's model JSON: {"module", "class_name", "config", "registered_name",
// "build_config"}, with the functional graph as Keras 3 writes it
// ("inbound_nodes" of "__keras_tensor__" arguments, "input_layers",
// "output_layers").
std::string to_json(const Model& model);

// A model from Keras's JSON (Keras 3 or tf.keras 2.x: "batch_input_shape",
// list-form "inbound_nodes", dtype strings or DTypePolicy objects). Weights
// are freshly initialized. Throws ValueError naming an unknown layer class.
Model model_from_json(const std::string& json);

// Loads a ".keras" or ".h5" / ".hdf5" file (detected from its content).
// With `compile`, a file with a training config comes back compiled, with
// the optimizer state (iterations, Adam moments, ...) restored, so fit()
// continues where it stopped.
Model load_model(const std::string& path, bool compile = true);

Model load_model(const std::string& path, const LoadOptions& options);
// model_from_json under the same budget (compile is not used).
Model model_from_json(const std::string& json, const LoadOptions& options);

// Same as model.save(path, include_optimizer).
void save_model(const Model& model, const std::string& path, bool include_optimizer = true);

// The file conventions to write: Keras 3's (what model.save writes), or
// tf.keras 2.15's for deployments that still run TensorFlow 2.x (TF
// Serving, TFLite converters): a .h5 with "batch_input_shape", list-form
// inbound nodes, dtype strings and keras_version 2.15.0. The tf.keras 2
// form carries the weights and the compile arguments, not the optimizer's
// variables (tf.keras 2 starts its optimizer afresh). Activations with no
// tf.keras 2 equivalent (Keras 3's hard_sigmoid, hard_silu, log_sigmoid)
// raise ValueError naming the layer.
enum class SaveFormat { keras3, tf_keras2 };
struct SaveOptions {
  bool include_optimizer = true;
  SaveFormat format = SaveFormat::keras3;
};
//   keras::models::save_model(model, "model_tf2.h5", {.format = keras::models::SaveFormat::tf_keras2});
void save_model(const Model& model, const std::string& path, const SaveOptions& options);

}  // namespace keras::models
