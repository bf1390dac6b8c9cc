// from_config factories for the recurrent layers and cells, reading the
// configs Keras 3 and tf.keras 2 write (and that get_config writes).
#include <nlohmann/json.hpp>

#include "keras/layers/recurrent.hpp"
#include "keras/layers/registry.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {
namespace {

using saving::json;

std::int64_t units_of(const json& c, const char* cls) {
  KERAS_CHECK(c.contains("units") && c["units"].is_number_integer(), ValueError, "Layer \"", saving::name_of(c),
              "\" (", cls, "): expected an integer \"units\" in the config, received ", c.dump().substr(0, 300));
  return c["units"].get<std::int64_t>();
}

activations::Activation act_or(const json& c, const char* key, const char* fallback) {
  if (!c.contains(key)) return fallback;
  return saving::activation_from_config(c[key], saving::name_of(c));
}

CellOptions cell_options(const json& c) {
  CellOptions o;
  o.activation = act_or(c, "activation", "tanh");
  o.recurrent_activation = act_or(c, "recurrent_activation", "sigmoid");
  o.use_bias = saving::value_or(c, "use_bias", true);
  o.kernel_initializer = saving::read_init(c, "kernel_initializer", "glorot_uniform");
  o.recurrent_initializer = saving::read_init(c, "recurrent_initializer", "orthogonal");
  o.bias_initializer = saving::read_init(c, "bias_initializer", "zeros");
  o.unit_forget_bias = saving::value_or(c, "unit_forget_bias", true);
  o.reset_after = saving::value_or(c, "reset_after", true);
  o.dropout = saving::value_or(c, "dropout", 0.0);
  o.recurrent_dropout = saving::value_or(c, "recurrent_dropout", 0.0);
  return o;
}

RNNOptions rnn_options(const json& c) {
  RNNOptions o;
  o.name = saving::name_of(c);
  o.return_sequences = saving::value_or(c, "return_sequences", false);
  o.return_state = saving::value_or(c, "return_state", false);
  o.go_backwards = saving::value_or(c, "go_backwards", false);
  o.stateful = saving::value_or(c, "stateful", false);
  o.unroll = saving::value_or(c, "unroll", false);
  o.zero_output_for_mask = saving::value_or(c, "zero_output_for_mask", false);
  return o;
}

template <class L>
std::shared_ptr<Layer> layer_from(const json& c, const char* cls) {
  auto l = std::make_shared<L>(units_of(c, cls), cell_options(c), rnn_options(c));
  saving::apply_common(*l, c);
  return l;
}

template <class C>
std::shared_ptr<Layer> cell_from(const json& c, const char* cls) {
  CellOptions o = cell_options(c);
  o.name = saving::name_of(c);
  auto l = std::make_shared<C>(units_of(c, cls), o);
  saving::apply_common(*l, c);
  return l;
}

std::shared_ptr<Layer> rnn_from(const json& c) {
  const std::string name = saving::name_of(c);
  KERAS_CHECK(c.contains("cell") && c["cell"].is_object() && c["cell"].contains("class_name"), ValueError, "Layer \"",
              name, "\" (RNN): expected a serialized \"cell\" in the config, received ", c.dump().substr(0, 300));
  const json& cj = c["cell"];
  KERAS_CHECK(cj["class_name"].is_string() && !cj["class_name"].get<std::string>().empty() &&
                  cj["class_name"] != "StackedRNNCells",
              ValueError, "Layer \"", name, "\" (RNN): cannot build the cell ", cj["class_name"].dump(),
              " (a list of cells / StackedRNNCells is not supported)");
  auto cell = std::dynamic_pointer_cast<RecurrentCell>(
      from_config(cj["class_name"].get<std::string>(), cj.value("config", json::object())));
  KERAS_CHECK(cell != nullptr, ValueError, "Layer \"", name, "\" (RNN): the cell ", cj["class_name"].dump(),
              " is not a keras::layers::RecurrentCell");
  auto l = std::make_shared<RNN>(cell, rnn_options(c));
  saving::apply_common(*l, c);
  return l;
}

}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(SimpleRNN, [](const json& c) { return layer_from<SimpleRNN>(c, "SimpleRNN"); });
KERAS_REGISTER_BUILTIN_LAYER(LSTM, [](const json& c) { return layer_from<LSTM>(c, "LSTM"); });
KERAS_REGISTER_BUILTIN_LAYER(GRU, [](const json& c) { return layer_from<GRU>(c, "GRU"); });
KERAS_REGISTER_BUILTIN_LAYER(SimpleRNNCell, [](const json& c) { return cell_from<SimpleRNNCell>(c, "SimpleRNNCell"); });
KERAS_REGISTER_BUILTIN_LAYER(LSTMCell, [](const json& c) { return cell_from<LSTMCell>(c, "LSTMCell"); });
KERAS_REGISTER_BUILTIN_LAYER(GRUCell, [](const json& c) { return cell_from<GRUCell>(c, "GRUCell"); });
KERAS_REGISTER_BUILTIN_LAYER(RNN, rnn_from);

}  // namespace keras::layers
