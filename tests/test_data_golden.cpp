// keras::data pipelines, timeseries_dataset_from_array, pad_sequences and
// split_dataset element by element against real tf.data / tf.keras 2.15
// (tests/fixtures/data/goldens.json, written by scripts/make_data_fixtures.py).
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "keras/keras.hpp"

using keras::Tensor;
using keras::data::Dataset;
using keras::data::Element;
using nlohmann::json;

namespace {

const json& goldens() {
  static json g = [] {
    std::ifstream f(std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/data/goldens.json");
    REQUIRE(f.good());
    return json::parse(f);
  }();
  return g;
}

void check_component(const Tensor& t, const json& want, const std::string& what) {
  INFO(what);
  keras::Shape shape = want["shape"].get<keras::Shape>();
  CHECK(keras::shape_str(t.shape()) == keras::shape_str(shape));
  std::string dt = want["dtype"];
  CHECK(std::string(keras::dtype_name(t.dtype())) == dt);
  auto got = t.astype(keras::float32).to_vector<float>();
  auto exp = want["data"].get<std::vector<double>>();
  REQUIRE(got.size() == exp.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(exp[i]));
}

void check_elements(const std::vector<Element>& got, const json& want, const std::string& what) {
  INFO(what);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    REQUIRE(got[i].size() == want[i].size());
    for (std::size_t c = 0; c < got[i].size(); ++c)
      check_component(got[i][c], want[i][c], what + " element " + std::to_string(i) + " component " + std::to_string(c));
  }
}

Tensor x10() {
  std::vector<float> v(30);
  for (int i = 0; i < 30; ++i) v[i] = float(i);
  return Tensor({10, 3}, v);
}
Tensor y10() {
  std::vector<std::int64_t> v(10);
  for (int i = 0; i < 10; ++i) v[i] = 7 * i;
  return Tensor({10}, v);
}
std::int64_t v0(const Element& e) { return static_cast<std::int64_t>(e[0].item()); }
Element scalar(std::int64_t v) { return {Tensor({}, std::vector<std::int64_t>{v})}; }

Dataset ragged() {
  std::vector<std::vector<std::int64_t>> seqs = {{1}, {2, 3, 4}, {5, 6}, {7, 8, 9, 10}, {11, 12}};
  return Dataset::from_generator_factory([seqs] {
    auto i = std::make_shared<std::size_t>(0);
    return [seqs, i]() -> std::optional<Element> {
      if (*i >= seqs.size()) return std::nullopt;
      auto& s = seqs[(*i)++];
      return Element{Tensor({static_cast<std::int64_t>(s.size())}, s),
                     Tensor({}, std::vector<std::int64_t>{static_cast<std::int64_t>(s.size())})};
    };
  });
}

std::map<std::string, Dataset> pipelines() {
  Dataset xy = Dataset::from_tensor_slices({x10(), y10()});
  auto affine = [](const Element& e) { return Element{e[0] * 2.0 + 1.0, e[1] + 1.0}; };
  auto r = [](std::int64_t a, std::int64_t b = -1) { return b < 0 ? Dataset::range(a) : Dataset::range(a, b); };
  return {
      {"batch4", xy.batch(4)},
      {"batch4_drop", xy.batch(4, true)},
      {"map_batch3", xy.map(affine).batch(3)},
      {"map_parallel", xy.map(affine, 3).batch(3)},
      {"filter", r(20).filter([](const Element& e) { return v0(e) % 3 == 0; })},
      {"unbatch", xy.batch(4).unbatch()},
      {"padded", ragged().padded_batch(2)},
      {"padded_shapes", ragged().padded_batch(2, {{5}, {}}, {-1, 0})},
      {"repeat_take_skip", r(5).repeat(2).take(7).skip(2)},
      {"zip", Dataset::zip({r(5), r(10, 20)})},
      {"concatenate", r(3).concatenate(r(5, 7))},
      {"take_all", r(4).take(-1)},
      {"skip_all", r(4).skip(-1)},
      {"range_step", Dataset::range(10, 1, -3)},
      {"batch_repeat", r(5).batch(2).repeat(2)},
      {"cache", r(6).map([](const Element& e) { return scalar(v0(e) * v0(e)); }).cache()},
      {"prefetch", xy.batch(3).prefetch(2)},
  };
}

}  // namespace

TEST_CASE("data golden: pipelines give tf.data's elements") {
  const json& g = goldens()["pipelines"];
  auto ps = pipelines();
  for (auto& [name, ds] : ps) {
    REQUIRE(g.contains(name));
    check_elements(ds.collect(), g[name], name);
    check_elements(ds.collect(), g[name], name + " (second pass)");
  }
  CHECK(ps.size() == g.size());
}

TEST_CASE("data golden: cardinality as tf.data") {
  const json& g = goldens()["cardinality"];
  auto r = [](std::int64_t n) { return Dataset::range(n); };
  Dataset inf = r(3).repeat();
  auto pos = [](const Element& e) { return v0(e) > 2; };
  std::map<std::string, Dataset> c = {
      {"range10", r(10)},
      {"repeat_inf", inf},
      {"repeat3", r(4).repeat(3)},
      {"empty_repeat", r(0).repeat()},
      {"filter", r(10).filter(pos)},
      {"filter_inf", inf.filter(pos)},
      {"unbatch", r(10).batch(2).unbatch()},
      {"take_inf", inf.take(5)},
      {"skip_inf", inf.skip(5)},
      {"take_more", r(3).take(10)},
      {"skip_more", r(3).skip(10)},
      {"batch3", r(10).batch(3)},
      {"batch3_drop", r(10).batch(3, true)},
      {"batch_inf", inf.batch(3)},
      {"zip_inf", Dataset::zip({inf, r(4)})},
      {"concat_inf", r(2).concatenate(inf)},
      {"generator", ragged()},
      {"generator_take", ragged().take(3)},
      {"filter_take", r(10).filter(pos).take(3)},
      {"shuffle", r(7).shuffle(3)},
      {"map", r(7).map([](const Element& e) { return e; })},
  };
  CHECK(c.size() == g.size());
  for (auto& [name, ds] : c) {
    INFO(name);
    CHECK(ds.cardinality() == g[name].get<std::int64_t>());
  }
  CHECK(keras::data::INFINITE_CARDINALITY == -1);
  CHECK(keras::data::UNKNOWN_CARDINALITY == -2);
}

