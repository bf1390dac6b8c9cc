// Learning-rate schedules with Keras 3's formulas and config keys
// (keras/src/optimizers/schedules/learning_rate_schedule.py), evaluated in
// double precision on the host: a schedule is one number per step.
#include "keras/optimizers/schedules.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <nlohmann/json.hpp>

#include "keras/errors.hpp"
#include "keras/registry.hpp"

namespace keras::optimizers::schedules {

using json = nlohmann::json;

json LearningRateSchedule::get_config() const { return json::object(); }

namespace {

// A whole number as an integer (Keras writes decay_steps=1000, not 1000.0).
json number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 9e15) return static_cast<std::int64_t>(v);
  return v;
}

void check_positive_steps(double steps, const char* arg, const char* cls) {
  KERAS_CHECK(std::isfinite(steps) && steps > 0, ValueError, cls, ": argument `", arg, "` must be > 0. Received: ", arg,
              "=", steps);
}

}  // namespace

ExponentialDecay::ExponentialDecay(ExponentialDecayOptions o) : o_(std::move(o)) {
  check_positive_steps(o_.decay_steps, "decay_steps", "ExponentialDecay");
}

double ExponentialDecay::operator()(std::int64_t step) const {
  double p = static_cast<double>(step) / o_.decay_steps;
  if (o_.staircase) p = std::floor(p);
  return o_.initial_learning_rate * std::pow(o_.decay_rate, p);
}

json ExponentialDecay::get_config() const {
  return {{"initial_learning_rate", o_.initial_learning_rate}, {"decay_steps", number(o_.decay_steps)},
          {"decay_rate", o_.decay_rate}, {"staircase", o_.staircase}, {"name", o_.name}};
}

PiecewiseConstantDecay::PiecewiseConstantDecay(PiecewiseConstantDecayOptions o) : o_(std::move(o)) {
  KERAS_CHECK(!o_.boundaries.empty() && o_.boundaries.size() + 1 == o_.values.size(), ValueError,
              "PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of values (and "
              "at least 1). Received: boundaries of length ",
              o_.boundaries.size(), " and values of length ", o_.values.size());
  KERAS_CHECK(std::is_sorted(o_.boundaries.begin(), o_.boundaries.end()), ValueError,
              "PiecewiseConstantDecay: boundaries must be increasing. Received: boundaries=", json(o_.boundaries).dump());
}

double PiecewiseConstantDecay::operator()(std::int64_t step) const {
  const double s = static_cast<double>(step);
  // The first boundary b with s <= b picks its value; past the last, the last value.
  auto it = std::lower_bound(o_.boundaries.begin(), o_.boundaries.end(), s);
  return o_.values[static_cast<std::size_t>(it - o_.boundaries.begin())];
}

json PiecewiseConstantDecay::get_config() const {
  json b = json::array();
  for (double v : o_.boundaries) b.push_back(number(v));
  return {{"boundaries", b}, {"values", o_.values}, {"name", o_.name}};
}

PolynomialDecay::PolynomialDecay(PolynomialDecayOptions o) : o_(std::move(o)) {
  check_positive_steps(o_.decay_steps, "decay_steps", "PolynomialDecay");
}

double PolynomialDecay::operator()(std::int64_t step) const {
  double s = static_cast<double>(step), steps = o_.decay_steps;
  if (o_.cycle) {
    // The first multiple of decay_steps at or past the step (1 at step 0).
    steps *= s == 0 ? 1.0 : std::ceil(s / o_.decay_steps);
  } else {
    s = std::min(s, steps);
  }
  const double p = s / steps;
  return (o_.initial_learning_rate - o_.end_learning_rate) * std::pow(1.0 - p, o_.power) + o_.end_learning_rate;
}

json PolynomialDecay::get_config() const {
  return {{"initial_learning_rate", o_.initial_learning_rate}, {"decay_steps", number(o_.decay_steps)},
          {"end_learning_rate", o_.end_learning_rate}, {"power", o_.power}, {"cycle", o_.cycle},
          {"name", o_.name}};
}

