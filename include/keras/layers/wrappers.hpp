// Wrappers: Bidirectional (a recurrent layer run both ways) and
// TimeDistributed (a layer applied to every time step).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "keras/layers/recurrent.hpp"

namespace keras::layers {

// Runs a copy of `layer` forwards (named "forward_<name>") and another
// backwards ("backward_<name>", go_backwards flipped) — or `backward_layer`
// when given — and merges their outputs: merge_mode "concat" (the last
// axis), "sum", "mul", "ave", or "" (Keras's None: both outputs). With
// return_state the states follow: forward's, then backward's. Extra inputs
// are initial states, the forward layer's first.
class Bidirectional : public Layer {
 public:
  explicit Bidirectional(const std::shared_ptr<RNN>& layer, std::string merge_mode = "concat",
                         const std::shared_ptr<RNN>& backward_layer = nullptr, std::string name = "");
  KERAS_LAYER_CLASS(Bidirectional)
  void build(const Shape& input_shape) override;
  void build_n(const std::vector<Shape>& input_shapes) override;
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_n(const std::vector<Tensor>& xs, bool training) override;
  int num_outputs() const override;
  std::vector<Tensor> call_outputs(const std::vector<Tensor>& xs, bool training) override;
  std::vector<Tensor> call_masked(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                  bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  Shape compute_output_shape_n(const std::vector<Shape>& input_shapes) const override;
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const override;
  bool shapes_by_dry_run() const override { return false; }
  nlohmann::json get_config() const override;
  // Stateful layers: both directions' kept states go back to zeros.
  void reset_states();
  const std::shared_ptr<RNN>& forward_layer() const { return forward_; }
  const std::shared_ptr<RNN>& backward_layer() const { return backward_; }
  const std::string& merge_mode() const { return merge_mode_; }

 private:
  std::vector<Tensor> run(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training);
  std::vector<Tensor> merge(const Tensor& y, const Tensor& y_rev) const;
  std::shared_ptr<RNN> forward_, backward_;
  std::string merge_mode_;
};

// Applies `layer` to each time step of (batch, time, ...): the layer sees
// (batch * time, ...). Masks pass through.
class TimeDistributed : public Layer {
 public:
  explicit TimeDistributed(LayerPtr layer, std::string name = "");
  KERAS_LAYER_CLASS(TimeDistributed)
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  bool shapes_by_dry_run() const override { return false; }
  nlohmann::json get_config() const override;
  const LayerPtr& layer() const { return layer_; }

 private:
  LayerPtr layer_;
};

}  // namespace keras::layers
