// Optimizers with Keras's names and defaults.
//
// Example:
//   model.compile(keras::optimizers::Adam({.learning_rate = 3e-4}), "mse");
//   keras::optimizers::SGD sgd({.learning_rate = 0.1, .momentum = 0.9});
//   sgd.apply_gradients(grads, model.trainable_weights());
//   keras::optimizers::Adam adam({.learning_rate = std::make_shared<
//       keras::optimizers::schedules::CosineDecay>(keras::optimizers::schedules::CosineDecayOptions{1e-3, 1000})});
//
// After each update, a variable with a constraint (Variable::constraint) is
// projected by it, as Keras does.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "keras/optimizers/schedules.hpp"
#include "keras/tensor.hpp"
#include "keras/variable.hpp"

namespace keras::optimizers {


// Options shared by every optimizer (Keras's base Optimizer arguments).
// Each optimizer's options struct starts with learning_rate and its own
// arguments, then repeats these in Keras's order.
struct BaseOptions {
  std::optional<double> weight_decay;     // decoupled, applied before the update
  std::optional<double> clipnorm;         // clip each gradient to this L2 norm
  std::optional<double> clipvalue;        // clip each gradient element to [-v, v]
  std::optional<double> global_clipnorm;  // clip all gradients by their joint norm
  // Exponential moving average of the model variables, updated after every
  // step (average = m * average + (1 - m) * var, m = 0 on the first step);
  // every ema_overwrite_frequency steps the variables take the average, and
  // finalize_variable_values() copies it at the end of fit.
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<std::int64_t> ema_overwrite_frequency;
  // The trainer multiplies the loss by it; gradients are divided by it.
  std::optional<double> loss_scale_factor;
  // Update every N calls with the mean of the N gradients (N >= 2).
  std::optional<std::int64_t> gradient_accumulation_steps;
  std::string name;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string class_name() const = 0;

  // One update step: clips, applies weight decay, calls update_step for
  // each (grad, var) pair and increments iterations(). Undefined gradients
  // are skipped. Throws ValueError if the sizes differ.
  void apply_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars);
  void apply(const std::vector<Tensor>& grads, const std::vector<Variable>& vars) {
    apply_gradients(grads, vars);
  }

  double learning_rate() const;  // current value (schedule evaluated at iterations())
  void set_learning_rate(double lr);
  void set_learning_rate_schedule(std::shared_ptr<schedules::LearningRateSchedule> s);
  // The schedule given as learning_rate, or null for a fixed rate.
  const schedules::SchedulePtr& learning_rate_schedule() const { return schedule_; }
  // Calls of apply_gradients (Keras's saved "iteration" variable).
  std::int64_t iterations() const { return iterations_; }
  void set_iterations(std::int64_t it) { iterations_ = it; }
  // Updates made: iterations() / gradient_accumulation_steps (Keras's
  // optimizer.iterations property); update rules use this + 1 as their step.
  std::int64_t update_iterations() const {
    return base_.gradient_accumulation_steps ? iterations_ / *base_.gradient_accumulation_steps : iterations_;
  }
  const BaseOptions& base_options() const { return base_; }
  // The loss times loss_scale_factor (the loss itself when unset).
  Tensor scale_loss(const Tensor& loss) const;
  // With use_ema, assigns each variable its moving average (fit calls this
  // at the end of training, as Keras does); otherwise does nothing.
  void finalize_variable_values(const std::vector<Variable>& vars);

  // Optimizer variables other than iteration and learning_rate: the EMA
  // averages, the gradient accumulators, then the slots one kind after the
  // other (e.g. Adam: every m, then every v), then any extra variables.
  std::vector<Variable> variables() const;
  // The same variables in Keras 3's creation order (its optimizer.variables
  // after iteration and learning_rate), as .keras and .h5 files store them.
  virtual std::vector<Variable> saved_variables() const;
  // Creates slots for `vars` (called on the first apply_gradients).
  void build(const std::vector<Variable>& vars);
  bool built() const { return built_; }

  virtual nlohmann::json get_config() const;