InverseTimeDecay::InverseTimeDecay(InverseTimeDecayOptions o) : o_(std::move(o)) {
  check_positive_steps(o_.decay_steps, "decay_steps", "InverseTimeDecay");
}

double InverseTimeDecay::operator()(std::int64_t step) const {
  double p = static_cast<double>(step) / o_.decay_steps;
  if (o_.staircase) p = std::floor(p);
  return o_.initial_learning_rate / (1.0 + o_.decay_rate * p);
}

json InverseTimeDecay::get_config() const {
  return {{"initial_learning_rate", o_.initial_learning_rate}, {"decay_steps", number(o_.decay_steps)},
          {"decay_rate", o_.decay_rate}, {"staircase", o_.staircase}, {"name", o_.name}};
}

CosineDecay::CosineDecay(CosineDecayOptions o) : o_(std::move(o)) {
  check_positive_steps(o_.decay_steps, "decay_steps", "CosineDecay");
  KERAS_CHECK(std::isfinite(o_.warmup_steps) && o_.warmup_steps >= 0, ValueError,
              "CosineDecay: argument `warmup_steps` must be >= 0. Received: warmup_steps=", o_.warmup_steps);
}

double CosineDecay::operator()(std::int64_t step) const {
  const double s = static_cast<double>(step);
  auto decay = [&](double t, double from) {
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * t / o_.decay_steps));
    return from * ((1.0 - o_.alpha) * cosine + o_.alpha);
  };
  if (!o_.warmup_target) return decay(std::min(s, o_.decay_steps), o_.initial_learning_rate);
  const double t = std::min(s, o_.decay_steps + o_.warmup_steps);
  if (t < o_.warmup_steps)
    return (*o_.warmup_target - o_.initial_learning_rate) * (t / o_.warmup_steps) + o_.initial_learning_rate;
  return decay(t - o_.warmup_steps, *o_.warmup_target);
}

json CosineDecay::get_config() const {
  return {{"initial_learning_rate", o_.initial_learning_rate},
          {"decay_steps", number(o_.decay_steps)},
          {"alpha", o_.alpha},
          {"name", o_.name},
          {"warmup_target", o_.warmup_target ? json(*o_.warmup_target) : json(nullptr)},
          {"warmup_steps", number(o_.warmup_steps)}};
}

CosineDecayRestarts::CosineDecayRestarts(CosineDecayRestartsOptions o) : o_(std::move(o)) {
  check_positive_steps(o_.first_decay_steps, "first_decay_steps", "CosineDecayRestarts");
}

double CosineDecayRestarts::operator()(std::int64_t step) const {
  double fraction = static_cast<double>(step) / o_.first_decay_steps;
  double restart = 0.0;
  if (o_.t_mul == 1.0) {
    restart = std::floor(fraction);
    fraction -= restart;
  } else {
    // Periods grow geometrically: the restart index solves
    // sum_{k<i} t_mul^k <= fraction.
    restart = std::floor(std::log(1.0 - fraction * (1.0 - o_.t_mul)) / std::log(o_.t_mul));
    const double done = (1.0 - std::pow(o_.t_mul, restart)) / (1.0 - o_.t_mul);
    fraction = (fraction - done) / std::pow(o_.t_mul, restart);
  }
  const double cosine = 0.5 * std::pow(o_.m_mul, restart) * (1.0 + std::cos(std::numbers::pi * fraction));
  return o_.initial_learning_rate * ((1.0 - o_.alpha) * cosine + o_.alpha);
}

json CosineDecayRestarts::get_config() const {
  return {{"initial_learning_rate", o_.initial_learning_rate}, {"first_decay_steps", number(o_.first_decay_steps)},
          {"t_mul", o_.t_mul}, {"m_mul", o_.m_mul}, {"alpha", o_.alpha}, {"name", o_.name}};
}

}  // namespace keras::optimizers::schedules
