// Files for real Keras: with KERAS_INTEROP_DIR set, writes models saved
// here (.h5, .keras, .weights.h5) with reference inputs, predictions and the
// weights one more epoch of training reaches; scripts/check_in_keras.py then
// loads them in Keras 3 and compares. Without the variable the files go to
// a temporary directory and are read back here only.
#include <cstdlib>
#include <filesystem>

#include "keras/saving.hpp"
#include "custom_layers.hpp"
#include "saving/h5.hpp"
#include "test_helpers.hpp"

using keras::Tensor;
namespace layers = keras::layers;
namespace fs = std::filesystem;
using namespace testing;

namespace {

std::string interop_dir() {
  const char* d = std::getenv("KERAS_INTEROP_DIR");
  fs::path p = d && *d ? fs::path(d) : fs::temp_directory_path() / ("keras_interop_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p.string();
}

// <dir>/<name>_io.h5: x0.. inputs, y0.. predictions; with labels, the
// weights after one more epoch (batch 8, no shuffling) as w0, w1, ...
void write_io(const std::string& dir, const std::string& name, keras::Model& m, const std::vector<Tensor>& xs,
              const Tensor& labels = Tensor()) {
  auto f = keras::saving::h5::create_file(dir + "/" + name + "_io.h5");
  auto ys = m.predict(xs);
  for (std::size_t i = 0; i < xs.size(); ++i) f.write_dataset("x" + std::to_string(i), xs[i]);
  for (std::size_t i = 0; i < ys.size(); ++i) f.write_dataset("y" + std::to_string(i), ys[i]);
  if (labels.defined()) {
    f.write_dataset("labels", labels);
    keras::Model next = keras::models::load_model(dir + "/" + name + ".keras");
    next.fit(xs[0], labels, {.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false});
    auto w = next.get_weights();
    for (std::size_t i = 0; i < w.size(); ++i) f.write_dataset("w" + std::to_string(i), w[i]);
  }
  keras::saving::h5::close(f);
}

// Each model's files load back here with the predictions saved beside them,
// so the files are checked even without Python.
void check_read_back(const std::string& dir, std::initializer_list<const char*> names) {
  for (std::string name : names)
    for (std::string ext : {".h5", ".keras"}) {
      INFO(name, ext);
      keras::Model r = keras::models::load_model(dir + "/" + name + ext);
      auto io = keras::saving::h5::open_file(dir + "/" + name + "_io.h5");
      std::vector<Tensor> xs;
      for (int i = 0; io.has("x" + std::to_string(i)); ++i) xs.push_back(io.dataset("x" + std::to_string(i)));
      auto ys = r.predict(xs);
      for (std::size_t i = 0; i < ys.size(); ++i)
        check_close(ys[i], io.dataset("y" + std::to_string(i)).to_vector<float>(), 0.0, 0.0, "reloaded");
    }
}

}  // namespace

TEST_CASE("interop: models saved here for real Keras to load") {
  std::string dir = interop_dir();
  keras::utils::set_random_seed(5);
  Tensor x = random_tensor({32, 6}, -1, 1, 21);
  std::vector<std::int64_t> lv(32);
  for (int i = 0; i < 32; ++i) lv[i] = (i * 7) % 3;
  Tensor labels({32}, lv);

  // An MLP trained one epoch with Adam: Keras continues its training.
  keras::Sequential mlp({keras::Input({6}), layers::Dense(8, "relu"), layers::Dense(6, "tanh", {.use_bias = false}),
                         layers::Activation("sigmoid"), layers::Reshape({2, 3}), layers::Flatten(),
                         layers::Dense(3, "softmax")},
                        "mlp");
  mlp.compile(keras::optimizers::Adam({.learning_rate = 0.01}), "sparse_categorical_crossentropy", {"accuracy"});
  mlp.fit(x, labels, {.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false});
  mlp.save(dir + "/mlp.h5");
  mlp.save(dir + "/mlp.keras");
  mlp.save_weights(dir + "/mlp.weights.h5");
  write_io(dir, "mlp", mlp, {x.slice(0, 32)}, labels);

  // Two inputs, two outputs, every merge layer, a nested Sequential.
  auto a = keras::Input({8}, "image");
  auto b = keras::Input({4}, "numbers");
  auto h = layers::Dense(6, "relu")(a);
  auto g = layers::Dense(6, "tanh")(b);
  auto add = layers::Add()({h, g});
  auto sub = layers::Subtract()({h, g});
  auto mul = layers::Multiply()({add, sub});
  auto avg = layers::Average()({h, g, mul});
  auto mx = layers::Maximum()({avg, h});
  auto mn = layers::Minimum()({mx, g});
  auto cat = layers::Concatenate()({mn, add});
  auto f = layers::Flatten()(layers::Reshape({3, 4})(cat));
  auto dot = layers::Dot(1, true)({h, g});
  auto inner = std::make_shared<keras::Sequential>(
      std::initializer_list<keras::LayerArg>{keras::Input({12}), layers::Dense(5, "relu"), layers::Dropout(0.3),
                                             layers::Dense(3)},
      "inner");
  keras::Model fn({a, b}, {(*inner)(f), layers::Dense(1, {}, {.name = "reg"})(layers::Concatenate()({f, dot}))},
                  "two_heads");
  fn.compile("rmsprop", std::vector<keras::LossArg>{"mse", "mae"});
  std::vector<Tensor> fx{random_tensor({16, 8}, -1, 1, 31), random_tensor({16, 4}, -1, 1, 32)};
  fn.fit(fx, {random_tensor({16, 3}, -1, 1, 33), random_tensor({16, 1}, -1, 1, 34)},
         {.batch_size = 8, .epochs = 1, .verbose = 0});
  fn.save(dir + "/functional.h5");
  fn.save(dir + "/functional.keras");
  write_io(dir, "functional", fn, fx);

  // A CNN with BatchNormalization (its moving statistics are non-trainable).
  keras::Sequential cnn({keras::Input({8, 8, 2}), layers::Conv2D(4, 3, "relu", {.padding = "same"}),
                         layers::BatchNormalization(), layers::MaxPooling2D(2), layers::Conv2D(3, 3, "relu"),
                         layers::GlobalAveragePooling2D(), layers::Dense(3, "softmax")},
                        "cnn");
  cnn.compile("adam", "sparse_categorical_crossentropy");
  Tensor cx = random_tensor({16, 8, 8, 2}, -1, 1, 41);
  cnn.fit(cx, labels.slice(0, 16), {.batch_size = 8, .epochs = 1, .verbose = 0});
  cnn.save(dir + "/cnn.h5");
  cnn.save(dir + "/cnn.keras");
  write_io(dir, "cnn", cnn, {cx.slice(0, 4)});

  // Read back here too, so the files are checked even without Python.
  check_read_back(dir, {"mlp", "functional", "cnn"});
  if (!std::getenv("KERAS_INTEROP_DIR")) fs::remove_all(dir);
}

TEST_CASE("interop: custom layers saved here for real Keras to load") {
  std::string dir = interop_dir();
  keras::utils::set_random_seed(6);
  // Custom layers (defined again in scripts/check_in_keras.py): one with two
  // outputs, one that owns two Dense layers.
  REQUIRE(custom_layers_registered);
  auto ci = keras::Input({4}, "features");
  auto split = std::make_shared<ScaleShift>("split")->call_all({layers::Dense(5, "tanh")(ci)});
  auto res = std::make_shared<Residual>(5, "block")->operator()(split[1]);
  keras::Model custom({ci}, {layers::Dense(2, {}, {.name = "left"})(split[0]), layers::Dense(1, {}, {.name = "right"})(res)},
                      "custom");
  custom.compile("adam", std::vector<keras::LossArg>{"mse", "mse"});
  Tensor ux = random_tensor({16, 4}, -1, 1, 51);
  custom.fit({ux}, {random_tensor({16, 2}, -1, 1, 52), random_tensor({16, 1}, -1, 1, 53)},
             {.batch_size = 8, .epochs = 2, .verbose = 0});
  custom.save(dir + "/custom.h5");
  custom.save(dir + "/custom.keras");
  write_io(dir, "custom", custom, {ux});

  check_read_back(dir, {"custom"});
  if (!std::getenv("KERAS_INTEROP_DIR")) fs::remove_all(dir);
}


