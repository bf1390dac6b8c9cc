// Weight initializers with Keras's names and defaults.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "keras/tensor.hpp"

namespace keras::initializers {

class Initializer {
 public:
  virtual ~Initializer() = default;
  virtual std::string class_name() const = 0;
  virtual Tensor operator()(const Shape& shape, DType dtype = float32) const = 0;
  virtual nlohmann::json get_config() const;
};
using InitializerPtr = std::shared_ptr<Initializer>;

// Fan-in / fan-out of a kernel shape as Keras computes them
// (receptive field * channels for conv kernels).
std::pair<double, double> compute_fans(const Shape& shape);

// VarianceScaling covers glorot/he/lecun: scale, mode ("fan_in",
// "fan_out", "fan_avg"), distribution ("truncated_normal", "untruncated_normal", "uniform").
class VarianceScaling : public Initializer {
 public:
  VarianceScaling(double scale, std::string mode, std::string distribution,
                  std::string class_name = "VarianceScaling");
  std::string class_name() const override { return class_name_; }
  Tensor operator()(const Shape& shape, DType dtype = float32) const override;
  nlohmann::json get_config() const override;

 private:
  double scale_;
  std::string mode_, distribution_, class_name_;
};

class Constant : public Initializer {
 public:
  explicit Constant(double value = 0.0, std::string class_name = "Constant");
  std::string class_name() const override { return class_name_; }
  Tensor operator()(const Shape& shape, DType dtype = float32) const override;
  nlohmann::json get_config() const override;

 private:
  double value_;
  std::string class_name_;
};

class RandomNormal : public Initializer {
 public:
  explicit RandomNormal(double mean = 0.0, double stddev = 0.05);
  std::string class_name() const override { return "RandomNormal"; }
  Tensor operator()(const Shape& shape, DType dtype = float32) const override;
  nlohmann::json get_config() const override;

 private:
  double mean_, stddev_;
};

class RandomUniform : public Initializer {
 public:
  explicit RandomUniform(double minval = -0.05, double maxval = 0.05);
  std::string class_name() const override { return "RandomUniform"; }
  Tensor operator()(const Shape& shape, DType dtype = float32) const override;
  nlohmann::json get_config() const override;

 private:
  double minval_, maxval_;
};

class TruncatedNormal : public Initializer {
 public:
  explicit TruncatedNormal(double mean = 0.0, double stddev = 0.05);
  std::string class_name() const override { return "TruncatedNormal"; }
  Tensor operator()(const Shape& shape, DType dtype = float32) const override;
  nlohmann::json get_config() const override;

 private:
  double mean_, stddev_;
};

// A (semi-)orthogonal matrix (Keras's OrthogonalInitializer): the Q of the QR
// decomposition of a normal matrix, for shapes of rank >= 2 flattened to
// (prod(shape[:-1]), shape[-1]); times gain. The recurrent kernels' default.
class Orthogonal : public Initializer {
 public:
  explicit Orthogonal(double gain = 1.0);
  std::string class_name() const override { return "OrthogonalInitializer"; }
  Tensor operator()(const Shape& shape, DType dtype = float32) const override;
  nlohmann::json get_config() const override;

 private:
  double gain_;
};

// gain * the identity matrix; 2-D shapes only (Keras's IdentityInitializer).
class Identity : public Initializer {
 public:
  explicit Identity(double gain = 1.0);
  std::string class_name() const override { return "IdentityInitializer"; }
  Tensor operator()(const Shape& shape, DType dtype = float32) const override;
  nlohmann::json get_config() const override;

 private:
  double gain_;
};

InitializerPtr GlorotUniform();
InitializerPtr GlorotNormal();
InitializerPtr HeUniform();
InitializerPtr HeNormal();
InitializerPtr LecunUniform();
InitializerPtr LecunNormal();
InitializerPtr Zeros();
InitializerPtr Ones();

// By Keras name: "glorot_uniform", "he_normal", "zeros", "ones",
// "random_normal", ... (snake or Camel case). Throws ValueError.
InitializerPtr get(const std::string& name);

// Keras's serialized form {"module": "keras.initializers", "class_name": ...,
// "config": {...}, "registered_name": null}, and back. deserialize also
// accepts a bare name string. Seeds in a config are ignored (the library's
// random state comes from keras::random::set_seed). Throws ValueError.
nlohmann::json serialize(const Initializer& init);
InitializerPtr deserialize(const nlohmann::json& config);

// Builds an initializer from the "config" object of its serialized form.
using InitializerFactory = std::function<InitializerPtr(const nlohmann::json& config)>;
// Registers a user initializer class: deserialize({"class_name": class_name,
// "config": ...}) then calls `factory`. Built-in names raise ValueError; a
// user name already registered raises unless `replace` is set.
void register_initializer(const std::string& class_name, InitializerFactory factory, bool replace = false);
std::vector<std::string> registered_initializers();

// A string or an initializer object, where Keras accepts both.
struct InitializerArg {
  InitializerPtr ptr;
  InitializerArg(const char* name) : ptr(get(name)) {}
  InitializerArg(const std::string& name) : ptr(get(name)) {}
  InitializerArg(InitializerPtr p) : ptr(std::move(p)) {}
  template <class I, class = std::enable_if_t<std::is_base_of_v<Initializer, std::decay_t<I>>>>
  InitializerArg(I&& init) : ptr(std::make_shared<std::decay_t<I>>(std::forward<I>(init))) {}
};

}  // namespace keras::initializers
