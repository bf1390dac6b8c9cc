// Helpers shared by the convolution, pooling, normalization and reshaping
// layers: output sizes with layer-named errors, and Keras JSON fields.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/initializers.hpp"
#include "keras/tensor.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers::spatial {

// Output size along one axis (-1 stays unknown), as keras.ops computes it.
// Throws ValueError naming the layer when the window does not fit.
inline std::int64_t out_size(const std::string& layer, const std::string& padding, std::int64_t in,
                             std::int64_t k_eff, int stride, const Shape& input_shape, const std::string& what) {
  if (in < 0) return -1;
  if (padding == "same") return (in + stride - 1) / stride;
  std::int64_t padded = padding == "causal" ? in + k_eff - 1 : in;
  KERAS_CHECK(padded >= k_eff, ValueError, "Layer \"", layer, "\": the ", what, " (extent ", k_eff,
              ") is larger than the padded input of shape ", shape_str(input_shape), " (size ", padded,
              " along a spatial axis); use padding=\"same\" or a smaller ", what);
  return (padded - k_eff) / stride + 1;
}

inline void check_padding(const std::string& layer, const std::string& padding, bool causal_ok) {
  KERAS_CHECK(padding == "valid" || padding == "same" || (causal_ok && padding == "causal"), ValueError, "Layer \"",
              layer, "\": padding must be \"valid\" or \"same\"", causal_ok ? " or \"causal\"" : "", ", received \"",
              padding, "\"");
}

inline nlohmann::json ints(const std::vector<int>& v) {
  auto j = nlohmann::json::array();
  for (int x : v) j.push_back(x);
  return j;
}

// An int or a list of ints from a config.
inline std::vector<int> read_ints(const nlohmann::json& j) {
  if (j.is_number_integer()) return {j.get<int>()};
  return j.get<std::vector<int>>();
}

inline nlohmann::json init_json(const initializers::InitializerArg& a) { return initializers::serialize(*a.ptr); }

// Config fields are read with the one config toolkit (saving/config_utils).
using saving::name_of;
using saving::read_activation;
using saving::read_init;
using saving::value_or;

}  // namespace keras::layers::spatial
