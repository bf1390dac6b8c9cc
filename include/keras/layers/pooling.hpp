// Pooling layers (channels-last): MaxPooling1D/2D, AveragePooling1D/2D and
// the global poolings. strides default to pool_size, as in Keras.
//
//   keras::layers::MaxPooling2D(2)
//   keras::layers::AveragePooling2D({3, 3}, {.strides = 2, .padding = "same"})
#pragma once
#include <string>
#include <vector>

#include "keras/layers/conv.hpp"
#include "keras/layers/layer.hpp"

namespace keras::layers {

struct PoolingOptions {
  std::vector<int> strides;  // empty: pool_size (Keras's None)
  std::string padding = "valid";
  std::string name;
};

// Base of the windowed pooling layers (rank 1 or 2).
class Pooling : public Layer {
 public:
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  const std::vector<int>& pool_size() const { return pool_size_; }
  const std::vector<int>& strides() const { return strides_; }
  const std::string& padding() const { return padding_; }
  bool is_max() const { return max_; }
  int rank() const { return rank_; }

 protected:
  Pooling(int rank, bool max, const char* prefix, Ints pool_size, PoolingOptions o);
  void check(const Shape& s) const;
  int rank_;
  bool max_;
  std::vector<int> pool_size_, strides_;
  std::string padding_;
};

#define KERAS_POOLING_LAYER(Name, rank, max, prefix, default_size)                    \
  class Name : public Pooling {                                                       \
   public:                                                                            \
    explicit Name(Ints pool_size = default_size, PoolingOptions o = {})               \
        : Pooling(rank, max, prefix, std::move(pool_size), std::move(o)) {}           \
    KERAS_LAYER_CLASS(Name)                                                           \
  };
KERAS_POOLING_LAYER(MaxPooling1D, 1, true, "max_pooling1d", 2)
KERAS_POOLING_LAYER(MaxPooling2D, 2, true, "max_pooling2d", 2)
KERAS_POOLING_LAYER(AveragePooling1D, 1, false, "average_pooling1d", 2)
KERAS_POOLING_LAYER(AveragePooling2D, 2, false, "average_pooling2d", 2)
#undef KERAS_POOLING_LAYER

// Max or mean over all spatial axes: (N, ..., C) -> (N, C), or keeping
// size-1 spatial axes when keepdims.
class GlobalPooling : public Layer {
 public:
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  GlobalPooling(int rank, bool max, const char* prefix, bool keepdims, std::string name);
  void check(const Shape& s) const;
  int rank_;
  bool max_, keepdims_;
};

#define KERAS_GLOBAL_POOLING_LAYER(Name, rank, max, prefix)                                 \
  class Name : public GlobalPooling {                                                       \
   public:                                                                                  \
    explicit Name(bool keepdims = false, std::string name = "")                             \
        : GlobalPooling(rank, max, prefix, keepdims, std::move(name)) {}                    \
    KERAS_LAYER_CLASS(Name)                                                                 \
  };
KERAS_GLOBAL_POOLING_LAYER(GlobalMaxPooling1D, 1, true, "global_max_pooling1d")
KERAS_GLOBAL_POOLING_LAYER(GlobalMaxPooling2D, 2, true, "global_max_pooling2d")
KERAS_GLOBAL_POOLING_LAYER(GlobalAveragePooling1D, 1, false, "global_average_pooling1d")
KERAS_GLOBAL_POOLING_LAYER(GlobalAveragePooling2D, 2, false, "global_average_pooling2d")
#undef KERAS_GLOBAL_POOLING_LAYER

}  // namespace keras::layers
