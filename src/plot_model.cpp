// plot_model: DOT text from the model graph, rendered by Graphviz's `dot`.
#include "keras/plot_model.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "keras/models.hpp"
#include "model_graph.hpp"

namespace keras::utils {
namespace {

std::string escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  return r;
}

// The node label, already escaped for DOT (lines joined by DOT's "\n").
std::string label(const layers::Layer& l, const Shape& in, const Shape& out, const PlotModelOptions& o) {
  std::vector<std::string> lines{o.show_layer_names ? l.name() + " (" + l.class_name() + ")" : l.class_name()};
  if (o.show_layer_activations) {
    auto c = l.get_config();
    if (c.contains("activation") && c["activation"].is_string())
      lines.push_back("activation: " + c["activation"].get<std::string>());
  }
  if (o.show_dtype) lines.push_back("dtype: float32");
  if (o.show_shapes) {
    lines.push_back("input: " + (in.empty() ? std::string("-") : shape_str(in)));
    lines.push_back("output: " + shape_str(out));
  }
  if (o.show_trainable) lines.push_back(std::string("trainable: ") + (l.trainable() ? "True" : "False"));
  std::string t;
  for (auto& line : lines) t += (t.empty() ? "" : "\\n") + escape(line);
  return t;
}

}  // namespace

std::string model_to_dot(const Model& model, const PlotModelOptions& o) {
  std::ostringstream d;
  d << "digraph \"" << escape(model.name()) << "\" {\n";
  d << "  graph [rankdir=" << (o.rankdir == "LR" ? "LR" : "TB") << ", dpi=" << o.dpi << "];\n";
  d << "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f2f2f2\", fontname=\"Helvetica\"];\n";
  std::map<const layers::Layer*, int> id;
  auto graph = detail::layer_graph(model);
  for (const auto& n : graph) {
    int me = static_cast<int>(id.size());
    id[n.layer] = me;
    d << "  n" << me << " [label=\"" << label(*n.layer, n.input_shape, n.output_shape, o) << "\"];\n";
  }
  for (const auto& n : graph)
    for (const auto* in : n.inputs) d << "  n" << id.at(in) << " -> n" << id.at(n.layer) << ";\n";
  d << "}\n";
  return d.str();
}

void plot_model(const Model& model, const std::string& to_file, const PlotModelOptions& o) {
  std::string dot = model_to_dot(model, o);
  auto dotpos = to_file.rfind('.');
  std::string ext = dotpos == std::string::npos ? "png" : to_file.substr(dotpos + 1);
  if (ext == "dot" || ext == "gv") {
    std::ofstream f(to_file);
    KERAS_CHECK(f << dot, IOError, "plot_model: cannot write '", to_file, "'");
    return;
  }
  // Render with Graphviz: dot -T<ext> -Gdpi=<dpi> -o <file>, DOT on stdin.
  int fds[2];
  KERAS_CHECK(pipe(fds) == 0, IOError, "plot_model: cannot create a pipe to run Graphviz");
  pid_t pid = fork();
  KERAS_CHECK(pid >= 0, IOError, "plot_model: cannot start Graphviz");
  if (pid == 0) {
    dup2(fds[0], 0);
    close(fds[0]);
    close(fds[1]);
    std::string fmt = "-T" + ext;
    execlp("dot", "dot", fmt.c_str(), "-o", to_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  FILE* in = fdopen(fds[1], "w");
  if (in) {
    std::fwrite(dot.data(), 1, dot.size(), in);
    std::fclose(in);
  } else {
    close(fds[1]);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  KERAS_CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 127), IOError,
              "plot_model: Graphviz's `dot` program was not found; install Graphviz (Debian: apt-get install graphviz), "
              "or save the graph as '.dot' text instead of '", to_file, "'");
  KERAS_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, IOError, "plot_model: Graphviz failed to write '", to_file,
              "' (format '", ext, "')");
}

}  // namespace keras::utils
