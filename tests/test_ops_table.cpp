// One table of keras::ops (forward and gradients) with awkward shapes:
// size-1 dimensions, odd sizes, broadcasting, widths that are no multiple
// of the SIMD width. On the CPU each differentiable entry's autograd
// gradient is checked against central finite differences; on every other
// available backend the forward value and the gradients are compared with
// the CPU's. Backends that are not available are reported as SKIPPED.
#include <cmath>
#include <iostream>

#include "test_helpers.hpp"

using keras::Device;
using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
using namespace testing;

namespace {

using Fn = std::function<Tensor(std::vector<Tensor>&)>;

struct Input {
  Shape shape;
  float lo = -2, hi = 2;
  bool positive_margin = false;  // keep |x| >= 0.2 (kinks at zero)
};

struct Entry {
  const char* name;
  std::vector<Input> inputs;
  Fn fn;
  bool differentiable = true;
};

Fn un(Tensor (*f)(const Tensor&)) {
  return [f](std::vector<Tensor>& in) { return f(in[0]); };
}
Fn bin(Tensor (*f)(const Tensor&, const Tensor&)) {
  return [f](std::vector<Tensor>& in) { return f(in[0], in[1]); };
}

const Shape kOdd{3, 1, 7};     // size-1 middle dim, odd last dim (not a multiple of 8 or 16)
const Shape kBcast{1, 5, 1};   // broadcasts against kOdd to (3, 5, 7)
const Input kAny{kOdd}, kKinked{kOdd, -2, 2, true}, kPos{kOdd, 0.3f, 3};

std::vector<Entry> elementwise_entries() {
  return {
      {"negative", {kAny}, un(ops::negative)},          {"abs", {kKinked}, un(ops::abs)},
      {"sign", {kKinked}, un(ops::sign), false},        {"square", {kAny}, un(ops::square)},
      {"sqrt", {kPos}, un(ops::sqrt)},                  {"rsqrt", {kPos}, un(ops::rsqrt)},
      {"exp", {kAny}, un(ops::exp)},                    {"log", {kPos}, un(ops::log)},
      {"log1p", {kPos}, un(ops::log1p)},                {"reciprocal", {kPos}, un(ops::reciprocal)},
      {"floor", {kAny}, un(ops::floor), false},         {"round", {kAny}, un(ops::round), false},
      {"relu", {kKinked}, un(ops::relu)},               {"relu6", {{kOdd, -2, 5.5f, true}}, un(ops::relu6)},
      {"sigmoid", {kAny}, un(ops::sigmoid)},            {"tanh", {kAny}, un(ops::tanh)},
      {"selu", {kKinked}, un(ops::selu)},               {"softplus", {kAny}, un(ops::softplus)},
      {"softsign", {kKinked}, un(ops::softsign)},       {"silu", {kAny}, un(ops::silu)},
      {"hard_sigmoid", {{kOdd, -2, 2, true}}, un(ops::hard_sigmoid)},
      {"elu", {kKinked}, [](auto& in) { return ops::elu(in[0], 0.7); }},
      {"gelu_tanh", {kAny}, [](auto& in) { return ops::gelu(in[0], true); }},
      {"gelu_erf", {kAny}, [](auto& in) { return ops::gelu(in[0], false); }},
      {"leaky_relu", {kKinked}, [](auto& in) { return ops::leaky_relu(in[0], 0.1); }},
      {"clip", {kKinked}, [](auto& in) { return ops::clip(in[0], -0.9, 1.1); }},
      {"softmax", {kAny}, [](auto& in) { return ops::softmax(in[0], -1); }},
      {"softmax_axis0", {kAny}, [](auto& in) { return ops::softmax(in[0], 0); }},
      {"log_softmax", {kAny}, [](auto& in) { return ops::log_softmax(in[0], -1); }},
      {"add", {kAny, {kBcast}}, bin(ops::add)},         {"subtract", {kAny, {kBcast}}, bin(ops::subtract)},
      {"multiply", {kAny, {kBcast}}, bin(ops::multiply)},
      {"divide", {kAny, {kBcast, 0.5f, 2}}, bin(ops::divide)},
      {"power", {kPos, {kBcast, -1, 2}}, bin(ops::power)},
      {"maximum", {kAny, {{7}, -2, 2}}, bin(ops::maximum)}, {"minimum", {kAny, {{1, 1, 7}}}, bin(ops::minimum)},
      {"less", {kAny, {kBcast}}, [](auto& in) { return ops::cast(ops::less(in[0], in[1]), keras::float32); }, false},
      {"greater_equal", {kAny, {kBcast}},
       [](auto& in) { return ops::cast(ops::greater_equal(in[0], in[1]), keras::float32); }, false},
      {"where", {kAny, {kBcast}},
       [](auto& in) { return ops::where(ops::greater(in[0], in[1]), in[0], ops::square(in[1])); }},
  };
}

std::vector<Entry> structural_entries() {
  auto ints = [](std::vector<std::int64_t> v) { return Tensor({static_cast<std::int64_t>(v.size())}, v); };
  return {
      {"sum_all", {kAny}, [](auto& in) { return ops::sum(in[0]); }},
      {"sum_axis", {kAny}, [](auto& in) { return ops::sum(in[0], {0, 2}, true); }},
      {"mean", {kAny}, [](auto& in) { return ops::mean(in[0], {-1}); }},
      {"max", {kAny}, [](auto& in) { return ops::max(in[0], {2}); }},
      {"min", {kAny}, [](auto& in) { return ops::min(in[0], {0}); }},
      {"prod", {{kOdd, 0.5f, 1.5f}}, [](auto& in) { return ops::prod(in[0], {2}); }},
      {"argmax", {kAny}, [](auto& in) { return ops::cast(ops::argmax(in[0], -1), keras::float32); }, false},
      {"argmin", {kAny}, [](auto& in) { return ops::cast(ops::argmin(in[0], 0), keras::float32); }, false},
      {"reshape", {kAny}, [](auto& in) { return ops::multiply(ops::reshape(in[0], {7, 3}), in[0].reshape({7, 3})); }},
      {"transpose", {kAny}, [](auto& in) { return ops::square(ops::transpose(in[0], {2, 0, 1})); }},
      {"broadcast_to", {{kBcast}}, [](auto& in) { return ops::square(ops::broadcast_to(in[0], {3, 5, 7})); }},
      {"concatenate", {kAny, {{3, 2, 7}}}, [](auto& in) { return ops::square(ops::concatenate({in[0], in[1]}, 1)); }},
      {"slice_axis", {kAny}, [](auto& in) { return ops::square(ops::slice_axis(in[0], 2, 1, 6)); }},
      {"take", {kAny}, [ints](auto& in) { return ops::square(ops::take(in[0], ints({6, 0, 6, 3}), 2)); }},
      {"one_hot", {}, [ints](auto&) { return ops::one_hot(ints({2, 0, 4}), 5); }, false},
      {"matmul", {{{3, 5}}, {{5, 7}}}, bin(ops::matmul)},
      {"matmul_batched", {{{2, 3, 5}}, {{5, 1}}}, bin(ops::matmul)},
      {"bias_activation", {kAny, {{7}}}, [](auto& in) { return ops::bias_activation(in[0], in[1], "tanh"); }},
      {"layer_normalization", {kAny, {{7}}, {{7}}},
       [](auto& in) { return ops::layer_normalization(in[0], in[1], in[2], -1); }},
      {"batch_normalization", {kAny, {{7}}, {{7}, 0.5f, 2}},
       [](auto& in) { return ops::batch_normalization(in[0], in[1], in[2], -1); }},
      {"batch_normalization_training", {kAny},
       [](auto& in) { return ops::batch_normalization_training(in[0], -1).y; }},
      {"categorical_crossentropy", {{{3, 7}}, {{3, 7}}},
       [](auto& in) { return ops::categorical_crossentropy(ops::softmax(in[1]), in[0], true); }},
      {"sparse_categorical_crossentropy", {{{3, 7}}},
       [ints](auto& in) { return ops::sparse_categorical_crossentropy(ints({6, 0, 3}), in[0], true, 0.1); }},
      {"binary_crossentropy", {{{3, 7}}},
       [](auto& in) {
         return ops::binary_crossentropy(random_tensor({3, 7}, 0.1f, 0.9f, 5, in[0].device()), in[0], true);
       }},
      {"sum_squares", {kAny}, [](auto& in) { return ops::sum_squares(in[0]); }, false},
  };
}

std::vector<Entry> conv_entries() {
  const Input x{{2, 5, 7, 3}}, k{{3, 3, 3, 5}}, b{{5}};
  return {
      {"conv_valid", {x, k}, [](auto& in) { return ops::conv(in[0], in[1], {1}, "valid"); }},
      {"conv_same_stride2", {x, k}, [](auto& in) { return ops::conv(in[0], in[1], {2}, "same"); }},
      {"conv_dilated", {x, k}, [](auto& in) { return ops::conv(in[0], in[1], {1}, "same", {2}); }},
      {"conv1d", {{{2, 9, 3}}, {{3, 3, 4}}}, [](auto& in) { return ops::conv(in[0], in[1], {1}, "same"); }},
      {"conv_bias_activation", {x, k, b},
       [](auto& in) { return ops::conv_bias_activation(in[0], in[1], in[2], "sigmoid", {1}, "same"); }},
      {"conv_bias_activation_max_pool", {x, k, b},
       [](auto& in) {
         return ops::conv_bias_activation_max_pool(in[0], in[1], in[2], "tanh", {1}, "same", {1}, {2, 2});
       }},
      {"conv_transpose", {{{1, 4, 3, 3}}, {{3, 3, 2, 3}}},
       [](auto& in) { return ops::conv_transpose(in[0], in[1], {2}, "same"); }},
      {"depthwise_conv", {x, {{3, 3, 3, 2}}}, [](auto& in) { return ops::depthwise_conv(in[0], in[1], {1}, "same"); }},
      {"max_pool", {x}, [](auto& in) { return ops::max_pool(in[0], {2, 2}, {}, "same"); }},
      {"average_pool", {x}, [](auto& in) { return ops::average_pool(in[0], {3, 2}, {1, 2}, "valid"); }},
  };
}

std::vector<Entry> all_entries() {
  auto all = elementwise_entries();
  for (auto* part : {structural_entries, conv_entries}) {
    auto more = part();
    all.insert(all.end(), more.begin(), more.end());
  }
  return all;
}

std::vector<Tensor> make_inputs(const Entry& e, Device d) {
  std::vector<Tensor> in;
  unsigned seed = 11;
  for (const Input& i : e.inputs) {
    in.push_back(i.positive_margin ? away_from_zero(i.shape, i.lo, i.hi, 0.2f, seed, d)
                                   : random_tensor(i.shape, i.lo, i.hi, seed, d));
    seed += 7;
  }
  return in;
}

// Gradients of sum(f(inputs) * w) for a fixed w (seeded, same on every device).
std::vector<Tensor> gradients(const Entry& e, std::vector<Tensor> in, const Tensor& y) {
  for (auto& t : in) t.requires_grad_(true);
  Tensor w = random_tensor(y.shape(), 0.5f, 1.5f, 99, y.device());
  return keras::autograd::grad(ops::sum(ops::multiply(e.fn(in), w)), in);
}

void compare(const std::string& what, const Tensor& got, const Tensor& want) {
  REQUIRE_MESSAGE(got.shape() == want.shape(), what << ": shape " << keras::shape_str(got.shape()) << " vs "
                                                    << keras::shape_str(want.shape()));
  check_close(got.cpu(), want.cpu().astype(keras::float32).to_vector<float>(), 1e-4, 1e-4, what);
}

}  // namespace

