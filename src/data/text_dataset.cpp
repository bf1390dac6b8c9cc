// keras.utils.text_dataset_from_directory: the same listing, shuffle and
// split as the image helper (".txt" files), texts read lazily as bytes and
// truncated to max_length bytes (tf.strings.substr). The library has no
// string tensors: a TextDataset yields std::string batches with a label
// tensor, and map() vectorizes them into an ordinary Dataset.
#include <fstream>
#include <sstream>

#include "data/directory_index.hpp"
#include "keras/errors.hpp"
#include "keras/image_utils.hpp"

namespace keras::utils {

struct TextDataset::State {
  detail::FileIndex ix;
  std::string label_mode;  // "none" without labels
  std::int64_t num_classes = 0;
  std::int64_t batch_size = 32;
  std::int64_t max_length = -1;
  bool shuffle = false;
  std::uint32_t seed = 0;

  // Batches of indices into ix.paths, shuffled per pass as Keras's buffer.
  data::Dataset indices() const {
    data::Dataset ds = data::Dataset::range(static_cast<std::int64_t>(ix.paths.size()));
    if (shuffle) ds = ds.shuffle(batch_size > 0 ? batch_size * 8 : 1024, seed);
    return batch_size > 0 ? ds.batch(batch_size) : ds;
  }
  std::string read(std::int64_t i) const {
    std::ifstream f(ix.paths[i], std::ios::binary);
    KERAS_CHECK(f.good(), IOError, "text_dataset_from_directory: cannot open ", ix.paths[i]);
    std::ostringstream s;
    s << f.rdbuf();
    std::string t = s.str();
    if (max_length > 0 && static_cast<std::int64_t>(t.size()) > max_length) t.resize(static_cast<std::size_t>(max_length));
    return t;
  }
  TextBatch load(const Tensor& idx) const {
    const std::vector<std::int64_t> v = idx.to_vector<std::int64_t>();
    TextBatch b;
    for (std::int64_t i : v) b.texts.push_back(read(i));
    if (label_mode != "none")
      b.labels = detail::make_labels(ix.labels, v.data(), static_cast<std::int64_t>(v.size()), label_mode, num_classes,
                                     idx.ndim() == 0);
    return b;
  }
};

TextDataset::TextDataset(std::shared_ptr<const State> s) : state_(std::move(s)) {
  class_names = state_->ix.class_names;
  file_paths = state_->ix.paths;
}

void TextDataset::for_each(const std::function<void(const TextBatch&)>& f) const {
  for (const data::Element& e : state_->indices()) f(state_->load(e[0]));
}

std::vector<TextBatch> TextDataset::collect() const {
  std::vector<TextBatch> out;
  for_each([&](const TextBatch& b) { out.push_back(b); });
  return out;
}

data::Dataset TextDataset::map(Vectorizer vectorize, int num_parallel_calls) const {
  KERAS_CHECK(static_cast<bool>(vectorize), ValueError, "TextDataset.map: the vectorizer is empty");
  auto s = state_;
  return s->indices()
      .map(
          [s, vectorize](const data::Element& e) {
            TextBatch b = s->load(e[0]);
            Tensor x = vectorize(b.texts);
            if (!b.labels.defined()) return data::Element{x};
            return data::Element{x, b.labels};
          },
          num_parallel_calls)
      .prefetch(data::AUTOTUNE);
}

std::int64_t TextDataset::cardinality() const { return state_->indices().cardinality(); }

namespace {
constexpr const char* kFn = "text_dataset_from_directory";

std::shared_ptr<TextDataset::State> base_state(const std::string& directory, const TextDatasetOptions& o) {
  const bool labelled = detail::check_label_arguments(kFn, o.labels, o.label_mode, o.class_names);
  auto s = std::make_shared<TextDataset::State>();
  s->seed = detail::check_split_arguments(kFn, o.validation_split, o.subset, o.shuffle, o.seed);
  detail::IndexRequest r;
  r.fn = kFn;
  r.directory = directory;
  r.labels = labelled ? o.labels : Labels(std::string("none"));
  r.class_names = o.class_names;
  r.formats = {".txt"};
  r.shuffle = o.shuffle;
  r.seed = s->seed;
  r.follow_links = o.follow_links;
  r.verbose = o.verbose;
  s->ix = detail::index_directory(r);
  s->label_mode = labelled ? o.label_mode : "none";
  KERAS_CHECK(s->label_mode != "binary" || s->ix.class_names.size() == 2, ValueError, kFn,
              ": label_mode \"binary\" needs exactly 2 classes, found ", s->ix.class_names.size(), " in ", directory);
  s->num_classes = static_cast<std::int64_t>(s->ix.class_names.size());
  s->batch_size = o.batch_size;
  s->max_length = o.max_length;
  return s;
}

TextDataset subset_of(const TextDataset::State& base, const TextDatasetOptions& o, const std::string& subset,
                      bool shuffle, const std::string& directory) {
  auto s = std::make_shared<TextDataset::State>(base);
  s->ix = detail::split_subset(base.ix, o.validation_split, subset, o.verbose);
  s->shuffle = shuffle;
  KERAS_CHECK(!s->ix.paths.empty(), ValueError, kFn, ": no ", subset.empty() ? "" : subset + " ",
              "text files found in directory ", directory, " (allowed format: .txt)");
  return TextDataset(s);
}
}  // namespace

TextDataset text_dataset_from_directory(const std::string& directory, const TextDatasetOptions& o) {
  KERAS_CHECK(o.subset != "both", ValueError, kFn,
              ": subset \"both\" returns two datasets; call text_dataset_from_directory_both");
  auto base = base_state(directory, o);
  return subset_of(*base, o, o.subset, o.shuffle, directory);
}

std::pair<TextDataset, TextDataset> text_dataset_from_directory_both(const std::string& directory,
                                                                     TextDatasetOptions o) {
  if (o.subset.empty()) o.subset = "both";
  KERAS_CHECK(o.subset == "both", ValueError, kFn, "_both: subset must be \"both\" (or empty)");
  auto base = base_state(directory, o);
  TextDataset a = subset_of(*base, o, "training", o.shuffle, directory);
  TextDataset b = subset_of(*base, o, "validation", false, directory);
  return {std::move(a), std::move(b)};
}

}  // namespace keras::utils
