// keras::data::Dataset behaviour that tf.data goldens cannot show: shuffle
// by its permutation properties, parallel map order, threads joined after
// an early stop, errors from user functions, cache.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>

#include "keras/keras.hpp"

using keras::Tensor;
using keras::data::Dataset;
using keras::data::Element;

namespace {

std::int64_t v0(const Element& e) { return static_cast<std::int64_t>(e[0].item()); }
Element scalar(std::int64_t v) { return {Tensor({}, std::vector<std::int64_t>{v})}; }

std::vector<std::int64_t> values(const Dataset& ds) {
  std::vector<std::int64_t> out;
  for (const Element& e : ds) out.push_back(v0(e));
  return out;
}

// Threads of this process (Linux /proc).
int thread_count() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

}  // namespace

TEST_CASE("data: shuffle gives a permutation; seeded runs repeat; reshuffle_each_iteration") {
  Dataset base = Dataset::range(50);
  auto a = base.shuffle(50, 7);
  auto p1 = values(a), p2 = values(a);
  std::vector<std::int64_t> sorted1 = p1;
  std::sort(sorted1.begin(), sorted1.end());
  CHECK(sorted1 == values(base));
  CHECK(p1 != values(base));
  CHECK(p1 != p2);                            // reshuffled per pass
  CHECK(values(base.shuffle(50, 7)) == p1);   // the same seed, the same passes
  auto fixed = base.shuffle(50, 7, false);
  CHECK(values(fixed) == values(fixed));
  CHECK(values(base.shuffle(1, 3)) == values(base));  // a buffer of one keeps the order
  // With a buffer of b, element i can leave no earlier than position i - b + 1.
  auto small = values(base.shuffle(4, 11));
  for (std::size_t pos = 0; pos < small.size(); ++pos) CHECK(small[pos] <= static_cast<std::int64_t>(pos) + 3);
}

TEST_CASE("data: shuffle is uniform over the first position") {
  auto ds = Dataset::range(5).shuffle(5, 123);
  std::vector<int> count(5, 0);
  const int passes = 4000;
  for (int p = 0; p < passes; ++p) count[v0(*ds.begin())]++;
  double chi2 = 0;
  for (int c : count) chi2 += (c - passes / 5.0) * (c - passes / 5.0) / (passes / 5.0);
  CHECK(chi2 < 18.5);  // chi-square, 4 degrees of freedom, p = 0.001
}

TEST_CASE("data: parallel map keeps the order unless deterministic is false") {
  auto slow = [](const Element& e) {
    std::this_thread::sleep_for(std::chrono::microseconds(200 * ((v0(e) * 7) % 5)));
    return scalar(v0(e) * 10);
  };
  auto seq = values(Dataset::range(40).map(slow));
  CHECK(values(Dataset::range(40).map(slow, 4)) == seq);
  CHECK(values(Dataset::range(40).map(slow, keras::data::AUTOTUNE)) == seq);
  auto loose = values(Dataset::range(40).map(slow, 4, false));
  CHECK(std::multiset<std::int64_t>(loose.begin(), loose.end()) == std::multiset<std::int64_t>(seq.begin(), seq.end()));
}

TEST_CASE("data: stopping early joins every background thread") {
  auto ds = Dataset::counter().map([](const Element& e) { return e; }, 3).prefetch(4).batch(2).prefetch(2);
  { auto it = ds.make_iterator(); it->next(); }  // warm up whatever the library starts once
  const int before = thread_count();
  for (int pass = 0; pass < 20; ++pass) {
    auto it = ds.make_iterator();
    for (int i = 0; i < pass % 4; ++i) it->next();
  }
  for (const Element& e : ds) {
    if (e[0].at<std::int64_t>(0) >= 6) break;  // a range-for left early
  }
  CHECK(thread_count() == before);
}

TEST_CASE("data: errors from user functions reach the caller with the op named") {
  auto boom = [](const Element& e) -> Element {
    if (v0(e) == 3) throw std::runtime_error("bad sample 3");
    return e;
  };
  for (int threads : {0, 2}) {
    auto ds = Dataset::range(6).map(boom, threads).prefetch(2);
    auto it = ds.make_iterator();
    for (int i = 0; i < 3; ++i) CHECK(v0(*it->next()) == i);
    try {
      it->next();
      FAIL("no exception");
    } catch (const keras::RuntimeError& e) {
      CHECK(std::string(e.what()).find("Dataset.map") != std::string::npos);
      CHECK(std::string(e.what()).find("bad sample 3") != std::string::npos);
      try {
        std::rethrow_if_nested(e);
        FAIL("not nested");
      } catch (const std::runtime_error& inner) {
        CHECK(std::string(inner.what()) == "bad sample 3");
      }
    }
  }
  auto value_error = Dataset::range(3).filter([](const Element&) -> bool { throw keras::ValueError("no"); });
  CHECK_THROWS_WITH_AS(value_error.collect(), doctest::Contains("Dataset.filter"), keras::ValueError);
  auto gen = Dataset::from_generator([]() -> std::optional<Element> { throw std::logic_error("gen failed"); });
  CHECK_THROWS_WITH_AS(gen.collect(), doctest::Contains("Dataset.from_generator: the user function raised: gen failed"),
                       keras::RuntimeError);
}

