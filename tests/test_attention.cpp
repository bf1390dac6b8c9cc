// Attention, AdditiveAttention and MultiHeadAttention against real Keras 3
// (scripts/make_attention_goldens.py), finite differences and bad input.
#include "attention_fixtures.hpp"

using keras::Tensor;
namespace L = keras::layers;
using json = nlohmann::json;
using namespace testing;

namespace {

L::MultiHeadAttentionOptions mha_options(const json& a) {
  L::MultiHeadAttentionOptions o;
  o.value_dim = a.value("value_dim", 0);
  o.use_bias = a.value("use_bias", true);
  if (a.contains("output_shape"))
    for (auto& d : a["output_shape"]) o.output_shape.push_back(d.get<std::int64_t>());
  if (a.contains("attention_axes")) o.attention_axes = a["attention_axes"].get<std::vector<int>>();
  return o;
}

std::vector<Tensor> run_mha(const GoldenCase& c, L::MultiHeadAttention& mha, bool scores = true) {
  const json& call = c.args["call"];
  L::MultiHeadAttentionCall<Tensor> a;
  std::size_t i = 2;
  if (call.value("key", false)) a.key = c.x[i++];
  if (call.value("attention_mask", false)) a.attention_mask = keras::ops::cast(c.x[i++], keras::bool_);
  a.use_causal_mask = call.value("use_causal_mask", false);
  a.return_attention_scores = scores && call.value("return_attention_scores", false);
  return mha.attend(c.x[0], c.x[1], a, false, {c.m[0], c.m[1]});
}

}  // namespace

TEST_CASE("attention: MultiHeadAttention matches Keras 3 (causal, attention_mask, key, value_dim, output_shape, axes)") {
  for (const char* name : {"mha_basic", "mha_causal_scores", "mha_key_mask_outshape", "mha_no_bias_outshape2",
                           "mha_input_masks", "mha_axes_12", "mha_axes_2"}) {
    INFO(name);
    auto c = golden(name);
    const json& a = c.args["layer"];
    L::MultiHeadAttention mha(a["num_heads"].get<int>(), a["key_dim"].get<int>(), mha_options(a));
    run_mha(c, mha);  // builds
    REQUIRE(mha.weights().size() == c.w.size());
    mha.set_weights(c.w);
    check_outputs(run_mha(c, mha), c, name);
    // Without scores the fused attention op runs: the same output.
    auto fused = run_mha(c, mha, false);
    REQUIRE(fused.size() == 1);
    check_close(fused[0], c.y[0].to_vector<float>(), 1e-5, 1e-5, std::string(name) + " fused");
  }
}

TEST_CASE("attention: MultiHeadAttention weights have Keras 3's names and layouts") {
  L::MultiHeadAttention mha(3, 2, {.value_dim = 4, .output_shape = {7}, .name = "mha"});
  mha.attend(keras::ops::ones({1, 4, 6}), keras::ops::ones({1, 5, 3}));
  std::vector<std::pair<std::string, keras::Shape>> want = {
      {"mha/query/kernel", {6, 3, 2}}, {"mha/query/bias", {3, 2}},  {"mha/key/kernel", {3, 3, 2}},
      {"mha/key/bias", {3, 2}},        {"mha/value/kernel", {3, 3, 4}}, {"mha/value/bias", {3, 4}},
      {"mha/attention_output/kernel", {3, 4, 7}}, {"mha/attention_output/bias", {7}}};
  auto ws = mha.weights();
  REQUIRE(ws.size() == want.size());
  for (std::size_t i = 0; i < ws.size(); ++i) {
    CHECK(ws[i].path() == want[i].first);
    CHECK(ws[i].shape() == want[i].second);
  }
  auto cfg = mha.get_config();
  CHECK(cfg["attention_axes"] == json::array({1}));
  CHECK(cfg["value_dim"] == 4);
  CHECK(cfg["output_shape"] == json::array({7}));
}

