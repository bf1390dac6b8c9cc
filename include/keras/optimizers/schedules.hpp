// Learning-rate schedules (keras.optimizers.schedules): the learning rate
// as a function of the optimizer's step, passed as `learning_rate`.
//
// Example:
//   namespace sch = keras::optimizers::schedules;
//   auto lr = std::make_shared<sch::ExponentialDecay>(
//       sch::ExponentialDecayOptions{.initial_learning_rate = 0.1, .decay_steps = 1000, .decay_rate = 0.96});
//   model.compile(keras::optimizers::SGD({.learning_rate = lr}), "mse");
//
// A user schedule derives from LearningRateSchedule and, to be read back
// from a saved model, registers a factory with register_schedule.
#pragma once
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace keras::optimizers::schedules {

// A learning rate as a function of the step (iterations so far).
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual double operator()(std::int64_t step) const = 0;
  virtual std::string class_name() const = 0;
  // The constructor arguments, as Keras's get_config writes them.
  virtual nlohmann::json get_config() const;
};
using SchedulePtr = std::shared_ptr<LearningRateSchedule>;

// lr0 * decay_rate ^ (step / decay_steps) (the exponent floored when staircase).
struct ExponentialDecayOptions {
  double initial_learning_rate = 0.0;
  double decay_steps = 0.0;
  double decay_rate = 0.0;
  bool staircase = false;
  std::string name = "ExponentialDecay";
};
class ExponentialDecay : public LearningRateSchedule {
 public:
  explicit ExponentialDecay(ExponentialDecayOptions o);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "ExponentialDecay"; }
  nlohmann::json get_config() const override;

 private:
  ExponentialDecayOptions o_;
};

// values[0] while step <= boundaries[0], values[i] while
// boundaries[i-1] < step <= boundaries[i], values.back() after the last.
struct PiecewiseConstantDecayOptions {
  std::vector<double> boundaries;
  std::vector<double> values;  // one more than boundaries
  std::string name = "PiecewiseConstant";
};
class PiecewiseConstantDecay : public LearningRateSchedule {
 public:
  explicit PiecewiseConstantDecay(PiecewiseConstantDecayOptions o);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "PiecewiseConstantDecay"; }
  nlohmann::json get_config() const override;

 private:
  PiecewiseConstantDecayOptions o_;
};

// (lr0 - end) * (1 - step / decay_steps) ^ power + end; with cycle the
// decay restarts at each multiple of decay_steps.
struct PolynomialDecayOptions {
  double initial_learning_rate = 0.0;
  double decay_steps = 0.0;
  double end_learning_rate = 0.0001;
  double power = 1.0;
  bool cycle = false;
  std::string name = "PolynomialDecay";
};
class PolynomialDecay : public LearningRateSchedule {
 public:
  explicit PolynomialDecay(PolynomialDecayOptions o);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "PolynomialDecay"; }
  nlohmann::json get_config() const override;

 private:
  PolynomialDecayOptions o_;
};

// lr0 / (1 + decay_rate * step / decay_steps) (the ratio floored when staircase).
struct InverseTimeDecayOptions {
  double initial_learning_rate = 0.0;
  double decay_steps = 0.0;
  double decay_rate = 0.0;
  bool staircase = false;
  std::string name = "InverseTimeDecay";
};
class InverseTimeDecay : public LearningRateSchedule {
 public:
  explicit InverseTimeDecay(InverseTimeDecayOptions o);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "InverseTimeDecay"; }
  nlohmann::json get_config() const override;

 private:
  InverseTimeDecayOptions o_;
};

// Cosine decay from lr0 (or, with warmup_target, a linear warmup from lr0
// to warmup_target over warmup_steps, then cosine decay from warmup_target)
// down to alpha times the starting rate after decay_steps.
struct CosineDecayOptions {
  double initial_learning_rate = 0.0;
  double decay_steps = 0.0;
  double alpha = 0.0;
  std::string name = "CosineDecay";
  std::optional<double> warmup_target;
  double warmup_steps = 0.0;
};
class CosineDecay : public LearningRateSchedule {
 public:
  explicit CosineDecay(CosineDecayOptions o);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "CosineDecay"; }
  nlohmann::json get_config() const override;

 private:
  CosineDecayOptions o_;
};

// Cosine decay with warm restarts (SGDR): period i lasts
// first_decay_steps * t_mul^i steps and starts at lr0 * m_mul^i.
struct CosineDecayRestartsOptions {
  double initial_learning_rate = 0.0;
  double first_decay_steps = 0.0;
  double t_mul = 2.0;
  double m_mul = 1.0;
  double alpha = 0.0;
  std::string name = "SGDRDecay";
};
class CosineDecayRestarts : public LearningRateSchedule {
 public:
  explicit CosineDecayRestarts(CosineDecayRestartsOptions o);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "CosineDecayRestarts"; }
  nlohmann::json get_config() const override;

 private:
  CosineDecayRestartsOptions o_;
};

// {"module": "keras.optimizers.schedules", "class_name", "config",
// "registered_name"} (a user class: module null, registered_name its name).
nlohmann::json serialize(const LearningRateSchedule& s);
// Reads what serialize writes, tf.keras 2's {"class_name", "config"} and
// module-qualified class names. Unknown classes raise ValueError naming
// the class and the closest known ones.
SchedulePtr deserialize(const nlohmann::json& j);

// Builds a schedule from the "config" object of its serialized form.
using ScheduleFactory = std::function<SchedulePtr(const nlohmann::json& config)>;
// Registers a user schedule class. Built-in names raise ValueError; a user
// name already registered raises unless `replace` is set.
void register_schedule(const std::string& class_name, ScheduleFactory factory, bool replace = false);
std::vector<std::string> registered_schedules();
bool is_builtin(const std::string& class_name);

}  // namespace keras::optimizers::schedules

namespace keras::optimizers {

// An optimizer's learning_rate argument: a number or a schedule.
//   SGD({.learning_rate = 0.1})
//   SGD({.learning_rate = std::make_shared<schedules::CosineDecay>(...)})
struct LearningRate {
  LearningRate(double v) : value(v) {}  // NOLINT: implicit, as Keras accepts a float
  LearningRate(schedules::SchedulePtr s) : schedule(std::move(s)) {}
  template <class S>
    requires std::derived_from<S, schedules::LearningRateSchedule>
  LearningRate(std::shared_ptr<S> s) : schedule(std::move(s)) {}
  template <class S>
    requires std::derived_from<S, schedules::LearningRateSchedule>
  LearningRate(const S& s) : schedule(std::make_shared<S>(s)) {}
  double value = 0.0;
  schedules::SchedulePtr schedule;  // when set, value is unused
};

}  // namespace keras::optimizers
