// Customizing what happens in fit(), as in Keras's guide: a Model subclass
// overrides train_step (gradients with a GradientTape, the compiled loss and
// metrics, the optimizer) and test_step; fit() still runs the progress bar,
// callbacks and History with the logs the steps return. Then transfer
// learning: the trained network's hidden layer becomes a frozen feature
// extractor under a new head. Uses Fashion-MNIST.
//
//   build/examples/custom_train_step [epochs=1] [train_samples=60000]
#include <keras/keras.hpp>

#include <cstdio>
#include <cstdlib>

namespace ops = keras::ops;
using Tensors = std::vector<keras::Tensor>;

class CustomModel : public keras::Model {
 public:
  using keras::Model::Model;

  keras::Logs train_step(const Tensors& x, const Tensors& y, const keras::Tensor& sample_weight) override {
    keras::GradientTape tape;
    keras::Tensor y_pred = (*this)(x[0], /*training=*/true);
    keras::Tensor loss = compute_loss(x, y, {y_pred}, sample_weight);
    auto vars = trainable_weights();
    optimizer().apply_gradients(tape.gradient(loss, vars), vars);
    keras::autograd::NoGradGuard no_grad;
    // model.metrics(): the loss tracker ("loss") and compile's metrics.
    for (auto& m : metrics()) {
      if (m->name() == "loss")
        static_cast<keras::metrics::Mean&>(*m).update(loss.detach());
      else
        m->update_state(y[0], y_pred.detach());
    }
    return get_metrics_result();
  }

  keras::Logs test_step(const Tensors& x, const Tensors& y, const keras::Tensor& sample_weight) override {
    keras::Tensor y_pred = (*this)(x[0], /*training=*/false);
    keras::Tensor loss = compute_loss(x, y, {y_pred}, sample_weight, /*training=*/false);
    static_cast<keras::metrics::Mean&>(*metrics()[0]).update(loss);
    return compute_metrics(x, y, {y_pred}, sample_weight);
  }
};

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 1;
  const std::int64_t samples = argc > 2 ? std::atoll(argv[2]) : 60000;
  keras::utils::set_random_seed(0);
  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  x_train = x_train.slice(0, samples).astype(keras::float32).reshape({-1, 784}) / 255.0f;
  y_train = y_train.slice(0, samples);
  x_test = x_test.astype(keras::float32).reshape({-1, 784}) / 255.0f;

  auto in = keras::Input({784}, "pixels");
  auto h = keras::layers::Dense(128, "relu", {.name = "features"})(in);
  auto out = keras::layers::Dense(10, "softmax", {.name = "classes"})(h);
  CustomModel model(in, out);
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.fit(x_train, y_train, {.batch_size = 64, .epochs = epochs, .validation_split = 0.1});
  auto logs = model.evaluate(x_test, y_test, {.batch_size = 1000, .verbose = 0});
  std::printf("custom steps: test accuracy: %.4f\n", logs["accuracy"]);

  // Transfer: the trained "features" layer, frozen, under a new head.
  keras::Model extractor(model.inputs(), model.get_layer("features")->output(), "extractor");
  extractor.set_trainable(false);
  auto x = keras::Input({784});
  auto f = extractor(x, /*training=*/false);
  auto head = keras::layers::Dense(10, "softmax", {.name = "new_head"})(f);
  keras::Model transfer(x, head, "transfer");
  transfer.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  std::printf("transfer model: %zu trainable weights (the new head)\n", transfer.trainable_weights().size());
  transfer.fit(x_train, y_train, {.batch_size = 64, .epochs = 3, .verbose = 2});
  auto tl = transfer.evaluate(x_test, y_test, {.batch_size = 1000, .verbose = 0});
  std::printf("test accuracy: %.4f\n", tl["accuracy"]);
  return 0;
}
