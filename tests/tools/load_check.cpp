// Loads a model file and exits 0, or prints the error and exits 1.
#include <cstdio>

#include <keras/keras.hpp>
#include <keras/saving.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: load_check PATH\n");
    return 2;
  }
  try {
    keras::models::load_model(argv[1]);
  } catch (const keras::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
