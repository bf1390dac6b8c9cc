// The preprocessing layers against real Keras 3 (golden values from
// scripts/make_preprocessing_goldens.py): Rescaling, Normalization (adapt
// from a tensor and from batches, invert), Discretization (bins, adapt),
// CategoryEncoding, Hashing (tf.keras 2.15 / TensorFlow's hashes),
// Resizing, CenterCrop, and the random geometric layers with a factor
// range of zero width (the transform fixed), plus keras.ops.image's
// affine_transform for every fill mode and interpolation.
#include "keras/data.hpp"
#include "keras/ops_image.hpp"
#include "preprocessing_fixtures.hpp"

using keras::Tensor;
namespace L = keras::layers;
namespace ops = keras::ops;
using namespace testing;

namespace {
const nlohmann::json& goldens() {
  static const nlohmann::json g = prep_json("goldens.json");
  return g;
}
Tensor image() { return tensor_of(goldens()["image"]); }
void check_golden(const Tensor& got, const char* key, double atol = 1e-4, double rtol = 1e-5) {
  const auto& want = goldens()[key];
  REQUIRE_MESSAGE(got.shape() == want["shape"].get<keras::Shape>(), key << ": shape " << keras::shape_str(got.shape()));
  check_close(got, values_of(want), atol, rtol, key);
}
}  // namespace

TEST_CASE("Rescaling matches Keras and keeps its config") {
  L::Rescaling r(1 / 127.5, -1.0);
  check_golden(r(image()), "rescaling", 1e-6);
  CHECK(r.get_config()["offset"] == -1.0);
}

TEST_CASE("Normalization: adapt from a tensor and from a dataset's batches matches Keras; invert") {
  const Tensor d = tensor_of(goldens()["norm_data"]);
  L::Normalization n;
  n.adapt(d);
  REQUIRE(n.weights().size() == 3);
  check_close(n.weights()[0].value(), values_of(goldens()["norm_mean"]), 1e-5, 1e-5, "mean");
  check_close(n.weights()[1].value(), values_of(goldens()["norm_var"]), 1e-5, 1e-5, "variance");
  check_golden(n(ops::slice_axis(d, 0, 0, 4)), "norm_out", 1e-5);
  // Batches of 16, 16 and 8, merged as Keras merges a dataset's batches.
  L::Normalization nb;
  nb.adapt(keras::data::Dataset::from_tensor_slices(d).batch(16));
  check_close(nb.weights()[0].value(), values_of(goldens()["norm_batched_mean"]), 1e-5, 1e-5, "batched mean");
  check_close(nb.weights()[1].value(), values_of(goldens()["norm_batched_var"]), 1e-5, 1e-5, "batched variance");
  // Unbatched rank-1 elements are batched (by 128) first.
  L::Normalization nu;
  nu.adapt(keras::data::Dataset::from_tensor_slices(d));
  check_close(nu.weights()[0].value(), values_of(goldens()["norm_mean"]), 1e-5, 1e-5, "unbatched mean");
  L::Normalization ni({.mean = std::vector<float>{1, 2, 3}, .variance = std::vector<float>{4, 1, 0.25f}, .invert = true});
  check_golden(ni(ops::slice_axis(d, 0, 0, 4)), "norm_invert", 1e-5);
  CHECK(ni.weights().empty());
}

TEST_CASE("Normalization: bad arguments and data raise ValueError naming the layer") {
  CHECK_THROWS_AS(L::Normalization({.mean = std::vector<float>{1}}), keras::ValueError);
  L::Normalization n({.name = "norm_x"});
  n.adapt(Tensor::zeros({4, 3}));
  try {
    n.adapt(Tensor::zeros({4, 5}));
    FAIL("no error");
  } catch (const keras::ValueError& e) {
    CHECK(std::string(e.what()).find("norm_x") != std::string::npos);
    CHECK(std::string(e.what()).find("(4, 5)") != std::string::npos);
  }
  L::Normalization fixed({.mean = std::vector<float>{1, 2}, .variance = std::vector<float>{1, 1}});
  CHECK_THROWS_AS(fixed(Tensor::zeros({2, 3})), keras::ValueError);  // 2 values for 3 features
  CHECK_THROWS_AS(fixed.adapt(Tensor::zeros({2, 2})), keras::ValueError);
}

