// keras::summary::FileWriter: Event protocol buffers in TensorBoard's
// record framing (uint64 length, masked CRC-32C of the length, the bytes,
// masked CRC-32C of the bytes), all little-endian.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "event.pb.h"
#include "keras/summary.hpp"
#include "tensorboard/graph_def.hpp"
#include "tensorboard/png_encode.hpp"

namespace keras::summary {
namespace pb = keras::tensorboard;
namespace fs = std::filesystem;

namespace {

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

std::string event_file_name() {
  static std::atomic<int> counter{0};
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  const auto t = static_cast<long long>(std::floor(now_seconds()));
  return "events.out.tfevents." + std::to_string(t) + "." + host + "." + std::to_string(getpid()) + "." +
         std::to_string(counter++) + ".v2";
}

// The pixels of one HWC image as 8-bit samples.
std::vector<std::uint8_t> to_pixels(const Tensor& img) {
  if (img.dtype() == uint8) return img.cpu().to_vector<std::uint8_t>();
  KERAS_CHECK(img.dtype() == float32, TypeError, "summary.image: expected uint8 or float32 images, received ",
              dtype_name(img.dtype()));
  std::vector<float> v = img.cpu().to_vector<float>();
  std::vector<std::uint8_t> px(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const float c = std::isnan(v[i]) ? 0.0f : std::clamp(v[i], 0.0f, 1.0f);
    px[i] = static_cast<std::uint8_t>(std::lround(c * 255.0f));
  }
  return px;
}

}  // namespace

struct FileWriter::Impl {
  std::string path;
  std::FILE* file = nullptr;

  void write_record(const std::string& data) {
    std::string rec;
    rec.reserve(data.size() + 16);
    put_le(rec, data.size(), 8);
    put_le(rec, masked_crc32c(rec.data(), 8), 4);
    rec += data;
    put_le(rec, masked_crc32c(data.data(), data.size()), 4);
    KERAS_CHECK(std::fwrite(rec.data(), 1, rec.size(), file) == rec.size(), IOError,
                "summary: cannot write to the event file ", path);
  }

  void write_event(pb::Event& e, std::int64_t step) {
    e.set_wall_time(now_seconds());
    e.set_step(step);
    write_record(e.SerializeAsString());
  }

  // A new event holding one summary value tagged `tag`.
  static pb::Summary::Value* add_value(pb::Event& e, const std::string& tag) {
    pb::Summary::Value* v = e.mutable_summary()->add_value();
    v->set_tag(tag);
    return v;
  }
};

FileWriter::FileWriter(const std::string& logdir) : impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  fs::create_directories(logdir, ec);
  KERAS_CHECK(!ec && fs::is_directory(logdir), IOError, "summary.create_file_writer: cannot create the log directory ",
              logdir, ": ", ec ? ec.message() : std::string("not a directory"));
  impl_->path = (fs::path(logdir) / event_file_name()).string();
  impl_->file = std::fopen(impl_->path.c_str(), "wb");
  KERAS_CHECK(impl_->file != nullptr, IOError, "summary.create_file_writer: cannot create the event file ",
              impl_->path);
  pb::Event e;
  e.set_file_version("brain.Event:2");
  impl_->write_event(e, 0);
  flush();
}

FileWriter::~FileWriter() {
  if (impl_ && impl_->file) std::fclose(impl_->file);
}

const std::string& FileWriter::path() const { return impl_->path; }

void FileWriter::flush() { std::fflush(impl_->file); }

void FileWriter::scalar(const std::string& name, double value, std::int64_t step) {
  pb::Event e;
  Impl::add_value(e, name)->set_simple_value(static_cast<float>(value));
  impl_->write_event(e, step);
}

