// A custom layer written with keras::ops only: gradients come from autograd.
// RBF features: y_j = exp(-gamma * ||x - c_j||^2) for learned centres c_j.
//
//   build/examples/custom_layer [epochs=200]
#include <keras/keras.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ops = keras::ops;

class RBF : public keras::layers::Layer {
 public:
  RBF(int units, double gamma) : Layer(unique_name("rbf")), units_(units), gamma_(gamma) {}
  KERAS_LAYER_CLASS(RBF)

  void build(const keras::Shape& input_shape) override {
    centres_ = add_weight("centres", {units_, input_shape.back()}, "random_uniform");
  }
  keras::Tensor call(const keras::Tensor& x, bool) override {
    // ||x - c||^2 = |x|^2 - 2 x.c + |c|^2, for every pair (batch, unit).
    auto c = centres_.value();
    auto x2 = ops::sum(ops::square(x), {1}, true);                // (N, 1)
    auto c2 = ops::reshape(ops::sum(ops::square(c), {1}), {1, -1});  // (1, U)
    auto d2 = ops::add(ops::subtract(x2, ops::matmul(x, ops::transpose(c)) * 2.0), c2);
    return ops::exp(d2 * -gamma_);
  }
  keras::Shape compute_output_shape(const keras::Shape& s) const override { return {s[0], units_}; }

 private:
  int units_;
  double gamma_;
  keras::Variable centres_;
};

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 200;
  keras::utils::set_random_seed(0);
  // Learn y = sin(3x) on [-1, 1].
  std::vector<float> xs, ys;
  for (int i = 0; i < 256; ++i) {
    float x = -1.0f + 2.0f * i / 255.0f;
    xs.push_back(x);
    ys.push_back(std::sin(3 * x));
  }
  keras::Tensor x({256, 1}, xs), y({256, 1}, ys);
  keras::Sequential model({keras::Input({1}), RBF(16, 4.0), keras::layers::Dense(1)});
  model.compile(keras::optimizers::Adam({.learning_rate = 0.02}), "mse");
  model.summary();
  auto h = model.fit(x, y, {.epochs = epochs, .verbose = 0});
  std::printf("mse: first epoch %.5f, last epoch %.5f\n", h.history["loss"].front(), h.history["loss"].back());
  keras::Tensor p = model.predict(keras::Tensor({1, 1}, std::vector<float>{0.5f}));
  std::printf("prediction at x=0.5: %.4f (sin(1.5) = %.4f)\n", p.item(), std::sin(1.5));
  return 0;
}