TEST_CASE("attention: Attention and AdditiveAttention match Keras 3 (dot, concat, scale, masks, causal, scores)") {
  for (const char* name : {"att_dot", "att_dot_scale_causal", "att_concat", "add_att", "add_att_noscale_causal"}) {
    INFO(name);
    auto c = golden(name);
    const json& a = c.args["layer"];
    const json& call = c.args["call"];
    std::unique_ptr<L::Attention> layer;
    if (a["class"] == "AdditiveAttention")
      layer = std::make_unique<L::AdditiveAttention>(L::AttentionOptions{.use_scale = a["use_scale"].get<bool>()});
    else
      layer = std::make_unique<L::Attention>(
          L::AttentionOptions{.use_scale = a["use_scale"].get<bool>(), .score_mode = a["score_mode"]});
    L::AttentionCall opts{call.value("use_causal_mask", false), call.value("return_attention_scores", false)};
    std::vector<Tensor> masks;
    if (c.m[0].defined()) masks = {c.m[0], c.m[1]};
    layer->attend(c.x, opts, false, masks);
    layer->set_weights(c.w);
    check_outputs(layer->attend(c.x, opts, false, masks), c, name);
  }
}

TEST_CASE("attention: gradients of MultiHeadAttention and Attention match finite differences") {
  keras::utils::set_random_seed(1);
  Tensor q = random_tensor({2, 3, 4}, -1, 1, 1), v = random_tensor({2, 4, 4}, -1, 1, 2);
  Tensor am = keras::ops::greater(random_tensor({2, 3, 4}, 0, 1, 3), keras::ops::full({}, 0.3));
  L::MultiHeadAttention mha(2, 3, {.value_dim = 2, .output_shape = {3}});
  mha.attend(q, v);
  gradcheck("mha query/value", [&](std::vector<Tensor>& in) {
    return mha.attend(in[0], in[1], {.attention_mask = am, .use_causal_mask = true})[0];
  }, {q, v}, 1e-2, 2e-2);
  L::Attention att({.use_scale = true, .score_mode = "concat"});
  gradcheck("attention concat", [&](std::vector<Tensor>& in) {
    return att.attend({in[0], in[1]}, {.use_causal_mask = true})[0];
  }, {q, v}, 1e-2, 2e-2);
  L::AdditiveAttention add;
  gradcheck("additive attention", [&](std::vector<Tensor>& in) { return add.attend({in[0], in[1]}, {})[0]; },
            {q, v}, 1e-2, 2e-2);
}

TEST_CASE("attention: bad input raises ValueError naming the layer and the shapes") {
  auto message = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const keras::ValueError& e) {
      return e.what();
    }
    return "(no ValueError)";
  };
  L::MultiHeadAttention mha(2, 3, {.name = "mha_bad"});
  Tensor q = keras::ops::ones({2, 4, 6}), v = keras::ops::ones({2, 5, 6});
  mha.attend(q, v);
  std::string m = message([&] { mha.attend(keras::ops::ones({2, 4, 5}), v); });
  CHECK(m.find("mha_bad") != std::string::npos);
  CHECK(m.find("(2, 4, 5)") != std::string::npos);
  m = message([&] { mha.attend(q, v, {.attention_mask = keras::ops::ones({2, 4, 6}, keras::bool_)}); });
  CHECK(m.find("mha_bad") != std::string::npos);
  CHECK(m.find("(2, 4, 6)") != std::string::npos);
  m = message([&] { mha.attend(q, v, {}, false, {keras::ops::ones({2, 3}, keras::bool_)}); });
  CHECK(m.find("query mask") != std::string::npos);
  CHECK(m.find("(2, 3)") != std::string::npos);
  m = message([&] { mha.attend(q, v, {.key = keras::ops::ones({2, 4, 6})}); });
  CHECK(m.find("mha_bad") != std::string::npos);
  L::Attention att({.name = "att_bad"});
  m = message([&] { att.attend({keras::ops::ones({2, 4, 3}), keras::ops::ones({2, 5, 2})}, {}); });
  CHECK(m.find("att_bad") != std::string::npos);
  CHECK(m.find("(2, 4, 3)") != std::string::npos);
  CHECK(m.find("(2, 5, 2)") != std::string::npos);
  m = message([&] {
    att.attend({keras::ops::ones({2, 4, 3}), keras::ops::ones({2, 5, 3})}, {}, false,
               {Tensor(), keras::ops::ones({2, 4}, keras::bool_)});
  });
  CHECK(m.find("value mask") != std::string::npos);
  CHECK(message([] { L::Attention bad({.score_mode = "cosine"}); }).find("score_mode") != std::string::npos);
  CHECK(message([] { L::MultiHeadAttention bad(0, 3); }).find("num_heads") != std::string::npos);
  L::MultiHeadAttention axes(2, 3, {.attention_axes = {3}, .name = "mha_axes"});
  CHECK(message([&] { axes.attend(q, v); }).find("attention_axes") != std::string::npos);
}
