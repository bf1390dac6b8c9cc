// keras::Variable and the global random seed.
#include "keras/variable.hpp"

#include <atomic>
#include <random>
#include <sstream>

#include "keras/ops.hpp"
#include "tensor_impl.hpp"

namespace keras {

struct Variable::State {
  Tensor value;
  std::string name, path;
  bool trainable = true;
  std::shared_ptr<regularizers::Regularizer> regularizer;
  std::shared_ptr<constraints::Constraint> constraint;
};

Variable::Variable(Tensor initial_value, std::string name, bool trainable)
    : state_(std::make_shared<State>()) {
  KERAS_CHECK(initial_value.defined(), ValueError, "Variable '", name, "': undefined initial value");
  // A variable owns its memory: detach from any history.
  state_->value = initial_value.detach();
  state_->name = name;
  state_->path = std::move(name);
  set_trainable(trainable);
}

const Tensor& Variable::value() const {
  KERAS_CHECK(state_, ValueError, "Variable is undefined (was the layer built?)");
  return state_->value;
}

void Variable::assign(const Tensor& v) const {
  KERAS_CHECK(state_, ValueError, "assign: the variable is undefined");
  KERAS_CHECK(v.shape() == state_->value.shape(), ValueError, "Variable '", state_->path,
              "' has shape ", shape_str(state_->value.shape()), ", received a value of shape ",
              shape_str(v.shape()));
  ops::assign(state_->value, v);
}

const std::string& Variable::name() const {
  KERAS_CHECK(state_, ValueError, "Variable is undefined");
  return state_->name;
}
const std::string& Variable::path() const {
  KERAS_CHECK(state_, ValueError, "Variable is undefined");
  return state_->path;
}
void Variable::set_path(std::string p) { state_->path = std::move(p); }
bool Variable::trainable() const { return state_ && state_->trainable; }
void Variable::set_trainable(bool t) {
  state_->trainable = t;
  state_->value.impl()->requires_grad = t && is_floating(state_->value.dtype());
}

namespace random {
namespace {
std::mt19937_64& generator() {
  static std::mt19937_64 g(1337);
  return g;
}
bool g_seeded = false;
}  // namespace

void set_seed(std::uint64_t seed) {
  generator().seed(seed);
  g_seeded = true;
}

std::uint64_t next_seed() {
  if (!g_seeded) {
    // Unseeded runs differ from run to run, as in Keras.
    generator().seed(std::random_device{}());
    g_seeded = true;
  }
  return generator()();
}

std::string get_state() {
  if (!g_seeded) next_seed();  // fixes the unseeded generator's start
  std::ostringstream os;
  os << generator();
  return os.str();
}

void set_state(const std::string& state) {
  std::istringstream is(state);
  std::mt19937_64 g;
  is >> g;
  KERAS_CHECK(!is.fail(), ValueError, "random::set_state: the text is not a generator state written by get_state (",
              state.size(), " characters)");
  generator() = g;
  g_seeded = true;
}
}  // namespace random

}  // namespace keras

namespace keras {
const std::shared_ptr<regularizers::Regularizer>& Variable::regularizer() const {
  static const std::shared_ptr<regularizers::Regularizer> none;
  return state_ ? state_->regularizer : none;
}
void Variable::set_regularizer(std::shared_ptr<regularizers::Regularizer> r) {
  KERAS_CHECK(state_ != nullptr, ValueError, "set_regularizer: the variable is undefined");
  state_->regularizer = std::move(r);
}
const std::shared_ptr<constraints::Constraint>& Variable::constraint() const {
  static const std::shared_ptr<constraints::Constraint> none;
  return state_ ? state_->constraint : none;
}
void Variable::set_constraint(std::shared_ptr<constraints::Constraint> c) {
  KERAS_CHECK(state_ != nullptr, ValueError, "set_constraint: the variable is undefined");
  state_->constraint = std::move(c);
}
}  // namespace keras
