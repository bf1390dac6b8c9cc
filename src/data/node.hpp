// Internal: the nodes of a Dataset pipeline and helpers shared by the ops.
#pragma once
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "keras/data.hpp"
#include "keras/errors.hpp"

namespace keras::data::detail {

// One op of a pipeline. Nodes are immutable once made (shared by every
// Dataset built on them); iterate() starts one pass.
class Node {
 public:
  virtual ~Node() = default;
  virtual std::unique_ptr<Iterator> iterate() const = 0;
  virtual std::int64_t cardinality() const = 0;
  // A faster batch(b, drop) of this node's elements, or nullptr (the
  // general path): slices batch as row views, and a shuffle whose buffer
  // holds all the slices as a permutation gather.
  virtual std::unique_ptr<Iterator> iterate_batched(std::int64_t /*b*/, bool /*drop*/) const { return nullptr; }
  // The tensors a from_tensor_slices node slices, or nullptr.
  virtual const std::vector<Tensor>* slice_source() const { return nullptr; }
};

// Batches of rows of `ts`: in order (rows empty) or in the order of `rows`.
std::unique_ptr<Iterator> row_batches(const std::vector<Tensor>& ts, std::vector<std::int64_t> rows, std::int64_t b,
                                      bool drop);

// Runs a user function; an exception leaves as the same keras kind (any
// other std::exception as RuntimeError), its message prefixed with the op,
// and the original nested.
template <class F>
auto call_user(const char* op, F&& f) -> decltype(f()) {
  auto msg = [&](const std::exception& e) {
    return keras::detail::cat("Dataset.", op, ": the user function raised: ", e.what());
  };
  try {
    return f();
  } catch (const TypeError& e) {
    std::throw_with_nested(TypeError(msg(e)));
  } catch (const ValueError& e) {
    std::throw_with_nested(ValueError(msg(e)));
  } catch (const IOError& e) {
    std::throw_with_nested(IOError(msg(e)));
  } catch (const NotImplementedError& e) {
    std::throw_with_nested(NotImplementedError(msg(e)));
  } catch (const std::exception& e) {
    std::throw_with_nested(RuntimeError(msg(e)));
  }
}

// A Dataset over a node made here.
template <class N, class... A>
Dataset make(std::vector<std::string> names, A&&... a) {
  return Dataset(std::make_shared<const N>(std::forward<A>(a)...), std::move(names));
}

// Stacks equal-shaped tensors along a new axis 0 (ValueError naming `op`
// and the shapes otherwise).
Tensor stack_rows(const std::vector<Tensor>& rows, const char* op, std::size_t component);

// A seed for one pass of a random op: `base` mixed with the pass number.
std::uint64_t mix_seed(std::uint64_t base, std::uint64_t pass);

}  // namespace keras::data::detail