TEST_CASE("ops table: every op, forward and gradients, on every backend against the CPU") {
  const auto entries = all_entries();
  const auto devs = keras::backend::available_devices();
  if (devs.size() == 1)
    MESSAGE("SKIPPED: ops table on non-CPU backends (no GPU present); checked on cpu only");
  int checked = 0;
  for (const Entry& e : entries) {
    INFO("op " << std::string(e.name));
    auto cpu_in = make_inputs(e, Device::cpu());
    Tensor ref = e.fn(cpu_in);
    CHECK_FALSE(ops::any_nonfinite(ref.astype(keras::float32)));
    if (e.differentiable) gradcheck(std::string(e.name) + " on cpu", e.fn, cpu_in, 1e-2, 3e-2);
    const auto ref_grads = e.differentiable ? gradients(e, cpu_in, ref) : std::vector<Tensor>{};
    ++checked;
    for (std::size_t k = 1; k < devs.size(); ++k) {
      DeviceScope scope(devs[k]);
      auto in = make_inputs(e, devs[k]);
      Tensor y = e.fn(in);
      compare(std::string(e.name) + " forward on " + devs[k].str(), y, ref);
      if (e.differentiable) {
        auto g = gradients(e, in, y);
        for (std::size_t i = 0; i < g.size(); ++i)
          compare(std::string(e.name) + " gradient " + std::to_string(i) + " on " + devs[k].str(), g[i], ref_grads[i]);
      }
      ++checked;
    }
  }
  std::cout << "ops table: " << entries.size() << " ops x " << devs.size() << " backend(s) checked (" << checked
            << " op-backend pairs)" << std::endl;
  CHECK(checked == static_cast<int>(entries.size() * devs.size()));
}

