// Internal: what the saving formats share (compile configs, optimizer
// state, atomic file replacement).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "keras/models.hpp"
#include "saving/config_utils.hpp"
#include "saving/h5.hpp"
#include "trainer_state.hpp"

namespace keras {
// Model's compile state, for the savers (a friend of Model).
struct ModelSavingAccess {
  static const CompileState* state(const Model& m) { return m.state_.get(); }
};
}  // namespace keras

namespace keras::saving {

// The Keras version whose file layouts we write.
inline constexpr const char* kKerasVersion = "3.15.1";
inline constexpr const char* kBackend = "keras.cpp";
// The tf.keras version whose .h5 conventions SaveFormat::tf_keras2 follows.
inline constexpr const char* kKeras2Version = "2.15.0";

// Keras 3's compile_config: optimizer, loss, loss_weights, metrics, ...
// Null when the model is not compiled.
json compile_config(const Model& model);
// tf.keras / legacy .h5 training_config: the same with "optimizer_config"
// ({"class_name", "config"}) in place of "optimizer".
json training_config(const Model& model);
// Compiles `model` from either form. Returns false (model left uncompiled)
// when the config has no loss. Throws ValueError naming `source`.
bool compile_from_config(Model& model, const json& config, const std::string& source);

// Optimizer variables as Keras orders them: iteration, learning_rate, then
// the slots. build_optimizer_for creates the slots for the model first.
std::vector<Tensor> optimizer_state(const Model& model);
// Keras 3's slot order as (variable index, slot kind index) pairs, kinds
// in the optimizer's creation order; empty when the slots are not one set
// of kinds per trainable variable.
std::vector<std::pair<std::size_t, std::size_t>> keras3_slot_layout(const Model& model);
std::vector<std::string> optimizer_state_names(const Model& model);
void set_optimizer_state(Model& model, const std::vector<Tensor>& values, const std::string& source);

// Weights of one layer as Keras's _legacy_weights: trainable, then not.
std::vector<Variable> legacy_weights(const layers::Layer& layer);
// Assigns `values` to `vars`, checking counts and shapes; errors name the
// layer, the weight and `source`.
void assign_weights(const std::vector<Variable>& vars, const std::vector<Tensor>& values, const std::string& layer,
                    const std::string& source);

// Keras's class-name-based group names: "Conv2D" -> "conv2d".
std::string snake_case(const std::string& class_name);

// Writes a file atomically: `write` fills a temporary path next to `path`,
// which then replaces `path`. On any failure the temporary is removed and
// `path` is left as it was.
void atomic_write(const std::string& path, const std::function<void(const std::string& tmp)>& write);

// Models from their configs (model_config.cpp); registered as the layer
// classes Sequential, Functional and Model in src/model_classes.cpp.
std::shared_ptr<Model> sequential_from_config(const json& config);
std::shared_ptr<Model> functional_from_config(const json& config);

// Legacy .h5 (legacy_h5.cpp).
// `keras2`: tf.keras 2's conventions (keras2_config.hpp), no optimizer variables.
void save_legacy_h5(const Model& model, const std::string& path, bool include_optimizer, bool keras2 = false);
std::shared_ptr<Model> load_legacy_h5(const std::string& path, bool compile);
void save_legacy_weights(const h5::Object& group, const Model& model);
void load_legacy_weights(const h5::Object& group, Model& model, bool by_name);

// Keras 3 weights layout (.keras's model.weights.h5 and .weights.h5).
void save_weights_v3(const h5::Object& root, const Model& model, bool include_optimizer);
void load_weights_v3(const h5::Object& root, Model& model, bool include_optimizer);
void save_keras_zip(const Model& model, const std::string& path);
std::shared_ptr<Model> load_keras_zip(const std::string& path, bool compile);
// Reads one member of a zip file (IOError naming both when missing).
std::vector<char> read_zip_member(const std::string& path, const std::string& member);

}  // namespace keras::saving
