// The losses of losses_more.hpp against real Keras 3: values, reductions,
// sample weights and jax.grad gradients from
// scripts/make_loss_metric_goldens.py (tests/fixtures/losses/); the
// function forms; finite-difference gradients; configs and bad input.
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/autograd.hpp"
#include "keras/backend.hpp"  // test_helpers.hpp uses keras::backend
#include "test_helpers.hpp"

using keras::Shape;
using keras::Tensor;
using json = nlohmann::json;
namespace ops = keras::ops;
namespace losses = keras::losses;

namespace {

const json& goldens() {
  static const json j = [] {
    std::ifstream in(std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/losses/loss_metric_goldens.json");
    REQUIRE(in.good());
    return json::parse(in);
  }();
  return j;
}

Tensor tensor_of(const json& values, const json& shape) {
  return Tensor(shape.get<Shape>(), values.get<std::vector<float>>());
}

// |got - want| <= rtol * |want| + atol elementwise. Keras computes in
// float32, so the floor atol is a few float32 ulps of the values' scale.
void check_values(const Tensor& got, const json& want, double rtol, double atol, const std::string& what) {
  auto g = got.astype(keras::float32).to_vector<float>();
  auto w = want.get<std::vector<double>>();
  REQUIRE_MESSAGE(g.size() == w.size(), what);
  for (std::size_t i = 0; i < g.size(); ++i)
    CHECK_MESSAGE(std::fabs(g[i] - w[i]) <= rtol * std::fabs(w[i]) + atol,
                  what << " element " << i << ": got " << g[i] << ", Keras " << w[i]);
}

}  // namespace

TEST_CASE("losses: every new loss matches Keras 3 values and jax.grad gradients") {
  int n = 0;
  for (const json& c : goldens()["losses"]) {
    const std::string what = c["class_name"].get<std::string>() + " " + c["config"].dump();
    INFO(what);
    auto loss = losses::deserialize({{"class_name", c["class_name"]}, {"config", c["config"]}});
    Tensor yt = tensor_of(c["y_true"], c["shape"]);
    Tensor yp = tensor_of(c["y_pred"], c["shape"]);
    Tensor sw;
    if (!c["sample_weight"].is_null()) sw = Tensor({c["shape"][0].get<std::int64_t>()}, c["sample_weight"].get<std::vector<float>>());
    yp.requires_grad_(true);
    Tensor v = (*loss)(yt, yp, sw);
    CHECK(v.shape() == c["value_shape"].get<Shape>());
    // float32 arithmetic on both sides: values and gradients within 1e-6
    // relative, with a 1e-6 absolute floor for values near zero.
    check_values(v, c["value"], 1e-6, 1e-6, what + " value");
    auto g = keras::autograd::grad(ops::sum(v), {yp});
    check_values(g[0], c["grad"], 1e-6, 1e-6, what + " gradient");
    // Keras's own config keys come back from get_config (Huber and
    // CosineSimilarity add a non-default delta / axis that Keras leaves out).
    json mine = loss->get_config();
    for (auto& [k, val] : c["keras_config"].items()) {
      if (k == "dtype") continue;
      CHECK_MESSAGE(mine.contains(k), what << " config lacks " << k);
      if (mine.contains(k)) CHECK_MESSAGE(mine[k] == val, what << " config " << k << ": " << mine[k] << " vs " << val);
    }
    ++n;
  }
  CHECK(n >= 20);
}

TEST_CASE("losses: the function forms give the per-sample values of the classes") {
  Tensor yt = testing::random_tensor({3, 4}, 0.1f, 0.9f, 1);
  Tensor yp = testing::random_tensor({3, 4}, 0.1f, 0.9f, 2);
  auto same = [](const Tensor& a, const Tensor& b) { testing::check_close(a, b.to_vector<float>(), 0, 0, "same"); };
  same(losses::huber(yt, yp, 0.3), losses::Huber({0.3, losses::Reduction::none})(yt, yp));
  same(losses::kl_divergence(yt, yp), losses::KLDivergence({losses::Reduction::none})(yt, yp));
  same(losses::dice(yt, yp, std::vector<int>{1}), losses::Dice({.axis = std::vector<int>{1}, .reduction = losses::Reduction::none})(yt, yp));
  same(losses::binary_focal_crossentropy(yt, yp, true, 0.3, 1.0),
       losses::BinaryFocalCrossentropy({.apply_class_balancing = true, .alpha = 0.3, .gamma = 1.0,
                                        .reduction = losses::Reduction::none})(yt, yp));
  CHECK(losses::mean_absolute_percentage_error(yt, yp).shape() == Shape{3});
  CHECK(losses::dice(yt, yp).ndim() == 0);
}

TEST_CASE("losses: new losses' gradients match central finite differences") {
  using V = std::vector<Tensor>;
  Tensor t = testing::random_tensor({2, 3}, 0.2f, 0.8f, 3);
  Tensor bin({{1, 0, 1}, {0, 1, 0}});
  Tensor p = testing::random_tensor({2, 3}, 0.2f, 0.8f, 4);
  Tensor z = testing::away_from_zero({2, 3}, -2.f, 2.f, 0.3f, 5);
  Tensor w({2}, std::vector<float>{0.7f, 1.3f});
  const std::pair<const char*, std::shared_ptr<losses::Loss>> probs[] = {
      {"mape", losses::get("mape")}, {"msle", losses::get("msle")}, {"kld", losses::get("kld")},
      {"poisson", losses::get("poisson")}, {"log_cosh", losses::get("log_cosh")},
      {"cosine", losses::get("cosine_similarity")},
      {"dice", std::make_shared<losses::Dice>(losses::OverlapOptions{.axis = std::vector<int>{1}})},
      {"tversky", std::make_shared<losses::Tversky>(losses::OverlapOptions{.alpha = 0.2, .beta = 0.8})},
      {"bfce", std::make_shared<losses::BinaryFocalCrossentropy>(losses::FocalOptions{.apply_class_balancing = true})},
      {"cfce", std::make_shared<losses::CategoricalFocalCrossentropy>(losses::FocalOptions{.gamma = 1.5})},
  };
  for (auto& [name, l] : probs) {
    const bool binary_target = std::string(name) == "dice" || std::string(name) == "tversky" ||
                               std::string(name) == "bfce";
    Tensor target = binary_target ? bin : t;
    testing::gradcheck(name, [&, l = l](V& in) { return (*l)(target, in[0], w); }, {p.clone()}, 1e-3);
  }
  // Margins away from the kinks of the hinge and Huber losses.
  testing::gradcheck("hinge", [&](V& in) { return losses::Hinge()(bin, in[0] * 0.2); }, {z.clone()}, 1e-3);
  testing::gradcheck("squared_hinge", [&](V& in) { return losses::SquaredHinge()(bin, in[0]); }, {z.clone()}, 1e-3);
  testing::gradcheck("huber", [&](V& in) { return losses::Huber({2.5})(t, in[0], w); }, {z.clone()}, 1e-3);
  testing::gradcheck("cfce logits",
                     [&](V& in) { return losses::CategoricalFocalCrossentropy({.from_logits = true})(t, in[0]); },
                     {z.clone()}, 1e-3);
}

TEST_CASE("losses: Keras names resolve, configs round-trip, bad input raises ValueError") {
  const std::pair<const char*, const char*> names[] = {
      {"mape", "MeanAbsolutePercentageError"}, {"MSLE", "MeanSquaredLogarithmicError"}, {"huber", "Huber"},
      {"logcosh", "LogCosh"}, {"hinge", "Hinge"}, {"squared_hinge", "SquaredHinge"},
      {"categorical_hinge", "CategoricalHinge"}, {"kld", "KLDivergence"}, {"kl_divergence", "KLDivergence"},
      {"poisson", "Poisson"}, {"cosine_similarity", "CosineSimilarity"},
      {"binary_focal_crossentropy", "BinaryFocalCrossentropy"},
      {"categorical_focal_crossentropy", "CategoricalFocalCrossentropy"}, {"dice", "Dice"}, {"tversky", "Tversky"},
      {"keras.losses.Tversky", "Tversky"}};
  for (auto& [n, cls] : names) CHECK_MESSAGE(losses::get(n)->class_name() == cls, n);
  CHECK(losses::get("huber")->name() == "huber");  // Keras names the function form after the function
  CHECK(losses::Huber().name() == "huber_loss");
  auto t = std::make_shared<losses::Tversky>(
      losses::OverlapOptions{0.2, 0.8, std::vector<int>{1, 2}, losses::Reduction::sum, "tv"});
  auto back = losses::deserialize(losses::serialize(*t));
  CHECK(back->get_config() == t->get_config());
  CHECK(back->get_config()["axis"] == json({1, 2}));
  CHECK(back->reduction() == losses::Reduction::sum);
  CHECK(losses::deserialize({{"class_name", "Huber"}, {"config", {{"delta", 0.25}}}})->get_config()["delta"] == 0.25);

  Tensor a = testing::random_tensor({2, 3}, 0.1f, 0.9f, 1), b = testing::random_tensor({2, 4}, 0.1f, 0.9f, 2);
  for (const char* n : {"mape", "huber", "kld", "poisson", "hinge", "cosine_similarity", "dice", "tversky",
                        "binary_focal_crossentropy", "categorical_focal_crossentropy"}) {
    try {
      (*losses::get(n))(a, b);
      FAIL_CHECK(n << " accepted mismatched shapes");
    } catch (const keras::ValueError& e) {
      const std::string m = e.what();
      CHECK_MESSAGE(m.find("(2, 3)") != std::string::npos, m);
      CHECK_MESSAGE(m.find("(2, 4)") != std::string::npos, m);
    }
  }
  CHECK_THROWS_AS(losses::Huber({-1.0}), keras::ValueError);
  CHECK_THROWS_AS(losses::BinaryFocalCrossentropy({.label_smoothing = 2.0}), keras::ValueError);
  CHECK_THROWS_AS(losses::deserialize({{"class_name", "Huber"}, {"config", {{"reduction", "avg"}}}}),
                  keras::ValueError);
  CHECK_THROWS_AS(losses::deserialize({{"class_name", "Dice"}, {"config", {{"axis", "x"}}}}), keras::ValueError);
  CHECK_THROWS_AS(losses::cosine_similarity(a, a, 5), keras::ValueError);
}
