// The preprocessing layers' configs between Keras 3 and tf.keras 2 (called
// from keras2_config.cpp for every layer entry).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace keras::saving {

// tf.keras 2 -> Keras 3: RandomContrast's number factor f means [1 - f,
// 1 + f] there, which Keras 3 writes as the pair (f, f).
void preprocessing_to_keras3(const std::string& cls, nlohmann::json& c);
// Keras 3 -> tf.keras 2: drops the arguments tf.keras 2 does not take
// (data_format, Resizing's antialias / fill_mode, RandomContrast's
// value_range), writes the integer dtype of Discretization's "int" output,
// and refuses what tf.keras 2 cannot express (pad_to_aspect_ratio,
// antialias) with a ValueError naming the layer.
void preprocessing_to_keras2(const std::string& cls, nlohmann::json& c);

}  // namespace keras::saving
