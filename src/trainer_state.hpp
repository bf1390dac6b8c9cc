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
  std::shared_ptr<losses::Loss> loss;
  std::vector<MetricArg> metric_args;
  // Resolved at the first batch, when the shapes of y and y_pred are known.
  std::vector<std::shared_ptr<metrics::Metric>> metrics;
  bool metrics_resolved = false;
  metrics::Mean loss_tracker{"loss"};
};

}  // namespace keras
