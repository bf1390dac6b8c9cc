// image_dataset_from_directory / text_dataset_from_directory: file order,
// splits and labels against Keras's for a small tree
// (tests/fixtures/images/dataset_order.json, scripts/make_image_dataset_fixtures.py),
// the images, label modes, batching and argument errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/image_utils.hpp"
#include "keras/ops.hpp"

using keras::Tensor;
using nlohmann::json;
namespace fs = std::filesystem;
namespace ku = keras::utils;

namespace {

std::string fixture_path(const std::string& name) {
  return std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/images/" + name;
}

const json& order() {
  static json j = [] {
    std::ifstream f(fixture_path("dataset_order.json"));
    REQUIRE(f.good());
    return json::parse(f);
  }();
  return j;
}

// The fixture's tree, images copied from the format fixtures by extension.
std::string make_tree() {
  static std::string root = [] {
    const fs::path r = fs::temp_directory_path() / "keras_cpp_image_dataset_tree";
    fs::remove_all(r);
    for (const std::string f : order()["tree"]) {
      fs::create_directories((r / f).parent_path());
      std::string ext = fs::path(f).extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      const std::string src = ext == ".png" ? "gray.png" : ext == ".bmp" ? "rgb.bmp" : ext == ".gif" ? "palette.gif"
                                                         : ext == ".txt"   ? "expected.json" : "smooth.jpg";
      fs::copy_file(fixture_path(src), r / f);
    }
    return r.string();
  }();
  return root;
}

std::vector<std::string> relative(const std::vector<std::string>& paths, const std::string& root) {
  std::vector<std::string> out;
  for (const std::string& p : paths) out.push_back(fs::relative(p, root).string());
  return out;
}

ku::ImageDatasetOptions options_of(const json& o) {
  ku::ImageDatasetOptions r;
  r.image_size = {2, 2};
  r.verbose = false;
  r.shuffle = o.value("shuffle", true);
  if (o.contains("seed")) r.seed = o["seed"].get<std::uint32_t>();
  r.validation_split = o.value("validation_split", 0.0);
  r.subset = o.value("subset", std::string());
  if (o.contains("class_names")) r.class_names = o["class_names"].get<std::vector<std::string>>();
  if (o.contains("labels") && o["labels"].is_null()) r.labels = std::string("none");
  return r;
}

std::vector<std::int64_t> all_labels(const keras::data::Dataset& ds) {
  std::vector<std::int64_t> out;
  for (const keras::data::Element& e : ds)
    for (std::int32_t v : e[1].to_vector<std::int32_t>()) out.push_back(v);
  return out;
}

}  // namespace

TEST_CASE("image_dataset_from_directory: file order, splits and labels as Keras") {
  const std::string root = make_tree();
  for (const json& c : order()["image_cases"]) {
    INFO(c["options"].dump());
    const ku::DirectoryDataset d = ku::image_dataset_from_directory(root, options_of(c["options"]));
    const auto want = c["file_paths"].get<std::vector<std::string>>();
    if (!c["options"].contains("class_names")) {
      CHECK(relative(d.file_paths, root) == want);
    }
    if (!c["options"].contains("labels")) CHECK(d.class_names == c["class_names"].get<std::vector<std::string>>());
    if (c["labels"].is_null()) continue;
    // Each file's label (Keras 3 also lists the class folders in class_names order; tf.keras 2.15,
    // which wrote the fixture, sorted them: compare labels per file).
    std::map<std::string, std::int64_t> want_label;
    for (std::size_t i = 0; i < want.size(); ++i) want_label[want[i]] = c["labels"][i].get<std::int64_t>();
    const std::vector<std::int64_t> got = all_labels(d.dataset);
    REQUIRE(got.size() == want.size());
    const auto rel = relative(d.file_paths, root);
    for (std::size_t i = 0; i < rel.size(); ++i) CHECK(got[i] == want_label[rel[i]]);
  }
}

TEST_CASE("image_dataset_from_directory: class_names order the folders as Keras 3 does") {
  ku::ImageDatasetOptions o;
  o.image_size = {2, 2};
  o.shuffle = false;
  o.verbose = false;
  o.class_names = {"dog", "bird"};  // a subset, in this order
  const ku::DirectoryDataset d = ku::image_dataset_from_directory(make_tree(), o);
  const auto rel = relative(d.file_paths, make_tree());
  REQUIRE(rel.size() == 10);
  CHECK(rel.front() == "dog/D2.PNG");
  CHECK(rel[4] == "bird/b1.png");
  CHECK(all_labels(d.dataset) == std::vector<std::int64_t>{0, 0, 0, 0, 1, 1, 1, 1, 1, 1});
  o.class_names = {"dog", "fish"};
  CHECK_THROWS_AS(ku::image_dataset_from_directory(make_tree(), o), keras::ValueError);
}

