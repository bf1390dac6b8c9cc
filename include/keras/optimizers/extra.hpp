// Keras 3's other optimizers: Adadelta, Adamax, Nadam, Lion, Ftrl and
// Adafactor, with Keras's arguments and defaults (and BaseOptions).
//
// Example:
//   model.compile(std::make_shared<keras::optimizers::Lion>(
//                     keras::optimizers::LionOptions{.learning_rate = 1e-4}), "mse");
#pragma once
#include "keras/optimizers.hpp"

namespace keras::optimizers {

struct AdadeltaOptions {
  LearningRate learning_rate = 0.001;
  double rho = 0.95;
  double epsilon = 1e-7;
  BaseOptions base = {};
};
class Adadelta : public Optimizer {
 public:
  explicit Adadelta(AdadeltaOptions o = {});
  std::string class_name() const override { return "Adadelta"; }
  nlohmann::json get_config() const override;

 protected:
  void build_slots(const Variable& var, std::size_t index) override;
  void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) override;
  std::vector<std::size_t> slot_groups() const override { return {2}; }

 private:
  AdadeltaOptions o_;
};

struct AdamaxOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  BaseOptions base = {};
};
class Adamax : public Optimizer {
 public:
  explicit Adamax(AdamaxOptions o = {});
  std::string class_name() const override { return "Adamax"; }
  nlohmann::json get_config() const override;

 protected:
  void build_slots(const Variable& var, std::size_t index) override;
  void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) override;
  std::vector<std::size_t> slot_groups() const override { return {2}; }

 private:
  AdamaxOptions o_;
};

struct NadamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  BaseOptions base = {};
};
class Nadam : public Optimizer {
 public:
  explicit Nadam(NadamOptions o = {});
  std::string class_name() const override { return "Nadam"; }
  nlohmann::json get_config() const override;

 protected:
  void build_slots(const Variable& var, std::size_t index) override;
  void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) override;
  std::vector<std::size_t> slot_groups() const override { return {2}; }
  void before_updates() override;

 private:
  NadamOptions o_;
};

struct LionOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.99;
  BaseOptions base = {};
};
class Lion : public Optimizer {
 public:
  explicit Lion(LionOptions o = {});
  std::string class_name() const override { return "Lion"; }
  nlohmann::json get_config() const override;

 protected:
  void build_slots(const Variable& var, std::size_t index) override;
  void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) override;

 private:
  LionOptions o_;
};

struct FtrlOptions {
  LearningRate learning_rate = 0.001;
  double learning_rate_power = -0.5;
  double initial_accumulator_value = 0.1;
  double l1_regularization_strength = 0.0;
  double l2_regularization_strength = 0.0;
  double l2_shrinkage_regularization_strength = 0.0;
  double beta = 0.0;
  BaseOptions base = {};
};
class Ftrl : public Optimizer {
 public:
  explicit Ftrl(FtrlOptions o = {});
  std::string class_name() const override { return "Ftrl"; }
  nlohmann::json get_config() const override;

 protected:
  void build_slots(const Variable& var, std::size_t index) override;
  void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) override;
  std::vector<std::size_t> slot_groups() const override { return {2}; }

 private:
  FtrlOptions o_;
};

struct AdafactorOptions {
  LearningRate learning_rate = 0.001;
  double beta_2_decay = -0.8;
  double epsilon_1 = 1e-30;
  double epsilon_2 = 1e-3;
  double clip_threshold = 1.0;
  bool relative_step = true;
  BaseOptions base = {};
};
// Factored second moments: for a variable of rank >= 2, a row ("r", the
// shape without the last axis) and a column ("c", without the second-last)
// average; rank < 2 variables keep a full "velocity" and Keras's unused
// int32 scalar r and c.
class Adafactor : public Optimizer {
 public:
  explicit Adafactor(AdafactorOptions o = {});
  std::string class_name() const override { return "Adafactor"; }
  nlohmann::json get_config() const override;
  std::vector<Variable> saved_variables() const override;

 protected:
  void build_slots(const Variable& var, std::size_t index) override;
  void update_step(const Tensor& grad, Variable& var, std::size_t index, double lr) override;

 private:
  AdafactorOptions o_;
  // extra_ holds r and c of variable i at 2 * i and 2 * i + 1.
};

}  // namespace keras::optimizers
