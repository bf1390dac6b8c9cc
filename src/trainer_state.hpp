// Internal: what compile() sets up and fit() uses.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/models.hpp"
#include "keras/optimizers.hpp"

namespace keras {

struct CompileState {
  std::shared_ptr<optimizers::Optimizer> optimizer;
  std::vector<std::shared_ptr<losses::Loss>> losses;  // one per output
  std::vector<double> loss_weights;                   // one per output
  std::vector<std::vector<MetricArg>> metric_args;    // per output
  // Resolved at the first batch, when the shapes of y and y_pred are known.
  std::vector<std::vector<std::shared_ptr<metrics::Metric>>> metrics;
  bool metrics_resolved = false;
  metrics::Mean loss_tracker{"loss"};
  std::vector<std::shared_ptr<metrics::Mean>> output_loss_trackers;  // several outputs only
  std::vector<std::string> prefixes;  // log key prefix per output: "" or "<name>_"
};

}  // namespace keras
