// Attention layers in models: files written by real Keras 3 load here and
// predict as Keras did; models saved here read back (and, with
// KERAS_INTEROP_DIR set, go to scripts/check_in_keras.py for real Keras);
// masks flow from the graph; a small causal transformer block trains.
#include <cstdlib>
#include <filesystem>

#include "attention_fixtures.hpp"
#include "keras/saving.hpp"

using keras::KerasTensor;
using keras::Tensor;
namespace L = keras::layers;
namespace ops = keras::ops;
namespace fs = std::filesystem;
using namespace testing;

namespace {

std::vector<Tensor> io(const std::string& path, const char* prefix) {
  auto f = keras::saving::h5::open_file(path);
  std::vector<Tensor> r;
  for (int i = 0; f.has(prefix + std::to_string(i)); ++i) r.push_back(f.dataset(prefix + std::to_string(i)));
  keras::saving::h5::close(f);
  return r;
}

void check_model(keras::Model& m, const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const std::string& what,
                 double atol) {
  auto got = m.predict(xs);
  REQUIRE(got.size() == ys.size());
  for (std::size_t i = 0; i < ys.size(); ++i) {
    REQUIRE(got[i].shape() == ys[i].shape());
    check_close(got[i], ys[i].to_vector<float>(), atol, 1e-5, what + " output " + std::to_string(i));
  }
}

std::string interop_dir() {
  const char* d = std::getenv("KERAS_INTEROP_DIR");
  fs::path p = d && *d ? fs::path(d) : fs::temp_directory_path() / ("keras_attn_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p.string();
}

// q (4, 6), v (5, 6): MultiHeadAttention with an attention mask, scores and
// a causal self-attention, Attention and AdditiveAttention, small layers.
keras::Model attention_model() {
  auto q = keras::Input({4, 6}, "q"), v = keras::Input({5, 6}, "v"), am = keras::Input({4, 5}, "am", keras::bool_);
  auto mha = std::make_shared<L::MultiHeadAttention>(2, 3, L::MultiHeadAttentionOptions{.value_dim = 4, .name = "mha"});
  auto ys = mha->call_all(q, v, {.attention_mask = am, .return_attention_scores = true});
  auto self = std::make_shared<L::MultiHeadAttention>(2, 2, L::MultiHeadAttentionOptions{.output_shape = {3}});
  auto z = self->call_all(q, q, {.use_causal_mask = true})[0];
  auto att = std::make_shared<L::Attention>(L::AttentionOptions{.use_scale = true});
  auto a = att->call_all({q, v}, {.use_causal_mask = true})[0];
  auto add = std::make_shared<L::AdditiveAttention>();
  auto b = (*add)({q, v, v});
  auto g = (*std::make_shared<L::GroupNormalization>(L::GroupNormalizationOptions{.groups = 3}))(
      (*std::make_shared<L::LeakyReLU>(0.1))(z));
  auto h = (*std::make_shared<L::Softmax>())((*std::make_shared<L::Permute>(std::vector<int>{2, 1}))(b));
  return keras::Model({q, v, am}, {ys[0], ys[1], g, a, h}, "attention_interop");
}

std::vector<Tensor> attention_inputs() {
  Tensor am = ops::greater(random_tensor({3, 4, 5}, 0, 1, 9), ops::full({}, 0.3));
  am = ops::logical_or(am, ops::less(ops::reshape(ops::arange(5), {1, 1, 5}), ops::full({}, 1, keras::int64)));
  return {random_tensor({3, 4, 6}, -1, 1, 7), random_tensor({3, 5, 6}, -1, 1, 8), am};
}

}  // namespace

TEST_CASE("attention models: a model Keras 3 saved (.keras and .h5) loads and predicts as Keras did") {
  auto xs = io(attention_fixture("attention_model_io.h5"), "x");
  auto ys = io(attention_fixture("attention_model_io.h5"), "y");
  for (const char* ext : {".keras", ".h5"}) {
    INFO(ext);
    auto m = keras::models::load_model(attention_fixture(std::string("attention_model") + ext));
    check_model(m, xs, ys, std::string("attention_model") + ext, 1e-5);
  }
}

TEST_CASE("attention models: a tf.keras 2 .h5 (value and use_causal_mask in node kwargs, LeakyReLU alpha) loads") {
  auto xs = io(attention_fixture("tf2_attention_io.h5"), "x");
  auto ys = io(attention_fixture("tf2_attention_io.h5"), "y");
  auto m = keras::models::load_model(attention_fixture("tf2_attention.h5"));
  check_model(m, xs, ys, "tf2_attention.h5", 1e-5);
}

TEST_CASE("interop: attention models saved here read back with the same predictions (and go to real Keras)") {
  keras::utils::set_random_seed(4);
  std::string dir = interop_dir();
  auto m = attention_model();
  auto xs = attention_inputs();
  auto ys = m.predict(xs);
  std::string cfg = m.to_json();
  CHECK(cfg.find("\"use_causal_mask\":true") != std::string::npos);
  CHECK(cfg.find("\"attention_mask\":{\"class_name\":\"__keras_tensor__\"") != std::string::npos);
  for (const char* ext : {".keras", ".h5"}) {
    std::string path = dir + "/attention_interop" + ext;
    m.save(path);
    auto back = keras::models::load_model(path);
    check_model(back, xs, ys, path, 0.0);
  }
  auto f = keras::saving::h5::create_file(dir + "/attention_interop_io.h5");
  for (std::size_t i = 0; i < xs.size(); ++i) f.write_dataset("x" + std::to_string(i), ops::cast(xs[i], keras::float32));
  for (std::size_t i = 0; i < ys.size(); ++i) f.write_dataset("y" + std::to_string(i), ys[i]);
  keras::saving::h5::close(f);
  if (!std::getenv("KERAS_INTEROP_DIR")) fs::remove_all(dir);
}

namespace {
// Marks time steps whose features are all zero as padding (like Keras's Masking).
class ZeroMask : public L::Layer {
 public:
  ZeroMask() : Layer(unique_name("zero_mask")) { supports_masking_ = true; }
  KERAS_LAYER_CLASS(ZeroMask)
  Tensor call(const Tensor& x, bool) override { return x; }
  bool creates_mask() const override { return true; }
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& xs, const std::vector<Tensor>&) const override {
    return {ops::greater(ops::max(ops::abs(xs[0]), {-1}), ops::full({}, 0.0))};
  }
};
}  // namespace