TEST_CASE("Discretization: fixed bins and adapted quantiles match Keras") {
  const Tensor q = tensor_of(goldens()["disc_in"]);
  L::Discretization d({.bin_boundaries = std::vector<float>{-1, 0, 1}});
  Tensor got = d(q);
  CHECK(got.dtype() == keras::int32);
  check_golden(got, "disc_int", 0);
  check_golden(L::Discretization({.bin_boundaries = std::vector<float>{-1, 0, 1}, .output_mode = "count"})(q),
               "disc_count", 0);
  const Tensor v = tensor_of(goldens()["disc_data"]);
  L::Discretization a({.num_bins = 4});
  CHECK_THROWS_AS(a(q), keras::ValueError);  // not adapted
  a.adapt(v);
  check_close(Tensor(keras::Shape{3}, *a.bin_boundaries()), values_of(goldens()["disc_bins4"]), 1e-6, 1e-6, "bins4");
  L::Discretization b({.num_bins = 5, .epsilon = 0.05});
  std::vector<float> all = v.to_vector<float>();
  auto part = [&](std::size_t lo, std::size_t hi) {
    return Tensor(keras::Shape{static_cast<std::int64_t>(hi - lo)}, std::vector<float>(all.begin() + lo, all.begin() + hi));
  };
  b.adapt(keras::data::Dataset::from_generator_factory([&] {
    auto i = std::make_shared<int>(0);
    return [&, i]() -> std::optional<keras::data::Element> {
      const std::size_t cuts[] = {0, 70, 150, 200};
      if (*i >= 3) return std::nullopt;
      ++*i;
      return keras::data::Element{part(cuts[*i - 1], cuts[*i])};
    };
  }));
  REQUIRE(b.bin_boundaries()->size() == 4);
  check_close(Tensor(keras::Shape{4}, *b.bin_boundaries()), values_of(goldens()["disc_bins5_batched"]), 1e-6, 1e-6,
              "bins5 batched");
  CHECK_THROWS_AS(L::Discretization({.output_mode = "int"}), keras::ValueError);  // neither bins nor num_bins
}

TEST_CASE("CategoryEncoding: multi_hot, count and one_hot match Keras") {
  const Tensor t = tensor_of(goldens()["cat_in"]).astype(keras::int64);
  check_golden(L::CategoryEncoding(5)(t), "cat_multi", 0);
  check_golden(L::CategoryEncoding(5, "count")(t), "cat_count", 0);
  check_golden(L::CategoryEncoding(5, "one_hot")(ops::slice_axis(t, 1, 0, 1)), "cat_onehot", 0);
  CHECK_THROWS_AS(L::CategoryEncoding(0), keras::ValueError);
  CHECK_THROWS_AS(L::CategoryEncoding(4, "tf_idf"), keras::ValueError);
}

TEST_CASE("Hashing: integer bins equal TensorFlow's (FarmHash Fingerprint64, SipHash with a salt)") {
  const auto h = prep_json("hashing.json");
  const auto texts = h["texts"].get<std::vector<std::string>>();
  const auto fast = h["fast_texts"].get<std::vector<std::int64_t>>();
  const auto strong = h["strong_texts"].get<std::vector<std::int64_t>>();
  const std::uint64_t big = 1ULL << 62;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    INFO(texts[i]);
    CHECK(static_cast<std::int64_t>(ops::fingerprint64(texts[i]) % big) == fast[i]);
    CHECK(static_cast<std::int64_t>(ops::siphash24(texts[i], 11, 22) % big) == strong[i]);
  }
  CHECK(ops::fingerprint64("0") == h["fingerprint"][0].get<std::uint64_t>());
  const Tensor v(h["shape"].get<keras::Shape>(), h["values"].get<std::vector<std::int64_t>>());
  auto same = [&](L::HashingOptions o, const char* key) {
    INFO(key);
    Tensor got = L::Hashing(o)(v);
    CHECK(got.dtype() == keras::int64);
    CHECK(got.to_vector<std::int64_t>() == h[key].get<std::vector<std::int64_t>>());
  };
  same({.num_bins = 10}, "fast10");
  same({.num_bins = 10, .mask_value = 7}, "fast_mask");
  same({.num_bins = 1000, .salt = std::array<std::int64_t, 2>{133, 137}}, "strong");
  same({.num_bins = 97, .salt = std::array<std::int64_t, 2>{5, 5}}, "strong_one");
  // One-hot output counts the int bins.
  Tensor oh = L::Hashing({.num_bins = 10, .output_mode = "count"})(v);
  CHECK(oh.shape() == keras::Shape{2, 10});
  try {
    L::Hashing({.num_bins = 3, .name = "hash_f"})(Tensor::zeros({2}));
    FAIL("no error");
  } catch (const keras::ValueError& e) {
    CHECK(std::string(e.what()).find("hash_f") != std::string::npos);
    CHECK(std::string(e.what()).find("string") != std::string::npos);
  }
  CHECK_THROWS_AS(L::Hashing({.num_bins = 0}), keras::ValueError);
}

