// load_img / img_to_array / array_to_img / save_img against Pillow's
// decoding of small files it wrote (tests/fixtures/images, from
// scripts/make_image_fixtures.py), and clear errors on broken files.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/image_utils.hpp"
#include "keras/errors.hpp"

using keras::Tensor;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string img_fixture(const std::string& name) {
  return std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/images/" + name;
}

const json& expected() {
  static json e = [] {
    std::ifstream f(img_fixture("expected.json"));
    REQUIRE(f.good());
    return json::parse(f);
  }();
  return e;
}

// Largest |ours - Pillow's| over the image; shapes must agree.
int max_diff(const Tensor& t, const json& want) {
  const std::int64_t h = static_cast<std::int64_t>(want.size()), w = static_cast<std::int64_t>(want[0].size());
  const bool flat = !want[0][0].is_array();
  const std::int64_t c = flat ? 1 : static_cast<std::int64_t>(want[0][0].size());
  REQUIRE(t.shape() == keras::Shape{h, w, c});
  REQUIRE(t.dtype() == keras::uint8);
  int worst = 0;
  for (std::int64_t i = 0; i < h; ++i)
    for (std::int64_t j = 0; j < w; ++j)
      for (std::int64_t k = 0; k < c; ++k) {
        const int v = flat ? want[i][j].get<int>() : want[i][j][k].get<int>();
        worst = std::max(worst, std::abs(v - static_cast<int>(t.at<std::uint8_t>(i, j, k))));
      }
  return worst;
}

std::vector<std::uint8_t> bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::string write_temp(const std::string& name, const std::vector<std::uint8_t>& b) {
  const fs::path dir = fs::temp_directory_path() / "keras_cpp_image_tests";
  fs::create_directories(dir);
  const std::string p = (dir / name).string();
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return p;
}

void expect_error_naming(const std::string& path, const std::string& what) {
  INFO(path);
  try {
    keras::utils::load_img(path);
    FAIL("no exception");
  } catch (const keras::ValueError& e) {
    const std::string msg = e.what();
    CHECK(msg.find(path) != std::string::npos);
    CHECK_MESSAGE(msg.find(what) != std::string::npos, msg);
  }
}

}  // namespace

TEST_CASE("load_img: every format decodes as Pillow decodes it") {
  for (const char* name : {"rgb.png", "rgba.png", "palette.png", "palette.gif", "rgb.bmp", "smooth.png"}) {
    INFO(name);
    CHECK(max_diff(keras::utils::load_img(img_fixture(name)), expected()[name]["rgb"]) == 0);
  }
  // JPEG: both sides use libjpeg-turbo's islow IDCT; allow one step for a different version.
  CHECK(max_diff(keras::utils::load_img(img_fixture("smooth.jpg")), expected()["smooth.jpg"]["rgb"]) <= 1);
  CHECK(max_diff(keras::utils::load_img(img_fixture("gray.jpg"), {.color_mode = "grayscale"}),
                 expected()["gray.jpg"]["gray"]) <= 1);
}

TEST_CASE("load_img: color modes") {
  using keras::utils::load_img;
  CHECK(max_diff(load_img(img_fixture("gray.png"), {.color_mode = "grayscale"}), expected()["gray.png"]["gray"]) == 0);
  CHECK(max_diff(load_img(img_fixture("gray.png")), expected()["gray.png"]["rgb"]) == 0);  // replicated
  CHECK(max_diff(load_img(img_fixture("rgba.png"), {.color_mode = "rgba"}), expected()["rgba.png"]["rgba"]) == 0);
  // Colour to gray: ITU-R 601 weights; Pillow rounds in fixed point, libpng too (one step apart at most).
  CHECK(max_diff(load_img(img_fixture("rgb.png"), {.color_mode = "grayscale"}), expected()["rgb.png"]["gray"]) <= 1);
  CHECK(max_diff(load_img(img_fixture("rgb.bmp"), {.color_mode = "grayscale"}), expected()["rgb.bmp"]["gray"]) <= 1);
  // 16-bit PNG: the high byte (the file holds gray * 257).
  CHECK(max_diff(load_img(img_fixture("gray16.png"), {.color_mode = "grayscale"}), expected()["gray.png"]["gray"]) == 0);
  const Tensor rgba = load_img(img_fixture("rgb.png"), {.color_mode = "rgba"});
  CHECK(rgba.shape() == keras::Shape{5, 7, 4});
  CHECK(rgba.at<std::uint8_t>(2, 3, 3) == 255);
  CHECK_THROWS_AS(load_img(img_fixture("rgb.png"), {.color_mode = "bgr"}), keras::ValueError);
}

TEST_CASE("load_img: target_size, interpolation and keep_aspect_ratio as Pillow resizes") {
  using keras::utils::load_img;
  const json& e = expected()["smooth.png"];
  CHECK(max_diff(load_img(img_fixture("smooth.png"), {.target_size = {7, 5}}), e["nearest_7x5"]) == 0);
  CHECK(max_diff(load_img(img_fixture("smooth.png"), {.target_size = {6, 6}, .keep_aspect_ratio = true}),
                 e["nearest_6x6_keep"]) == 0);
  // Pillow's bilinear downscale is antialiased and computed in fixed point.
  CHECK(max_diff(load_img(img_fixture("smooth.png"), {.target_size = {8, 6}, .interpolation = "bilinear"}),
                 e["bilinear_8x6"]) <= 2);
  CHECK_THROWS_AS(load_img(img_fixture("smooth.png"), {.target_size = {8, 6}, .interpolation = "hamming"}),
                  keras::ValueError);
}

