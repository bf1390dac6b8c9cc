// keras_inspect: prints what a Keras model file holds — the summary, the
// training configuration and optimizer state, and every weight's shape.
//
//   keras_inspect model.h5 [more.keras ...]
//
// Reads .h5 (tf.keras 2 or Keras 3) and .keras files; exits with 1 and the
// loader's message when a file cannot be read.
#include <iostream>
#include <nlohmann/json.hpp>

#include "keras/keras.hpp"
#include "keras/saving.hpp"

namespace {

void print_weights(const keras::layers::Layer& layer, const std::string& indent) {
  for (auto& w : layer.weights()) {
    std::cout << indent << (w.path().empty() ? w.name() : w.path()) << "  " << keras::shape_str(w.shape()) << "  "
              << keras::dtype_name(w.dtype()) << (w.trainable() ? "" : "  (non-trainable)") << "\n";
  }
}

void inspect(const std::string& path) {
  keras::Model model = keras::models::load_model(path);
  std::cout << "== " << path << "\n" << model.class_name() << " \"" << model.name() << "\"\n";
  model.summary(&std::cout);

  std::cout << "\nTraining config:\n";
  if (!model.compiled()) {
    std::cout << "  (none: the model was saved uncompiled)\n";
  } else {
    auto& opt = model.optimizer();
    std::cout << "  optimizer: " << opt.class_name() << " " << opt.get_config().dump() << "\n"
              << "  iterations: " << opt.iterations() << ", optimizer variables: " << opt.variables().size() << "\n"
              << "  loss: " << model.loss().class_name() << " " << model.loss().get_config().dump() << "\n";
  }

  std::cout << "\nWeights:\n";
  for (auto& layer : model.layers()) {
    if (layer->weights().empty()) continue;
    std::cout << "  " << layer->name() << " (" << layer->class_name() << ")\n";
    print_weights(*layer, "    ");
  }
  std::cout << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: keras_inspect FILE.h5|FILE.keras ...\n";
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    try {
      inspect(argv[i]);
    } catch (const keras::Error& e) {
      std::cerr << "keras_inspect: " << e.what() << "\n";
      status = 1;
    }
  }
  return status;
}
