// TensorBoard event files read back by real TensorBoard (PyPI tensorboard's
// EventAccumulator, through scripts/read_tensorboard_events.py), CRC-32C
// check values, the record framing, and the TensorBoard callback's tags.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/keras.hpp"

namespace fs = std::filesystem;
using keras::Tensor;
using nlohmann::json;

namespace {

fs::path tb_temp(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("keras_tb_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  return p;
}

// The venv's Python when it has tensorboard and pillow, else "".
std::string tensorboard_python() {
  const char* v = std::getenv("KERAS_INTEROP_VENV");
  const char* home = std::getenv("HOME");
  fs::path venv = v ? fs::path(v) : fs::path(home ? home : "/nonexistent") / ".cache/keras.cpp/venv";
  fs::path py = venv / "bin/python";
  if (!fs::exists(py)) return "";
  const std::string probe = py.string() + " -c 'import tensorboard, PIL' >/dev/null 2>&1";
  return std::system(probe.c_str()) == 0 ? py.string() : "";
}

// What TensorBoard's event reader finds in `logdir`, as JSON.
json read_with_tensorboard(const std::string& py, const fs::path& logdir) {
  const std::string cmd = py + " " KERAS_SOURCE_DIR "/scripts/read_tensorboard_events.py '" + logdir.string() +
                          "' 2>/dev/null";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  REQUIRE(::pclose(p) == 0);
  return json::parse(out);
}

// Bitwise CRC-32C (no table): the reference for the framing check.
std::uint32_t crc_ref(const unsigned char* p, std::size_t n) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  }
  return ~c;
}
std::uint32_t mask_ref(std::uint32_t c) { return ((c >> 15) | (c << 17)) + 0xA282EAD8u; }

std::uint64_t le(const std::string& s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

// The one event file in `dir`.
fs::path event_file(const fs::path& dir) {
  std::vector<fs::path> found;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find("tfevents") != std::string::npos) found.push_back(e.path());
  REQUIRE(found.size() == 1);
  return found[0];
}

}  // namespace

TEST_CASE("summary: CRC-32C check values") {
  const char* s = "123456789";
  CHECK(keras::summary::crc32c(s, 9) == 0xE3069283u);
  const std::vector<unsigned char> zeros(32, 0), ones(32, 0xFF);
  CHECK(keras::summary::crc32c(zeros.data(), 32) == 0x8A9136AAu);  // RFC 3720 B.4
  CHECK(keras::summary::crc32c(ones.data(), 32) == 0x62A8AB43u);
  CHECK(keras::summary::crc32c(s, 0) == 0u);
  // Incremental: crc of "1234" continued with "56789".
  CHECK(keras::summary::crc32c(s + 4, 5, keras::summary::crc32c(s, 4)) == 0xE3069283u);
  CHECK(keras::summary::masked_crc32c(s, 9) == mask_ref(0xE3069283u));
}

