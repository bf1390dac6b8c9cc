// keras.utils.image_dataset_from_directory: Keras 3's order of operations
// (image_dataset_utils.py): argument checks, seed, index_directory (sorted
// listing, RandomState shuffle), the training / validation split, then per
// subset: indices -> shuffle(batch_size * 8, seed) for a shuffled training
// set -> map(decode + resize, parallel) -> batch -> prefetch.
#include <memory>

#include "data/directory_index.hpp"
#include "data/image_load.hpp"
#include "keras/errors.hpp"
#include "keras/image_utils.hpp"

namespace keras::utils {
namespace {

constexpr const char* kFn = "image_dataset_from_directory";

struct Plan {
  detail::image::DatasetImageSpec spec;
  bool labelled = false;
  std::string label_mode;
  std::int64_t num_classes = 0;
  std::uint32_t seed = 0;
  detail::FileIndex all;
};

Plan make_plan(const std::string& directory, const ImageDatasetOptions& o) {
  Plan p;
  p.labelled = detail::check_label_arguments(kFn, o.labels, o.label_mode, o.class_names);
  p.spec.channels = detail::image::channels_of(kFn, o.color_mode);
  KERAS_CHECK(o.image_size.size() == 2 && o.image_size[0] > 0 && o.image_size[1] > 0, ValueError, kFn,
              ": image_size must be two positive integers (height, width)");
  p.spec.height = o.image_size[0];
  p.spec.width = o.image_size[1];
  p.spec.interpolation = o.interpolation;
  detail::image::check_interpolation(kFn, o.interpolation);
  KERAS_CHECK(!(o.crop_to_aspect_ratio && o.pad_to_aspect_ratio), ValueError, kFn,
              ": only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be set");
  p.spec.crop_to_aspect_ratio = o.crop_to_aspect_ratio;
  p.spec.pad_to_aspect_ratio = o.pad_to_aspect_ratio;
  p.seed = detail::check_split_arguments(kFn, o.validation_split, o.subset, o.shuffle, o.seed);
  detail::IndexRequest r;
  r.fn = kFn;
  r.directory = directory;
  r.labels = p.labelled ? o.labels : Labels(std::string("none"));
  r.class_names = o.class_names;
  r.formats = {".bmp", ".gif", ".jpeg", ".jpg", ".png"};
  r.shuffle = o.shuffle;
  r.seed = p.seed;
  r.follow_links = o.follow_links;
  r.verbose = o.verbose;
  p.all = detail::index_directory(r);
  p.label_mode = p.labelled ? o.label_mode : "none";
  KERAS_CHECK(p.label_mode != "binary" || p.all.class_names.size() == 2, ValueError, kFn,
              ": label_mode \"binary\" needs exactly 2 classes, found ", p.all.class_names.size(), " in ", directory);
  p.num_classes = static_cast<std::int64_t>(p.all.class_names.size());
  return p;
}

DirectoryDataset build(const Plan& p, detail::FileIndex ix, const ImageDatasetOptions& o, bool shuffle,
                       const std::string& directory, const char* what) {
  KERAS_CHECK(!ix.paths.empty(), ValueError, kFn, ": no ", what, "images found in directory ", directory,
              " (allowed formats: .bmp, .gif, .jpeg, .jpg, .png)");
  auto shared = std::make_shared<const detail::FileIndex>(ix);
  const auto spec = p.spec;
  const std::string mode = p.label_mode;
  const std::int64_t k = p.num_classes;
  data::Dataset ds = data::Dataset::range(static_cast<std::int64_t>(ix.paths.size()));
  if (shuffle) ds = ds.shuffle(o.batch_size > 0 ? o.batch_size * 8 : 1024, p.seed);
  ds = ds.map(
      [shared, spec, mode, k](const data::Element& e) {
        const auto i = static_cast<std::int64_t>(e[0].item());
        Tensor img = detail::image::load_for_dataset(shared->paths[i], spec);
        if (mode == "none") return data::Element{img};
        return data::Element{img, detail::make_labels(shared->labels, &i, 1, mode, k, true)};
      },
      o.num_parallel_calls);
  if (o.batch_size > 0) ds = ds.batch(o.batch_size);
  ds = ds.prefetch(data::AUTOTUNE);
  DirectoryDataset out;
  out.dataset = ds;
  out.class_names = p.labelled || !ix.class_names.empty() ? ix.class_names : std::vector<std::string>{};
  out.file_paths = std::move(ix.paths);
  return out;
}

}  // namespace

DirectoryDataset image_dataset_from_directory(const std::string& directory, const ImageDatasetOptions& o) {
  KERAS_CHECK(o.subset != "both", ValueError, kFn,
              ": subset \"both\" returns two datasets; call image_dataset_from_directory_both");
  const Plan p = make_plan(directory, o);
  return build(p, detail::split_subset(p.all, o.validation_split, o.subset, o.verbose), o, o.shuffle, directory, "");
}

std::pair<DirectoryDataset, DirectoryDataset> image_dataset_from_directory_both(const std::string& directory,
                                                                                ImageDatasetOptions o) {
  if (o.subset.empty()) o.subset = "both";
  KERAS_CHECK(o.subset == "both", ValueError, kFn, "_both: subset must be \"both\" (or empty), received \"", o.subset,
              "\"");
  const Plan p = make_plan(directory, o);
  // Keras makes both lists before checking either.
  detail::FileIndex train = detail::split_subset(p.all, o.validation_split, "training", o.verbose);
  detail::FileIndex val = detail::split_subset(p.all, o.validation_split, "validation", o.verbose);
  KERAS_CHECK(!train.paths.empty(), ValueError, kFn, ": no training images found in directory ", directory);
  KERAS_CHECK(!val.paths.empty(), ValueError, kFn, ": no validation images found in directory ", directory);
  DirectoryDataset a = build(p, std::move(train), o, o.shuffle, directory, "training ");
  DirectoryDataset b = build(p, std::move(val), o, false, directory, "validation ");
  return {std::move(a), std::move(b)};
}

}  // namespace keras::utils