TEST_CASE("data golden: timeseries_dataset_from_array as tf.keras, non-default arguments") {
  const json& g = goldens()["timeseries"];
  std::vector<float> d(80);
  for (int i = 0; i < 80; ++i) d[i] = float(i);
  Tensor data({40, 2}, d);
  std::vector<std::int64_t> t(40);
  for (int i = 0; i < 40; ++i) t[i] = 10 * i;
  Tensor targets({40}, t);
  using keras::utils::timeseries_dataset_from_array;
  auto a = timeseries_dataset_from_array(data, 5, {.targets = targets, .sequence_stride = 2, .sampling_rate = 3,
                                                   .batch_size = 4, .start_index = 3, .end_index = 35});
  check_elements(a.collect(), g["targets"], "targets");
  auto b = timeseries_dataset_from_array(data, 4, {.sequence_stride = 3, .sampling_rate = 2, .batch_size = 3});
  check_elements(b.collect(), g["no_targets"], "no_targets");
  Tensor col = keras::ops::reshape(keras::ops::slice_axis(data, 1, 0, 1), {40});
  auto c = timeseries_dataset_from_array(col, 6, {.sequence_stride = 5, .batch_size = 0, .start_index = 2});
  check_elements(c.collect(), g["unbatched"], "unbatched");

  CHECK_THROWS_WITH_AS(timeseries_dataset_from_array(data, 4, {.end_index = 40}),
                       doctest::Contains("end_index must be lower than the length"), keras::ValueError);
  CHECK_THROWS_WITH_AS(timeseries_dataset_from_array(data, 4, {.sampling_rate = 0}),
                       doctest::Contains("sampling_rate"), keras::ValueError);
}

TEST_CASE("data golden: timeseries shuffle keeps the windows, in another order") {
  std::vector<float> d(30);
  for (int i = 0; i < 30; ++i) d[i] = float(i);
  Tensor data({30}, d);
  auto plain = keras::utils::timeseries_dataset_from_array(data, 4, {.batch_size = 0});
  auto shuf = keras::utils::timeseries_dataset_from_array(data, 4, {.batch_size = 0, .shuffle = true, .seed = 3});
  std::multiset<float> a, b;
  std::vector<float> order;
  for (auto& e : plain.collect()) a.insert(e[0].at<float>(0));
  for (auto& e : shuf.collect()) {
    auto w = e[0].to_vector<float>();
    for (int k = 1; k < 4; ++k) CHECK(w[k] == w[0] + k);  // each window intact
    b.insert(w[0]);
    order.push_back(w[0]);
  }
  CHECK(a == b);
  CHECK(!std::is_sorted(order.begin(), order.end()));
}

TEST_CASE("data golden: pad_sequences as tf.keras") {
  const json& g = goldens()["pad_sequences"];
  std::vector<std::vector<double>> seqs = {{1, 2, 3}, {4, 5}, {6, 7, 8, 9, 10}, {}, {11}};
  for (std::string p : {"pre", "post"})
    for (std::string t : {"pre", "post"})
      check_component(keras::utils::pad_sequences(seqs, 4, keras::int32, p, t, -1), g[p + "_" + t], p + "_" + t);
  check_component(keras::utils::pad_sequences(seqs), g["default"], "default");
  check_component(keras::utils::pad_sequences({{1.5, 2.25}, {3.75}}, 3, keras::float32, "pre", "pre", 0.5), g["float"],
                  "float");
  CHECK_THROWS_AS(keras::utils::pad_sequences(seqs, 4, keras::int32, "middle"), keras::ValueError);
}

TEST_CASE("data golden: split_dataset as Keras") {
  const json& g = goldens()["split_dataset"];
  auto xy = [](std::int64_t n) {
    std::vector<std::int64_t> x(2 * n), y(n);
    for (std::int64_t i = 0; i < 2 * n; ++i) x[i] = i;
    for (std::int64_t i = 0; i < n; ++i) y[i] = i;
    return Dataset::from_tensor_slices({Tensor({n, 2}, x), Tensor({n}, y)});
  };
  auto check = [&](const std::string& name, const Dataset& ds, double l, double r) {
    auto [a, b] = keras::utils::split_dataset(ds, l, r);
    check_elements(a.collect(), g[name]["left"], name + " left");
    check_elements(b.collect(), g[name]["right"], name + " right");
  };
  check("frac", xy(10), 0.7, -1);
  check("counts", xy(10), 3, 4);
  check("right_only", xy(9), -1, 0.25);
  check("batched", xy(11).batch(3), 0.5, -1);
  CHECK_THROWS_AS(keras::utils::split_dataset(xy(10), 8, 5), keras::ValueError);
  CHECK_THROWS_AS(keras::utils::split_dataset(xy(10), -1, -1), keras::ValueError);
  CHECK_THROWS_AS(keras::utils::split_dataset(xy(3).repeat(), 0.5), keras::ValueError);
}
