// keras.utils image and text file helpers: load_img / img_to_array /
// array_to_img / save_img, image_dataset_from_directory and
// text_dataset_from_directory.
//
// Images are read through Debian's libraries (libpng, libjpeg-turbo,
// giflib, stb_image for BMP); a corrupt, truncated, oversized or
// unsupported file raises keras::ValueError naming the file.
//
//   auto [train, val] = keras::utils::image_dataset_from_directory_both(
//       "photos", {.image_size = {180, 180}, .validation_split = 0.2, .seed = 1337});
//   model.fit(train.dataset, {.epochs = 10, .validation_data = val.dataset});
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "keras/data.hpp"
#include "keras/tensor.hpp"

namespace keras::utils {

// ---------------- single images ----------------
struct LoadImgOptions {
  std::string color_mode = "rgb";        // "grayscale", "rgb" or "rgba"
  std::vector<std::int64_t> target_size;  // {height, width}; empty: as stored
  // "nearest", "bilinear", "bicubic" or "lanczos" (lanczos3); like PIL,
  // the kernel widens when downscaling (antialiasing).
  std::string interpolation = "nearest";
  bool keep_aspect_ratio = false;  // crop the centre to the target's aspect ratio before resizing
};
// keras.utils.load_img: the image as a uint8 (height, width, channels)
// tensor (Keras returns a PIL image). Animated GIFs give their first frame.
Tensor load_img(const std::string& path, const LoadImgOptions& options = {});

// keras.utils.img_to_array: (H, W, C) in `dtype` (channels_last).
// A 2-D (H, W) image gets a channel axis.
Tensor img_to_array(const Tensor& img, DType dtype = float32);

// keras.utils.array_to_img: a uint8 (H, W, C) image from an (H, W) or
// (H, W, C) array with C in {1, 3, 4}. With `scale` the values are moved
// to [0, 255] as Keras does (x - min, then * 255 / max); without, they
// are clipped to [0, 255].
Tensor array_to_img(const Tensor& x, bool scale = true);

// keras.utils.save_img: writes x (as array_to_img makes it) as PNG, JPEG,
// BMP or GIF, chosen by file_format ("png", "jpeg"/"jpg", "bmp", "gif") or
// else by the file's extension. JPEG and GIF drop an alpha channel; GIF
// keeps up to 256 colours exactly and quantizes beyond.
void save_img(const std::string& path, const Tensor& x, std::string file_format = "", bool scale = true,
              int jpeg_quality = 95);

// ---------------- datasets from directories ----------------
// What the directory helpers return: the dataset and, as Keras attaches
// them to its dataset, the class names and the file paths in dataset order
// before the per-epoch shuffle buffer (Keras's `file_paths`).
struct DirectoryDataset {
  data::Dataset dataset;
  std::vector<std::string> class_names;
  std::vector<std::string> file_paths;
  operator const data::Dataset&() const { return dataset; }  // NOLINT: usable where a Dataset is
};

// "inferred" (from the class subfolders), "none" (no labels), or one
// integer label per file in the order Keras lists files (sorted os.walk).
using Labels = std::variant<std::string, std::vector<std::int64_t>>;

struct ImageDatasetOptions {
  Labels labels = std::string("inferred");
  std::string label_mode = "int";  // "int", "categorical", "binary" or "none"
  std::vector<std::string> class_names;  // with inferred labels: these subfolders, in this order
  std::string color_mode = "rgb";  // "grayscale", "rgb", "rgba"
  std::int64_t batch_size = 32;    // <= 0: unbatched images
  std::vector<std::int64_t> image_size = {256, 256};
  bool shuffle = true;
  std::optional<std::uint32_t> seed;  // none: drawn at random (needed with validation_split + shuffle)
  double validation_split = 0.0;
  std::string subset;  // "", "training", "validation" ("both": image_dataset_from_directory_both)
  std::string interpolation = "bilinear";  // "bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"
  bool follow_links = false;
  bool crop_to_aspect_ratio = false;
  bool pad_to_aspect_ratio = false;
  int num_parallel_calls = data::AUTOTUNE;  // decoding threads
  bool verbose = true;  // prints "Found N files belonging to K classes." as Keras does
};

// keras.utils.image_dataset_from_directory: batches of (images float32
// (batch, height, width, channels), labels) — labels int32 (batch,),
// float32 one-hot (batch, classes) or float32 (batch, 1) for "binary" —
// or images alone with label_mode "none". The files are listed, shuffled
// (NumPy RandomState(seed), so the same files in the same order as Keras)
// and split as Keras does; decoding runs lazily on a thread pool with a
// prefetch thread. The training set's per-epoch shuffle buffer (batch_size
// * 8) has Keras's size but not tf.data's random stream.
DirectoryDataset image_dataset_from_directory(const std::string& directory, const ImageDatasetOptions& options = {});
// subset "both": (training, validation).
std::pair<DirectoryDataset, DirectoryDataset> image_dataset_from_directory_both(const std::string& directory,
                                                                                ImageDatasetOptions options);

// text_dataset_from_directory: the library has no string tensors, so texts
// come as a TextDataset: batches of std::string plus a label tensor, and
// map() turns them into an ordinary Dataset with a vectorizer (the
// TextVectorization step a Keras script maps over its string dataset).
struct TextBatch {
  std::vector<std::string> texts;
  Tensor labels;  // undefined with label_mode "none"
};

class TextDataset {
 public:
  using Vectorizer = std::function<Tensor(const std::vector<std::string>&)>;
  // One pass, batch by batch (a fresh shuffle each pass when shuffling).
  std::vector<TextBatch> collect() const;
  void for_each(const std::function<void(const TextBatch&)>& f) const;
  // (vectorize(texts), labels) batches, or (vectorize(texts)) without
  // labels; files are read and vectorized on num_parallel_calls threads.
  data::Dataset map(Vectorizer vectorize, int num_parallel_calls = data::AUTOTUNE) const;
  std::int64_t cardinality() const;

  std::vector<std::string> class_names;
  std::vector<std::string> file_paths;

  struct State;
  explicit TextDataset(std::shared_ptr<const State> s);

 private:
  std::shared_ptr<const State> state_;
};

struct TextDatasetOptions {
  Labels labels = std::string("inferred");
  std::string label_mode = "int";
  std::vector<std::string> class_names;
  std::int64_t batch_size = 32;  // <= 0: one text per batch
  std::int64_t max_length = -1;  // > 0: texts truncated to this many bytes
  bool shuffle = true;
  std::optional<std::uint32_t> seed;
  double validation_split = 0.0;
  std::string subset;
  bool follow_links = false;
  bool verbose = true;
};
TextDataset text_dataset_from_directory(const std::string& directory, const TextDatasetOptions& options = {});
std::pair<TextDataset, TextDataset> text_dataset_from_directory_both(const std::string& directory,
                                                                     TextDatasetOptions options);

}  // namespace keras::utils
