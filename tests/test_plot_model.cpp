// plot_model: DOT text and Graphviz rendering.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "test_helpers.hpp"

namespace layers = keras::layers;

TEST_CASE("plot_model: DOT text has one node per layer and the graph's edges") {
  auto a = keras::Input({4}, "a"), b = keras::Input({2}, "b");
  auto h = layers::Dense(3, "relu", {.name = "hidden"})(a);
  auto c = layers::Concatenate(-1, "join")({h, b});
  keras::Model m({a, b}, {layers::Dense(1, {}, {.name = "out"})(c)});
  std::string dot = keras::utils::model_to_dot(m, {.show_shapes = true, .show_layer_activations = true});
  for (auto s : {"a (InputLayer)", "hidden (Dense)", "join (Concatenate)", "out (Dense)", "activation: relu",
                 "output: (None, 5)"})
    CHECK_MESSAGE(dot.find(s) != std::string::npos, s);
  // a -> hidden -> join <- b, join -> out: 4 edges.
  std::size_t edges = 0;
  for (std::size_t p = dot.find("->"); p != std::string::npos; p = dot.find("->", p + 2)) ++edges;
  CHECK(edges == 4);

  keras::Sequential s({keras::Input({3}), layers::Dense(2), layers::Dense(1)});
  std::string sd = keras::utils::model_to_dot(s, {.rankdir = "LR"});
  CHECK(sd.find("rankdir=LR") != std::string::npos);
  auto dir = std::filesystem::temp_directory_path() / ("keras_plot_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  keras::utils::plot_model(s, (dir / "m.dot").string());
  std::ifstream f(dir / "m.dot");
  std::string text((std::istreambuf_iterator<char>(f)), {});
  CHECK(text == sd.substr(0, 0) + keras::utils::model_to_dot(s));

  bool have_dot = access("/usr/bin/dot", X_OK) == 0 || access("/usr/local/bin/dot", X_OK) == 0;
  if (have_dot) {
    keras::utils::plot_model(m, (dir / "m.svg").string(), {.show_shapes = true});
    std::ifstream svg(dir / "m.svg");
    std::string sv((std::istreambuf_iterator<char>(svg)), {});
    CHECK(sv.find("<svg") != std::string::npos);
    CHECK(sv.find("hidden (Dense)") != std::string::npos);
    keras::utils::plot_model(m, (dir / "m.png").string());
    std::ifstream png(dir / "m.png", std::ios::binary);
    char magic[4] = {};
    png.read(magic, 4);
    CHECK(std::string(magic + 1, 3) == "PNG");
  } else {
    MESSAGE("SKIPPED: Graphviz rendering — `dot` is not installed; checking the error instead");
    CHECK_THROWS_WITH_AS(keras::utils::plot_model(m, (dir / "m.png").string()), doctest::Contains("graphviz"),
                         keras::IOError);
  }
  std::filesystem::remove_all(dir);
}
