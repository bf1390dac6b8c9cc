// keras::Model and keras::Sequential, with compile / fit / evaluate / predict.
//
// A model is a graph of layer calls; Sequential is its linear case. The
// training loop (compile/fit/evaluate/predict) lives in src/trainer.cpp.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "keras/callbacks.hpp"
#include "keras/keras_tensor.hpp"
#include "keras/layers/core.hpp"
#include "keras/layers/layer.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/optimizers.hpp"

namespace keras {

namespace data {
class Dataset;  // keras/data.hpp
}
namespace utils {
class PyDataset;  // keras/data.hpp
}

// keras.Input(shape): shape excludes the batch dimension.
KerasTensor Input(Shape shape, std::string name = "", DType dtype = float32);

// Anything Sequential accepts as an element: a layer (copied in), a shared
// layer pointer, or a keras::Input.
struct LayerArg {
  std::shared_ptr<layers::Layer> layer;
  LayerArg(std::shared_ptr<layers::Layer> l) : layer(std::move(l)) {}
  LayerArg(const KerasTensor& t) : layer(t.source()) {}
  template <class L, class = std::enable_if_t<std::is_base_of_v<layers::Layer, std::decay_t<L>>>>
  LayerArg(L&& l) : layer(std::make_shared<std::decay_t<L>>(std::forward<L>(l))) {}
  template <class L, class = std::enable_if_t<std::is_base_of_v<layers::Layer, L>>>
  LayerArg(std::shared_ptr<L> l) : layer(std::move(l)) {}
};

// A string or an object, where Keras's compile() accepts both.
struct OptimizerArg {
  std::shared_ptr<optimizers::Optimizer> ptr;
  OptimizerArg(const char* n) : ptr(optimizers::get(n)) {}
  OptimizerArg(const std::string& n) : ptr(optimizers::get(n)) {}
  OptimizerArg(std::shared_ptr<optimizers::Optimizer> p) : ptr(std::move(p)) {}
  template <class O, class = std::enable_if_t<std::is_base_of_v<optimizers::Optimizer, std::decay_t<O>>>>
  OptimizerArg(O&& o) : ptr(std::make_shared<std::decay_t<O>>(std::forward<O>(o))) {}
};
struct LossArg {
  std::shared_ptr<losses::Loss> ptr;
  LossArg(const char* n) : ptr(losses::get(n)) {}
  LossArg(const std::string& n) : ptr(losses::get(n)) {}
  LossArg(std::shared_ptr<losses::Loss> p) : ptr(std::move(p)) {}
  template <class L, class = std::enable_if_t<std::is_base_of_v<losses::Loss, std::decay_t<L>>>>
  LossArg(L&& l) : ptr(std::make_shared<std::decay_t<L>>(std::forward<L>(l))) {}
};
struct MetricArg {
  std::string name;                         // resolved at the first batch
  std::shared_ptr<metrics::Metric> metric;  // or a ready object
  MetricArg(const char* n) : name(n) {}
  MetricArg(const std::string& n) : name(n) {}
  MetricArg(std::shared_ptr<metrics::Metric> m) : metric(std::move(m)) {}
  template <class M, class = std::enable_if_t<std::is_base_of_v<metrics::Metric, std::decay_t<M>>>>
  MetricArg(M&& m) : metric(std::make_shared<std::decay_t<M>>(std::forward<M>(m))) {}
};

// Tensors by input or output layer name, for models with several inputs or
// outputs: model.fit({{"image", x_img}, {"number", x_num}}, {{"class_output", y}, ...}).
// (A map type of its own, so that braced lists of tensors stay vectors.)
struct TensorMap : std::map<std::string, Tensor> {
  TensorMap() = default;
  TensorMap(std::initializer_list<std::pair<const std::string, Tensor>> l) : std::map<std::string, Tensor>(l) {}
};
// Losses by output name: model.compile("adam", {{"class_output", "sparse_categorical_crossentropy"}, ...}).
struct LossMap : std::map<std::string, LossArg> {
  LossMap() = default;
  LossMap(std::initializer_list<std::pair<const std::string, LossArg>> l) : std::map<std::string, LossArg>(l) {}
};

// validation_data: (x, y[, sample_weight]), or lists for several inputs/outputs.
struct ValidationData {
  std::vector<Tensor> x, y;
  Tensor sample_weight;
  ValidationData() = default;
  ValidationData(Tensor x_, Tensor y_, Tensor sw = Tensor()) : x{std::move(x_)}, y{std::move(y_)}, sample_weight(std::move(sw)) {}
  ValidationData(std::vector<Tensor> x_, std::vector<Tensor> y_, Tensor sw = Tensor())
      : x(std::move(x_)), y(std::move(y_)), sample_weight(std::move(sw)) {}
  // A Dataset of (x, y[, sample_weight]) batches (src/data/fit_dataset.cpp).
  ValidationData(const data::Dataset& ds);
  std::shared_ptr<const data::Dataset> dataset;
  bool defined() const { return dataset || (!x.empty() && x[0].defined()); }  // tensors or a Dataset given
};

// Keras's fit() arguments, in Keras's order.
struct FitOptions {
  int batch_size = 32;
  int epochs = 1;
  int verbose = -1;  // -1 "auto" (= 1), 0 silent, 1 progress bar, 2 one line per epoch
  std::vector<std::shared_ptr<callbacks::Callback>> callbacks = {};
  double validation_split = 0.0;  // the last fraction of x/y, before shuffling
  ValidationData validation_data = {};
  bool shuffle = true;
  std::map<int, double> class_weight = {};
  Tensor sample_weight = {};
  int initial_epoch = 0;
  std::int64_t steps_per_epoch = -1;  // -1: the whole data set
  int validation_batch_size = -1;     // -1: batch_size
  int validation_freq = 1;
  std::int64_t validation_steps = -1;  // a validation Dataset: batches per validation (-1: all)
};

struct EvaluateOptions {
  int batch_size = 32;
  int verbose = -1;
  Tensor sample_weight = {};
  std::vector<std::shared_ptr<callbacks::Callback>> callbacks = {};
  std::int64_t steps = -1;  // batches to evaluate (-1: all)
};

struct PredictOptions {
  int batch_size = 32;
  int verbose = 0;  // Keras prints a bar by default; off here, a library call
  std::vector<std::shared_ptr<callbacks::Callback>> callbacks = {};
  std::int64_t steps = -1;  // batches to predict (-1: all)
};

// compile() with every argument by name, as Keras's
//   model.compile(optimizer="adam", loss="mse", metrics=["mae"], weighted_metrics=["mae"]).
// One entry per output in loss, metrics, weighted_metrics and loss_weights
// (or none). `loss` may be empty for a model whose train_step does not use
// compile's loss. weighted_metrics are the metrics that sample_weight and
// class_weight apply to; plain metrics are unweighted, as in Keras.
struct CompileOptions {
  OptimizerArg optimizer = "rmsprop";
  std::vector<LossArg> loss = {};
  std::vector<std::vector<MetricArg>> metrics = {};
  std::vector<double> loss_weights = {};
  std::vector<std::vector<MetricArg>> weighted_metrics = {};
};

struct CompileState;  // src/trainer_state.hpp
namespace detail {
class Executor;     // src/executor.hpp
class Declaration;  // src/declaration.hpp
class SequentialDeclaration;
}

class Model : public layers::Layer {
 public:
  // An empty model (see Sequential).
  explicit Model(std::string name = "");
  // Functional: outputs computed from inputs by recorded layer calls.
  //   auto in = keras::Input({784});
  //   auto out = keras::layers::Dense(10)(keras::layers::Dense(64, "relu")(in));
  //   keras::Model model(in, out);
  // Throws ValueError when an output cannot be computed from the inputs
  // (a disconnected graph), or when two layers share a name.
  Model(const KerasTensor& inputs, const KerasTensor& outputs, std::string name = "");
  Model(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string name = "");
  // A feature extractor: keras::Model(base.inputs(), base.get_layer("block3")->output()).
  Model(std::vector<KerasTensor> inputs, const KerasTensor& output, std::string name = "")
      : Model(std::move(inputs), std::vector<KerasTensor>{output}, std::move(name)) {}

