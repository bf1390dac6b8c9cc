// Writes what image_dataset_from_directory yields for a folder, for
// scripts/compare_image_dataset.py to compare with Keras's:
//   image_dataset_dump DIR OUT_PREFIX key=value...
// keys: seed, validation_split, subset, image_size (HxW), color_mode,
// interpolation, shuffle (0/1), batch_size, label_mode, crop (0/1), pad (0/1).
// Files: OUT.paths.txt (file_paths), OUT.classes.txt, OUT.labels.bin
// (int32 per image; label_mode int), OUT.images.bin (float32, all images
// in dataset order). Prints "decoded N images in S s: R images/s".
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "keras/image_utils.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR OUT_PREFIX [key=value ...]\n", argv[0]);
    return 2;
  }
  std::map<std::string, std::string> kv;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    kv[a.substr(0, eq)] = eq == std::string::npos ? "" : a.substr(eq + 1);
  }
  keras::utils::ImageDatasetOptions o;
  o.verbose = false;
  if (kv.count("seed")) o.seed = static_cast<std::uint32_t>(std::stoul(kv["seed"]));
  if (kv.count("validation_split")) o.validation_split = std::stod(kv["validation_split"]);
  if (kv.count("subset")) o.subset = kv["subset"];
  if (kv.count("image_size")) {
    const std::string s = kv["image_size"];
    o.image_size = {std::stoll(s.substr(0, s.find('x'))), std::stoll(s.substr(s.find('x') + 1))};
  }
  if (kv.count("color_mode")) o.color_mode = kv["color_mode"];
  if (kv.count("interpolation")) o.interpolation = kv["interpolation"];
  if (kv.count("shuffle")) o.shuffle = kv["shuffle"] == "1";
  if (kv.count("batch_size")) o.batch_size = std::stoll(kv["batch_size"]);
  if (kv.count("label_mode")) o.label_mode = kv["label_mode"];
  if (kv.count("crop")) o.crop_to_aspect_ratio = kv["crop"] == "1";
  if (kv.count("pad")) o.pad_to_aspect_ratio = kv["pad"] == "1";
  try {
    const auto t0 = std::chrono::steady_clock::now();
    const keras::utils::DirectoryDataset d = keras::utils::image_dataset_from_directory(argv[1], o);
    const std::string out = argv[2];
    std::ofstream paths(out + ".paths.txt"), classes(out + ".classes.txt");
    for (const std::string& p : d.file_paths) paths << p << "\n";
    for (const std::string& c : d.class_names) classes << c << "\n";
    std::ofstream labels(out + ".labels.bin", std::ios::binary), images(out + ".images.bin", std::ios::binary);
    std::int64_t n = 0;
    for (const keras::data::Element& e : d.dataset) {
      const keras::Tensor x = e[0];
      images.write(reinterpret_cast<const char*>(x.data<float>()), static_cast<std::streamsize>(x.nbytes()));
      if (e.size() > 1 && e[1].dtype() == keras::int32)
        labels.write(reinterpret_cast<const char*>(e[1].data<std::int32_t>()), static_cast<std::streamsize>(e[1].nbytes()));
      n += o.batch_size > 0 ? x.shape(0) : 1;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("decoded %lld images in %.3f s: %.1f images/s\n", static_cast<long long>(n), s, n / s);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "image_dataset_dump: %s\n", ex.what());
    return 1;
  }
  return 0;
}
