// Reads the golden cases scripts/make_attention_goldens.py writes under
// tests/fixtures/attention/ (weights w*, inputs x*, masks m*, outputs y*,
// and the layer's arguments as JSON in the "case" attribute).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "saving/h5.hpp"
#include "test_helpers.hpp"

namespace testing {

struct GoldenCase {
  nlohmann::json args;
  std::vector<keras::Tensor> w, x, m, y;  // m: undefined where the case has no mask
};

inline std::string attention_fixture(const std::string& name) {
  return std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/attention/" + name;
}

inline GoldenCase golden(const std::string& name) {
  auto f = keras::saving::h5::open_file(attention_fixture(name + ".h5"));
  GoldenCase c;
  c.args = nlohmann::json::parse(f.string_attr("case"));
  auto read = [&](const char* p, std::vector<keras::Tensor>& out) {
    for (int i = 0; f.has(p + std::to_string(i)); ++i) out.push_back(f.dataset(p + std::to_string(i)));
  };
  read("w", c.w);
  read("x", c.x);
  read("y", c.y);
  for (int i = 0; i < 3; ++i)
    c.m.push_back(f.has("m" + std::to_string(i)) ? keras::ops::cast(f.dataset("m" + std::to_string(i)), keras::bool_)
                                                 : keras::Tensor());
  keras::saving::h5::close(f);
  return c;
}

inline void check_outputs(const std::vector<keras::Tensor>& got, const GoldenCase& c, const std::string& what,
                          double atol = 1e-5) {
  REQUIRE(got.size() == c.y.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO(what, " output ", i);
    REQUIRE(got[i].shape() == c.y[i].shape());
    check_close(got[i], c.y[i].to_vector<float>(), atol, 1e-5, what + " output " + std::to_string(i));
  }
}

}  // namespace testing
