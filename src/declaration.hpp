// How a model was declared: with the functional API, or as a Sequential
// list of layers. Both run through the same executor; the declaration
// decides only the Keras class name, the config's shape, and (Sequential)
// recording the graph once the input shape is known. A model holds it by
// pointer, so a Sequential copied into a keras::Model stays a Sequential.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "keras/models.hpp"

namespace keras::detail {

class Declaration {
 public:
  virtual ~Declaration() = default;
  virtual std::string class_name() const = 0;
  virtual bool functional() const = 0;
  virtual nlohmann::json config(const Model& m) const = 0;
  // Records the graph for an input shape (batch -1) if it is not recorded.
  virtual void build(Model& m, const Shape& input_shape) const = 0;

  static std::shared_ptr<const Declaration> functional_api();
  static std::shared_ptr<const Declaration> sequential_list();
};

}  // namespace keras::detail
