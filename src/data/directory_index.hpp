#pragma once
// The file listing, shuffling and train/validation split shared by
// image_dataset_from_directory and text_dataset_from_directory, in the
// order Keras 3's dataset_utils makes them (index_directory,
// get_training_or_validation_split, check_validation_split_arg).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/image_utils.hpp"

namespace keras::detail {

struct FileIndex {
  std::vector<std::string> paths;
  std::vector<std::int64_t> labels;  // one per path when has_labels
  bool has_labels = false;
  std::vector<std::string> class_names;
};

struct IndexRequest {
  const char* fn = "";  // the calling function's name, for messages
  std::string directory;
  utils::Labels labels;
  std::vector<std::string> class_names;
  std::vector<std::string> formats;  // lower-case extensions with the dot
  bool shuffle = true;
  std::uint32_t seed = 0;
  bool follow_links = false;
  bool verbose = true;
};

// Lists the files (sorted walk per class folder), assigns labels and
// shuffles paths and labels with NumPy's RandomState(seed).
FileIndex index_directory(const IndexRequest& r);

// Keras's argument checks on validation_split / subset / shuffle / seed,
// and label_mode / labels consistency. Returns the seed to use.
std::uint32_t check_split_arguments(const char* fn, double validation_split, const std::string& subset, bool shuffle,
                                    const std::optional<std::uint32_t>& seed);
// Checks labels / label_mode / class_names as Keras does; returns whether
// the dataset has labels (false for labels "none" or label_mode "none").
bool check_label_arguments(const char* fn, const utils::Labels& labels, const std::string& label_mode,
                           const std::vector<std::string>& class_names);

// The "training" or "validation" part (the whole index when
// validation_split is 0).
FileIndex split_subset(const FileIndex& all, double validation_split, const std::string& subset, bool verbose);

// Label tensors for rows `idx` of `labels`: int32 (n,), float32 one-hot
// (n, num_classes) or float32 (n, 1); `scalar` drops the batch axis.
Tensor make_labels(const std::vector<std::int64_t>& labels, const std::int64_t* idx, std::int64_t n,
                   const std::string& label_mode, std::int64_t num_classes, bool scalar);

}  // namespace keras::detail
