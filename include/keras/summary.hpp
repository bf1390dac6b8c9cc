// keras::summary: TensorBoard event files written from C++.
//
// A writer appends scalars, histograms, images and text to an event file
// ("events.out.tfevents.<time>.<host>.<pid>.<n>") in a log directory, in
// TensorBoard's own format, so `tensorboard --logdir DIR` shows them.
// Usable from a custom training loop:
//
//   auto w = keras::summary::create_file_writer("logs/run1/train");
//   for (int step = 0; step < 100; ++step) {
//     ...
//     w->scalar("loss", loss, step);
//     w->histogram("dense/kernel", model.get_layer("dense")->weights()[0].value(), step);
//   }
//   w->flush();
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "keras/tensor.hpp"

namespace keras {
class Model;
}

namespace keras::summary {

class FileWriter {
 public:
  // Creates `logdir` (and its parents) and a new event file in it; throws
  // keras::IOError when it cannot.
  explicit FileWriter(const std::string& logdir);
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  void scalar(const std::string& name, double value, std::int64_t step);
  // The values of any real tensor, in `buckets` equal-width buckets between
  // its smallest and largest value (Keras's default: 30).
  void histogram(const std::string& name, const Tensor& values, std::int64_t step, int buckets = 30);
  // An image: HWC or NHWC (one image per batch entry, tags "name/image/i" as
  // TensorBoard's image summaries do when N > 1), 1, 3 or 4 channels; uint8
  // as is, float32 in [0, 1] scaled to 0..255. PNG-encoded.
  void image(const std::string& name, const Tensor& images, std::int64_t step, int max_outputs = 3);
  // A text summary (TensorBoard's Text tab, markdown).
  void text(const std::string& name, const std::string& value, std::int64_t step);
  // The model's layer graph for TensorBoard's Graphs tab: a node per layer
  // (its class, its configuration's simple values, its output shape) and
  // an edge per input, nested models' layers under "model_name/".
  void graph(const Model& model);
  // Writes what is buffered to the file.
  void flush();
  // The event file's path.
  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::shared_ptr<FileWriter> create_file_writer(const std::string& logdir);

// CRC-32C (Castagnoli) of `n` bytes, and TensorBoard's masked form of it
// (the checksum in each record of an event file).
std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t crc = 0);
std::uint32_t masked_crc32c(const void* data, std::size_t n);

}  // namespace keras::summary
