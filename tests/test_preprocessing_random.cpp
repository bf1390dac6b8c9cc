// The augmentation layers' randomness (flip rate, factor ranges, mean
// shift, seeds), inference = identity, bad arguments, and preprocessing
// models through .keras / .h5 files both ways: files real Keras 3 and
// tf.keras 2.15 wrote load here and predict as they did; files written here
// read back (and, with KERAS_INTEROP_DIR set, go to scripts/check_in_keras.py).
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "keras/saving.hpp"
#include "preprocessing_fixtures.hpp"
#include "saving/h5.hpp"

using keras::Tensor;
namespace L = keras::layers;
namespace ops = keras::ops;
namespace fs = std::filesystem;
using namespace testing;

namespace {

std::vector<std::shared_ptr<L::Layer>> random_layers(std::optional<std::int64_t> seed) {
  return {std::make_shared<L::RandomFlip>(L::RandomFlipOptions{.seed = seed}),
          std::make_shared<L::RandomRotation>(0.2, L::AffineOptions{.seed = seed}),
          std::make_shared<L::RandomZoom>(0.3, std::nullopt, L::AffineOptions{.seed = seed}),
          std::make_shared<L::RandomTranslation>(0.2, 0.3, L::AffineOptions{.seed = seed}),
          std::make_shared<L::RandomContrast>(0.5, std::array<double, 2>{0, 255}, seed),
          std::make_shared<L::RandomBrightness>(0.3, std::array<double, 2>{0, 255}, seed),
          std::make_shared<L::RandomCrop>(3, 4, seed)};
}

bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.astype(keras::float32).to_vector<float>() == b.astype(keras::float32).to_vector<float>();
}

}  // namespace

TEST_CASE("random layers: identity at inference, different across training steps, repeatable with a seed") {
  const Tensor x = random_tensor({4, 6, 7, 3}, 20, 230, 5);
  auto a = random_layers(11), b = random_layers(11);
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(a[i]->class_name());
    CHECK(same((*a[i])(x, false), x));
    std::vector<Tensor> ys;
    for (int k = 0; k < 4; ++k) ys.push_back((*a[i])(x, true));
    bool differ = false;  // a new draw each step (two draws may agree for a flip or a crop)
    for (int k = 1; k < 4; ++k) differ = differ || !same(ys[0], ys[k]);
    CHECK(differ);
    for (int k = 0; k < 4; ++k) CHECK(same((*b[i])(x, true), ys[k]));  // the same seed repeats the stream
  }
  keras::utils::set_random_seed(3);
  auto u = random_layers(std::nullopt);
  const Tensor y = (*u[1])(x, true);
  keras::utils::set_random_seed(3);
  CHECK(same((*random_layers(std::nullopt)[1])(x, true), y));  // no seed: keras::random decides
}

TEST_CASE("RandomFlip flips about half the images, each as a whole") {
  // Image i is (1, 2, 1) = [i, -i]: a horizontal flip swaps the pair.
  const int n = 4000;
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.insert(v.end(), {float(i), float(-i)});
  const Tensor x(keras::Shape{n, 1, 2, 1}, v);
  for (const char* mode : {"horizontal", "horizontal_and_vertical"}) {
    INFO(mode);
    L::RandomFlip f({.mode = mode, .seed = 1});
    const auto y = f(x, true).to_vector<float>();
    int flipped = 0;
    for (int i = 0; i < n; ++i) {
      const bool fl = y[2 * i] == float(-i) && y[2 * i + 1] == float(i);
      CHECK((fl || (y[2 * i] == float(i) && y[2 * i + 1] == float(-i))));
      flipped += fl && i != 0;
    }
    CHECK(flipped > 0.46 * n);
    CHECK(flipped < 0.54 * n);
  }
  // Vertical: rows swap, columns stay.
  const Tensor col(keras::Shape{1, 2, 1, 1}, std::vector<float>{1, 2});
  L::RandomFlip vf({.mode = "vertical", .seed = 2});
  for (int k = 0; k < 8; ++k) {
    auto y = vf(col, true).to_vector<float>();
    CHECK(((y[0] == 1 && y[1] == 2) || (y[0] == 2 && y[1] == 1)));
  }
  CHECK_THROWS_AS(L::RandomFlip({.mode = "diagonal"}), keras::ValueError);
}

