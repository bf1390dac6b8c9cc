// keras::Tensor: construction, conversion, element access and printing.
#include "keras/tensor.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <sstream>

#include "keras/backend.hpp"
#include "keras/ops.hpp"
#include "tensor_impl.hpp"

namespace keras {

Tensor make_tensor(const Shape& shape, DType dtype, Device device) {
  for (auto d : shape)
    KERAS_CHECK(d >= 0, ValueError, "Tensor dimensions must be >= 0, received shape ",
                shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  auto& be = backend::get(device);
  impl->storage = std::make_shared<Storage>(&be, static_cast<std::size_t>(shape_size(shape)) * dtype_size(dtype));
  impl->shape = shape;
  impl->dtype = dtype;
  impl->device = device;
  return Tensor(std::move(impl));
}

Tensor alias(const Tensor& x, const Shape& shape, std::size_t extra_offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = x.impl()->storage;
  impl->offset = x.impl()->offset + extra_offset;
  impl->shape = shape;
  impl->dtype = x.dtype();
  impl->device = x.device();
  return Tensor(std::move(impl));
}

namespace {
template <class T>
Tensor from_vector(Shape shape, const std::vector<T>& data) {
  KERAS_CHECK(shape_size(shape) == static_cast<std::int64_t>(data.size()), ValueError,
              "Tensor: shape ", shape_str(shape), " needs ", shape_size(shape),
              " values, received ", data.size());
  return Tensor::from_data(shape, dtype_of<T>::value, data.data());
}
}  // namespace

Tensor::Tensor(Shape shape, const std::vector<float>& data) : Tensor(from_vector(std::move(shape), data)) {}
Tensor::Tensor(Shape shape, const std::vector<std::int32_t>& data)
    : Tensor(from_vector(std::move(shape), data)) {}
Tensor::Tensor(Shape shape, const std::vector<std::int64_t>& data)
    : Tensor(from_vector(std::move(shape), data)) {}
Tensor::Tensor(Shape shape, const std::vector<std::uint8_t>& data)
    : Tensor(from_vector(std::move(shape), data)) {}

Tensor::Tensor(std::initializer_list<float> values)
    : Tensor(Shape{static_cast<std::int64_t>(values.size())}, std::vector<float>(values)) {}

Tensor::Tensor(std::initializer_list<std::initializer_list<float>> rows) {
  std::vector<float> v;
  std::int64_t cols = rows.size() ? static_cast<std::int64_t>(rows.begin()->size()) : 0;
  for (auto& r : rows) {
    KERAS_CHECK(static_cast<std::int64_t>(r.size()) == cols, ValueError,
                "Tensor: nested lists must be rectangular; expected rows of ", cols,
                " values, received a row of ", r.size());
    v.insert(v.end(), r.begin(), r.end());
  }
  *this = Tensor(Shape{static_cast<std::int64_t>(rows.size()), cols}, v);
}

Tensor::Tensor(std::initializer_list<std::initializer_list<std::initializer_list<float>>> planes) {
  std::vector<float> v;
  std::int64_t rows = planes.size() ? static_cast<std::int64_t>(planes.begin()->size()) : 0;
  std::int64_t cols = rows ? static_cast<std::int64_t>(planes.begin()->begin()->size()) : 0;
  for (auto& p : planes) {
    KERAS_CHECK(static_cast<std::int64_t>(p.size()) == rows, ValueError,
                "Tensor: nested lists must be rectangular; expected ", rows, " rows, received ",
                p.size());
    for (auto& r : p) {
      KERAS_CHECK(static_cast<std::int64_t>(r.size()) == cols, ValueError,
                  "Tensor: nested lists must be rectangular; expected rows of ", cols,
                  " values, received a row of ", r.size());
      v.insert(v.end(), r.begin(), r.end());
    }
  }
  *this = Tensor(Shape{static_cast<std::int64_t>(planes.size()), rows, cols}, v);
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  return make_tensor(shape, dtype, device);
}
Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }
Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = make_tensor(shape, dtype, device);
  backend::get(device).fill(t, value);
  return t;
}
Tensor Tensor::scalar(double value, DType dtype, Device device) { return full({}, value, dtype, device); }

Tensor Tensor::from_data(const Shape& shape, DType dtype, const void* host_data, Device device) {
  Tensor t = make_tensor(shape, dtype, device);
  if (t.nbytes()) backend::get(device).copy_from_host(t.data_ptr(), host_data, t.nbytes());
  return t;
}

