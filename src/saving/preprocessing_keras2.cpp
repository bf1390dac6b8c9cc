// Config conversions of the preprocessing layers for tf.keras 2 files.
#include "saving/preprocessing_keras2.hpp"

#include <set>

#include "keras/errors.hpp"

namespace keras::saving {

namespace {
const std::set<std::string>& image_classes() {
  static const std::set<std::string> s{"Resizing",       "CenterCrop",        "RandomCrop",     "RandomFlip",
                                       "RandomRotation", "RandomZoom",        "RandomTranslation",
                                       "RandomContrast", "RandomBrightness"};
  return s;
}

std::string name_in(const nlohmann::json& c) { return c.value("name", std::string("?")); }
}  // namespace

void preprocessing_to_keras3(const std::string& cls, nlohmann::json& c) {
  if (cls == "RandomContrast" && c.contains("factor") && c["factor"].is_number())
    c["factor"] = nlohmann::json::array({c["factor"], c["factor"]});
}

void preprocessing_to_keras2(const std::string& cls, nlohmann::json& c) {
  if (image_classes().count(cls)) c.erase("data_format");
  if (cls == "Resizing") {
    for (const char* k : {"pad_to_aspect_ratio", "antialias"})
      if (c.value(k, false))
        throw ValueError("Layer \"" + name_in(c) + "\" (Resizing): " + k +
                         "=true has no tf.keras 2 equivalent, so it cannot be saved in the tf.keras 2 format; save "
                         "it in the Keras 3 format");
    for (const char* k : {"pad_to_aspect_ratio", "antialias", "fill_mode", "fill_value"}) c.erase(k);
  }
  if (cls == "RandomContrast") c.erase("value_range");
  if (cls == "Discretization" && c.value("output_mode", std::string("int")) == "int") c["dtype"] = "int64";
  if (cls == "Discretization" && !c.contains("trainable")) c["trainable"] = true;
}

}  // namespace keras::saving
