// plot_history: training curves drawn with cairo, written as PNG.
#include "keras/plot_history.hpp"

#include <cairo.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "keras/callbacks.hpp"
#include "keras/errors.hpp"
#include "saving/internal.hpp"

namespace keras::utils {
namespace {

using HistoryMap = std::map<std::string, std::vector<double>>;

struct Panel {
  std::string name;
  const std::vector<double>* train = nullptr;
  const std::vector<double>* validation = nullptr;
};

std::string known_keys(const HistoryMap& h) {
  std::string s;
  for (const auto& [k, v] : h) s += (s.empty() ? "" : ", ") + k;
  return s.empty() ? "none" : s;
}

std::vector<Panel> choose_panels(const HistoryMap& h, const PlotHistoryOptions& o) {
  std::vector<std::string> names = o.keys;
  if (names.empty()) {
    for (const auto& [k, v] : h)
      if (k.rfind("val_", 0) != 0 && k != "loss" && k != "learning_rate") names.push_back(k);
    if (h.count("loss") || h.count("val_loss")) names.insert(names.begin(), "loss");
    for (const auto& [k, v] : h)  // validation-only quantities
      if (k.rfind("val_", 0) == 0 && !h.count(k.substr(4)) && k != "val_loss") names.push_back(k.substr(4));
  }
  std::vector<Panel> panels;
  for (const auto& n : names) {
    Panel p{n};
    if (auto it = h.find(n); it != h.end()) p.train = &it->second;
    if (auto it = h.find("val_" + n); it != h.end()) p.validation = &it->second;
    if (!p.train && !p.validation)
      throw ValueError("plot_history: the history has no \"" + n + "\" (its keys: " + known_keys(h) + ")");
    panels.push_back(p);
  }
  if (panels.empty()) throw ValueError("plot_history: the history has no quantities to draw (its keys: " + known_keys(h) + ")");
  return panels;
}

// A step of 1, 2 or 5 times a power of ten giving about `want` intervals.
double nice_step(double span, int want) {
  double raw = span / want, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double r = raw / mag;
  return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

std::string format_tick(double v, double step) {
  int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 6), std::abs(v) < step * 1e-6 ? 0.0 : v);
  return buf;
}

void text(cairo_t* cr, double x, double y, const std::string& s, double align_x, double align_y) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  cairo_move_to(cr, x - e.width * align_x - e.x_bearing, y - e.height * align_y - e.y_bearing);
  cairo_show_text(cr, s.c_str());
}

struct Frame {
  double x0, y0, x1, y1;  // plot area in pixels
  double lo, hi;          // value range
  std::size_t epochs;
  double px(std::size_t i) const { return epochs < 2 ? (x0 + x1) / 2 : x0 + (x1 - x0) * i / (epochs - 1.0); }
  double py(double v) const { return y1 - (y1 - y0) * (v - lo) / (hi - lo); }
};

void draw_curve(cairo_t* cr, const Frame& f, const std::vector<double>& v, double r, double g, double b) {
  cairo_set_source_rgb(cr, r, g, b);
  cairo_set_line_width(cr, 2.0);
  bool pen = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) { pen = false; continue; }
    pen ? cairo_line_to(cr, f.px(i), f.py(v[i])) : cairo_move_to(cr, f.px(i), f.py(v[i]));
    pen = true;
  }
  cairo_stroke(cr);
  for (std::size_t i = 0; i < v.size(); ++i)
    if (std::isfinite(v[i])) {
      cairo_arc(cr, f.px(i), f.py(v[i]), 3.0, 0, 2 * M_PI);
      cairo_fill(cr);
    }
}

void value_range(const Panel& p, double& lo, double& hi) {
  lo = INFINITY, hi = -INFINITY;
  for (const auto* v : {p.train, p.validation})
    if (v)
      for (double x : *v)
        if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) lo -= 0.5 * std::max(1e-3, std::abs(lo)), hi += 0.5 * std::max(1e-3, std::abs(hi));
  double pad = 0.05 * (hi - lo);
  lo -= pad, hi += pad;
}

void draw_axes(cairo_t* cr, const Frame& f) {
  cairo_set_font_size(cr, 11);
  double step = nice_step(f.hi - f.lo, 5);
  for (double t = std::ceil(f.lo / step) * step; t <= f.hi + 1e-12; t += step) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, f.x0, std::round(f.py(t)) + 0.5);
    cairo_line_to(cr, f.x1, std::round(f.py(t)) + 0.5);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    text(cr, f.x0 - 6, f.py(t), format_tick(t, step), 1.0, 0.5);
  }
  std::size_t every = std::max<std::size_t>(1, static_cast<std::size_t>(nice_step(std::max<double>(1, f.epochs), 8)));
  for (std::size_t i = 0; i < f.epochs; i += every) text(cr, f.px(i), f.y1 + 6, std::to_string(i + 1), 0.5, 0.0);
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, f.x0 + 0.5, f.y0 + 0.5, f.x1 - f.x0, f.y1 - f.y0);
  cairo_stroke(cr);
}

