// The op nodes Keras 3.15 writes into functional configs to compute masks
// (Embedding(mask_zero=True) -> NotEqual(x, 0); Masking -> NotEqual, Any),
// which it then passes to the next layer as its `mask` argument. Masks
// here flow from the layers that create them (compute_mask), so those
// nodes compute the same mask a second time; they are read so that such
// files load, and compute x != 0 and any(x, axis) as Keras's ops do.
#include <nlohmann/json.hpp>

#include "keras/layers/layer.hpp"
#include "keras/layers/registry.hpp"
#include "keras/ops.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {
namespace {

using saving::json;

class NotEqual : public Layer {
 public:
  explicit NotEqual(std::string name) : Layer(std::move(name)) {}
  KERAS_LAYER_CLASS(NotEqual)
  Tensor call(const Tensor& x, bool) override { return ops::not_equal(x, ops::zeros({}, x.dtype())); }
};

class Any : public Layer {
 public:
  Any(std::string name, int axis, bool keepdims) : Layer(std::move(name)), axis_(axis), keepdims_(keepdims) {}
  KERAS_LAYER_CLASS(Any)
  Tensor call(const Tensor& x, bool) override {
    Tensor m = ops::max(ops::cast(x, float32), {axis_}, keepdims_);
    return ops::greater(m, ops::zeros({}, float32));
  }
  Shape compute_output_shape(const Shape& s) const override {
    Shape o = s;
    const int a = axis_ < 0 ? axis_ + static_cast<int>(s.size()) : axis_;
    if (keepdims_) o[static_cast<std::size_t>(a)] = 1;
    else o.erase(o.begin() + a);
    return o;
  }
  nlohmann::json get_config() const override { return {{"name", name_}, {"axis", axis_}, {"keepdims", keepdims_}}; }

 private:
  int axis_;
  bool keepdims_;
};

std::shared_ptr<Layer> any_from(const json& c) {
  int axis = c.contains("axis") && c["axis"].is_number_integer() ? c["axis"].get<int>() : -1;
  return std::make_shared<Any>(saving::name_of(c), axis, saving::value_or(c, "keepdims", false));
}

}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(NotEqual, [](const json& c) -> std::shared_ptr<Layer> {
  return std::make_shared<NotEqual>(saving::name_of(c));
});
KERAS_REGISTER_BUILTIN_LAYER(Any, any_from);

}  // namespace keras::layers
