// plot_history: the PNG it writes is read back with cairo and checked for
// its size, the training and validation colours in each panel, and the
// errors for histories it cannot draw.
#include <cairo.h>
#include <unistd.h>

#include <filesystem>

#include "keras/callbacks.hpp"
#include "keras/errors.hpp"
#include "keras/plot_history.hpp"
#include "test_helpers.hpp"

namespace {

struct Png {
  int width = 0, height = 0;
  std::vector<std::uint32_t> pixels;  // 0x00RRGGBB
};

Png read_png(const std::string& path) {
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  REQUIRE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
  Png p{cairo_image_surface_get_width(s), cairo_image_surface_get_height(s), {}};
  cairo_surface_flush(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  int stride = cairo_image_surface_get_stride(s);
  for (int y = 0; y < p.height; ++y)
    for (int x = 0; x < p.width; ++x)
      p.pixels.push_back(reinterpret_cast<const std::uint32_t*>(data + y * stride)[x] & 0xffffff);
  cairo_surface_destroy(s);
  return p;
}

// Pixels close to colour `rgb` inside the rectangle [x0, x1) x [y0, y1).
int count_colour(const Png& p, std::uint32_t rgb, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      std::uint32_t c = p.pixels[static_cast<std::size_t>(y) * p.width + x];
      int d = 0;
      for (int s = 0; s < 24; s += 8) d += std::abs(int((c >> s) & 255) - int((rgb >> s) & 255));
      n += d < 12;
    }
  return n;
}

constexpr std::uint32_t kTrain = 0x1f78b5, kValidation = 0xff7f0d;

}  // namespace

TEST_CASE("plot_history: one panel per quantity, training and validation curves") {
  auto dir = std::filesystem::temp_directory_path() / ("plot_history_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "history.png").string();
  keras::History h;
  h.history = {{"loss", {1.2, 0.8, 0.6, 0.55, 0.5}},
               {"val_loss", {1.3, 0.9, 0.75, 0.74, 0.76}},
               {"accuracy", {0.5, 0.7, 0.8, 0.82, 0.85}},
               {"learning_rate", {1e-3, 1e-3, 1e-3, 5e-4, 5e-4}}};
  keras::utils::plot_history(h, path, {.panel_width = 400, .panel_height = 300});
  Png p = read_png(path);
  // loss and accuracy panels side by side; learning_rate is not drawn by default.
  CHECK(p.width == 800);
  CHECK(p.height == 300);
  CHECK(count_colour(p, kTrain, 0, 0, 400, 300) > 100);
  CHECK(count_colour(p, kValidation, 0, 0, 400, 300) > 100);
  CHECK(count_colour(p, kTrain, 400, 0, 800, 300) > 100);
  // accuracy has no validation curve: only the legend would carry orange.
  CHECK(count_colour(p, kValidation, 400, 0, 800, 300) == 0);
  // No temporary file is left next to the picture.
  CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator{}) == 1);

  keras::utils::plot_history(h.history, path, {.columns = 1, .keys = {"learning_rate"}});
  Png q = read_png(path);
  CHECK(q.width == 520);
  CHECK(q.height == 340);
  CHECK(count_colour(q, kTrain, 0, 0, 520, 340) > 100);
  std::filesystem::remove_all(dir);
}

TEST_CASE("plot_history: clear errors") {
  std::map<std::string, std::vector<double>> h{{"loss", {1.0, 0.5}}};
  CHECK_THROWS_WITH_AS(keras::utils::plot_history(h, "/tmp/x.png", {.keys = {"accuracy"}}),
                       doctest::Contains("no \"accuracy\" (its keys: loss)"), keras::ValueError);
  CHECK_THROWS_AS(keras::utils::plot_history(std::map<std::string, std::vector<double>>{}, "/tmp/x.png"), keras::ValueError);
  CHECK_THROWS_WITH_AS(keras::utils::plot_history(h, "/nonexistent-dir/x.png"),
                       doctest::Contains("/nonexistent-dir/x.png"), keras::IOError);
}