TEST_CASE("data: bad arguments and shapes are ValueErrors naming the op") {
  CHECK_THROWS_WITH_AS(Dataset::from_tensor_slices({Tensor::zeros({3, 2}), Tensor::zeros({4})}),
                       doctest::Contains("same first dimension"), keras::ValueError);
  CHECK_THROWS_WITH_AS(Dataset::range(3).batch(0), doctest::Contains("Dataset.batch"), keras::ValueError);
  CHECK_THROWS_AS(Dataset::range(3).shuffle(0), keras::ValueError);
  auto ragged = Dataset::range(1, 4).map([](const Element& e) { return Element{Tensor::zeros({v0(e)})}; });
  CHECK_THROWS_WITH_AS(ragged.batch(3).collect(), doctest::Contains("padded_batch"), keras::ValueError);
  CHECK_THROWS_WITH_AS(ragged.padded_batch(3, {{2}}).collect(), doctest::Contains("padded_shapes"), keras::ValueError);
  CHECK_THROWS_WITH_AS(Dataset::range(3).repeat().collect(), doctest::Contains("infinite"), keras::ValueError);
  CHECK_THROWS_AS(Dataset().cardinality(), keras::ValueError);
}

TEST_CASE("data: named tensors keep their names") {
  auto ds = Dataset::from_tensor_slices(std::map<std::string, Tensor>{{"a", Tensor::zeros({4, 2})}, {"b", Tensor::ones({4})}});
  CHECK(ds.element_names() == std::vector<std::string>{"a", "b"});
  CHECK(ds.batch(2).shuffle(2).element_names() == ds.element_names());
  auto e = ds.batch(4).collect();
  REQUIRE(e.size() == 1);
  CHECK(e[0][1].to_vector<float>() == std::vector<float>{1, 1, 1, 1});
}

TEST_CASE("data: cache in memory keeps the first complete pass only") {
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto ds = Dataset::range(5).map([calls](const Element& e) {
    ++*calls;
    return scalar(v0(e) + 100);
  }).cache();
  {
    auto it = ds.make_iterator();  // stopped early: nothing kept
    it->next();
    it->next();
  }
  CHECK(*calls == 2);
  CHECK(values(ds) == std::vector<std::int64_t>{100, 101, 102, 103, 104});
  CHECK(*calls == 7);
  CHECK(values(ds) == std::vector<std::int64_t>{100, 101, 102, 103, 104});
  CHECK(*calls == 7);
}

TEST_CASE("data: cache in a file is read back by another pipeline; corrupt files are IOErrors") {
  std::string path = "/tmp/keras_data_cache_test_" + std::to_string(::getpid()) + ".kdc";
  std::remove(path.c_str());
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto make = [&] {
    return Dataset::range(4).map([calls](const Element& e) {
      ++*calls;
      return Element{Tensor::full({2}, double(v0(e))), scalar(v0(e))[0]};
    }).cache(path);
  };
  auto first = make().collect();
  CHECK(*calls == 4);
  auto again = make().collect();  // a new pipeline: reads the file
  CHECK(*calls == 4);
  REQUIRE(again.size() == 4);
  CHECK(again[3][0].to_vector<float>() == std::vector<float>{3, 3});
  CHECK(again[2][1].item() == 2);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12);  // the first component's dtype code
    f.put(char(99));
  }
  CHECK_THROWS_WITH_AS(make().collect(), doctest::Contains(path.c_str()), keras::IOError);
  std::remove(path.c_str());
}

TEST_CASE("data: prefetch overlaps preparation with the consumer") {
  using clock = std::chrono::steady_clock;
  auto work = [](const Element& e) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return e;
  };
  auto consume = [](const Dataset& ds) {
    auto t0 = clock::now();
    for (const Element& e : ds) {
      (void)e;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::chrono::duration<double>(clock::now() - t0).count();
  };
  double serial = consume(Dataset::range(20).map(work));
  double overlapped = consume(Dataset::range(20).map(work).prefetch(2));
  CHECK(overlapped < 0.8 * serial);  // ideally half: sleeping threads need no core
}

TEST_CASE("data: shuffle(all).batch draws a permutation of whole rows per pass") {
  std::vector<float> xv(40);
  std::vector<std::int64_t> yv(20);
  for (int i = 0; i < 20; ++i) xv[2 * i] = float(i), xv[2 * i + 1] = float(100 + i), yv[i] = i;
  auto ds = Dataset::from_tensor_slices({Tensor({20, 2}, xv), Tensor({20}, yv)}).shuffle(20, 9).batch(6);
  CHECK(ds.cardinality() == 4);
  std::vector<std::vector<std::int64_t>> passes;
  for (int p = 0; p < 2; ++p) {
    std::vector<std::int64_t> order;
    for (const Element& e : ds) {
      auto x = e[0].to_vector<float>();
      auto y = e[1].to_vector<std::int64_t>();
      for (std::size_t r = 0; r < y.size(); ++r) {
        CHECK(x[2 * r] == float(y[r]));  // rows stay whole and paired
        CHECK(x[2 * r + 1] == float(100 + y[r]));
        order.push_back(y[r]);
      }
    }
    auto sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 20; ++i) CHECK(sorted[i] == i);
    passes.push_back(order);
  }
  CHECK(passes[0] != passes[1]);
  auto again = Dataset::from_tensor_slices({Tensor({20, 2}, xv), Tensor({20}, yv)}).shuffle(20, 9).batch(6);
  std::vector<std::int64_t> first;
  for (const Element& e : again)
    for (auto v : e[1].to_vector<std::int64_t>()) first.push_back(v);
  CHECK(first == passes[0]);
  // Batches of plain slices share the source's memory, and a computation on them leaves it as it was.
  Tensor src({20, 2}, xv);
  for (const Element& e : Dataset::from_tensor_slices(src).batch(5)) (void)(Tensor(e[0]) / 2.0);
  CHECK(src.to_vector<float>() == xv);
}