TEST_CASE("RandomBrightness and RandomContrast draw per-image factors inside their ranges") {
  const int n = 2000;
  const Tensor x = random_tensor({n, 2, 2, 1}, 100, 150, 8);
  const auto xv = x.to_vector<float>();
  L::RandomBrightness br({0.05, 0.15}, {0, 255}, 4);
  const auto yb = br(x, true).to_vector<float>();
  double mean_shift = 0;
  for (int i = 0; i < n; ++i) {
    const double d = yb[4 * i] - xv[4 * i];
    CHECK(d >= 0.05 * 255 - 1e-3);
    CHECK(d <= 0.15 * 255 + 1e-3);
    for (int j = 1; j < 4; ++j) CHECK(std::fabs((yb[4 * i + j] - xv[4 * i + j]) - d) < 1e-3);  // one shift per image
    mean_shift += d / n;
  }
  CHECK(mean_shift == doctest::Approx(0.10 * 255).epsilon(0.03));
  // Clipped to value_range.
  const auto hi = L::RandomBrightness({0.9, 0.9}, {0, 255}, 1)(x, true).to_vector<float>();
  for (float v : hi) CHECK(v == 255.0f);
  // Contrast: (x - mean) * k + mean per image and channel, k in [1 - 0, 1 + 0.5] (Keras 3's factor (0, 0.5)).
  L::RandomContrast ct(0.5, {0, 255}, 6);
  const auto yc = ct(x, true).to_vector<float>();
  double kmin = 9, kmax = -9;
  for (int i = 0; i < n; ++i) {
    double m = 0, num = 0, den = 0;
    for (int j = 0; j < 4; ++j) m += xv[4 * i + j] / 4.0;
    for (int j = 0; j < 4; ++j) {
      num += (yc[4 * i + j] - m) * (xv[4 * i + j] - m);
      den += (xv[4 * i + j] - m) * (xv[4 * i + j] - m);
    }
    const double k = num / den;  // least squares over the image
    for (int j = 0; j < 4; ++j) CHECK(std::fabs(yc[4 * i + j] - ((xv[4 * i + j] - m) * k + m)) < 2e-3);
    kmin = std::min(kmin, k);
    kmax = std::max(kmax, k);
  }
  CHECK(kmin >= 1.0 - 1e-3);
  CHECK(kmax <= 1.5 + 1e-3);
  CHECK(kmax - kmin > 0.45);
  CHECK(ct.get_config()["factor"] == nlohmann::json({0.0, 0.5}));
}

TEST_CASE("RandomCrop takes a window of the input (resizing images that are too small)") {
  const Tensor x = random_tensor({2, 6, 7, 2}, 0, 1, 3);
  L::RandomCrop rc(3, 4, 9);
  const auto xv = x.to_vector<float>();
  for (int step = 0; step < 5; ++step) {
    const Tensor y = rc(x, true);
    REQUIRE(y.shape() == keras::Shape{2, 3, 4, 2});
    const auto yv = y.to_vector<float>();
    bool found = false;  // the same window for the whole batch
    for (int h0 = 0; h0 <= 3 && !found; ++h0)
      for (int w0 = 0; w0 <= 3 && !found; ++w0) {
        bool ok = true;
        for (int b = 0; b < 2 && ok; ++b)
          for (int i = 0; i < 3 && ok; ++i)
            for (int j = 0; j < 4 && ok; ++j)
              for (int c = 0; c < 2 && ok; ++c)
                ok = yv[((b * 3 + i) * 4 + j) * 2 + c] == xv[((b * 6 + h0 + i) * 7 + w0 + j) * 2 + c];
        found = ok;
      }
    CHECK(found);
  }
  const Tensor small = random_tensor({1, 2, 3, 2}, 0, 1, 4);
  CHECK(rc(small, true).shape() == keras::Shape{1, 3, 4, 2});
}

