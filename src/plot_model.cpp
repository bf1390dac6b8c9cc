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
  auto node_id = [&](const layers::Layer* l) {
    auto it = id.find(l);
    if (it != id.end()) return it->second;
    int n = static_cast<int>(id.size());
    id[l] = n;
    return n;
  };
  if (model.is_functional()) {
    for (auto& in : model.inputs()) {
      auto* l = in.source().get();
      d << "  n" << node_id(l) << " [label=\"" << (label(*l, {}, in.shape(), o)) << "\"];\n";
    }
    // Walk back from the outputs; each layer appears once, edges per call.
    std::vector<std::shared_ptr<GraphNode>> stack;
    for (auto& out : model.outputs()) stack.push_back(out.node());
    std::map<const GraphNode*, bool> seen;
    std::map<const layers::Layer*, bool> printed;
    for (auto& in : model.inputs()) printed[in.source().get()] = true;
    std::vector<std::string> edges;
    while (!stack.empty()) {
      auto n = stack.back();
      stack.pop_back();
      if (seen[n.get()]) continue;
      seen[n.get()] = true;
      auto* l = n->layer.get();
      int me = node_id(l);
      bool first = !printed[l];
      printed[l] = true;
      if (first && !n->inputs.empty())
        d << "  n" << me << " [label=\"" << (label(*l, n->inputs[0].shape(), n->output_shapes[0], o)) << "\"];\n";
      for (auto& in : n->inputs) {
        edges.push_back("  n" + std::to_string(node_id(in.source().get())) + " -> n" + std::to_string(me) + ";\n");
        stack.push_back(in.node());
      }
    }
    for (auto it = edges.rbegin(); it != edges.rend(); ++it) d << *it;
  } else {
    Shape s = model.input_shape();
    int prev = -1;
    for (auto& l : model.layers()) {
      Shape out = s.empty() ? Shape{} : l->compute_output_shape(s);
      int me = node_id(l.get());
      d << "  n" << me << " [label=\"" << (label(*l, s, out, o)) << "\"];\n";
      if (prev >= 0) d << "  n" << prev << " -> n" << me << ";\n";
      prev = me;
      s = out;
    }
  }
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
