// libFuzzer target: the bounded pickle reader on arbitrary bytes, then what
// the CIFAR loader does with a batch (its dict's "data" array, its label
// lists) and what imdb/reuters do with object arrays (lists of ints).
// Anything but a keras::Error escaping, a crash or a sanitizer report is a bug.
//
//   bash tests/fuzz/run_readers.sh [seconds per target]
#include <cstdint>

#include "keras/errors.hpp"
#include "npy/npy.hpp"
#include "npy/pickle.hpp"

namespace pk = keras::detail::pickle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const pk::Unpickled u = pk::load(data, size, "fuzz.pkl");
    const pk::Value* items[] = {pk::dict_get(u, u.root, "data"), pk::dict_get(u, u.root, "labels"),
                                &u.root};
    for (const pk::Value* v : items) {
      if (!v) continue;
      if (v->kind == pk::Kind::ndarray && u.get(*v).built && u.get(*v).dtype.kind != 'O') {
        try {
          (void)keras::detail::npy::to_tensor(keras::detail::npy::from_pickled(u, *v, "fuzz"));
        } catch (const keras::Error&) {
        }
      }
      if (v->kind == pk::Kind::list || v->kind == pk::Kind::tuple)
        for (const pk::Value& e : u.get(*v).items)
          if (e.kind == pk::Kind::list)
            for (const pk::Value& w : u.get(e).items) (void)w.i;
    }
  } catch (const keras::Error&) {
  }
  return 0;
}