TEST_CASE("random geometric layers: a zero factor is the identity; factors out of range raise ValueError") {
  const Tensor x = random_tensor({2, 5, 6, 3}, 0, 1, 2);
  check_close(L::RandomRotation(0.0)(x, true), x.to_vector<float>(), 1e-5, 0, "rotation 0");
  check_close(L::RandomZoom(0.0)(x, true), x.to_vector<float>(), 1e-5, 0, "zoom 0");
  check_close(L::RandomTranslation(0.0, 0.0)(x, true), x.to_vector<float>(), 1e-5, 0, "translation 0");
  auto names_layer = [](auto make, const char* value) {
    try {
      make();
      FAIL("no error");
    } catch (const keras::ValueError& e) {
      CHECK(std::string(e.what()).find("\"aug\"") != std::string::npos);
      CHECK(std::string(e.what()).find(value) != std::string::npos);
    }
  };
  names_layer([] { L::RandomRotation(1.5, {.name = "aug"}); }, "1.5");
  names_layer([] { L::RandomZoom(-1.0, std::nullopt, {.name = "aug"}); }, "-1");
  names_layer([] { L::RandomTranslation(0.1, {0.2, 1.2}, {.name = "aug"}); }, "1.2");
  names_layer([] { L::RandomContrast(1.5, {0, 255}, std::nullopt, "aug"); }, "1.5");
  names_layer([] { L::RandomBrightness({-2.0, -1.5}, {0, 255}, std::nullopt, "aug"); }, "-2");
  names_layer([] { L::RandomRotation(0.1, {.fill_mode = "edge", .name = "aug"}); }, "edge");
}