void FileWriter::histogram(const std::string& name, const Tensor& values, std::int64_t step, int buckets) {
  KERAS_CHECK(values.defined(), ValueError, "summary.histogram '", name, "': received an undefined tensor");
  KERAS_CHECK(buckets >= 1, ValueError, "summary.histogram '", name, "': buckets must be >= 1, received ", buckets);
  const std::vector<float> v = (values.dtype() == float32 ? values : values.astype(float32)).cpu().to_vector<float>();
  pb::Event e;
  pb::HistogramProto* h = Impl::add_value(e, name)->mutable_histo();
  double lo = 0, hi = 0, sum = 0, sq = 0;
  if (!v.empty()) lo = hi = v[0];
  for (float x : v) {
    lo = std::min(lo, double(x));
    hi = std::max(hi, double(x));
    sum += x;
    sq += double(x) * x;
  }
  h->set_min(lo);
  h->set_max(hi);
  h->set_num(static_cast<double>(v.size()));
  h->set_sum(sum);
  h->set_sum_squares(sq);
  const int k = (v.empty() || hi == lo) ? 1 : buckets;
  const double width = (hi - lo) / k;
  std::vector<double> counts(static_cast<std::size_t>(k), 0.0);
  for (float x : v) {
    int i = width > 0 ? static_cast<int>((double(x) - lo) / width) : 0;
    counts[static_cast<std::size_t>(std::clamp(i, 0, k - 1))] += 1;
  }
  for (int i = 0; i < k; ++i) {
    h->add_bucket_limit(i == k - 1 ? hi : lo + width * (i + 1));
    h->add_bucket(counts[static_cast<std::size_t>(i)]);
  }
  impl_->write_event(e, step);
}

void FileWriter::image(const std::string& name, const Tensor& images, std::int64_t step, int max_outputs) {
  KERAS_CHECK(images.defined() && (images.ndim() == 3 || images.ndim() == 4), ValueError, "summary.image '", name,
              "': expected an HWC or NHWC tensor, received shape ",
              images.defined() ? shape_str(images.shape()) : std::string("(undefined)"));
  const Tensor batch = images.ndim() == 3 ? images.reshape({1, images.shape()[0], images.shape()[1],
                                                            images.shape()[2]})
                                          : images;
  const auto n = batch.shape()[0], h = batch.shape()[1], w = batch.shape()[2], c = batch.shape()[3];
  KERAS_CHECK(c == 1 || c == 3 || c == 4, ValueError, "summary.image '", name,
              "': expected 1, 3 or 4 channels, received shape ", shape_str(images.shape()));
  KERAS_CHECK(h > 0 && w > 0, ValueError, "summary.image '", name, "': received an empty image of shape ",
              shape_str(images.shape()));
  const std::vector<std::uint8_t> px = to_pixels(batch);
  const std::size_t per = static_cast<std::size_t>(h * w * c);
  pb::Event e;
  for (std::int64_t i = 0; i < std::min<std::int64_t>(n, max_outputs); ++i) {
    const std::string tag = n == 1 ? name + "/image" : name + "/image/" + std::to_string(i);
    pb::Summary::Image* img = Impl::add_value(e, tag)->mutable_image();
    img->set_height(static_cast<int>(h));
    img->set_width(static_cast<int>(w));
    img->set_colorspace(static_cast<int>(c));
    img->set_encoded_image_string(
        detail::encode_png(px.data() + i * per, static_cast<int>(h), static_cast<int>(w), static_cast<int>(c)));
  }
  impl_->write_event(e, step);
}

void FileWriter::text(const std::string& name, const std::string& value, std::int64_t step) {
  pb::Event e;
  pb::Summary::Value* v = Impl::add_value(e, name);
  v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  pb::TensorProto* t = v->mutable_tensor();
  t->set_dtype(7);  // DT_STRING
  t->mutable_tensor_shape();  // a scalar: no dimensions
  t->add_string_val(value);
  impl_->write_event(e, step);
}

void FileWriter::graph(const Model& model) {
  pb::Event e;
  e.set_graph_def(detail::graph_def_bytes(model));
  impl_->write_event(e, 0);
}

std::shared_ptr<FileWriter> create_file_writer(const std::string& logdir) {
  return std::make_shared<FileWriter>(logdir);
}

}  // namespace keras::summary