Tensor Tensor::from_blob(void* host_data, const Shape& shape, DType dtype, std::function<void()> release) {
  for (auto d : shape)
    KERAS_CHECK(d >= 0, ValueError, "from_blob: dimensions must be >= 0, received shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  std::size_t n = static_cast<std::size_t>(shape_size(shape)) * dtype_size(dtype);
  impl->storage = std::make_shared<Storage>(host_data, n, std::move(release));
  impl->shape = shape;
  impl->dtype = dtype;
  impl->device = Device::cpu();
  return Tensor(std::move(impl));
}

static const TensorImpl& need(const std::shared_ptr<TensorImpl>& p) {
  KERAS_CHECK(p != nullptr, ValueError, "Operation on an undefined (empty) Tensor");
  return *p;
}

const Shape& Tensor::shape() const { return need(impl_).shape; }
std::int64_t Tensor::shape(int axis) const {
  int n = ndim();
  int a = axis < 0 ? axis + n : axis;
  KERAS_CHECK(a >= 0 && a < n, ValueError, "axis ", axis, " is out of range for a tensor of shape ",
              shape_str(shape()));
  return shape()[a];
}
int Tensor::ndim() const { return static_cast<int>(shape().size()); }
std::int64_t Tensor::size() const { return shape_size(shape()); }
std::size_t Tensor::nbytes() const { return static_cast<std::size_t>(size()) * dtype_size(dtype()); }
DType Tensor::dtype() const { return need(impl_).dtype; }
Device Tensor::device() const { return need(impl_).device; }
void* Tensor::data_ptr() const { return need(impl_).data(); }

Tensor Tensor::astype(DType dtype) const { return ops::cast(*this, dtype); }

Tensor Tensor::to(Device device) const {
  if (device == this->device()) return *this;
  Tensor out = make_tensor(shape(), dtype(), device);
  if (!nbytes()) return out;
  if (this->device().is_cpu()) {
    backend::get(device).copy_from_host(out.data_ptr(), data_ptr(), nbytes());
  } else if (device.is_cpu()) {
    backend::get(this->device()).copy_to_host(out.data_ptr(), data_ptr(), nbytes());
  } else {
    std::vector<char> host(nbytes());
    backend::get(this->device()).copy_to_host(host.data(), data_ptr(), nbytes());
    backend::get(device).copy_from_host(out.data_ptr(), host.data(), nbytes());
  }
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = make_tensor(shape(), dtype(), device());
  if (nbytes()) backend::get(device()).copy(out.data_ptr(), data_ptr(), nbytes());
  return out;
}

Tensor Tensor::reshape(const Shape& shape) const& { return ops::reshape(*this, shape); }

Tensor Tensor::reshape(const Shape& shape) && {
  if (!defined() || requires_grad() || impl_.use_count() != 1) return ops::reshape(*this, shape);
  Tensor r = ops::reshape(*this, shape);  // validates and resolves -1
  impl_->shape = r.shape();
  return Tensor(std::move(impl_));
}

Tensor Tensor::slice(std::int64_t begin, std::int64_t end) const {
  KERAS_CHECK(ndim() >= 1, ValueError, "slice: cannot slice a 0-d tensor");
  return ops::slice_axis(*this, 0, begin, end);
}

Tensor Tensor::operator[](std::int64_t i) const {
  KERAS_CHECK(ndim() >= 1, ValueError, "index: cannot index a 0-d tensor");
  std::int64_t n = shape()[0];
  if (i < 0) i += n;
  KERAS_CHECK(i >= 0 && i < n, ValueError, "index ", i, " is out of range for axis 0 of size ", n);
  Shape rest(shape().begin() + 1, shape().end());
  return ops::reshape(slice(i, i + 1), rest);
}

void Tensor::check_host_access(DType t) const {
  KERAS_CHECK(defined(), ValueError, "data(): the tensor is undefined");
  KERAS_CHECK(device().is_cpu(), ValueError, "data(): the tensor is on ", device().str(),
              "; call .cpu() first");
  KERAS_CHECK(t == dtype() || (t == DType::uint8 && dtype() == DType::bool_), TypeError,
              "data<", dtype_name(t), ">(): the tensor's dtype is ", dtype_name(dtype()));
}

std::int64_t Tensor::flat_index(const std::int64_t* idx, std::size_t n) const {
  KERAS_CHECK(static_cast<int>(n) == ndim(), ValueError, "at(): expected ", ndim(),
              " indices for shape ", shape_str(shape()), ", received ", n);
  std::int64_t flat = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t d = shape()[i], k = idx[i] < 0 ? idx[i] + d : idx[i];
    KERAS_CHECK(k >= 0 && k < d, ValueError, "at(): index ", idx[i], " is out of range for axis ", i,
                " of size ", d);
    flat = flat * d + k;
  }
  return flat;
}

