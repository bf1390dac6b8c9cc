// keras.datasets.mnist (mnist.npz), boston_housing and california_housing:
// .npz files of numeric arrays.
#include <tuple>

#include "datasets/common.hpp"
#include "keras/errors.hpp"

namespace keras::datasets {

namespace npy = keras::detail::npy;
using detail::member;

namespace detail {

Split mnist_from_npz(const std::string& path) {
  const auto npz = npy::read_npz(path);
  Split s{npy::to_tensor(member(npz, "x_train", path)), npy::to_tensor(member(npz, "y_train", path)),
          npy::to_tensor(member(npz, "x_test", path)), npy::to_tensor(member(npz, "y_test", path))};
  for (const auto& [x, y, name] : {std::tuple{&s.x_train, &s.y_train, "train"},
                                   std::tuple{&s.x_test, &s.y_test, "test"}})
    KERAS_CHECK(y->ndim() == 1 && x->ndim() >= 1 && x->shape(0) == y->shape(0), IOError, path,
                ": x_", name, " has shape ", shape_str(x->shape()), " but y_", name,
                " has shape ", shape_str(y->shape()), " (expected one label per image)");
  return s;
}

}  // namespace detail

namespace {

// The (x, y) split shared by the housing data sets; `limit` rows are kept
// before shuffling (california's "small" version), -1 for all.
Split housing_split(const std::string& path, double test_split, std::int64_t seed,
                    std::int64_t limit, const char* fn) {
  const auto npz = npy::read_npz(path);
  const npy::Array& x = member(npz, "x", path);
  const npy::Array& y = member(npz, "y", path);
  KERAS_CHECK(x.dtype.kind != 'O' && y.dtype.kind != 'O' && !x.shape.empty() && !y.shape.empty() &&
                  x.shape[0] == y.shape[0],
              IOError, path, ": expected numeric arrays x and y with as many rows; found x of ",
              x.shape.size(), " dimensions (", x.dtype.str(), ") and y of ", y.shape.size(),
              " dimensions (", y.dtype.str(), ")");
  std::int64_t n = x.shape[0];
  if (limit >= 0 && n > limit) n = limit;
  const std::vector<std::int64_t> idx = detail::shuffled_indices(n, seed, fn);
  const npy::Array xs = detail::take_rows(x, idx), ys = detail::take_rows(y, idx);
  const std::int64_t cut = detail::train_count(n, test_split, fn);
  return {detail::row_range(xs, 0, cut), detail::row_range(ys, 0, cut),
          detail::row_range(xs, cut, n), detail::row_range(ys, cut, n)};
}

}  // namespace

namespace boston_housing {
Split load_data(const std::string& path, double test_split, std::int64_t seed) {
  detail::train_count(0, test_split, "boston_housing.load_data");
  return housing_split(find_file(path, std::string(detail::kOrigin) + "boston_housing.npz"),
                       test_split, seed, -1, "boston_housing.load_data");
}
}  // namespace boston_housing

namespace california_housing {
Split load_data(const std::string& version, const std::string& path, double test_split,
                std::int64_t seed) {
  const char* fn = "california_housing.load_data";
  detail::train_count(0, test_split, fn);
  KERAS_CHECK(version == "large" || version == "small", ValueError, fn,
              ": argument version must be one of 'small', 'large'. Received: version=", version);
  return housing_split(find_file(path, std::string(detail::kOrigin) + "california_housing.npz"),
                       test_split, seed, version == "small" ? 600 : -1, fn);
}
}  // namespace california_housing

}  // namespace keras::datasets