  // "Functional", or "Sequential" for a Sequential (also once copied into a
  // keras::Model, as load_model returns it).
  std::string class_name() const override;
  std::shared_ptr<layers::Layer> clone_shared() const override { return std::make_shared<Model>(*this); }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  void build_n(const std::vector<Shape>& input_shapes) override;
  Tensor call_n(const std::vector<Tensor>& inputs, bool training) override;
  Shape compute_output_shape_n(const std::vector<Shape>& input_shapes) const override;
  int num_outputs() const override { return outputs_.empty() ? 1 : static_cast<int>(outputs_.size()); }
  std::vector<Tensor> call_outputs(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
  nlohmann::json get_config() const override;
  std::vector<Variable> weights() const override;
  std::vector<Variable> trainable_weights() const override;
  std::vector<Variable> non_trainable_weights() const override;
  std::vector<Tracked> sublayers() const override;
  // Every output for every input (several-input / several-output models).
  std::vector<Tensor> call_all(const std::vector<Tensor>& inputs, bool training);
  using layers::Layer::call_all;  // the symbolic form (a model used as a layer)

  // --- training API (src/trainer.cpp) ---
  void compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metrics = {});
  // One loss per output, metrics per output, optional loss_weights. Logs use
  // Keras's keys: "loss", "<output>_loss", "<output>_<metric>".
  void compile(OptimizerArg optimizer, std::vector<LossArg> losses,
               std::vector<std::vector<MetricArg>> metrics = {}, std::vector<double> loss_weights = {});
  History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  History fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y, FitOptions options = {});
  // By name: x keyed by input layer name, y by output name (output_names()).
  History fit(const TensorMap& x, const TensorMap& y, FitOptions options = {});
  std::map<std::string, double> evaluate(const TensorMap& x, const TensorMap& y, EvaluateOptions options = {});
  TensorMap predict(const TensorMap& x, PredictOptions options = {});
  // Losses, metrics and loss weights keyed by output name.
  void compile(OptimizerArg optimizer, const LossMap& losses,
               const std::map<std::string, std::vector<MetricArg>>& metrics = {},
               const std::map<std::string, double>& loss_weights = {});
  // Orders tensors keyed by name as the inputs (or outputs); throws
  // ValueError naming missing and unknown keys.
  std::vector<Tensor> inputs_from(const TensorMap& x) const;
  std::vector<Tensor> outputs_from(const TensorMap& y) const;
  std::vector<std::string> input_names() const;
  std::map<std::string, double> evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  std::map<std::string, double> evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                                         EvaluateOptions options = {});
  Tensor predict(const Tensor& x, PredictOptions options = {});
  std::vector<Tensor> predict(const std::vector<Tensor>& x, PredictOptions options = {});
  // On a Dataset (or a utils::PyDataset) of batches: (x, y) or (x, y,
  // sample_weight) tuples, x alone for predict; components named after the
  // model's inputs and outputs go by name. steps_per_epoch, validation_steps
  // and steps as Keras defines them; an infinite dataset needs them
  // (ValueError). src/data/fit_dataset.cpp.
  History fit(const data::Dataset& x, FitOptions options = {});
  History fit(utils::PyDataset& x, FitOptions options = {});
  std::map<std::string, double> evaluate(const data::Dataset& x, EvaluateOptions options = {});
  std::map<std::string, double> evaluate(utils::PyDataset& x, EvaluateOptions options = {});
  Tensor predict(const data::Dataset& x, PredictOptions options = {});
  Tensor predict(utils::PyDataset& x, PredictOptions options = {});
  // Every output (models with several outputs).
  std::vector<Tensor> predict_outputs(const data::Dataset& x, PredictOptions options = {});
  std::map<std::string, double> train_on_batch(const Tensor& x, const Tensor& y,
                                               const Tensor& sample_weight = Tensor());
  std::map<std::string, double> test_on_batch(const Tensor& x, const Tensor& y,
                                              const Tensor& sample_weight = Tensor());
  Tensor predict_on_batch(const Tensor& x);
  void compile(CompileOptions options);
  bool compiled() const;
  optimizers::Optimizer& optimizer() const;

  // --- customizing fit (src/train_step.cpp), as Keras's guide "Customizing
  // what happens in fit()": a subclass overrides these; fit / evaluate /
  // predict still run the callbacks, the progress bar and History with the
  // logs the step returns. The defaults are compile's loss and metrics.
  // One batch of fit(): returns the logs (by convention get_metrics_result()).
  virtual Logs train_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight);
  // One batch of evaluate() and of fit's validation.
  virtual Logs test_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight);
  // One batch of predict(): the outputs.
  virtual std::vector<Tensor> predict_step(const std::vector<Tensor>& x);
  // compile's losses (weighted by loss_weights and sample_weight) plus the
  // layers' losses (add_loss, regularizers). Throws ValueError when there
  // is nothing to compute (no loss in compile and no layer losses).
  virtual Tensor compute_loss(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                              const std::vector<Tensor>& y_pred, const Tensor& sample_weight = Tensor(),
                              bool training = true);
  // Updates compile's metrics (weighted_metrics with sample_weight) and
  // returns get_metrics_result().
  Logs compute_metrics(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                       const std::vector<Tensor>& y_pred, const Tensor& sample_weight = Tensor());
  // The metrics fit resets at each epoch: the loss tracker ("loss"), the
  // per-output loss trackers, compile's metrics (once the first batch or
  // compute_metrics has resolved them). A subclass may return its own.
  virtual std::vector<std::shared_ptr<metrics::Metric>> metrics() const;
  // {name: result()} of every metric in metrics().
  Logs get_metrics_result() const;
  // Keras's model.input / model.output (models with one input / output).
  KerasTensor input() const override;
  KerasTensor output() const override;
  const losses::Loss& loss() const;
  // Set by callbacks (EarlyStopping, TerminateOnNaN) to end fit().
  bool stop_training = false;
  // Set by a callback in on_train_begin (BackupAndRestore) to make fit()
  // start at this epoch and batch instead of initial_epoch; fit() clears them.
  int resume_epoch = -1;
  std::int64_t resume_step = 0;

  // --- structure ---
  // Prints Keras's table: Layer (type) | Output Shape | Param # (and
  // "Connected to" for functional models), then totals.
  void summary(std::ostream* out = nullptr) const;
  std::string summary_string() const;
  const std::vector<std::shared_ptr<layers::Layer>>& layers() const { return layers_; }
  // Throws ValueError listing the names when there is no such layer.
  std::shared_ptr<layers::Layer> get_layer(const std::string& name) const;
  std::shared_ptr<layers::Layer> get_layer(int index) const;
  // Shape of the (first) model input with batch -1 (empty if unknown yet).
  const Shape& input_shape() const { return input_shape_; }
  // False for Sequential (its summary and config are Keras's Sequential ones).
  bool is_functional() const;
  const std::vector<KerasTensor>& inputs() const { return inputs_; }
  const std::vector<KerasTensor>& outputs() const { return outputs_; }
  // Names of the output layers (log key prefixes).
  std::vector<std::string> output_names() const;

  // --- saving (src/saving/, declared in keras/saving.hpp too) ---
  // By extension: ".keras" (Keras 3 zip) or ".h5" / ".hdf5" (legacy HDF5),
  // with the optimizer state when compiled. Atomic: a failed save leaves an
  // existing file as it was. Throws IOError / ValueError.
  void save(const std::string& path, bool include_optimizer = true) const;
  // ".weights.h5" (Keras 3 layout) or ".h5" (legacy layout).
  void save_weights(const std::string& path) const;
  // ".weights.h5", ".keras" or legacy ".h5"; legacy files match layers in
  // order, or by layer name when `by_name`. Throws IOError / ValueError
  // naming the file and the layer.
  void load_weights(const std::string& path, bool by_name = false);
  // Keras's model JSON ({"class_name", "config", ...}).
  std::string to_json() const;

 protected:
  // Plans the graph from inputs_ to outputs_ (the executor).
  void plan();
  // Records the graph of a Sequential whose input shape was not known
  // (from the first batch); nothing for functional models.
  void ensure_graph(const std::vector<Tensor>& xs);
  // How the model was declared (the functional API or a Sequential list):
  // the Keras class name, the config, deferred building. Copies keep it.
  std::shared_ptr<const detail::Declaration> declaration_;
  std::shared_ptr<layers::InputLayer> input_layer_;  // a Sequential's keras::Input, if given
  KerasTensor input_;  // a Sequential's graph input (the user's, or one made at build)
  Shape input_shape_;
  DType input_dtype_ = float32;
  std::vector<std::shared_ptr<layers::Layer>> layers_;
  std::vector<KerasTensor> inputs_, outputs_;
  std::shared_ptr<const detail::Executor> executor_;
  std::shared_ptr<CompileState> state_;
  // Records the layer calls of a Sequential from input_ and plans them.
  void record_layers();
  friend struct Trainer;
  friend struct ModelSavingAccess;
  friend class detail::SequentialDeclaration;
};

// The linear case of the functional model: once its input shape is known
// (a keras::Input, build(), or the first batch) it records the layer calls
// as a functional graph and runs it through the same executor.
class Sequential : public Model {
 public:
  explicit Sequential(std::string name = "");
  Sequential(std::initializer_list<LayerArg> layers, std::string name = "");
  std::shared_ptr<layers::Layer> clone_shared() const override { return std::make_shared<Sequential>(*this); }
  // Appends a layer (or sets the input when given keras::Input).
  void add(LayerArg layer);
  // Removes the last layer.
  void pop();
 private:
  void set_input(const KerasTensor& input);
};

}  // namespace keras