double Tensor::item() const {
  KERAS_CHECK(size() == 1, ValueError, "item(): expected a tensor with one element, received shape ",
              shape_str(shape()));
  Tensor h = to(Device::cpu());
  switch (dtype()) {
    case DType::float32: return *static_cast<const float*>(h.data_ptr());
    case DType::int32: return *static_cast<const std::int32_t*>(h.data_ptr());
    case DType::int64: return static_cast<double>(*static_cast<const std::int64_t*>(h.data_ptr()));
    case DType::uint8:
    case DType::bool_: return *static_cast<const std::uint8_t*>(h.data_ptr());
  }
  return 0;
}

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

Tensor& Tensor::requires_grad_(bool value) {
  KERAS_CHECK(defined(), ValueError, "requires_grad_: the tensor is undefined");
  KERAS_CHECK(!value || is_floating(dtype()), TypeError,
              "requires_grad_: only float32 tensors can require gradients, this one is ",
              dtype_name(dtype()));
  impl_->requires_grad = value;
  return *this;
}

Tensor Tensor::detach() const { return alias(*this, shape()); }

Tensor Tensor::grad() const { return impl_ ? impl_->grad : Tensor(); }
void Tensor::zero_grad() {
  if (impl_) impl_->grad = Tensor();
}

void Tensor::backward() const {
  KERAS_CHECK(size() == 1, ValueError,
              "backward(): expected a scalar (one element), received shape ", shape_str(shape()));
  // Collect the leaves reachable from this tensor, then accumulate.
  std::vector<Tensor> leaves;
  std::vector<TensorImpl*> seen;
  std::vector<Tensor> stack{*this};
  while (!stack.empty()) {
    Tensor t = stack.back();
    stack.pop_back();
    auto* p = t.impl();
    bool dup = false;
    for (auto* s : seen) dup |= s == p;
    if (dup) continue;
    seen.push_back(p);
    if (!p->grad_fn) {
      if (p->requires_grad) leaves.push_back(t);
      continue;
    }
    for (auto& in : p->grad_fn->inputs)
      if (in.defined()) stack.push_back(in);
  }
  auto grads = autograd::grad(*this, leaves);
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    auto* p = leaves[i].impl();
    p->grad = p->grad.defined() ? ops::add(p->grad, grads[i]) : grads[i];
  }
}

