// keras::distribution in one process (the multi-process tests run under
// mpirun: tests/tools/dist_train.cpp, registered as dist_* in ctest).
#include <doctest/doctest.h>

#include <keras/distribution.hpp>
#include <keras/keras.hpp>

#include "tests/tools/dist_models.hpp"

namespace dist = keras::distribution;

namespace {
std::vector<float> fit_weights(const std::string& kind) {
  keras::utils::set_random_seed(5);
  auto m = dist_test::make_model(kind);
  m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  auto [x, y] = dist_test::make_data(kind, 96);
  m.fit(x, y, {.batch_size = 32, .epochs = 1, .verbose = 0, .shuffle = true});
  std::vector<float> all;
  for (auto& w : m.weights()) {
    auto v = w.value().to_vector<float>();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}
}  // namespace

TEST_CASE("distribution: one process reports rank 0 of 1 and trains as without a distribution") {
  dist::initialize();  // not launched by mpirun: a no-op
  CHECK(dist::process_id() == 0);
  CHECK(dist::num_processes() == 1);
  auto plain = fit_weights("mlp");
  {
    dist::DistributionScope scope(dist::DataParallel{});
    CHECK_FALSE(dist::distributed());  // one process: nothing to distribute
    CHECK(fit_weights("mlp") == plain);
  }
  CHECK(dist::communication_seconds() == 0.0);
  MESSAGE("MPI in this build: ", dist::mpi_available() ? "yes" : "no (distributed tests skipped)");
}

TEST_CASE("distribution: DataParallel rejects a non-positive timeout or bucket size") {
  CHECK_THROWS_AS(dist::set_distribution(dist::DataParallel{.timeout_seconds = 0}), keras::ValueError);
  CHECK_THROWS_AS(dist::set_distribution(dist::DataParallel{.bucket_bytes = -1}), keras::ValueError);
  CHECK_FALSE(dist::distributed());
}
