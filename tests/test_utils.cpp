// keras::utils::to_categorical against a plain-loop one-hot reference.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "keras/errors.hpp"
#include "keras/utils.hpp"

using keras::Shape;
using keras::Tensor;

namespace {

// One-hot of flat labels, written independently of the library.
std::vector<float> one_hot_reference(const std::vector<std::int64_t>& labels, std::int64_t k) {
  std::vector<float> out(labels.size() * k, 0.0f);
  for (std::size_t i = 0; i < labels.size(); ++i) out[i * k + labels[i]] = 1.0f;
  return out;
}

void check_one_hot(const Tensor& t, const Shape& shape, const std::vector<std::int64_t>& labels,
                   std::int64_t k) {
  CHECK(t.dtype() == keras::float32);
  REQUIRE(t.shape() == shape);
  CHECK(t.to_vector<float>() == one_hot_reference(labels, k));
}

std::string value_error(const Tensor& y, std::int64_t k) {
  try {
    keras::utils::to_categorical(y, k);
  } catch (const keras::ValueError& e) {
    return e.what();
  }
  FAIL("expected keras::ValueError");
  return {};
}

}  // namespace

TEST_CASE("utils to_categorical one-hot encodes integer labels") {
  const std::vector<std::int64_t> labels = {0, 2, 1, 2, 4};
  const Tensor y(Shape{5}, labels);
  check_one_hot(keras::utils::to_categorical(y), {5, 5}, labels, 5);  // inferred: max + 1
  check_one_hot(keras::utils::to_categorical(y, 7), {5, 7}, labels, 7);

  // Every integer dtype, and floats holding whole numbers.
  const Tensor y32(Shape{5}, std::vector<std::int32_t>{0, 2, 1, 2, 4});
  const Tensor y8(Shape{5}, std::vector<std::uint8_t>{0, 2, 1, 2, 4});
  const Tensor yf(Shape{5}, std::vector<float>{0, 2, 1, 2, 4});
  for (const Tensor* t : {&y32, &y8, &yf}) check_one_hot(keras::utils::to_categorical(*t, 5), {5, 5}, labels, 5);
}

TEST_CASE("utils to_categorical shapes follow Keras") {
  const std::vector<std::int64_t> labels = {3, 0, 1, 1, 2, 0};
  // (n, 1) -> (n, k): the trailing 1 is replaced, as in Keras.
  check_one_hot(keras::utils::to_categorical(Tensor(Shape{6, 1}, labels), 4), {6, 4}, labels, 4);
  // Other shapes gain a trailing axis.
  check_one_hot(keras::utils::to_categorical(Tensor(Shape{2, 3}, labels), 4), {2, 3, 4}, labels, 4);
  const Tensor scalar = Tensor(Shape{}, std::vector<std::int64_t>{2});
  check_one_hot(keras::utils::to_categorical(scalar, 3), {3}, {2}, 3);
  // A (1,) label keeps its axis: only a trailing 1 after another axis goes.
  check_one_hot(keras::utils::to_categorical(Tensor(Shape{1}, std::vector<std::int64_t>{1}), 2),
                {1, 2}, {1}, 2);
}

TEST_CASE("utils to_categorical errors name the offending label") {
  const Tensor y(Shape{4}, std::vector<std::int64_t>{1, 0, 5, 2});
  std::string m = value_error(y, 3);
  CHECK(m.find("[0, 3)") != std::string::npos);
  CHECK(m.find("y[2]=5") != std::string::npos);

  m = value_error(Tensor(Shape{3}, std::vector<std::int32_t>{0, -1, 1}), -1);
  CHECK(m.find("y[1]=-1") != std::string::npos);

  m = value_error(Tensor(Shape{2}, std::vector<float>{1.0f, 2.5f}), 4);
  CHECK(m.find("whole numbers") != std::string::npos);
  CHECK(m.find("2.5") != std::string::npos);

  m = value_error(y, 0);
  CHECK(m.find("num_classes=0") != std::string::npos);

  m = value_error(Tensor(Shape{0}, std::vector<std::int64_t>{}), -1);
  CHECK(m.find("empty") != std::string::npos);

  CHECK_THROWS_AS(keras::utils::to_categorical(Tensor::zeros({2}, keras::bool_)), keras::TypeError);
}