// ---- operators ----
namespace {
Tensor scalar_like(const Tensor& t, double v) {
  return Tensor::scalar(v, t.dtype() == DType::bool_ || t.dtype() == DType::uint8 ? float32 : t.dtype(),
                        t.device());
}
Tensor promote(const Tensor& t) {
  // uint8/bool arithmetic with a double scalar promotes to float32, as NumPy
  // does for non-integral scalars; keeps `x / 255.0f` on uint8 images useful.
  return t.dtype() == DType::bool_ || t.dtype() == DType::uint8 ? ops::cast(t, float32) : t;
}
}  // namespace

Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return ops::subtract(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return ops::multiply(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return ops::divide(a, b); }
Tensor operator+(const Tensor& a, double b) { return ops::add(promote(a), scalar_like(a, b)); }
Tensor operator-(const Tensor& a, double b) { return ops::subtract(promote(a), scalar_like(a, b)); }
Tensor operator*(const Tensor& a, double b) { return ops::multiply(promote(a), scalar_like(a, b)); }
Tensor operator/(const Tensor& a, double b) { return ops::divide(promote(a), scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return ops::add(scalar_like(b, a), promote(b)); }
Tensor operator-(double a, const Tensor& b) { return ops::subtract(scalar_like(b, a), promote(b)); }
Tensor operator*(double a, const Tensor& b) { return ops::multiply(scalar_like(b, a), promote(b)); }
Tensor operator/(double a, const Tensor& b) { return ops::divide(scalar_like(b, a), promote(b)); }
Tensor operator-(const Tensor& a) { return ops::negative(a); }

namespace {
// True if `a` is a float32 tensor no other handle or view can observe.
bool sole_owner(const Tensor& a) {
  return a.defined() && a.dtype() == float32 && !a.requires_grad() && a.impl_ptr().use_count() == 1 &&
         a.impl()->storage && a.impl()->storage.use_count() == 1;
}
Tensor in_place(Tensor&& a, backend::Binary op, double b) {
  Tensor out = std::move(a);
  backend::get(out.device()).binary(op, out, Tensor::scalar(b, float32, out.device()), out);
  return out;
}
}  // namespace

Tensor operator+(Tensor&& a, double b) {
  return sole_owner(a) ? in_place(std::move(a), backend::Binary::add, b) : static_cast<const Tensor&>(a) + b;
}
Tensor operator-(Tensor&& a, double b) {
  return sole_owner(a) ? in_place(std::move(a), backend::Binary::sub, b) : static_cast<const Tensor&>(a) - b;
}
Tensor operator*(Tensor&& a, double b) {
  return sole_owner(a) ? in_place(std::move(a), backend::Binary::mul, b) : static_cast<const Tensor&>(a) * b;
}
Tensor operator/(Tensor&& a, double b) {
  return sole_owner(a) ? in_place(std::move(a), backend::Binary::div, b) : static_cast<const Tensor&>(a) / b;
}

// ---- printing, NumPy style ----
namespace {
std::string fmt_float(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e16) {
    std::snprintf(buf, sizeof buf, "%.0f.", v);
    return buf;
  }
  if (std::fabs(v) >= 1e-4 && std::fabs(v) < 1e8) {
    std::snprintf(buf, sizeof buf, "%.8f", v);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    return s;
  }
  std::snprintf(buf, sizeof buf, "%.8e", v);
  return buf;
}

std::string fmt_elem(const Tensor& h, std::int64_t i) {
  switch (h.dtype()) {
    case DType::float32: return fmt_float(static_cast<const float*>(h.data_ptr())[i]);
    case DType::int32: return std::to_string(static_cast<const std::int32_t*>(h.data_ptr())[i]);
    case DType::int64: return std::to_string(static_cast<const std::int64_t*>(h.data_ptr())[i]);
    case DType::uint8: return std::to_string(static_cast<const std::uint8_t*>(h.data_ptr())[i]);
    case DType::bool_: return static_cast<const std::uint8_t*>(h.data_ptr())[i] ? "True" : "False";
  }
  return "?";
}

constexpr std::int64_t kEdge = 3;  // NumPy's edgeitems when summarizing

void print_rec(std::ostream& os, const Tensor& h, const std::vector<std::string>& cells, std::size_t width,
               int dim, std::int64_t offset, std::int64_t stride, bool summarize, int indent) {
  const Shape& s = h.shape();
  std::int64_t n = s[dim];
  std::int64_t inner = stride / (n ? n : 1);
  os << "[";
  bool last = dim + 1 == static_cast<int>(s.size());
  for (std::int64_t i = 0; i < n; ++i) {
    if (summarize && n > 2 * kEdge && i == kEdge) {
      os << (last ? "..." : "...");
      if (last) os << " ";
      else os << "\n" << std::string(indent + 1, ' ');
      i = n - kEdge - 1;
      continue;
    }
    if (last) {
      std::string c = cells[offset + i];
      os << std::string(width - c.size(), ' ') << c;
      if (i + 1 < n) os << " ";
    } else {
      print_rec(os, h, cells, width, dim + 1, offset + i * inner, inner, summarize, indent + 1);
      if (i + 1 < n) os << std::string(s.size() - dim - 1, '\n') << std::string(indent + 1, ' ');
    }
  }
  os << "]";
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "Tensor(undefined)";
  Tensor h = t.to(Device::cpu());
  std::vector<std::string> cells(h.size());
  std::size_t width = 0;
  for (std::int64_t i = 0; i < h.size(); ++i) cells[i] = fmt_elem(h, i);
  if (h.dtype() == float32) {
    // NumPy aligns the decimal points: pad integer parts left, fractions right.
    std::size_t ip = 0, fp = 0;
    bool plain = true;
    for (auto& c : cells) {
      auto dot = c.find('.');
      if (dot == std::string::npos || c.find('e') != std::string::npos) { plain = false; break; }
      ip = std::max(ip, dot);
      fp = std::max(fp, c.size() - dot - 1);
    }
    if (plain)
      for (auto& c : cells) {
        auto dot = c.find('.');
        c = std::string(ip - dot, ' ') + c + std::string(fp - (c.size() - dot - 1), ' ');
      }
  }
  for (auto& c : cells) width = std::max(width, c.size());
  if (h.ndim() == 0) return os << cells[0];
  print_rec(os, h, cells, width, 0, 0, h.size(), h.size() > 1000, 0);
  return os;
}

}  // namespace keras
