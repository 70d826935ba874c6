// A dense tensor with its bytes in memory: initializers, constant attributes and
// the runtime's values. Numeric data is little-endian raw bytes (ONNX raw_data
// layout); string tensors keep their strings separately.
#pragma once
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "ir/dtype.h"

namespace convopt::ir {

// Product of dims; throws InputError naming `what` on a negative dim or on
// 64-bit overflow.
int64_t checkedElementCount(const std::vector<int64_t>& dims, const std::string& what);

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, std::vector<int64_t> dims);  // zero-filled

  template <typename T>
  static Tensor fromVector(DType dtype, std::vector<int64_t> dims, const std::vector<T>& values) {
    Tensor t(dtype, std::move(dims));
    if (!t.bytes_.empty()) std::memcpy(t.bytes_.data(), values.data(), t.bytes_.size());  // empty: no buffer
    return t;
  }
  static Tensor scalarInt64(int64_t value);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  int64_t numel() const;
  size_t byteSize() const { return bytes_.size(); }

  std::span<const uint8_t> bytes() const { return bytes_; }
  std::vector<uint8_t>& mutableBytes() { return bytes_; }
  std::vector<std::string>& strings() { return strings_; }
  const std::vector<std::string>& strings() const { return strings_; }

  template <typename T>
  std::span<T> data() {
    return {reinterpret_cast<T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }
  template <typename T>
  std::span<const T> data() const {
    return {reinterpret_cast<const T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }

  // Values of an integer tensor (int8..int64, uint8..uint64, bool) as int64;
  // a float tensor's values are truncated, saturating at int64's range (NaN is 0).
  std::vector<int64_t> toInt64Vector() const;
  // Values of a float/double/int tensor as float.
  std::vector<float> toFloatVector() const;

  // Same dtype, dims and bytes (names are not compared).
  bool sameContents(const Tensor& other) const;

  // Sets dims and bytes directly (size must match); used by importers.
  void assign(DType dtype, std::vector<int64_t> dims, std::vector<uint8_t> bytes);
  void reshape(std::vector<int64_t> dims);  // same element count required

  std::string name;
  std::string docString;

 private:
  DType dtype_ = DType::Undefined;
  std::vector<int64_t> dims_;
  std::vector<uint8_t> bytes_;
  std::vector<std::string> strings_;
};

}  // namespace convopt::ir
