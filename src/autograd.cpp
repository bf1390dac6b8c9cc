// The reverse-mode engine: topological order, then one rule per node.
#include "keras/autograd.hpp"

#include <unordered_map>
#include <unordered_set>

#include "keras/ops.hpp"
#include "keras/variable.hpp"
#include "profiler/scope.hpp"
#include "tensor_impl.hpp"

namespace keras::autograd {
namespace {
thread_local bool g_enabled = true;
}

bool is_enabled() { return g_enabled; }
NoGradGuard::NoGradGuard() : prev_(g_enabled) { g_enabled = false; }
NoGradGuard::~NoGradGuard() { g_enabled = prev_; }

Tensor record(const char* op, Tensor output, std::vector<Tensor> inputs, BackwardFn fn) {
  if (!g_enabled) return output;
  bool any = false;
  for (auto& t : inputs) any |= t.defined() && t.requires_grad();
  if (!any) return output;
  auto node = std::make_shared<Node>();
  node->op = op;
  // Inputs that need no gradient are kept undefined so backward skips them.
  for (auto& t : inputs)
    if (t.defined() && !t.requires_grad()) t = Tensor();
  node->inputs = std::move(inputs);
  node->backward = std::move(fn);
  output.impl()->grad_fn = std::move(node);
  output.impl()->requires_grad = true;
  return output;
}

std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& wrt, const Tensor& grad_output) {
  KERAS_CHECK(output.defined(), ValueError, "grad: the output tensor is undefined");
  Tensor seed = grad_output;
  if (!seed.defined()) {
    KERAS_CHECK(output.size() == 1, ValueError,
                "grad: expected a scalar output (or an explicit grad_output), received shape ",
                shape_str(output.shape()));
    seed = ops::ones_like(output);
  }
  // Topological order by iterative DFS over nodes (post-order).
  std::vector<TensorImpl*> order;
  std::unordered_map<TensorImpl*, int> state;  // 1 = visiting, 2 = done
  std::vector<std::pair<Tensor, std::size_t>> stack;
  if (output.impl()->grad_fn) stack.push_back({output, 0});
  state[output.impl()] = 1;
  while (!stack.empty()) {
    auto& [t, i] = stack.back();
    auto& ins = t.impl()->grad_fn->inputs;
    if (i < ins.size()) {
      Tensor in = ins[i++];
      if (in.defined() && in.impl()->grad_fn && !state.count(in.impl())) {
        state[in.impl()] = 1;
        stack.push_back({in, 0});
      }
      continue;
    }
    order.push_back(t.impl());
    stack.pop_back();
  }
  std::unordered_set<TensorImpl*> keep;
  for (auto& w : wrt) keep.insert(w.impl());
  std::unordered_map<TensorImpl*, Tensor> grads;
  grads[output.impl()] = seed;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* t = *it;
    auto g = grads.find(t);
    if (g == grads.end()) continue;
    Tensor gout = g->second;
    Node& node = *t->grad_fn;
    std::vector<Tensor> gin;
    {
      NoGradGuard ng;  // gradients of gradients are not needed
      profiler::detail::Scope timed(node.op, profiler::Category::backward);
      gin = node.backward(gout);
    }
    KERAS_ASSERT(gin.size() == node.inputs.size());
    for (std::size_t k = 0; k < gin.size(); ++k) {
      const Tensor& in = node.inputs[k];
      if (!in.defined() || !gin[k].defined()) continue;
      KERAS_ASSERT(gin[k].shape() == in.shape());
      auto [pos, inserted] = grads.try_emplace(in.impl(), gin[k]);
      if (!inserted) {
        NoGradGuard ng;
        pos->second = ops::add(pos->second, gin[k]);
      }
    }
    // Free intermediate gradients as soon as they are consumed.
    if (!keep.count(t)) grads.erase(g);
  }
  std::vector<Tensor> result;
  result.reserve(wrt.size());
  for (auto& w : wrt) {
    auto g = grads.find(w.impl());
    if (g != grads.end()) {
      result.push_back(g->second);
    } else {
      NoGradGuard ng;
      result.push_back(ops::zeros_like(w));
    }
  }
  return result;
}

}  // namespace keras::autograd

namespace keras {
std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources) {
  return autograd::grad(target, sources);
}
std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Variable>& sources) {
  std::vector<Tensor> t;
  t.reserve(sources.size());
  for (auto& v : sources) t.push_back(v.value());
  return autograd::grad(target, t);
}
}  // namespace keras
