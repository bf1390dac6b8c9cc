#pragma once
// NumPy's legacy RandomState, as far as Keras's data utilities use it:
// `np.random.RandomState(seed).shuffle(x)` decides the order of files in
// image_dataset_from_directory and the train/test split of several
// datasets. Reproducing it gives the same samples in the same order as
// Keras for the same seed.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace keras::detail {

class NumpyRandomState {
 public:
  // RandomState(seed) with an integer seed in [0, 2**32 - 1]: the Mersenne
  // Twister seeded the way std::mt19937 seeds (init_genrand).
  explicit NumpyRandomState(std::uint32_t seed) : mt_(seed) {}

  // A uniform integer in [0, max], by NumPy's masked rejection sampling.
  std::uint64_t interval(std::uint64_t max);

  // RandomState.shuffle on a sequence: Fisher-Yates from the end.
  template <class T>
  void shuffle(std::vector<T>& x) {
    for (std::size_t i = x.size(); i-- > 1;) {
      std::size_t j = static_cast<std::size_t>(interval(i));
      std::swap(x[i], x[j]);
    }
  }

  // RandomState.permutation(n): arange(n), shuffled.
  std::vector<std::int64_t> permutation(std::int64_t n);

 private:
  std::mt19937 mt_;
};

}  // namespace keras::detail
