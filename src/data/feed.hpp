// Internal: how fit/evaluate/predict read batches from a Dataset.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/data.hpp"
#include "keras/models.hpp"

namespace keras::data::detail {

// One batch split into the model's inputs, targets and sample weights.
struct Batch {
  std::vector<Tensor> x, y;
  Tensor sample_weight;
};

// Splits an element by component names (the model's input and output
// names, "sample_weight") or by position: nin inputs, then nout targets,
// then an optional sample weight; with need_y false, x alone is accepted.
Batch split_batch(const Model& m, const Element& e, const std::vector<std::string>& names, bool need_y,
                  const char* fn);

// Keras's epoch iterator: with steps > 0 an epoch is `steps` batches and
// the iterator carries on across epochs (started afresh when the data runs
// out); otherwise each epoch is one full pass. An infinite dataset without
// steps is a ValueError.
class Feed {
 public:
  Feed(Dataset ds, std::int64_t steps, const char* fn);
  // Batches per epoch for the callbacks (0: unknown).
  std::int64_t steps_for_params() const;
  void begin_epoch();
  // The next batch of this epoch, or nullopt at its end.
  std::optional<Element> next();
  void end_epoch();
  const Dataset& dataset() const { return ds_; }

 private:
  Dataset ds_;
  std::int64_t steps_, card_;
  const char* fn_;
  std::unique_ptr<Iterator> it_;
  std::int64_t step_ = 0, seen_ = 0;
  bool warned_ = false;
};

// The Feed of validation_data given as a Dataset (checked now), else nullptr.
std::shared_ptr<Feed> validation_feed(const ValidationData& v, std::int64_t steps);
// One epoch of `f`, each element split for model `m` and given to `step`.
void for_each_batch(Feed& f, const Model& m, const char* fn, const std::function<void(const Batch&)>& step);

}  // namespace keras::data::detail
