// Convolution layers: weights in Keras's layouts, computation by keras::ops
// (which records the gradients).
#include "keras/layers/conv.hpp"

#include "keras/layers/pooling.hpp"

#include <nlohmann/json.hpp>

#include "keras/layers/registry.hpp"
#include "keras/ops.hpp"
#include "layers/penalties.hpp"
#include "layers/spatial_util.hpp"

namespace keras::layers {
using namespace spatial;

std::vector<int> Ints::expand(int rank, const char* what, const std::string& layer) const {
  KERAS_CHECK(v.size() == 1 || static_cast<int>(v.size()) == rank, ValueError, "Layer \"", layer, "\": ", what,
              " must be one integer or ", rank, " integers, received ", v.size(), " values");
  std::vector<int> out(rank, v.empty() ? 0 : v[0]);
  if (v.size() > 1) out = v;
  for (int x : out)
    KERAS_CHECK(x > 0, ValueError, "Layer \"", layer, "\": ", what, " values must be positive, received ", x);
  return out;
}

namespace {

// Checks the input rank and channel count of an N-D convolution input.
void check_conv_input(const std::string& layer, const Shape& s, int rank, std::int64_t channels) {
  const char* layout = rank == 1 ? "(batch, steps, channels)" : "(batch, height, width, channels)";
  KERAS_CHECK(static_cast<int>(s.size()) == rank + 2, ValueError, "Input 0 of layer \"", layer,
              "\" is incompatible with the layer: expected rank ", rank + 2, " ", layout, ", received shape ",
              shape_str(s));
  KERAS_CHECK(s.back() > 0, ValueError, "Layer \"", layer, "\": the channel dimension of the input must be known, received shape ",
              shape_str(s));
  if (channels > 0)
    KERAS_CHECK(s.back() == channels, ValueError, "Input 0 of layer \"", layer, "\" is incompatible with the layer: expected ",
                channels, " channels, received shape ", shape_str(s));
}

// Output spatial sizes for a window of `k` with dilation `d` and strides `s`.
Shape conv_output_shape(const std::string& layer, const Shape& in, const std::vector<int>& k,
                        const std::vector<int>& s, const std::vector<int>& d, const std::string& padding,
                        std::int64_t channels) {
  Shape out{in[0]};
  for (std::size_t a = 0; a < k.size(); ++a)
    out.push_back(out_size(layer, padding, in[1 + a], std::int64_t(k[a] - 1) * d[a] + 1, s[a], in, "kernel"));
  out.push_back(channels);
  return out;
}

nlohmann::json conv_common(nlohmann::json c, const std::vector<int>& k, const std::vector<int>& s,
                           const std::string& padding, const std::vector<int>& d,
                           const activations::Activation& act, bool use_bias) {
  c["kernel_size"] = ints(k);
  c["strides"] = ints(s);
  c["padding"] = padding;
  c["data_format"] = "channels_last";
  c["dilation_rate"] = ints(d);
  c["activation"] = act.name;
  c["use_bias"] = use_bias;
  return c;
}


}  // namespace

// ---- Conv1D / Conv2D ----

Conv::Conv(int rank, const char* prefix, int filters, Ints kernel_size, activations::Activation activation,
           ConvOptions o)
    : Layer(o.name.empty() ? unique_name(prefix) : o.name), rank_(rank), filters_(filters),
      activation_(std::move(activation)), o_(std::move(o)) {
  activity_regularizer_ = o_.activity_regularizer.ptr;
  KERAS_CHECK(filters > 0, ValueError, "Layer \"", name_, "\": filters must be a positive integer, received ", filters);
  kernel_size_ = kernel_size.expand(rank, "kernel_size", name_);
  strides_ = o_.strides.expand(rank, "strides", name_);
  dilation_ = o_.dilation_rate.expand(rank, "dilation_rate", name_);
  check_padding(name_, o_.padding, rank == 1);
  KERAS_CHECK(o_.groups > 0 && filters % o_.groups == 0, ValueError, "Layer \"", name_, "\": filters (", filters,
              ") must be divisible by groups (", o_.groups, ")");
}

void Conv::build(const Shape& s) {
  check_conv_input(name_, s, rank_, 0);
  KERAS_CHECK(s.back() % o_.groups == 0, ValueError, "Layer \"", name_, "\": the input's ", s.back(),
              " channels are not divisible by groups (", o_.groups, "), input shape ", shape_str(s));
  conv_output_shape(name_, s, kernel_size_, strides_, dilation_, o_.padding, filters_);
  Shape ks(kernel_size_.begin(), kernel_size_.end());
  ks.push_back(s.back() / o_.groups);
  ks.push_back(filters_);
  kernel_ = add_weight("kernel", ks, o_.kernel_initializer, true, o_.kernel_regularizer, o_.kernel_constraint);
  if (o_.use_bias)
    bias_ = add_weight("bias", {filters_}, o_.bias_initializer, true, o_.bias_regularizer, o_.bias_constraint);
}

Tensor Conv::call(const Tensor& x, bool) {
  const std::int64_t cin = kernel_.shape()[rank_] * o_.groups;
  check_conv_input(name_, x.shape(), rank_, cin);
  conv_output_shape(name_, x.shape(), kernel_size_, strides_, dilation_, o_.padding, filters_);
  Tensor y = ops::conv(x, kernel_.value(), strides_, o_.padding, dilation_);
  if (o_.use_bias) y = ops::add(y, bias_.value());
  return activation_(y);
}

Shape Conv::compute_output_shape(const Shape& s) const {
  check_conv_input(name_, s, rank_, 0);
  return conv_output_shape(name_, s, kernel_size_, strides_, dilation_, o_.padding, filters_);
}

nlohmann::json Conv::get_config() const {
  auto c = conv_common(Layer::get_config(), kernel_size_, strides_, o_.padding, dilation_, activation_, o_.use_bias);
  c["filters"] = filters_;
  c["groups"] = o_.groups;
  c["kernel_initializer"] = init_json(o_.kernel_initializer);
  c["bias_initializer"] = init_json(o_.bias_initializer);
  detail::put(c, "kernel_regularizer", o_.kernel_regularizer);
  detail::put(c, "bias_regularizer", o_.bias_regularizer);
  detail::put(c, "activity_regularizer", o_.activity_regularizer);
  detail::put(c, "kernel_constraint", o_.kernel_constraint);
  detail::put(c, "bias_constraint", o_.bias_constraint);
  return c;
}

// ---- Conv2DTranspose ----

Conv2DTranspose::Conv2DTranspose(int filters, Ints kernel_size, activations::Activation activation,
                                 Conv2DTransposeOptions o)
    : Layer(o.name.empty() ? unique_name("conv2d_transpose") : o.name), filters_(filters),
      activation_(std::move(activation)), o_(std::move(o)) {
  activity_regularizer_ = o_.activity_regularizer.ptr;
  KERAS_CHECK(filters > 0, ValueError, "Layer \"", name_, "\": filters must be a positive integer, received ", filters);
  kernel_size_ = kernel_size.expand(2, "kernel_size", name_);
  strides_ = o_.strides.expand(2, "strides", name_);
  dilation_ = o_.dilation_rate.expand(2, "dilation_rate", name_);
  check_padding(name_, o_.padding, false);
  if (o_.output_padding.size() == 1) o_.output_padding.push_back(o_.output_padding[0]);
  KERAS_CHECK(o_.output_padding.empty() || o_.output_padding.size() == 2, ValueError, "Layer \"", name_,
              "\": output_padding must have 1 or 2 values");
}

void Conv2DTranspose::build(const Shape& s) {
  check_conv_input(name_, s, 2, 0);
  compute_output_shape(s);
  kernel_ = add_weight("kernel", {kernel_size_[0], kernel_size_[1], filters_, s.back()}, o_.kernel_initializer, true,
                       o_.kernel_regularizer, o_.kernel_constraint);
  if (o_.use_bias)
    bias_ = add_weight("bias", {filters_}, o_.bias_initializer, true, o_.bias_regularizer, o_.bias_constraint);
}

Tensor Conv2DTranspose::call(const Tensor& x, bool) {
  check_conv_input(name_, x.shape(), 2, kernel_.shape()[3]);
  Tensor y = ops::conv_transpose(x, kernel_.value(), strides_, o_.padding, o_.output_padding, dilation_);
  if (o_.use_bias) y = ops::add(y, bias_.value());
  return activation_(y);
}

Shape Conv2DTranspose::compute_output_shape(const Shape& s) const {
  check_conv_input(name_, s, 2, 0);
  Shape out{s[0]};
  for (int a = 0; a < 2; ++a) {
    const std::int64_t in = s[1 + a], k = std::int64_t(kernel_size_[a] - 1) * dilation_[a] + 1, st = strides_[a];
    if (in < 0) {
      out.push_back(-1);
    } else if (o_.output_padding.empty()) {
      out.push_back(o_.padding == "same" ? in * st : in * st + std::max<std::int64_t>(k - st, 0));
    } else {
      out.push_back((in - 1) * st + k + o_.output_padding[a] - (o_.padding == "same" ? 2 * (k / 2) : 0));
    }
  }
  out.push_back(filters_);
  return out;
}

nlohmann::json Conv2DTranspose::get_config() const {
  auto c = conv_common(Layer::get_config(), kernel_size_, strides_, o_.padding, dilation_, activation_, o_.use_bias);
  c["filters"] = filters_;
  c["output_padding"] = o_.output_padding.empty() ? nlohmann::json(nullptr) : ints(o_.output_padding);
  c["kernel_initializer"] = init_json(o_.kernel_initializer);
  c["bias_initializer"] = init_json(o_.bias_initializer);
  detail::put(c, "kernel_regularizer", o_.kernel_regularizer);
  detail::put(c, "bias_regularizer", o_.bias_regularizer);
  detail::put(c, "activity_regularizer", o_.activity_regularizer);
  detail::put(c, "kernel_constraint", o_.kernel_constraint);
  detail::put(c, "bias_constraint", o_.bias_constraint);
  return c;
}

// ---- DepthwiseConv2D ----

DepthwiseConv2D::DepthwiseConv2D(Ints kernel_size, activations::Activation activation, DepthwiseConv2DOptions o)
    : Layer(o.name.empty() ? unique_name("depthwise_conv2d") : o.name), activation_(std::move(activation)),
      o_(std::move(o)) {
  activity_regularizer_ = o_.activity_regularizer.ptr;
  kernel_size_ = kernel_size.expand(2, "kernel_size", name_);
  strides_ = o_.strides.expand(2, "strides", name_);
  dilation_ = o_.dilation_rate.expand(2, "dilation_rate", name_);
  check_padding(name_, o_.padding, false);
  KERAS_CHECK(o_.depth_multiplier > 0, ValueError, "Layer \"", name_, "\": depth_multiplier must be positive, received ",
              o_.depth_multiplier);
}

void DepthwiseConv2D::build(const Shape& s) {
  check_conv_input(name_, s, 2, 0);
  compute_output_shape(s);
  kernel_ = add_weight("kernel", {kernel_size_[0], kernel_size_[1], s.back(), o_.depth_multiplier},
                       o_.depthwise_initializer, true, o_.depthwise_regularizer, o_.depthwise_constraint);
  if (o_.use_bias)
    bias_ = add_weight("bias", {s.back() * o_.depth_multiplier}, o_.bias_initializer, true, o_.bias_regularizer,
                       o_.bias_constraint);
}

Tensor DepthwiseConv2D::call(const Tensor& x, bool) {
  check_conv_input(name_, x.shape(), 2, kernel_.shape()[2]);
  compute_output_shape(x.shape());
  Tensor y = ops::depthwise_conv(x, kernel_.value(), strides_, o_.padding, dilation_);
  if (o_.use_bias) y = ops::add(y, bias_.value());
  return activation_(y);
}

Shape DepthwiseConv2D::compute_output_shape(const Shape& s) const {
  check_conv_input(name_, s, 2, 0);
  return conv_output_shape(name_, s, kernel_size_, strides_, dilation_, o_.padding, s.back() * o_.depth_multiplier);
}

nlohmann::json DepthwiseConv2D::get_config() const {
  auto c = conv_common(Layer::get_config(), kernel_size_, strides_, o_.padding, dilation_, activation_, o_.use_bias);
  c["depth_multiplier"] = o_.depth_multiplier;
  c["depthwise_initializer"] = init_json(o_.depthwise_initializer);
  c["bias_initializer"] = init_json(o_.bias_initializer);
  detail::put(c, "depthwise_regularizer", o_.depthwise_regularizer);
  detail::put(c, "bias_regularizer", o_.bias_regularizer);
  detail::put(c, "activity_regularizer", o_.activity_regularizer);
  detail::put(c, "depthwise_constraint", o_.depthwise_constraint);
  detail::put(c, "bias_constraint", o_.bias_constraint);
  return c;
}

// ---- SeparableConv2D ----

SeparableConv2D::SeparableConv2D(int filters, Ints kernel_size, activations::Activation activation,
                                 SeparableConv2DOptions o)
    : Layer(o.name.empty() ? unique_name("separable_conv2d") : o.name), filters_(filters),
      activation_(std::move(activation)), o_(std::move(o)) {
  activity_regularizer_ = o_.activity_regularizer.ptr;
  KERAS_CHECK(filters > 0, ValueError, "Layer \"", name_, "\": filters must be a positive integer, received ", filters);
  kernel_size_ = kernel_size.expand(2, "kernel_size", name_);
  strides_ = o_.strides.expand(2, "strides", name_);
  dilation_ = o_.dilation_rate.expand(2, "dilation_rate", name_);
  check_padding(name_, o_.padding, false);
  KERAS_CHECK(o_.depth_multiplier > 0, ValueError, "Layer \"", name_, "\": depth_multiplier must be positive, received ",
              o_.depth_multiplier);
}

void SeparableConv2D::build(const Shape& s) {
  check_conv_input(name_, s, 2, 0);
  compute_output_shape(s);
  const std::int64_t mid = s.back() * o_.depth_multiplier;
  depthwise_ = add_weight("depthwise_kernel", {kernel_size_[0], kernel_size_[1], s.back(), o_.depth_multiplier},
                          o_.depthwise_initializer, true, o_.depthwise_regularizer, o_.depthwise_constraint);
  pointwise_ = add_weight("pointwise_kernel", {1, 1, mid, filters_}, o_.pointwise_initializer, true,
                          o_.pointwise_regularizer, o_.pointwise_constraint);
  if (o_.use_bias)
    bias_ = add_weight("bias", {filters_}, o_.bias_initializer, true, o_.bias_regularizer, o_.bias_constraint);
}

Tensor SeparableConv2D::call(const Tensor& x, bool) {
  check_conv_input(name_, x.shape(), 2, depthwise_.shape()[2]);
  compute_output_shape(x.shape());
  Tensor y = ops::depthwise_conv(x, depthwise_.value(), strides_, o_.padding, dilation_);
  y = ops::conv(y, pointwise_.value());
  if (o_.use_bias) y = ops::add(y, bias_.value());
  return activation_(y);
}

Shape SeparableConv2D::compute_output_shape(const Shape& s) const {
  check_conv_input(name_, s, 2, 0);
  return conv_output_shape(name_, s, kernel_size_, strides_, dilation_, o_.padding, filters_);
}

nlohmann::json SeparableConv2D::get_config() const {
  auto c = conv_common(Layer::get_config(), kernel_size_, strides_, o_.padding, dilation_, activation_, o_.use_bias);
  c["filters"] = filters_;
  c["depth_multiplier"] = o_.depth_multiplier;
  c["depthwise_initializer"] = init_json(o_.depthwise_initializer);
  c["pointwise_initializer"] = init_json(o_.pointwise_initializer);
  c["bias_initializer"] = init_json(o_.bias_initializer);
  detail::put(c, "depthwise_regularizer", o_.depthwise_regularizer);
  detail::put(c, "pointwise_regularizer", o_.pointwise_regularizer);
  detail::put(c, "bias_regularizer", o_.bias_regularizer);
  detail::put(c, "activity_regularizer", o_.activity_regularizer);
  detail::put(c, "depthwise_constraint", o_.depthwise_constraint);
  detail::put(c, "pointwise_constraint", o_.pointwise_constraint);
  detail::put(c, "bias_constraint", o_.bias_constraint);
  return c;
}

// ---- from_config ----
namespace {

template <class L>
std::shared_ptr<Layer> finish(std::shared_ptr<L> l, const nlohmann::json& c) {
  l->set_trainable(value_or(c, "trainable", true));
  return l;
}

ConvOptions conv_options(const nlohmann::json& c) {
  ConvOptions o;
  o.strides = read_ints(c.value("strides", nlohmann::json(1)));
  o.padding = value_or<std::string>(c, "padding", "valid");
  o.dilation_rate = read_ints(c.value("dilation_rate", nlohmann::json(1)));
  o.groups = value_or(c, "groups", 1);
  o.use_bias = value_or(c, "use_bias", true);
  o.kernel_initializer = read_init(c, "kernel_initializer", "glorot_uniform");
  o.bias_initializer = read_init(c, "bias_initializer", "zeros");
  o.kernel_regularizer = saving::read_regularizer(c, "kernel_regularizer");
  o.bias_regularizer = saving::read_regularizer(c, "bias_regularizer");
  o.activity_regularizer = saving::read_regularizer(c, "activity_regularizer");
  o.kernel_constraint = saving::read_constraint(c, "kernel_constraint");
  o.bias_constraint = saving::read_constraint(c, "bias_constraint");
  o.name = name_of(c);
  return o;
}

template <class L>
std::shared_ptr<Layer> conv_from_config(const nlohmann::json& c) {
  return finish(std::make_shared<L>(c.at("filters").get<int>(), read_ints(c.at("kernel_size")),
                                    read_activation(c), conv_options(c)),
                c);
}

}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(Conv1D, conv_from_config<Conv1D>);
KERAS_REGISTER_BUILTIN_LAYER(Conv2D, conv_from_config<Conv2D>);
KERAS_REGISTER_BUILTIN_LAYER(Conv2DTranspose, [](const nlohmann::json& c) {
  Conv2DTransposeOptions o;
  o.strides = read_ints(c.value("strides", nlohmann::json(1)));
  o.padding = value_or<std::string>(c, "padding", "valid");
  if (c.contains("output_padding") && !c.at("output_padding").is_null()) o.output_padding = read_ints(c.at("output_padding"));
  o.dilation_rate = read_ints(c.value("dilation_rate", nlohmann::json(1)));
  o.use_bias = value_or(c, "use_bias", true);
  o.kernel_initializer = read_init(c, "kernel_initializer", "glorot_uniform");
  o.bias_initializer = read_init(c, "bias_initializer", "zeros");
  o.kernel_regularizer = saving::read_regularizer(c, "kernel_regularizer");
  o.bias_regularizer = saving::read_regularizer(c, "bias_regularizer");
  o.activity_regularizer = saving::read_regularizer(c, "activity_regularizer");
  o.kernel_constraint = saving::read_constraint(c, "kernel_constraint");
  o.bias_constraint = saving::read_constraint(c, "bias_constraint");
  o.name = name_of(c);
  return finish(std::make_shared<Conv2DTranspose>(c.at("filters").get<int>(), read_ints(c.at("kernel_size")),
                                                  read_activation(c), o),
                c);
});
KERAS_REGISTER_BUILTIN_LAYER(DepthwiseConv2D, [](const nlohmann::json& c) {
  DepthwiseConv2DOptions o;
  o.strides = read_ints(c.value("strides", nlohmann::json(1)));
  o.padding = value_or<std::string>(c, "padding", "valid");
  o.depth_multiplier = value_or(c, "depth_multiplier", 1);
  o.dilation_rate = read_ints(c.value("dilation_rate", nlohmann::json(1)));
  o.use_bias = value_or(c, "use_bias", true);
  o.depthwise_initializer = read_init(c, "depthwise_initializer", "glorot_uniform");
  o.bias_initializer = read_init(c, "bias_initializer", "zeros");
  o.depthwise_regularizer = saving::read_regularizer(c, "depthwise_regularizer");
  o.bias_regularizer = saving::read_regularizer(c, "bias_regularizer");
  o.activity_regularizer = saving::read_regularizer(c, "activity_regularizer");
  o.depthwise_constraint = saving::read_constraint(c, "depthwise_constraint");
  o.bias_constraint = saving::read_constraint(c, "bias_constraint");
  o.name = name_of(c);
  return finish(std::make_shared<DepthwiseConv2D>(read_ints(c.at("kernel_size")), read_activation(c), o), c);
});
KERAS_REGISTER_BUILTIN_LAYER(SeparableConv2D, [](const nlohmann::json& c) {
  SeparableConv2DOptions o;
  o.strides = read_ints(c.value("strides", nlohmann::json(1)));
  o.padding = value_or<std::string>(c, "padding", "valid");
  o.depth_multiplier = value_or(c, "depth_multiplier", 1);
  o.dilation_rate = read_ints(c.value("dilation_rate", nlohmann::json(1)));
  o.use_bias = value_or(c, "use_bias", true);
  o.depthwise_initializer = read_init(c, "depthwise_initializer", "glorot_uniform");
  o.pointwise_initializer = read_init(c, "pointwise_initializer", "glorot_uniform");
  o.bias_initializer = read_init(c, "bias_initializer", "zeros");
  o.depthwise_regularizer = saving::read_regularizer(c, "depthwise_regularizer");
  o.pointwise_regularizer = saving::read_regularizer(c, "pointwise_regularizer");
  o.bias_regularizer = saving::read_regularizer(c, "bias_regularizer");
  o.activity_regularizer = saving::read_regularizer(c, "activity_regularizer");
  o.depthwise_constraint = saving::read_constraint(c, "depthwise_constraint");
  o.pointwise_constraint = saving::read_constraint(c, "pointwise_constraint");
  o.bias_constraint = saving::read_constraint(c, "bias_constraint");
  o.name = name_of(c);
  return finish(std::make_shared<SeparableConv2D>(c.at("filters").get<int>(), read_ints(c.at("kernel_size")),
                                                  read_activation(c), o),
                c);
});

}  // namespace keras::layers
