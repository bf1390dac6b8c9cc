// Fixtures of the preprocessing tests: tests/fixtures/preprocessing/*.json,
// written by scripts/make_preprocessing_goldens.py from real Keras.
#pragma once
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keras/layers/preprocessing.hpp"
#include "test_helpers.hpp"

namespace testing {

inline std::string prep_fixture(const std::string& name) {
  return std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/preprocessing/" + name;
}

inline nlohmann::json prep_json(const std::string& name) {
  std::ifstream f(prep_fixture(name));
  REQUIRE_MESSAGE(f.good(), "missing fixture " << prep_fixture(name));
  return nlohmann::json::parse(f);
}

// {"shape": [...], "data": [...]} -> float32 tensor.
inline keras::Tensor tensor_of(const nlohmann::json& a) {
  keras::Shape s = a.at("shape").get<keras::Shape>();
  std::vector<double> d = a.at("data").get<std::vector<double>>();
  return keras::Tensor(s, std::vector<float>(d.begin(), d.end()));
}

inline std::vector<float> values_of(const nlohmann::json& a) {
  std::vector<double> d = a.is_array() ? a.get<std::vector<double>>() : a.at("data").get<std::vector<double>>();
  return {d.begin(), d.end()};
}

}  // namespace testing
