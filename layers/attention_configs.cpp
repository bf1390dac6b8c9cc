// from_config factories for Attention, AdditiveAttention and MultiHeadAttention.
#include "keras/layers/attention.hpp"
#include "keras/layers/registry.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {
namespace {

using saving::json;

std::optional<std::int64_t> seed_of(const json& c) {
  if (c.contains("seed") && c["seed"].is_number_integer()) return c["seed"].get<std::int64_t>();
  return std::nullopt;
}

AttentionOptions attention_options(const json& c, bool default_scale) {
  AttentionOptions o;
  o.name = saving::name_of(c);
  o.use_scale = saving::value_or(c, "use_scale", default_scale);
  o.score_mode = saving::value_or<std::string>(c, "score_mode", "dot");
  o.dropout = saving::value_or(c, "dropout", 0.0);
  o.seed = seed_of(c);
  return o;
}

std::shared_ptr<Layer> attention(const json& c) {
  auto l = std::make_shared<Attention>(attention_options(c, false));
  saving::apply_common(*l, c);
  return l;
}

std::shared_ptr<Layer> additive_attention(const json& c) {
  auto l = std::make_shared<AdditiveAttention>(attention_options(c, true));
  saving::apply_common(*l, c);
  return l;
}

std::vector<int> int_list(const json& c, const char* key) {
  std::vector<int> r;
  if (!c.contains(key) || c[key].is_null()) return r;
  const json& j = c[key];
  if (j.is_number_integer()) return {j.get<int>()};
  KERAS_CHECK(j.is_array(), ValueError, "Layer \"", saving::name_of(c), "\" (MultiHeadAttention): ", key,
              " must be an integer or a list of integers; received ", j.dump());
  for (auto& v : j) {
    KERAS_CHECK(v.is_number_integer(), ValueError, "Layer \"", saving::name_of(c), "\" (MultiHeadAttention): ", key,
                " must be a list of integers; received ", j.dump());
    r.push_back(v.get<int>());
  }
  return r;
}

std::shared_ptr<Layer> multi_head_attention(const json& c) {
  std::string name = saving::name_of(c);
  for (const char* k : {"num_heads", "key_dim"})
    KERAS_CHECK(c.contains(k) && c[k].is_number_integer(), ValueError, "Layer \"", name,
                "\" (MultiHeadAttention): expected an integer \"", k, "\" in the config, received ", c.dump());
  if (saving::value_or(c, "use_gate", false)) saving::throw_unsupported(c, "MultiHeadAttention", "use_gate");
  if (c.contains("sliding_window") && !c["sliding_window"].is_null())
    saving::throw_unsupported(c, "MultiHeadAttention", "sliding_window");
  MultiHeadAttentionOptions o;
  o.name = name;
  o.value_dim = saving::value_or(c, "value_dim", 0);
  o.dropout = saving::value_or(c, "dropout", 0.0);
  o.use_bias = saving::value_or(c, "use_bias", true);
  for (int d : int_list(c, "output_shape")) o.output_shape.push_back(d);
  o.attention_axes = int_list(c, "attention_axes");
  o.kernel_initializer = saving::read_init(c, "kernel_initializer", "glorot_uniform");
  o.bias_initializer = saving::read_init(c, "bias_initializer", "zeros");
  o.seed = seed_of(c);
  auto l = std::make_shared<MultiHeadAttention>(c["num_heads"].get<int>(), c["key_dim"].get<int>(), o);
  saving::apply_common(*l, c);
  return l;
}

}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(Attention, attention);
KERAS_REGISTER_BUILTIN_LAYER(AdditiveAttention, additive_attention);
KERAS_REGISTER_BUILTIN_LAYER(MultiHeadAttention, multi_head_attention);

}  // namespace keras::layers
