// Recurrent models made by real Keras 3 and tf.keras 2.15
// (scripts/make_rnn_goldens.py, weights set to fixed random values) load
// here and predict what Keras predicted: LSTM / GRU / SimpleRNN with
// return_sequences, return_state, go_backwards, reset_after false, masks
// from Embedding(mask_zero=True) and Masking, Bidirectional in every merge
// mode and with a backward_layer, TimeDistributed and RNN(GRUCell).
#include <filesystem>

#include "keras/saving.hpp"
#include "saving/h5.hpp"
#include "test_helpers.hpp"

using keras::Tensor;
using namespace testing;

namespace {

std::string rnn_fixture(const std::string& name) {
  return std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/rnn/" + name;
}

void check_case(const std::string& name, const std::string& ext) {
  INFO(name, ext);
  auto io = keras::saving::h5::open_file(rnn_fixture(name + "_io.h5"));
  std::vector<Tensor> xs;
  for (int i = 0; io.has("x" + std::to_string(i)); ++i) xs.push_back(io.dataset("x" + std::to_string(i)));
  keras::Model m = keras::models::load_model(rnn_fixture(name + ext));
  auto ys = m.predict(xs);
  int n = 0;
  while (io.has("y" + std::to_string(n))) ++n;
  REQUIRE(static_cast<int>(ys.size()) == n);
  for (int i = 0; i < n; ++i) {
    Tensor want = io.dataset("y" + std::to_string(i));
    REQUIRE(ys[i].shape() == want.shape());
    check_close(ys[i], want.to_vector<float>(), 2e-5, 2e-5, name + ext + " output " + std::to_string(i));
  }
}

}  // namespace

TEST_CASE("recurrent keras: Keras 3 .keras files load and match Keras's predictions") {
  for (const char* name : {"lstm_seq_state", "embed_lstm_mask", "embed_gru_backwards_mask", "gru_reset_before_state",
                           "simple_rnn_relu", "lstm_no_bias_backwards", "masking_gru", "bidir_concat", "bidir_sum",
                           "bidir_mul", "bidir_ave", "bidir_none", "bidir_backward_layer_state",
                           "time_distributed_rnn", "initial_state", "lstm_hard_sigmoid"})
    check_case(name, ".keras");
}

TEST_CASE("recurrent keras: Keras 3 legacy .h5 files (nested cell weights) load and match") {
  for (const char* name : {"lstm_seq_state", "bidir_concat"}) check_case(name, ".h5");
}

TEST_CASE("recurrent keras: tf.keras 2.15 .h5 files with LSTM, GRU and Bidirectional load and match") {
  for (const char* name : {"tf2_lstm_gru", "tf2_bidir_gru"}) check_case(name, ".h5");
}
