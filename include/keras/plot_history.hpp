// keras::utils::plot_history: training curves as a PNG picture, one panel
// per quantity (the loss and each metric), training against validation,
// per epoch, the picture people draw with matplotlib after model.fit.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace keras {
namespace callbacks {
class History;
}
namespace utils {

struct PlotHistoryOptions {
  int panel_width = 520;   // pixels per panel
  int panel_height = 340;
  int columns = 2;          // panels per row (fewer when there are fewer panels)
  std::string title;        // drawn above the panels when not empty
  // Which quantities to draw, e.g. {"loss", "accuracy"}; empty: all of
  // them, the loss first. A "val_" curve is drawn in its quantity's panel.
  std::vector<std::string> keys;
};

// Writes the curves of `history` (what fit returns) to `to_file` as PNG,
// through the cairo graphics library. Throws keras::ValueError when the
// history has no epochs or a requested key is missing (naming the keys it
// has), keras::IOError when the file cannot be written. The file is
// written atomically.
void plot_history(const callbacks::History& history, const std::string& to_file = "history.png",
                  const PlotHistoryOptions& options = {});
// The same from a history map: key -> one value per epoch.
void plot_history(const std::map<std::string, std::vector<double>>& history, const std::string& to_file,
                  const PlotHistoryOptions& options = {});

}  // namespace utils
}  // namespace keras
