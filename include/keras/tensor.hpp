// keras::Tensor: an n-dimensional array with a shape, a dtype and a device.
//
// A Tensor is a cheap handle: copying one shares its memory (like a NumPy
// array passed around in Python). Tensors are always contiguous, row-major.
// Arithmetic goes through keras::ops and is recorded for autograd when an
// input requires a gradient.
//
// Example:
//   keras::Tensor x({5, 1}, std::vector<float>{1, 2, 3, 4, 5});
//   keras::Tensor m({{1.0f, 2.0f}, {3.0f, 4.0f}});
//   float v = m.at<float>(1, 0);   // 3
//   std::cout << m * 2.0f << "\n";
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "keras/dtype.hpp"
#include "keras/errors.hpp"

namespace keras {

using Shape = std::vector<std::int64_t>;
// "(32, 28, 28)"; a dimension of -1 (unknown batch) prints as None.
std::string shape_str(const Shape& s);
// Product of the dimensions (1 for a scalar).
std::int64_t shape_size(const Shape& s);

struct TensorImpl;  // defined in src/tensor_impl.hpp

class Tensor {
 public:
  // An undefined tensor (defined() == false).
  Tensor() = default;
  // Shape, then row-major data; data.size() must equal the shape's size.
  Tensor(Shape shape, const std::vector<float>& data);
  Tensor(Shape shape, const std::vector<std::int32_t>& data);
  Tensor(Shape shape, const std::vector<std::int64_t>& data);
  Tensor(Shape shape, const std::vector<std::uint8_t>& data);
  // Nested initializer lists: 1-, 2- and 3-D float32.
  Tensor(std::initializer_list<float> values);
  Tensor(std::initializer_list<std::initializer_list<float>> rows);
  Tensor(std::initializer_list<std::initializer_list<std::initializer_list<float>>> planes);

  // Uninitialized memory of the given shape.
  static Tensor empty(const Shape& shape, DType dtype = float32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = float32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = float32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = float32,
                     Device device = Device::cpu());
  // A 0-d tensor.
  static Tensor scalar(double value, DType dtype = float32, Device device = Device::cpu());
  // Copies n elements from host memory.
  static Tensor from_data(const Shape& shape, DType dtype, const void* host_data,
                          Device device = Device::cpu());
  // Wraps existing host memory without copying; `release` runs when the
  // last tensor using it goes away (keras/xtensor.hpp uses this).
  static Tensor from_blob(void* host_data, const Shape& shape, DType dtype, std::function<void()> release);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  // Dimension `axis` (negative counts from the end).
  std::int64_t shape(int axis) const;
  int ndim() const;
  std::int64_t size() const;  // number of elements
  std::size_t nbytes() const;
  DType dtype() const;
  Device device() const;

  // Conversions (always return new memory unless nothing changes).
  Tensor astype(DType dtype) const;
  Tensor to(Device device) const;
  Tensor cpu() const { return to(Device::cpu()); }
  Tensor clone() const;

  // Same memory, new shape; one dimension may be -1. Differentiable.
  Tensor reshape(const Shape& shape) const&;
  // On a temporary: reuses it (no view left behind), so chains like
  // x.astype(keras::float32).reshape({-1, 784}) / 255.0f stay one copy.
  Tensor reshape(const Shape& shape) &&;
  // Rows [begin, end) along axis 0, sharing memory. Differentiable.
  Tensor slice(std::int64_t begin, std::int64_t end) const;
  // Row i along axis 0 (drops the axis), sharing memory.
  Tensor operator[](std::int64_t i) const;

  // Host access; throws if the tensor is not on the CPU or the type differs.
  template <class T>
  const T* data() const {
    check_host_access(dtype_of<T>::value);
    return static_cast<const T*>(data_ptr());
  }
  template <class T>
  T* data() {
    check_host_access(dtype_of<T>::value);
    return static_cast<T*>(data_ptr());
  }
  template <class T, class... I>
  T at(I... index) const {
    const std::int64_t idx[] = {static_cast<std::int64_t>(index)...};
    return data<T>()[flat_index(idx, sizeof...(I))];
  }
  // A copy of the elements as a std::vector (any device).
  template <class T>
  std::vector<T> to_vector() const {
    Tensor h = to(Device::cpu());
    const T* p = h.data<T>();
    return std::vector<T>(p, p + h.size());
  }
  // The single element of a one-element tensor, converted to double.
  double item() const;

  // Raw device pointer to the first element (backends use this).
  void* data_ptr() const;

  // --- autograd ---
  bool requires_grad() const;
  // Marks a leaf tensor as needing gradients; returns *this.
  Tensor& requires_grad_(bool value = true);
  // The same memory without autograd history.
  Tensor detach() const;
  // Gradient accumulated by backward() on a leaf (undefined if none).
  Tensor grad() const;
  void zero_grad();
  // Backpropagates from this scalar, accumulating into leaves' grad().
  void backward() const;

  // Identity of the underlying storage (for tests and the autograd engine).
  TensorImpl* impl() const { return impl_.get(); }
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  void check_host_access(DType t) const;
  std::int64_t flat_index(const std::int64_t* idx, std::size_t n) const;
  std::shared_ptr<TensorImpl> impl_;
};

// Arithmetic with broadcasting (NumPy rules); scalars take the tensor's dtype.
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);
// On a float32 temporary that nothing else shares, these compute in place,
// so `x.astype(keras::float32) / 255.0f` allocates the data set once.
Tensor operator+(Tensor&& a, double b);
Tensor operator-(Tensor&& a, double b);
Tensor operator*(Tensor&& a, double b);
Tensor operator/(Tensor&& a, double b);

// Prints like NumPy: [[1. 2.]\n [3. 4.]]
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace keras
