// Internal: the training and test steps of src/trainer.cpp, for the loops
// over Datasets (src/data/fit_dataset.cpp).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "keras/callbacks.hpp"
#include "keras/models.hpp"

namespace keras {
struct Trainer;  // src/trainer.cpp

namespace detail {

class StepRunner {
 public:
  explicit StepRunner(Model& m);
  ~StepRunner();
  // Builds the model from the first batch if needed; caches its variables.
  void prepare_training(const std::vector<Tensor>& x);
  void reset_metrics();
  void train_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sw);
  void test_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sw);
  Logs logs(const std::string& prefix = "") const;

 private:
  std::unique_ptr<Trainer> t_;
};

}  // namespace detail
}  // namespace keras
