// Saves a small model to the given path again and again until killed (the
// crash-safety test kills it at random moments mid-save).
#include <cstdio>
#include <string>

#include <keras/keras.hpp>
#include <keras/saving.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: save_loop PATH(.keras|.h5)\n");
    return 2;
  }
  keras::Sequential model({keras::Input({32}), keras::layers::Dense(64, "relu"), keras::layers::Dense(10)});
  model.compile("adam", "mse");
  for (;;) model.save(argv[1]);
}