TEST_CASE("load_img: truncated, corrupt, oversized and unknown files raise errors naming the file") {
  std::vector<std::uint8_t> png = bytes_of(img_fixture("rgb.png"));
  expect_error_naming(write_temp("half.png", {png.begin(), png.begin() + png.size() / 2}), "PNG");
  std::vector<std::uint8_t> bad = png;
  bad[40] ^= 0xff;  // inside the image data: the CRC check fails
  expect_error_naming(write_temp("crc.png", bad), "PNG");
  std::vector<std::uint8_t> wide = png;  // IHDR width 100000 (CRC fixed by libpng? no: the size check comes first)
  wide[16] = 0; wide[17] = 1; wide[18] = 0x86; wide[19] = 0xa0;
  expect_error_naming(write_temp("wide.png", wide), "PNG");
  std::vector<std::uint8_t> jpg = bytes_of(img_fixture("smooth.jpg"));
  expect_error_naming(write_temp("half.jpg", {jpg.begin(), jpg.begin() + jpg.size() / 2}), "JPEG");
  std::vector<std::uint8_t> gif = bytes_of(img_fixture("palette.gif"));
  expect_error_naming(write_temp("half.gif", {gif.begin(), gif.begin() + 20}), "GIF");
  std::vector<std::uint8_t> huge_gif = gif;
  huge_gif[6] = huge_gif[7] = huge_gif[8] = huge_gif[9] = 0xff;  // 65535 x 65535 canvas
  expect_error_naming(write_temp("huge.gif", huge_gif), "pixels");
  std::vector<std::uint8_t> bmp = bytes_of(img_fixture("rgb.bmp"));
  expect_error_naming(write_temp("half.bmp", {bmp.begin(), bmp.begin() + 30}), "BMP");
  expect_error_naming(write_temp("noise.png", {1, 2, 3, 4, 5, 6, 7, 8, 9}), "not an image");
  CHECK_THROWS_AS(keras::utils::load_img("/nonexistent/x.png"), keras::IOError);
}

TEST_CASE("save_img, array_to_img and img_to_array") {
  const Tensor rgb = keras::utils::load_img(img_fixture("rgb.png"));
  for (const char* ext : {"png", "bmp", "gif"}) {  // lossless (35 colours: an exact GIF palette)
    const std::string p = (fs::temp_directory_path() / "keras_cpp_image_tests" / (std::string("out.") + ext)).string();
    fs::create_directories(fs::path(p).parent_path());
    keras::utils::save_img(p, rgb, "", false);
    CHECK(max_diff(keras::utils::load_img(p), expected()["rgb.png"]["rgb"]) == 0);
  }
  const std::string pj = (fs::temp_directory_path() / "keras_cpp_image_tests" / "out.jpg").string();
  // A gray JPEG (no chroma subsampling) re-encoded at quality 100 comes back within a few levels.
  const Tensor smooth = keras::utils::load_img(img_fixture("gray.jpg"), {.color_mode = "grayscale"});
  keras::utils::save_img(pj, smooth, "", false, 100);
  CHECK(max_diff(keras::utils::load_img(pj, {.color_mode = "grayscale"}), expected()["gray.jpg"]["gray"]) <= 4);
  CHECK_THROWS_AS(keras::utils::save_img(pj + ".tiff", smooth), keras::ValueError);
  // 400 colours in a GIF: giflib's quantizer (lossy), read back at the same size and close.
  std::vector<std::uint8_t> v;
  for (int i = 0; i < 20; ++i)
    for (int j = 0; j < 20; ++j) v.insert(v.end(), {std::uint8_t(i * 12), std::uint8_t(j * 12), std::uint8_t(100)});
  const Tensor many(keras::Shape{20, 20, 3}, v);
  const std::string pg = (fs::temp_directory_path() / "keras_cpp_image_tests" / "many.gif").string();
  keras::utils::save_img(pg, many, "", false);
  const Tensor back = keras::utils::load_img(pg);
  REQUIRE(back.shape() == many.shape());
  int worst = 0;
  double total = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const int d = std::abs(int(v[i]) - int(back.data<std::uint8_t>()[i]));
    worst = std::max(worst, d);
    total += d;
  }
  CHECK(worst > 0);
  CHECK(total / static_cast<double>(v.size()) <= 8.0);  // median cut: small on average, a few colours further off
  // img_to_array: float32 copy; a 2-D image gets a channel axis.
  const Tensor a = keras::utils::img_to_array(rgb);
  CHECK(a.dtype() == keras::float32);
  CHECK(a.at<float>(1, 2, 0) == static_cast<float>(rgb.at<std::uint8_t>(1, 2, 0)));
  // array_to_img with scale: (x - min) * 255 / max(x - min), truncated.
  const Tensor x(keras::Shape{1, 3, 1}, std::vector<float>{-1.0f, 0.0f, 3.0f});
  const Tensor img = keras::utils::array_to_img(x);
  CHECK(img.at<std::uint8_t>(0, 0, 0) == 0);
  CHECK(img.at<std::uint8_t>(0, 1, 0) == 63);  // 1 / 4 * 255 = 63.75
  CHECK(img.at<std::uint8_t>(0, 2, 0) == 255);
  CHECK_THROWS_AS(keras::utils::array_to_img(Tensor(keras::Shape{2, 2, 2}, std::vector<float>(8, 0.0f))),
                  keras::ValueError);
}
