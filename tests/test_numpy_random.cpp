// NumPy's legacy RandomState shuffle, against NumPy itself
// (tests/fixtures/numpy/random_state.json, scripts/make_numpy_random_fixtures.py).
#include <fstream>
#include <nlohmann/json.hpp>

#include "numpy_random.hpp"
#include "test_helpers.hpp"

TEST_CASE("numpy random: RandomState shuffle and permutation match NumPy") {
  std::ifstream in(std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/numpy/random_state.json");
  REQUIRE(in.good());
  auto doc = nlohmann::json::parse(in);
  REQUIRE(doc["cases"].size() >= 20);
  for (const auto& c : doc["cases"]) {
    auto seed = c["seed"].get<std::uint32_t>();
    auto n = c["n"].get<std::int64_t>();
    std::vector<std::int64_t> items(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) items[static_cast<std::size_t>(i)] = i;
    keras::detail::NumpyRandomState rng(seed);
    rng.shuffle(items);
    CHECK_MESSAGE(items == c["shuffle"].get<std::vector<std::int64_t>>(), "seed " << seed << " n " << n);
    CHECK(keras::detail::NumpyRandomState(seed).permutation(n) == c["permutation"].get<std::vector<std::int64_t>>());
  }
}