namespace {

Tensor fixture_tensor(const std::string& file, const char* key) { return tensor_of(prep_json(file)[key]); }

std::string interop_dir() {
  const char* d = std::getenv("KERAS_INTEROP_DIR");
  fs::path p = d && *d ? fs::path(d) : fs::temp_directory_path() / ("keras_prep_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p.string();
}

}  // namespace

TEST_CASE("preprocessing models written by Keras 3 and tf.keras 2 load and predict as they did") {
  for (const char* tag : {"keras3", "tf2"}) {
    const std::string io = std::string("models_") + tag + ".json";
    for (const char* ext : {".keras", ".h5"}) {
      if (std::string(tag) == "tf2" && std::string(ext) == ".keras") continue;
      for (const char* name : {"image", "cat"}) {
        const std::string file = std::string(name) + "_" + tag + ext;
        INFO(file);
        keras::Model m = keras::models::load_model(prep_fixture(file));
        const Tensor x = fixture_tensor(io, (std::string(name) + "_x").c_str());
        const Tensor want = fixture_tensor(io, (std::string(name) + "_y").c_str());
        const Tensor y = m.predict(x);
        REQUIRE(y.shape() == want.shape());
        check_close(y, want.to_vector<float>(), 1e-4, 1e-5, file);
        if (std::string(tag) == "tf2" && std::string(name) == "image") {
          // tf.keras 2's RandomContrast(0.3) draws from [0.7, 1.3]: Keras 3's factor (0.3, 0.3).
          for (const auto& l : m.layers())
            if (l->class_name() == "RandomContrast") CHECK(l->get_config()["factor"] == nlohmann::json({0.3, 0.3}));
        }
      }
    }
  }
  const auto h = prep_json("hashing.json");
  keras::Model hm = keras::models::load_model(prep_fixture("hashing_tf2.h5"));
  const Tensor v(h["shape"].get<keras::Shape>(), h["values"].get<std::vector<std::int64_t>>());
  CHECK(hm.predict(v).astype(keras::int64).to_vector<std::int64_t>() == h["model_y"].get<std::vector<std::int64_t>>());
}

TEST_CASE("preprocessing models saved here read back with the same predictions and adapted state") {
  const std::string dir = interop_dir();
  const Tensor x = random_tensor({3, 8, 8, 3}, 0, 255, 12);
  auto norm = std::make_shared<L::Normalization>();
  norm->adapt(x);
  auto in = keras::Input({8, 8, 3});
  keras::KerasTensor y = (*norm)(in);
  for (auto& l : random_layers(5)) {
    if (l->class_name() == "RandomCrop") continue;  // Keras 3 returns the uncropped input at inference
    y = (*l)(y);
  }
  y = (*std::make_shared<L::Rescaling>(0.5, 0.1))(y);
  y = (*std::make_shared<L::Resizing>(L::ResizingOptions{.height = 6, .width = 5, .interpolation = "bicubic"}))(y);
  y = (*std::make_shared<L::CenterCrop>(4, 4))(y);
  keras::Model m(in, y, "prep_interop");
  const Tensor want = m.predict(x);
  auto tok_in = keras::Input({4});
  auto disc = std::make_shared<L::Discretization>(L::DiscretizationOptions{.num_bins = 3});
  disc->adapt(random_tensor({50}, -2, 2, 4));
  auto t = (*std::make_shared<L::CategoryEncoding>(3, "count"))((*disc)(tok_in));
  keras::Model m2(tok_in, t, "prep_tokens_interop");
  const Tensor xt = random_tensor({5, 4}, -2, 2, 6), want2 = m2.predict(xt);
  for (const char* ext : {".keras", ".h5"}) {
    INFO(ext);
    for (auto* p : {&m, &m2}) {
      const std::string path = dir + "/" + p->name() + ext;
      p->save(path);
      keras::Model back = keras::models::load_model(path);
      const Tensor& in_x = p == &m ? x : xt;
      check_close(back.predict(in_x), (p == &m ? want : want2).to_vector<float>(), 0, 0, path);
    }
  }
  const std::string tf2 = dir + "/prep_interop_tf2.h5";
  keras::models::save_model(m, tf2, {.format = keras::models::SaveFormat::tf_keras2});
  check_close(keras::models::load_model(tf2).predict(x), want.to_vector<float>(), 0, 0, tf2);
  for (auto [name, xx, yy] : {std::tuple{"prep_interop", x, want}, std::tuple{"prep_tokens_interop", xt, want2}}) {
    auto f = keras::saving::h5::create_file(dir + "/" + name + "_io.h5");
    f.write_dataset("x0", xx);
    f.write_dataset("y0", yy);
    keras::saving::h5::close(f);
  }
  if (!std::getenv("KERAS_INTEROP_DIR")) fs::remove_all(dir);
}

TEST_CASE("an augmentation block inside a model trains with fit (random layers active) and predicts deterministically") {
  keras::utils::set_random_seed(1);
  auto in = keras::Input({6, 6, 1});
  keras::KerasTensor y = (*std::make_shared<L::RandomFlip>(L::RandomFlipOptions{.mode = "horizontal", .seed = 3}))(in);
  y = (*std::make_shared<L::RandomTranslation>(0.1, 0.1, L::AffineOptions{.seed = 4}))(y);
  y = (*std::make_shared<L::Flatten>())(y);
  y = (*std::make_shared<L::Dense>(2, "softmax"))(y);
  keras::Model m(in, y);
  m.compile("adam", "sparse_categorical_crossentropy");
  const Tensor x = random_tensor({16, 6, 6, 1}, 0, 1, 2);
  const Tensor lab(keras::Shape{16}, std::vector<std::int64_t>(16, 1));
  auto h = m.fit(x, lab, {.batch_size = 8, .epochs = 2, .verbose = 0});
  CHECK(std::isfinite(h.history["loss"].back()));
  CHECK(same(m.predict(x), m.predict(x)));
}