TEST_CASE("attention models: masks from the graph reach MultiHeadAttention and Attention as Keras applies them") {
  auto x = keras::Input({5, 4});
  auto masked = (*std::make_shared<ZeroMask>())(x);
  auto mha = std::make_shared<L::MultiHeadAttention>(2, 3);
  auto y = mha->call_all(masked, masked, {.return_attention_scores = true});
  auto att = std::make_shared<L::Attention>();
  auto a = (*att)({masked, masked});
  keras::Model model(std::vector<KerasTensor>{x}, {y[0], y[1], a});
  Tensor xv = random_tensor({2, 5, 4}, -1, 1, 3);
  // Sample 0 has 3 steps, sample 1 all 5.
  Tensor keep = Tensor({2, 5, 1}, std::vector<float>{1, 1, 1, 0, 0, 1, 1, 1, 1, 1});
  xv = ops::multiply(xv, keep);
  auto out = model.predict(std::vector<Tensor>{xv});
  Tensor qmask = ops::greater(ops::reshape(keep, {2, 5}), ops::full({}, 0.5));
  auto want = mha->attend(xv, xv, {.return_attention_scores = true}, false, {qmask, qmask});
  check_close(out[0], want[0].to_vector<float>(), 1e-6, 0, "mha output");
  check_close(out[1], want[1].to_vector<float>(), 1e-6, 0, "mha scores");
  // Padded keys get probability 0; padded query rows are all 0.
  auto s = out[1].to_vector<float>();  // (2, 2, 5, 5)
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 5; ++i)
      for (int j = 0; j < 5; ++j)
        if (i >= 3 || j >= 3) CHECK(s[((0 * 2 + h) * 5 + i) * 5 + j] == 0.0f);
  auto av = out[2].to_vector<float>();
  for (int t = 3; t < 5; ++t)
    for (int f = 0; f < 4; ++f) CHECK(av[(0 * 5 + t) * 4 + f] == 0.0f);
}

TEST_CASE("attention models: a small causal transformer block trains with fit and its loss decreases") {
  keras::utils::set_random_seed(2);
  const int T = 8, D = 16, V = 6;
  auto x = keras::Input({T, V});
  auto h = (*std::make_shared<L::Dense>(D))(x);
  auto mha = std::make_shared<L::MultiHeadAttention>(2, 8, L::MultiHeadAttentionOptions{.dropout = 0.1});
  auto att = mha->call_all(h, h, {.use_causal_mask = true})[0];
  h = (*std::make_shared<L::LayerNormalization>())((*std::make_shared<L::Add>())({h, att}));
  auto ff = (*std::make_shared<L::Dense>(D))((*std::make_shared<L::Dense>(32, "relu"))(h));
  h = (*std::make_shared<L::LayerNormalization>())((*std::make_shared<L::Add>())({h, ff}));
  auto out = (*std::make_shared<L::Dense>(V, "softmax"))(h);
  keras::Model model(x, out);
  model.compile("adam", "sparse_categorical_crossentropy");
  // Sequences counting up mod V: the next token is the current one + 1.
  const int N = 64;
  std::vector<float> xs(N * T * V, 0.0f), ys(N * T);
  for (int n = 0; n < N; ++n)
    for (int t = 0; t < T; ++t) {
      int tok = (n + t) % V;
      xs[(n * T + t) * V + tok] = 1;
      ys[n * T + t] = static_cast<float>((tok + 1) % V);
    }
  auto hist = model.fit(Tensor({N, T, V}, xs), Tensor({N, T}, ys), {.batch_size = 16, .epochs = 15, .verbose = 0});
  auto& loss = hist.history.at("loss");
  INFO("first ", loss.front(), " last ", loss.back());
  CHECK(loss.back() < 0.5 * loss.front());
}
