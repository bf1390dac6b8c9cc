// The small layers (Identity, Permute, RepeatVector, GaussianNoise,
// GaussianDropout, GroupNormalization, Lambda) and the activation layers
// (ReLU, LeakyReLU, PReLU, ELU, Softmax): Keras 3 goldens
// (scripts/make_attention_goldens.py), configs, finite differences, errors.
#include "attention_fixtures.hpp"
#include "keras/layers/registry.hpp"

using keras::Tensor;
namespace L = keras::layers;
namespace ops = keras::ops;
using json = nlohmann::json;
using namespace testing;

namespace {

std::string message(const std::function<void()>& f) {
  try {
    f();
  } catch (const keras::ValueError& e) {
    return e.what();
  }
  return "(no ValueError)";
}

}  // namespace

TEST_CASE("misc layers: Keras 3 configs build the layers, which match Keras 3's outputs") {
  for (const char* name : {"relu_all", "relu_threshold", "relu_slope", "leaky_relu", "prelu_shared", "elu",
                           "softmax_axis1", "group_norm", "group_norm_axis1", "permute", "repeat_vector"}) {
    INFO(name);
    auto c = golden(name);
    auto layer = L::from_config(c.args["class"].get<std::string>(), c.args["layer"]);
    (*layer)(c.x[0]);
    layer->set_weights(c.w);
    check_outputs({(*layer)(c.x[0])}, c, name);
    // get_config writes what Keras wrote (every key Keras has, same values).
    json mine = layer->get_config();
    for (auto& [k, v] : c.args["layer"].items()) {
      INFO(k);
      REQUIRE(mine.contains(k));
      if (v.is_number()) CHECK(mine[k].get<double>() == doctest::Approx(v.get<double>()));
      else if (k != "name" && !v.is_object()) CHECK(mine[k] == v);
    }
  }
}

TEST_CASE("misc layers: Softmax with a mask gives masked positions probability 0, as Keras") {
  auto c = golden("softmax_mask");
  L::Softmax sm;
  check_outputs({sm.call_with_mask(c.x[0], c.m[0])}, c, "softmax_mask");
  // A float mask counts where > 0.5; a mask that does not broadcast raises.
  check_outputs({sm.call_with_mask(c.x[0], ops::cast(c.m[0], keras::float32))}, c, "softmax float mask");
  std::string m = message([&] { sm.call_with_mask(c.x[0], ops::ones({2, 3, 5}, keras::bool_)); });
  CHECK(m.find(sm.name()) != std::string::npos);
  CHECK(m.find("(2, 3, 5)") != std::string::npos);
  CHECK(m.find("(2, 3, 4)") != std::string::npos);
}

TEST_CASE("misc layers: gradients match finite differences") {
  Tensor x = away_from_zero({2, 3, 4}, -2, 2, 0.1f, 11);
  L::GroupNormalization gn({.groups = 2});
  gn(x);
  gradcheck("group_norm", [&](std::vector<Tensor>& in) { return gn(in[0]); }, {x}, 1e-2, 3e-2);
  L::PReLU pr({.alpha_initializer = "ones"});
  gradcheck("prelu", [&](std::vector<Tensor>& in) { return pr(in[0]); }, {x});
  L::ReLU relu({.max_value = 1.5, .negative_slope = 0.2, .threshold = 0.5});
  Tensor xr = away_from_zero({2, 3, 4}, -2, 2, 0.1f, 12);
  gradcheck("relu", [&](std::vector<Tensor>& in) { return relu(in[0]); }, {xr}, 1e-3);
  L::Permute perm({2, 1});
  gradcheck("permute", [&](std::vector<Tensor>& in) { return perm(in[0]); }, {x});
  L::RepeatVector rep(3);
  gradcheck("repeat", [&](std::vector<Tensor>& in) { return rep(in[0]); }, {random_tensor({2, 4}, -1, 1, 3)});
  L::Softmax sm;
  Tensor mask = ops::greater(random_tensor({2, 3, 4}, 0, 1, 4), ops::full({}, 0.3));
  gradcheck("softmax mask", [&](std::vector<Tensor>& in) { return sm.call_with_mask(in[0], mask); }, {x});
}

