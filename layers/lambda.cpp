// Lambda: a C++ callable as a layer, saved only when registered by name.
#include <nlohmann/json.hpp>

#include "keras/layers/misc.hpp"
#include "keras/layers/registry.hpp"
#include "keras/registry.hpp"
#include "saving/config_utils.hpp"

namespace keras::layers {

namespace {
struct LambdaEntry {
  LambdaFn fn;
  LambdaShapeFn shape_fn;
};
registry::Registry<LambdaEntry>& functions() {
  static auto& r = registry::make<LambdaEntry>("Lambda function");
  return r;
}
}  // namespace

void register_lambda_function(const std::string& name, LambdaFn fn, LambdaShapeFn output_shape, bool replace) {
  KERAS_CHECK(!name.empty() && fn, ValueError, "register_lambda_function: expected a name and a callable; received name '",
              name, "'", fn ? "" : " and an empty callable");
  functions().add_user(name, name, LambdaEntry{std::move(fn), std::move(output_shape)}, replace);
}

bool is_lambda_function_registered(const std::string& name) { return functions().contains(name); }

Lambda::Lambda(LambdaFn fn, LambdaShapeFn output_shape, std::string name)
    : Layer(name.empty() ? unique_name("lambda") : std::move(name)), fn_(std::move(fn)),
      shape_fn_(std::move(output_shape)) {
  KERAS_CHECK(fn_, ValueError, "Lambda \"", name_, "\": the function is empty");
  supports_masking_ = true;
}

Lambda::Lambda(const std::string& function_name, std::string name)
    : Layer(name.empty() ? unique_name("lambda") : std::move(name)), function_name_(function_name) {
  LambdaEntry e = functions().at(function_name);
  fn_ = e.fn;
  shape_fn_ = e.shape_fn;
  supports_masking_ = true;
}

Tensor Lambda::call(const Tensor& x, bool) { return fn_(x); }

Shape Lambda::compute_output_shape(const Shape& s) const {
  if (shape_fn_) return shape_fn_(s);
  if (fixed_shape_) {
    Shape o{s.empty() ? -1 : s[0]};
    o.insert(o.end(), fixed_shape_->begin(), fixed_shape_->end());
    return o;
  }
  return s;
}

nlohmann::json Lambda::get_config() const {
  KERAS_CHECK(!function_name_.empty(), ValueError, "Lambda layer \"", name_,
              "\" cannot be serialized: its function is a C++ callable without a name. Register it with "
              "keras::layers::register_lambda_function(\"package>name\", fn) and build the layer as "
              "Lambda(\"package>name\") to save it");
  auto c = Layer::get_config();
  // Keras 3's form for a function registered with register_keras_serializable.
  c["function"] = {{"module", "builtins"}, {"class_name", "function"}, {"config", function_name_},
                   {"registered_name", "function"}};
  c["output_shape"] = fixed_shape_ ? saving::shape_to_json(*fixed_shape_) : nlohmann::json();
  c["arguments"] = nlohmann::json::object();
  return c;
}

namespace {
std::shared_ptr<Layer> lambda_from_config(const nlohmann::json& c) {
  std::string name = saving::name_from_config(c);
  KERAS_CHECK(c.contains("function"), ValueError, "Layer \"", name, "\" (Lambda): the config has no \"function\"");
  const nlohmann::json& f = c["function"];
  std::string fn_name;
  if (f.is_object() && f.value("class_name", "") == "function" && f.contains("config") && f["config"].is_string())
    fn_name = f["config"].get<std::string>();
  else if (f.is_string())
    fn_name = f.get<std::string>();
  KERAS_CHECK(!fn_name.empty(), ValueError, "Layer \"", name,
              "\" (Lambda): its function is Python code (", f.value("class_name", std::string("?")),
              "), which cannot run here; register a C++ function under a name with "
              "keras::layers::register_lambda_function and save the model with that name");
  KERAS_CHECK(is_lambda_function_registered(fn_name), ValueError, "Layer \"", name, "\" (Lambda): function '",
              fn_name, "' is not registered; call keras::layers::register_lambda_function(\"", fn_name,
              "\", fn) before loading");
  if (c.contains("arguments") && !c["arguments"].is_null())
    KERAS_CHECK(c["arguments"].empty(), ValueError, "Layer \"", name,
                "\" (Lambda): arguments are not supported; received ", c["arguments"].dump());
  auto l = std::make_shared<Lambda>(fn_name, name);
  if (c.contains("output_shape") && c["output_shape"].is_array())
    l->set_output_shape(saving::shape_from_json(c["output_shape"], "Lambda output_shape"));
  saving::apply_common(*l, c);
  return l;
}
}  // namespace

KERAS_REGISTER_BUILTIN_LAYER(Lambda, lambda_from_config);

}  // namespace keras::layers