TEST_CASE("summary: records are framed with masked CRC-32C of length and data") {
  const fs::path dir = tb_temp("frame");
  auto w = keras::summary::create_file_writer(dir.string());
  w->scalar("x", 1.5, 3);
  w->text("t", "hello", 4);
  w->flush();
  std::ifstream in(event_file(dir), std::ios::binary);
  const std::string f((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t at = 0;
  int records = 0;
  while (at < f.size()) {
    REQUIRE(at + 12 <= f.size());
    const std::uint64_t n = le(f, at, 8);
    CHECK(le(f, at + 8, 4) == mask_ref(crc_ref(reinterpret_cast<const unsigned char*>(f.data() + at), 8)));
    REQUIRE(at + 12 + n + 4 <= f.size());
    CHECK(le(f, at + 12 + n, 4) ==
          mask_ref(crc_ref(reinterpret_cast<const unsigned char*>(f.data() + at + 12), n)));
    at += 12 + n + 4;
    ++records;
  }
  CHECK(records == 3);  // file_version, the scalar, the text
  CHECK(f.find("brain.Event:2") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("summary: bad input raises clear errors") {
  const fs::path dir = tb_temp("bad");
  auto w = keras::summary::create_file_writer(dir.string());
  CHECK_THROWS_AS(w->image("img", Tensor::zeros({4, 4}), 0), keras::ValueError);
  CHECK_THROWS_AS(w->image("img", Tensor::zeros({4, 4, 2, 5}), 0), keras::ValueError);
  CHECK_THROWS_AS(w->image("img", Tensor::zeros({2, 2, 1}, keras::int32), 0), keras::TypeError);
  CHECK_THROWS_AS(w->histogram("h", Tensor(), 0), keras::ValueError);
  std::ofstream(dir / "file") << "x";
  CHECK_THROWS_AS(keras::summary::create_file_writer((dir / "file").string()), keras::IOError);
  fs::remove_all(dir);
}

TEST_CASE("summary: real TensorBoard reads our scalars, histograms, images and text") {
  const std::string py = tensorboard_python();
  if (py.empty()) {
    MESSAGE("SKIPPED: no Python with tensorboard and pillow at $KERAS_INTEROP_VENV or ~/.cache/keras.cpp/venv");
    return;
  }
  const fs::path dir = tb_temp("read");
  {
    auto w = keras::summary::create_file_writer(dir.string());
    for (int s = 0; s < 3; ++s) w->scalar("loss", 0.5 / (1 << s), s);
    std::vector<float> v(10);
    for (int i = 0; i < 10; ++i) v[i] = float(i);
    w->histogram("dense/kernel", Tensor({2, 5}, v), 7, 3);
    const std::vector<std::uint8_t> rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90};
    w->image("rgb", Tensor({2, 3, 3}, rgb), 1);
    w->image("grey", Tensor({1, 2, 2, 1}, std::vector<float>{0.0f, 0.5f, 1.0f, 2.0f}), 2);
    w->text("note", "hello **world**", 5);
    w->flush();
  }
  const json r = read_with_tensorboard(py, dir);
  // Scalars: steps and values (exact in float32).
  REQUIRE(r["scalars"]["loss"].size() == 3);
  for (int s = 0; s < 3; ++s) {
    CHECK(r["scalars"]["loss"][s][0] == s);
    CHECK(r["scalars"]["loss"][s][1].get<double>() == 0.5 / (1 << s));
  }
  // Histogram of 0..9 in 3 buckets over [0, 9]: [0,3) [3,6) [6,9].
  const json& h = r["histograms"]["dense/kernel"][0];
  CHECK(h["step"] == 7);
  CHECK(h["min"] == 0.0);
  CHECK(h["max"] == 9.0);
  CHECK(h["num"] == 10.0);
  CHECK(h["sum"] == 45.0);
  CHECK(h["sum_squares"] == 285.0);
  CHECK(h["bucket_limit"] == json::array({3.0, 6.0, 9.0}));
  CHECK(h["bucket"] == json::array({3.0, 3.0, 4.0}));
  // Images: the decoded PNG pixels.
  const json& rgb = r["images"]["rgb/image"][0];
  CHECK(rgb["step"] == 1);
  CHECK(rgb["width"] == 3);
  CHECK(rgb["height"] == 2);
  CHECK(rgb["format"] == "PNG");
  CHECK(rgb["mode"] == "RGB");
  CHECK(rgb["pixels"] == json::array({255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90}));
  const json& grey = r["images"]["grey/image"][0];
  CHECK(grey["mode"] == "L");
  CHECK(grey["pixels"] == json::array({0, 128, 255, 255}));  // float in [0, 1] -> round(255 x), clamped
  // Text.
  CHECK(r["texts"]["note"][0][0] == 5);
  CHECK(r["texts"]["note"][0][1] == json::array({"hello **world**"}));
  fs::remove_all(dir);
}