TEST_CASE("misc layers: noise layers act in training only; Identity passes through") {
  keras::utils::set_random_seed(5);
  Tensor x = ops::ones({200, 50});
  L::GaussianNoise gn(0.5, 3);
  CHECK(gn(x, false).to_vector<float>() == x.to_vector<float>());
  auto y = ops::subtract(gn(x, true), x);
  double mean = ops::mean(y).item(), sd = std::sqrt(ops::mean(ops::square(y)).item());
  CHECK(std::fabs(mean) < 0.02);
  CHECK(sd == doctest::Approx(0.5).epsilon(0.03));
  CHECK(gn.get_config()["seed"] == 3);
  L::GaussianDropout gd(0.2);
  CHECK(gd(x, false).to_vector<float>() == x.to_vector<float>());
  auto z = gd(x, true);
  CHECK(ops::mean(z).item() == doctest::Approx(1.0).epsilon(0.02));
  CHECK(std::sqrt(ops::mean(ops::square(ops::subtract(z, x))).item()) == doctest::Approx(0.5).epsilon(0.03));
  L::Identity id;
  CHECK(id(x).to_vector<float>() == x.to_vector<float>());
  CHECK(L::from_config("Identity", {{"name", "i"}})->name() == "i");
}

TEST_CASE("misc layers: Lambda runs a C++ callable; saving needs a registered name") {
  auto twice = [](const Tensor& t) { return ops::multiply(t, ops::full({}, 2.0)); };
  L::Lambda anon(twice);
  CHECK(anon(ops::ones({1, 2})).to_vector<float>() == std::vector<float>{2, 2});
  std::string m = message([&] { anon.get_config(); });
  CHECK(m.find(anon.name()) != std::string::npos);
  CHECK(m.find("register_lambda_function") != std::string::npos);
  L::register_lambda_function("tests>twice_sum", [](const Tensor& t) { return ops::sum(t, {-1}, true); },
                              [](const keras::Shape& s) { return keras::Shape{s[0], 1}; }, true);
  L::Lambda named("tests>twice_sum");
  json cfg = named.get_config();
  CHECK(cfg["function"]["config"] == "tests>twice_sum");
  CHECK(cfg["function"]["class_name"] == "function");
  auto back = L::from_config("Lambda", cfg);
  CHECK((*back)(ops::ones({2, 3})).to_vector<float>() == std::vector<float>{3, 3});
  CHECK(back->compute_output_shape({-1, 3}) == keras::Shape{-1, 1});
  json unknown = cfg;
  unknown["function"]["config"] = "tests>missing";
  CHECK(message([&] { L::from_config("Lambda", unknown); }).find("tests>missing") != std::string::npos);
  json python = cfg;
  python["function"] = {{"class_name", "__lambda__"}, {"config", {{"code", "4wEA"}}}};
  CHECK(message([&] { L::from_config("Lambda", python); }).find("Python") != std::string::npos);
  // A model holding an unregistered Lambda cannot be saved: the error names the layer.
  auto in = keras::Input({3});
  auto lam = std::make_shared<L::Lambda>(twice, L::LambdaShapeFn{}, "anon_lambda");
  keras::Model model(in, (*lam)(in));
  CHECK(message([&] { model.to_json(); }).find("anon_lambda") != std::string::npos);
}

TEST_CASE("misc layers: bad arguments and inputs raise ValueError naming the layer") {
  CHECK(message([] { L::Permute p({1, 3}); }).find("dims") != std::string::npos);
  CHECK(message([] { L::RepeatVector r(0); }).find("n") != std::string::npos);
  CHECK(message([] { L::ReLU r({.negative_slope = -1}); }).find("negative_slope") != std::string::npos);
  L::GroupNormalization gn({.groups = 4, .name = "gn_bad"});
  std::string m = message([&] { gn(ops::ones({2, 6})); });
  CHECK(m.find("gn_bad") != std::string::npos);
  CHECK(m.find("(None, 6)") != std::string::npos);
  L::RepeatVector rep(2, "rep_bad");
  m = message([&] { rep(ops::ones({2, 3, 4})); });
  CHECK(m.find("rep_bad") != std::string::npos);
  CHECK(m.find("(2, 3, 4)") != std::string::npos);
  L::PReLU pr({.shared_axes = {3}, .name = "prelu_bad"});
  CHECK(message([&] { pr(ops::ones({2, 3})); }).find("prelu_bad") != std::string::npos);
  // tf.keras 2 wrote LeakyReLU's slope as alpha.
  auto leaky = L::from_config("LeakyReLU", {{"name", "lr"}, {"alpha", 0.25}});
  CHECK(leaky->get_config()["negative_slope"] == 0.25);
}