// The legend goes in the top or the bottom right corner, whichever the
// curves' last values leave free; on a white box.
void draw_legend(cairo_t* cr, const Frame& f, const Panel& p) {
  double last_sum = 0;
  int last_n = 0;
  for (const auto* v : {p.train, p.validation})
    if (v && !v->empty() && std::isfinite(v->back())) last_sum += v->back(), ++last_n;
  bool top = last_n == 0 || last_sum / last_n < (f.lo + f.hi) / 2;
  double rows = (p.train ? 1 : 0) + (p.validation ? 1 : 0);
  double y = top ? f.y0 + 14 : f.y1 - 16 * rows + 2;
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, f.x1 - 116, y - 10, 110, 16 * rows + 4);
  cairo_fill(cr);
  auto entry = [&](const char* label, double r, double g, double b) {
    cairo_set_source_rgb(cr, r, g, b);
    cairo_set_line_width(cr, 2);
    cairo_move_to(cr, f.x1 - 110, y);
    cairo_line_to(cr, f.x1 - 86, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text(cr, f.x1 - 80, y, label, 0.0, 0.5);
    y += 16;
  };
  if (p.train) entry("training", 0.12, 0.47, 0.71);
  if (p.validation) entry("validation", 1.0, 0.5, 0.05);
}

void draw_panel(cairo_t* cr, const Panel& p, double x, double y, double w, double h) {
  std::size_t epochs = std::max(p.train ? p.train->size() : 0, p.validation ? p.validation->size() : 0);
  Frame f{x + 64, y + 34, x + w - 16, y + h - 44, 0, 1, epochs};
  value_range(p, f.lo, f.hi);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_set_font_size(cr, 14);
  cairo_text_extents_t e;
  cairo_text_extents(cr, p.name.c_str(), &e);
  cairo_move_to(cr, (f.x0 + f.x1 - e.width) / 2 - e.x_bearing, y + 24);  // a common baseline
  cairo_show_text(cr, p.name.c_str());
  draw_axes(cr, f);
  cairo_set_font_size(cr, 12);
  text(cr, (f.x0 + f.x1) / 2, y + h - 8, "epoch", 0.5, 1.0);
  if (p.train) draw_curve(cr, f, *p.train, 0.12, 0.47, 0.71);
  if (p.validation) draw_curve(cr, f, *p.validation, 1.0, 0.5, 0.05);
  draw_legend(cr, f, p);
}

}  // namespace

void plot_history(const HistoryMap& history, const std::string& to_file, const PlotHistoryOptions& o) {
  if (o.panel_width < 200 || o.panel_height < 150 || o.columns < 1)
    throw ValueError("plot_history: panel_width >= 200, panel_height >= 150 and columns >= 1 expected, received " +
                     std::to_string(o.panel_width) + ", " + std::to_string(o.panel_height) + ", " +
                     std::to_string(o.columns));
  auto panels = choose_panels(history, o);
  int cols = std::min<int>(o.columns, static_cast<int>(panels.size()));
  int rows = (static_cast<int>(panels.size()) + cols - 1) / cols;
  int top = o.title.empty() ? 0 : 30;
  cairo_surface_t* surface =
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols * o.panel_width, rows * o.panel_height + top);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  if (top) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 16);
    text(cr, cols * o.panel_width / 2.0, 8, o.title, 0.5, 0.0);
  }
  for (std::size_t i = 0; i < panels.size(); ++i)
    draw_panel(cr, panels[i], (i % cols) * o.panel_width, top + (i / cols) * o.panel_height, o.panel_width,
               o.panel_height);
  cairo_destroy(cr);
  std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> owner(surface, cairo_surface_destroy);
  saving::atomic_write(to_file, [&](const std::string& tmp) {
    cairo_status_t st = cairo_surface_write_to_png(surface, tmp.c_str());
    if (st != CAIRO_STATUS_SUCCESS)
      throw IOError("plot_history: writing \"" + to_file + "\" failed: " + cairo_status_to_string(st));
  });
}

void plot_history(const callbacks::History& history, const std::string& to_file, const PlotHistoryOptions& o) {
  plot_history(history.history, to_file, o);
}

}  // namespace keras::utils
