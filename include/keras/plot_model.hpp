// keras::utils::plot_model: draw a model's graph with Graphviz.
#pragma once
#include <string>

namespace keras {
class Model;
namespace utils {

// keras.utils.plot_model's arguments, in Keras's order.
struct PlotModelOptions {
  bool show_shapes = false;
  bool show_dtype = false;
  bool show_layer_names = true;
  std::string rankdir = "TB";  // "TB" vertical, "LR" horizontal
  bool expand_nested = false;  // accepted; nested models are drawn as one node
  int dpi = 200;
  bool show_layer_activations = false;
  bool show_trainable = false;
};

// The Graphviz DOT text of the model's graph.
std::string model_to_dot(const Model& model, const PlotModelOptions& options = {});

// Writes the graph to `to_file`: ".dot" writes DOT text; ".png", ".svg",
// ".pdf" (any format Graphviz knows) run Graphviz's `dot` program. Throws
// keras::IOError naming the file, or saying how to install Graphviz
// (Debian: apt-get install graphviz) when `dot` is missing.
void plot_model(const Model& model, const std::string& to_file = "model.png", const PlotModelOptions& options = {});

}  // namespace utils
}  // namespace keras
