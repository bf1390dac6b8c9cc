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

struct Trainer;  // src/trainer.cpp

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
  // weighted_metrics (per output): updated with sample_weight; a name that
  // a plain metric of the output has too is logged as "weighted_<name>".
  std::vector<std::vector<MetricArg>> weighted_metric_args;
  std::vector<std::vector<std::shared_ptr<metrics::Metric>>> weighted_metrics;
  Trainer* trainer = nullptr;  // the loop now running (fit/evaluate), for the default steps
};

// The default steps (src/trainer.cpp), for Model's virtual train_step /
// test_step / compute_loss (src/train_step.cpp).
namespace detail {
void builtin_train_step(Model& m, const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sw);
void builtin_test_step(Model& m, const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sw);
Tensor builtin_compute_loss(Model& m, const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred,
                            const Tensor& sw);
// Resolves compile's metric names from the shapes of y and y_pred.
void resolve_metrics(CompileState& s, const std::vector<Shape>& y, const std::vector<Shape>& y_pred);
}  // namespace detail

}  // namespace keras