TEST_CASE("ops table: indices and labels out of range raise ValueError naming the op and the range") {
  for (Device d : devices()) {
    DeviceScope scope(d);
    Tensor x = random_tensor({3, 4}, -1, 1, 3, d);
    Tensor bad = Tensor({2}, std::vector<std::int64_t>{1, 4}).to(d);
    try {
      ops::take(x, bad, 1);
      FAIL("take accepted index 4 for an axis of size 4 on " << d.str());
    } catch (const keras::ValueError& err) {
      std::string m = err.what();
      CHECK_MESSAGE(m.find("take") != std::string::npos, m);
      CHECK_MESSAGE(m.find("[0, 4)") != std::string::npos, m);
      CHECK_MESSAGE(m.find("received 4") != std::string::npos, m);
    }
    Tensor neg = Tensor({3}, std::vector<std::int64_t>{0, -2, 1}).to(d);
    try {
      ops::sparse_categorical_crossentropy(neg, x, true);
      FAIL("sparse_categorical_crossentropy accepted label -2 on " << d.str());
    } catch (const keras::ValueError& err) {
      std::string m = err.what();
      CHECK_MESSAGE(m.find("sparse_categorical_crossentropy") != std::string::npos, m);
      CHECK_MESSAGE(m.find("[0, 4)") != std::string::npos, m);
      CHECK_MESSAGE(m.find("received -2") != std::string::npos, m);
    }
  }
}
