// Image classification from a folder of image files, the Keras way:
// image_dataset_from_directory reads class subfolders (decoding in parallel,
// prefetching in the background while the model trains), splits off a
// validation subset, and a small CNN learns the classes.
//
//   build/examples/image_classification_from_directory [options] [folder]
//     folder       class subfolders of PNG / JPEG / BMP / GIF images; default: Fashion-MNIST
//                  written once as 28x28 PNG files into $TMPDIR/keras_cpp_fashion_png/<class>/
//     --epochs N   (default 3)
//     --images N   Fashion-MNIST images to write when making the default folder (default 10000)
//     --size HxW   image_size (default 28x28)
//
// A quick run (CI): --epochs 2 --images 3000.
#include <keras/image_utils.hpp>
#include <keras/keras.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace fs = std::filesystem;

namespace {

const char* kClasses[] = {"t-shirt_top", "trouser", "pullover", "dress", "coat",
                          "sandal",      "shirt",   "sneaker",  "bag",   "ankle_boot"};

// Writes the first `count` Fashion-MNIST training images as PNG files into
// class folders, once (a marker file records a finished folder).
std::string write_fashion_folder(long count) {
  const fs::path root = fs::temp_directory_path() / ("keras_cpp_fashion_png_" + std::to_string(count));
  if (fs::exists(root / ".complete")) return root.string();
  std::printf("writing %ld Fashion-MNIST images as PNG files into %s\n", count, root.c_str());
  auto [x, y, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  for (const char* c : kClasses) fs::create_directories(root / c);
  const long n = std::min<long>(count, x.shape(0));
  for (long i = 0; i < n; ++i) {
    const int label = static_cast<int>(y[i].item());
    const keras::Tensor img = x[i].reshape({28, 28, 1});
    char name[32];
    std::snprintf(name, sizeof(name), "img_%05ld.png", i);
    keras::utils::save_img((root / kClasses[label] / name).string(), img, "png", /*scale=*/false);
  }
  std::fclose(std::fopen((root / ".complete").c_str(), "w"));
  return root.string();
}

// The whole model in one place: pixel scaling and augmentation are layers
// of the model (saved with it; the random ones act only while training),
// then a small CNN.
keras::Sequential make_model(std::int64_t h, std::int64_t w, std::int64_t num_classes) {
  namespace layers = keras::layers;
  return keras::Sequential({
      keras::Input({h, w, 1}),
      layers::Rescaling(1.0 / 255),
      layers::RandomFlip({.mode = "horizontal", .seed = 1}),
      layers::RandomTranslation(0.1, 0.1, {.fill_mode = "constant", .seed = 2}),
      layers::Conv2D(16, 3, "relu"),
      layers::MaxPooling2D(2),
      layers::Conv2D(32, 3, "relu"),
      layers::MaxPooling2D(2),
      layers::Flatten(),
      layers::Dense(64, "relu"),
      layers::Dense(num_classes, "softmax"),
  });
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 3;
  long images = 10000;
  std::int64_t h = 28, w = 28;
  std::string folder;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--epochs" && i + 1 < argc) {
      epochs = std::atoi(argv[++i]);
    } else if (a == "--images" && i + 1 < argc) {
      images = std::atol(argv[++i]);
    } else if (a == "--size" && i + 1 < argc) {
      const std::string s = argv[++i];
      h = std::atoll(s.c_str());
      w = std::atoll(s.substr(s.find('x') + 1).c_str());
    } else if (!a.empty() && a[0] != '-') {
      folder = a;
    } else {
      std::cerr << "usage: " << argv[0] << " [--epochs N] [--images N] [--size HxW] [folder]\n";
      return 2;
    }
  }
  if (epochs < 1 || images < 10 || h < 8 || w < 8) {
    std::cerr << "expected --epochs >= 1, --images >= 10 and a size of at least 8x8\n";
    return 2;
  }
  keras::utils::set_random_seed(0);
  if (folder.empty()) folder = write_fashion_folder(images);

  keras::utils::ImageDatasetOptions options;
  options.color_mode = "grayscale";
  options.image_size = {h, w};
  options.batch_size = 64;
  options.validation_split = 0.2;
  options.seed = 1337;
  auto [train, val] = keras::utils::image_dataset_from_directory_both(folder, options);
  std::printf("classes: %zu (%s ... %s)\n", train.class_names.size(), train.class_names.front().c_str(),
              train.class_names.back().c_str());

  // A background thread keeps decoded batches ready while the model trains.
  const keras::data::Dataset train_ds = train.dataset.prefetch(keras::data::AUTOTUNE);
  const keras::data::Dataset val_ds = val.dataset.prefetch(keras::data::AUTOTUNE);

  keras::Sequential model = make_model(h, w, static_cast<std::int64_t>(train.class_names.size()));
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.summary();
  model.fit(train_ds, {.epochs = epochs, .validation_data = val_ds});
  auto scores = model.evaluate(val_ds);
  std::printf("validation loss: %.4f\nvalidation accuracy: %.4f\n", scores["loss"], scores["accuracy"]);
  return 0;
}