TEST_CASE("Resizing and CenterCrop match Keras (interpolations, crop and pad to the aspect ratio)") {
  const Tensor x = image();
  check_golden(L::Resizing({.height = 4, .width = 3})(x), "resize_bilinear");
  check_golden(L::Resizing({.height = 7, .width = 4, .interpolation = "nearest"})(x), "resize_nearest");
  check_golden(L::Resizing({.height = 3, .width = 8, .interpolation = "bicubic"})(x), "resize_bicubic");
  check_golden(L::Resizing({.height = 4, .width = 4, .crop_to_aspect_ratio = true})(x), "resize_crop");
  check_golden(L::Resizing({.height = 4, .width = 4, .pad_to_aspect_ratio = true, .fill_value = 7})(x), "resize_pad");
  check_golden(L::CenterCrop(3, 4)(x), "center_crop");
  check_golden(L::CenterCrop(6, 4)(x), "center_crop_up");
  CHECK_THROWS_AS(L::Resizing({.height = 4, .width = 4, .interpolation = "area"}), keras::ValueError);
  CHECK_THROWS_AS(L::Resizing({.height = 4, .width = 4, .crop_to_aspect_ratio = true, .pad_to_aspect_ratio = true}),
                  keras::ValueError);
  CHECK_THROWS_AS(L::CenterCrop(2, 2)(Tensor::zeros({4, 4})), keras::ValueError);  // rank 2
}

TEST_CASE("ops::image::affine_transform matches keras.ops.image.affine_transform for every fill mode") {
  const Tensor x = image();
  const auto t = values_of(goldens()["affine_t"]);
  std::vector<ops::image::AffineTransform> ts(2);
  for (int i = 0; i < 16; ++i) ts[i / 8][i % 8] = t[i];
  for (const char* mode : {"constant", "nearest", "wrap", "mirror", "reflect"})
    for (const char* interp : {"bilinear", "nearest"}) {
      const std::string key = std::string("affine_") + mode + "_" + interp;
      check_golden(ops::image::affine_transform(x, ts, interp, mode, -3.0), key.c_str(), 2e-3);
    }
  CHECK_THROWS_AS(ops::image::affine_transform(x, ts, "bicubic"), keras::ValueError);
  CHECK_THROWS_AS(ops::image::affine_transform(x, ts, "bilinear", "edge"), keras::ValueError);
  CHECK_THROWS_AS(ops::image::affine_transform(x, std::vector<ops::image::AffineTransform>(3)), keras::ValueError);
}

TEST_CASE("RandomRotation, RandomZoom, RandomTranslation, RandomBrightness with a fixed transform match Keras") {
  const Tensor x = image();
  auto deg = [](double d) { return L::FactorArg(d / 360, d / 360); };
  check_golden(L::RandomRotation(deg(30), {.fill_mode = "constant", .fill_value = 5})(x, true), "rotation_30", 2e-3);
  check_golden(L::RandomRotation(deg(-50))(x, true), "rotation_m50_reflect", 2e-3);
  check_golden(L::RandomRotation(deg(80), {.fill_mode = "wrap", .interpolation = "nearest"})(x, true),
               "rotation_80_wrap_nearest", 2e-3);
  check_golden(L::RandomRotation(deg(45), {.fill_mode = "nearest"})(x, true), "rotation_45_nearestfill", 2e-3);
  check_golden(L::RandomZoom({-0.3, -0.3}, L::FactorArg{0.4, 0.4})(x, true), "zoom", 2e-3);
  check_golden(L::RandomZoom({0.25, 0.25}, std::nullopt, {.fill_mode = "constant"})(x, true), "zoom_same", 2e-3);
  check_golden(L::RandomTranslation({0.2, 0.2}, {-0.35, -0.35}, {.fill_mode = "wrap"})(x, true), "translation", 2e-3);
  check_golden(L::RandomTranslation({-0.4, -0.4}, {0.5, 0.5})(x, true), "translation_reflect", 2e-3);
  check_golden(L::RandomBrightness({0.1, 0.1})(x, true), "brightness", 1e-3);
}
