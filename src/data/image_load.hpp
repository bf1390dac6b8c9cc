#pragma once
// Internal pieces of the image helpers shared by image_utils.cpp and
// image_dataset.cpp.
#include <string>

#include "data/image_codec.hpp"
#include "keras/tensor.hpp"

namespace keras::detail::image {

struct DatasetImageSpec {
  std::int64_t height = 0, width = 0;
  int channels = 3;
  std::string interpolation = "bilinear";
  bool crop_to_aspect_ratio = false, pad_to_aspect_ratio = false;
};

int channels_of(const char* fn, const std::string& color_mode);
void check_interpolation(const char* fn, const std::string& method);
Pixels crop(const Pixels& p, std::int64_t top, std::int64_t left, std::int64_t h, std::int64_t w);
Pixels crop_to_aspect(const Pixels& p, std::int64_t th, std::int64_t tw);
Tensor to_float(const Pixels& p);
// One file as image_dataset_from_directory yields it: float32 (h, w, c).
Tensor load_for_dataset(const std::string& path, const DatasetImageSpec& spec);

}  // namespace keras::detail::image
