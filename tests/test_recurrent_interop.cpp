// Recurrent models saved here for real Keras 3 (scripts/check_in_keras.py
// loads every <name>.keras / .h5 in KERAS_INTEROP_DIR and compares its
// predictions with <name>_io.h5). Without the variable the files go to a
// temporary directory and are read back here only.
#include <filesystem>

#include "keras/saving.hpp"
#include "saving/h5.hpp"
#include "test_helpers.hpp"

using keras::Tensor;
namespace layers = keras::layers;
namespace fs = std::filesystem;
using namespace testing;

namespace {

std::string rnn_interop_dir() {
  const char* d = std::getenv("KERAS_INTEROP_DIR");
  fs::path p = d && *d ? fs::path(d) : fs::temp_directory_path() / ("keras_rnn_interop_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p.string();
}

void save_case(const std::string& dir, const std::string& name, keras::Model& m, const std::vector<Tensor>& xs) {
  m.save(dir + "/" + name + ".keras");
  m.save(dir + "/" + name + ".h5");
  auto f = keras::saving::h5::create_file(dir + "/" + name + "_io.h5");
  auto ys = m.predict(xs);
  for (std::size_t i = 0; i < xs.size(); ++i) f.write_dataset("x" + std::to_string(i), xs[i]);
  for (std::size_t i = 0; i < ys.size(); ++i) f.write_dataset("y" + std::to_string(i), ys[i]);
  keras::saving::h5::close(f);
  for (std::string ext : {".keras", ".h5"}) {
    INFO(name, ext);
    keras::Model r = keras::models::load_model(dir + "/" + name + ext);
    auto got = r.predict(xs);
    REQUIRE(got.size() == ys.size());
    for (std::size_t i = 0; i < ys.size(); ++i) check_close(got[i], ys[i].to_vector<float>(), 0, 0, "reloaded");
  }
}

Tensor token_batch() {
  return Tensor({3, 6}, std::vector<std::int32_t>{3, 1, 4, 1, 5, 9, 2, 6, 5, 0, 0, 0, 7, 0, 8, 2, 0, 0});
}

}  // namespace

TEST_CASE("interop: recurrent models saved here for real Keras to load") {
  keras::random::set_seed(12);
  const std::string dir = rnn_interop_dir();
  {
    auto in = keras::Input({6}, "tokens", keras::int32);
    auto e = layers::Embedding(10, 4, {.mask_zero = true})(in);
    layers::RNNOptions seq;
    seq.return_sequences = true;
    auto b = layers::Bidirectional(std::make_shared<layers::LSTM>(3, layers::CellOptions{}, seq))(e);
    auto g = layers::GRU(3)(b);
    keras::Model m(in, layers::Dense(2)(g));
    save_case(dir, "rnn_embed_bidir_lstm_gru", m, {token_batch()});
  }
  {
    auto in = keras::Input({5, 3});
    auto td = layers::TimeDistributed(std::make_shared<layers::Dense>(4, "tanh"))(in);
    layers::CellOptions before;
    before.reset_after = false;
    layers::RNNOptions st;
    st.return_state = true;
    st.go_backwards = true;
    auto s = std::make_shared<layers::SimpleRNN>(3, layers::CellOptions{}, layers::RNNOptions{.return_sequences = true})
                 ->operator()(td);
    auto outs = std::make_shared<layers::GRU>(2, before, st)->call_all({s});
    auto l = std::make_shared<layers::LSTM>(2, layers::CellOptions{}, layers::RNNOptions{.return_state = true});
    auto lo = l->call_all({td});
    keras::Model m(std::vector<keras::KerasTensor>{in}, std::vector<keras::KerasTensor>{outs[0], outs[1], lo[0], lo[2]});
    save_case(dir, "rnn_time_distributed_states", m, {random_tensor({2, 5, 3}, -1, 1, 3)});
  }
  {
    auto x = keras::Input({5, 2});
    auto h = keras::Input({3});
    auto c = keras::Input({3});
    auto s = std::make_shared<layers::LSTM>(3, layers::CellOptions{}, layers::RNNOptions{.return_sequences = true})
                 ->call_all({x, h, c});
    auto g = std::make_shared<layers::GRU>(3)->call_all({s[0], h});
    keras::Model m({x, h, c}, g);
    save_case(dir, "rnn_initial_state", m,
              {random_tensor({2, 5, 2}, -1, 1, 5), random_tensor({2, 3}, -1, 1, 6), random_tensor({2, 3}, -1, 1, 7)});
  }
  {
    auto in = keras::Input({5, 2});
    auto mk = layers::Masking(0.0)(in);
    auto bi = layers::Bidirectional(std::make_shared<layers::SimpleRNN>(2), "ave")(mk);
    keras::Model m(in, bi);
    Tensor x = random_tensor({2, 5, 2}, -1, 1, 4);
    x = x * Tensor({2, 5, 1}, std::vector<float>{1, 1, 0, 1, 0, 1, 1, 1, 1, 0});
    save_case(dir, "rnn_masking_bidir_ave", m, {x});
  }
}