TEST_CASE("image_dataset_from_directory: subset both, label modes, batching, images") {
  const std::string root = make_tree();
  ku::ImageDatasetOptions o;
  o.image_size = {3, 4};
  o.verbose = false;
  o.seed = 1337;
  o.validation_split = 0.25;
  o.batch_size = 5;
  auto [train, val] = ku::image_dataset_from_directory_both(root, o);
  CHECK(train.file_paths.size() == 13);
  CHECK(val.file_paths.size() == 4);
  CHECK(train.dataset.cardinality() == 3);
  const std::vector<keras::data::Element> batches = train.dataset.collect();
  REQUIRE(batches.size() == 3);
  CHECK(batches[0][0].shape() == keras::Shape{5, 3, 4, 3});
  CHECK(batches[0][0].dtype() == keras::float32);
  CHECK(batches[2][0].shape(0) == 3);
  CHECK(batches[0][1].dtype() == keras::int32);

  o.validation_split = 0.0;
  o.shuffle = false;
  o.label_mode = "categorical";
  o.color_mode = "grayscale";
  o.batch_size = 0;  // unbatched
  const ku::DirectoryDataset cat = ku::image_dataset_from_directory(root, o);
  const std::vector<keras::data::Element> items = cat.dataset.collect();
  REQUIRE(items.size() == 17);
  CHECK(items[0][1].shape() == keras::Shape{4});
  CHECK(items[0][1].to_vector<float>() == std::vector<float>{1, 0, 0, 0});
  // The first file is bird/b1.png (gray.png): decoded, then resized as tf.image.resize (bilinear, no antialias).
  const Tensor want = keras::ops::image::resize(ku::img_to_array(ku::load_img(fixture_path("gray.png"), {.color_mode = "grayscale"})),
                                                {3, 4}, "bilinear");
  CHECK(items[0][0].shape() == keras::Shape{3, 4, 1});
  const auto a = items[0][0].to_vector<float>(), b = want.to_vector<float>();
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-6));

  o.label_mode = "binary";
  CHECK_THROWS_AS(ku::image_dataset_from_directory(root, o), keras::ValueError);  // 4 classes
  o.label_mode = "none";
  const auto unlabelled = ku::image_dataset_from_directory(root, o).dataset.collect();
  CHECK(unlabelled[0].size() == 1);
}

TEST_CASE("image_dataset_from_directory: pad_to_aspect_ratio and crop_to_aspect_ratio") {
  const fs::path dir = fs::temp_directory_path() / "keras_cpp_image_pad";
  fs::remove_all(dir);
  fs::create_directories(dir / "a");
  fs::copy_file(fixture_path("gray.png"), dir / "a" / "x.png");  // 5 x 7
  ku::ImageDatasetOptions o;
  o.verbose = false;
  o.shuffle = false;
  o.color_mode = "grayscale";
  o.batch_size = 0;
  o.image_size = {4, 4};
  o.pad_to_aspect_ratio = true;
  // tf.image.resize_with_pad: scale 7 / 4 = 1.75 -> 2.857 x 4, resized to 2 x 4, padded floor(0.57) = 0 rows above.
  const Tensor padded = ku::image_dataset_from_directory(dir.string(), o).dataset.collect()[0][0];
  for (int c = 0; c < 4; ++c) {
    CHECK(padded.at<float>(2, c, 0) == 0.0f);
    CHECK(padded.at<float>(3, c, 0) == 0.0f);
  }
  CHECK(padded.at<float>(0, 0, 0) != 0.0f);
  o.pad_to_aspect_ratio = false;
  o.crop_to_aspect_ratio = true;
  o.image_size = {5, 5};  // the centred 5 x 5 box: columns 1..5
  const Tensor cropped = ku::image_dataset_from_directory(dir.string(), o).dataset.collect()[0][0];
  const Tensor full = ku::load_img(fixture_path("gray.png"), {.color_mode = "grayscale"});
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 5; ++c) CHECK(cropped.at<float>(r, c, 0) == static_cast<float>(full.at<std::uint8_t>(r, c + 1, 0)));
  o.pad_to_aspect_ratio = true;
  CHECK_THROWS_AS(ku::image_dataset_from_directory(dir.string(), o), keras::ValueError);
}

