// Fashion-MNIST with Keras's everyday callbacks: stop when validation loss
// stops improving and keep the best weights, save the best model, lower the
// learning rate on plateaus, log every epoch to a CSV file and to
// TensorBoard, and draw the training curves.
//
//   build/examples/callbacks_fashion_mnist [epochs] [train images]   (default 5, all 60000)
//
// Writes best.keras (loads in Python Keras), training_log.csv, logs/ (open
// with `tensorboard --logdir logs`) and history.png where it runs.
#include <keras/keras.hpp>
#include <keras/plot_history.hpp>
#include <keras/tensorboard.hpp>
#include <keras/saving.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 5;
  const long n = argc > 2 ? std::atol(argv[2]) : 60000;
  if (epochs < 1 || n < 100) {
    std::cerr << "usage: " << argv[0] << " [epochs >= 1] [train images >= 100]\n";
    return 2;
  }
  auto [x_train, y_train, x_test, y_test] = keras::datasets::fashion_mnist::load_data();
  x_train = x_train.slice(0, n).astype(keras::float32) / 255.0f;
  y_train = y_train.slice(0, n);
  x_test = x_test.astype(keras::float32) / 255.0f;

  keras::Sequential model({
      keras::Input({28, 28}),
      keras::layers::Flatten(),
      keras::layers::Dense(128, "relu"),
      keras::layers::Dropout(0.2),
      keras::layers::Dense(10, "softmax"),
  });
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});

  namespace cb = keras::callbacks;
  auto early = std::make_shared<cb::EarlyStopping>(
      cb::EarlyStoppingOptions{.patience = 2, .verbose = 1, .restore_best_weights = true});
  auto checkpoint = std::make_shared<cb::ModelCheckpoint>(
      "best.keras", cb::ModelCheckpointOptions{.verbose = 1, .save_best_only = true});
  auto plateau = std::make_shared<cb::ReduceLROnPlateau>(
      cb::ReduceLROnPlateauOptions{.factor = 0.5, .patience = 1, .verbose = 1});
  auto csv = std::make_shared<cb::CSVLogger>("training_log.csv");
  auto board = std::make_shared<cb::TensorBoard>(cb::TensorBoardOptions{.log_dir = "logs", .histogram_freq = 1});

  keras::History history = model.fit(
      x_train, y_train,
      {.batch_size = 32, .epochs = epochs, .callbacks = {early, checkpoint, plateau, csv, board}, .validation_split = 0.1});

  const auto& val = history.history["val_loss"];
  std::printf("epochs run: %zu, best epoch: %d (val_loss %.4f)\n", val.size(), early->best_epoch() + 1,
              val[early->best_epoch()]);
  auto scores = model.evaluate(x_test, y_test, {.verbose = 0});
  std::printf("restored best weights, test accuracy: %.4f\n", scores["accuracy"]);
  keras::Model best = keras::models::load_model("best.keras");
  std::printf("best.keras test accuracy: %.4f\n", best.evaluate(x_test, y_test, {.verbose = 0})["accuracy"]);

  std::ifstream log("training_log.csv");
  std::string header;
  std::getline(log, header);
  if (!header.empty() && header.back() == '\r') header.pop_back();
  std::cout << "training_log.csv columns: " << header << "\n";
  keras::utils::plot_history(history, "history.png", {.title = "Fashion-MNIST MLP"});
  std::cout << "wrote history.png and TensorBoard logs in logs/\n";
  return 0;
}
