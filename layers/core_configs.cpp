// from_config factories for the core and merge layers, reading the configs
// Keras 3 and tf.keras 2 write (and that get_config writes).
#include "keras/layers/core.hpp"
#include "keras/layers/merge.hpp"
#include "keras/layers/registry.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {
namespace {

using saving::json;

template <class L>
std::shared_ptr<Layer> finish(std::shared_ptr<L> layer, const json& c) {
  saving::apply_common(*layer, c);
  return layer;
}

std::shared_ptr<Layer> dense(const json& c) {
  std::string name = saving::name_from_config(c);
  KERAS_CHECK(c.contains("units") && c["units"].is_number_integer(), ValueError, "Layer \"", name,
              "\" (Dense): expected an integer \"units\" in the config, received ", c.dump());
  DenseOptions o;
  o.name = name;
  o.use_bias = c.value("use_bias", true);
  o.kernel_initializer = saving::read_init(c, "kernel_initializer", "glorot_uniform");
  o.bias_initializer = saving::read_init(c, "bias_initializer", "zeros");
  o.kernel_regularizer = saving::read_regularizer(c, "kernel_regularizer");
  o.bias_regularizer = saving::read_regularizer(c, "bias_regularizer");
  o.activity_regularizer = saving::read_regularizer(c, "activity_regularizer");
  o.kernel_constraint = saving::read_constraint(c, "kernel_constraint");
  o.bias_constraint = saving::read_constraint(c, "bias_constraint");
  return finish(std::make_shared<Dense>(c["units"].get<int>(), saving::read_activation(c), o), c);
}

std::shared_ptr<Layer> activation(const json& c) {
  std::string name = saving::name_from_config(c);
  KERAS_CHECK(c.contains("activation"), ValueError, "Layer \"", name, "\" (Activation): the config has no \"activation\"");
  return finish(std::make_shared<Activation>(saving::activation_from_config(c["activation"], name), name), c);
}

std::shared_ptr<Layer> flatten(const json& c) {
  std::string name = saving::name_from_config(c);
  if (c.contains("data_format") && !c["data_format"].is_null())
    KERAS_CHECK(c["data_format"] == "channels_last", ValueError, "Layer \"", name,
                "\" (Flatten): only data_format=\"channels_last\" is supported; received ", c["data_format"].dump());
  return finish(std::make_shared<Flatten>(name), c);
}

std::shared_ptr<Layer> reshape(const json& c) {
  std::string name = saving::name_from_config(c);
  KERAS_CHECK(c.contains("target_shape"), ValueError, "Layer \"", name, "\" (Reshape): the config has no \"target_shape\"");
  return finish(std::make_shared<Reshape>(saving::shape_from_json(c["target_shape"], "Reshape target_shape"), name), c);
}

std::shared_ptr<Layer> dropout(const json& c) {
  std::string name = saving::name_from_config(c);
  KERAS_CHECK(c.contains("rate") && c["rate"].is_number(), ValueError, "Layer \"", name,
              "\" (Dropout): expected a number \"rate\" in the config, received ", c.dump());
  return finish(std::make_shared<Dropout>(c["rate"].get<double>(), name), c);
}

std::shared_ptr<Layer> input_layer(const json& c) {
  std::string name = saving::name_from_config(c);
  Shape b;
  if (c.contains("batch_shape")) b = saving::shape_from_json(c["batch_shape"], "InputLayer batch_shape");
  else if (c.contains("batch_input_shape")) b = saving::shape_from_json(c["batch_input_shape"], "InputLayer batch_input_shape");
  KERAS_CHECK(!b.empty(), ValueError, "InputLayer \"", name, "\": expected batch_shape or batch_input_shape, received ",
              c.dump());
  return std::make_shared<InputLayer>(Shape(b.begin() + 1, b.end()), name, saving::dtype_from_config(c, name));
}

template <class M>
std::shared_ptr<Layer> merge(const json& c) {
  std::string name = saving::name_from_config(c);
  return finish(std::make_shared<M>(name), c);
}

std::shared_ptr<Layer> concatenate(const json& c) {
  std::string name = saving::name_from_config(c);
  return finish(std::make_shared<Concatenate>(c.value("axis", -1), name), c);
}

std::shared_ptr<Layer> dot(const json& c) {
  std::string name = saving::name_from_config(c);
  KERAS_CHECK(c.contains("axes"), ValueError, "Layer \"", name, "\" (Dot): the config has no \"axes\"");
  const json& a = c["axes"];
  bool normalize = c.value("normalize", false);
  if (a.is_number_integer()) return finish(std::make_shared<Dot>(a.get<int>(), normalize, name), c);
  KERAS_CHECK(a.is_array() && a.size() == 2 && a[0].is_number_integer() && a[1].is_number_integer(), ValueError,
              "Layer \"", name, "\" (Dot): axes must be an integer or a pair of integers, received ", a.dump());
  return finish(std::make_shared<Dot>(std::pair<int, int>{a[0].get<int>(), a[1].get<int>()}, normalize, name), c);
}

}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(InputLayer, input_layer);
KERAS_REGISTER_BUILTIN_LAYER(Dense, dense);
KERAS_REGISTER_BUILTIN_LAYER(Activation, activation);
KERAS_REGISTER_BUILTIN_LAYER(Flatten, flatten);
KERAS_REGISTER_BUILTIN_LAYER(Reshape, reshape);
KERAS_REGISTER_BUILTIN_LAYER(Dropout, dropout);
KERAS_REGISTER_BUILTIN_LAYER(Add, merge<Add>);
KERAS_REGISTER_BUILTIN_LAYER(Subtract, merge<Subtract>);
KERAS_REGISTER_BUILTIN_LAYER(Multiply, merge<Multiply>);
KERAS_REGISTER_BUILTIN_LAYER(Average, merge<Average>);
KERAS_REGISTER_BUILTIN_LAYER(Maximum, merge<Maximum>);
KERAS_REGISTER_BUILTIN_LAYER(Minimum, merge<Minimum>);
KERAS_REGISTER_BUILTIN_LAYER(Concatenate, concatenate);
KERAS_REGISTER_BUILTIN_LAYER(Dot, dot);

}  // namespace keras::layers
