// History: the per-epoch logs of one fit() call, as Keras's History.history.
#include "keras/callbacks.hpp"

namespace keras::callbacks {

// Starts empty for each fit so history[key] and epoch stay the same length.
void History::on_train_begin(const Logs&) {
  history.clear();
  epoch.clear();
  params = params_;
}

void History::on_epoch_end(int e, const Logs& logs) {
  epoch.push_back(e);
  for (const auto& [key, value] : logs) history[key].push_back(value);
}

}  // namespace keras::callbacks