 protected:
  // `cls`: the class name, for error messages.
  explicit Optimizer(LearningRate learning_rate, BaseOptions base, const char* cls = "Optimizer");
  // Creates this optimizer's slots for one variable (appending to slots_).
  virtual void build_slots(const Variable& var, std::size_t index) = 0;
  // Updates one variable with its (clipped) gradient at the current lr.
  virtual void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) = 0;
  // Helper for build_slots: a zero variable shaped like `like`, named
  // "<var path>_<suffix>" as Keras names it.
  Variable add_slot(const Variable& like, const std::string& suffix);
  // Widths of the slot groups Keras creates together (one
  // add_optimizer_variables call each, interleaved per variable), in order;
  // e.g. Adam {2} or {2, 1} with amsgrad. Empty: every kind alone.
  virtual std::vector<std::size_t> slot_groups() const { return {}; }
  // Called once per update, before update_step for each variable.
  virtual void before_updates() {}
  // The update's step number, t = update_iterations() + 1.
  std::int64_t local_step() const { return update_iterations() + 1; }

  double learning_rate_;
  std::shared_ptr<schedules::LearningRateSchedule> schedule_;
  BaseOptions base_;
  std::int64_t iterations_ = 0;
  bool built_ = false;
  std::vector<Variable> slots_;
  std::vector<Variable> built_for_;  // the model variables, in order
  std::vector<Variable> ema_;        // use_ema: "<path>_average" per variable
  std::vector<Variable> accum_;      // "<path>_gradient_accumulator" per variable
  std::vector<Variable> extra_;      // other variables (Nadam's u_product, ...)
  // True when update_step applies the decoupled weight decay itself (a fused
  // kernel, as Adam's); otherwise apply_gradients applies it first.
  bool update_applies_weight_decay_ = false;

 private:
  // Clips, decays and calls update_step for every defined gradient.
  void update_all(const std::vector<Tensor>& grads, const std::vector<Variable>& vars,
                  const std::vector<std::size_t>* slot_index);
  // gradient_accumulation_steps: adds `grads` to the accumulators and returns
  // false, or on every N-th call fills `averaged` with (g + acc) / N, zeroes
  // the accumulators and returns true.
  bool accumulate_gradients(const std::vector<Tensor>& grads, const std::vector<std::size_t>* slot_index,
                            std::vector<Tensor>& averaged);
  void update_moving_averages();
};

struct SGDOptions {
  LearningRate learning_rate = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
  BaseOptions base = {};
};
class SGD : public Optimizer {
 public:
  explicit SGD(SGDOptions o = {});
  std::string class_name() const override { return "SGD"; }
  nlohmann::json get_config() const override;

 protected:
  void build_slots(const Variable& var, std::size_t index) override;
  void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) override;

 private:
  SGDOptions o_;
};

struct AdamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  BaseOptions base = {};
};
class Adam : public Optimizer {
 public:
  explicit Adam(AdamOptions o = {});
  std::string class_name() const override { return "Adam"; }
  nlohmann::json get_config() const override;

 protected:
  void build_slots(const Variable& var, std::size_t index) override;
  void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) override;
  std::vector<std::size_t> slot_groups() const override {
    return o_.amsgrad ? std::vector<std::size_t>{2, 1} : std::vector<std::size_t>{2};
  }
  AdamOptions o_;
  double decoupled_decay_ = 0.0;  // AdamW
};

struct AdamWOptions {
  LearningRate learning_rate = 0.001;
  double weight_decay = 0.004;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  BaseOptions base = {};
};
class AdamW : public Adam {
 public:
  explicit AdamW(AdamWOptions o = {});
  std::string class_name() const override { return "AdamW"; }
  nlohmann::json get_config() const override;

 private:
  double weight_decay_;
};

struct RMSpropOptions {
  LearningRate learning_rate = 0.001;
  double rho = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-7;
  bool centered = false;
  BaseOptions base = {};
};
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(RMSpropOptions o = {});
  std::string class_name() const override { return "RMSprop"; }
  nlohmann::json get_config() const override;

 protected:
  void build_slots(const Variable& var, std::size_t index) override;
  void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) override;

 private:
  RMSpropOptions o_;
};

struct AdagradOptions {
  LearningRate learning_rate = 0.001;
  double initial_accumulator_value = 0.1;
  double epsilon = 1e-7;
  BaseOptions base = {};
};
class Adagrad : public Optimizer {
 public:
  explicit Adagrad(AdagradOptions o = {});
  std::string class_name() const override { return "Adagrad"; }
  nlohmann::json get_config() const override;

 protected:
  void build_slots(const Variable& var, std::size_t index) override;
  void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) override;

 private:
  AdagradOptions o_;
};

// "sgd", "adam", "adamw", "rmsprop", "adagrad" (case-insensitive) or a
// registered user optimizer, with default arguments; throws ValueError
// listing the closest known names.
std::shared_ptr<Optimizer> get(const std::string& name);
// A name or {"class_name": ..., "config": {...}} as Keras saves an optimizer.
std::shared_ptr<Optimizer> deserialize(const nlohmann::json& j);
// {"module", "class_name", "config", "registered_name"}.
nlohmann::json serialize(const Optimizer& opt);

// Builds an optimizer from the "config" object of its serialized form.
using OptimizerFactory = std::function<std::shared_ptr<Optimizer>(const nlohmann::json& config)>;
// Registers a user optimizer class (matched case-insensitively). Built-in
// names raise ValueError; a user name already registered raises unless
// `replace` is set.
void register_optimizer(const std::string& class_name, OptimizerFactory factory, bool replace = false);
std::vector<std::string> registered_optimizers();

}  // namespace keras::optimizers