TEST_CASE("image_dataset_from_directory: given labels and argument errors") {
  const std::string root = make_tree();
  ku::ImageDatasetOptions o;
  o.verbose = false;
  o.image_size = {2, 2};
  o.shuffle = false;
  std::vector<std::int64_t> given(19, 1);  // 19 images in the whole tree (os.walk from the top, hidden folders too)
  given[0] = 0;
  o.labels = given;
  const ku::DirectoryDataset d = ku::image_dataset_from_directory(root, o);
  CHECK(d.file_paths.size() == 19);
  CHECK(d.class_names == std::vector<std::string>{"0", "1"});
  CHECK(relative(d.file_paths, root)[0] == "top.png");  // the top folder's own files come first
  CHECK(relative(d.file_paths, root)[1] == ".hidden/h1.png");
  CHECK(all_labels(d.dataset) == given);
  o.labels = std::vector<std::int64_t>(3, 0);
  CHECK_THROWS_AS(ku::image_dataset_from_directory(root, o), keras::ValueError);
  o.labels = std::string("inferred");
  o.validation_split = 0.2;
  o.shuffle = true;
  CHECK_THROWS_AS(ku::image_dataset_from_directory(root, o), keras::ValueError);  // needs subset
  o.subset = "training";
  CHECK_THROWS_AS(ku::image_dataset_from_directory(root, o), keras::ValueError);  // needs a seed
  o.seed = 1;
  o.subset = "both";
  CHECK_THROWS_AS(ku::image_dataset_from_directory(root, o), keras::ValueError);  // use _both
  o.subset = "training";
  o.interpolation = "area";
  CHECK_THROWS_AS(ku::image_dataset_from_directory(root, o), keras::ValueError);
  CHECK_THROWS_AS(ku::image_dataset_from_directory(root + "/missing", {}), keras::IOError);
}

TEST_CASE("text_dataset_from_directory: texts, labels and max_length as Keras") {
  const fs::path root = fs::temp_directory_path() / "keras_cpp_text_tree";
  fs::remove_all(root);
  const auto texts = order()["texts"].get<std::vector<std::string>>();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    fs::create_directories((root / texts[i]).parent_path());
    std::ofstream(root / texts[i]) << "text number " << i << " of " << texts[i];
  }
  for (const json& c : order()["text_cases"]) {
    INFO(c["options"].dump());
    ku::TextDatasetOptions o;
    o.verbose = false;
    o.batch_size = 2;
    o.shuffle = c["options"]["shuffle"].get<bool>();
    o.max_length = c["options"].value("max_length", -1);
    if (c["options"].contains("seed")) o.seed = c["options"]["seed"].get<std::uint32_t>();
    o.validation_split = c["options"].value("validation_split", 0.0);
    o.subset = c["options"].value("subset", std::string());
    const ku::TextDataset ds = ku::text_dataset_from_directory(root.string(), o);
    CHECK(ds.class_names == c["class_names"].get<std::vector<std::string>>());
    std::vector<std::pair<std::string, std::int64_t>> got, want;
    for (const ku::TextBatch& b : ds.collect()) {
      const auto l = b.labels.to_vector<std::int32_t>();
      for (std::size_t i = 0; i < b.texts.size(); ++i) got.emplace_back(b.texts[i], l[i]);
    }
    for (std::size_t i = 0; i < c["texts"].size(); ++i) want.emplace_back(c["texts"][i], c["labels"][i]);
    if (o.shuffle) {  // tf.data's shuffle buffer: compare as sets
      std::sort(got.begin(), got.end());
      std::sort(want.begin(), want.end());
    }
    CHECK(got == want);
    // map(): vectorized batches for fit.
    const auto mapped = ds.map([](const std::vector<std::string>& t) {
                            std::vector<float> n;
                            for (const std::string& s : t) n.push_back(static_cast<float>(s.size()));
                            return Tensor(keras::Shape{static_cast<std::int64_t>(n.size()), 1}, n);
                          }).collect();
    CHECK(static_cast<std::int64_t>(mapped.size()) == ds.cardinality());
    CHECK(mapped[0].size() == 2);
  }
}
