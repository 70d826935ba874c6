#include "ir/tensor.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/error.h"
#include "ir/memory_limit.h"

namespace convopt::ir {

int64_t checkedElementCount(const std::vector<int64_t>& dims, const std::string& what) {
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0) throwInputError("{}: negative dimension {}", what, d);
    if (__builtin_mul_overflow(count, d, &count))
      throwInputError("{}: element count of its shape overflows 64 bits", what);
  }
  return count;
}

Tensor::Tensor(DType dtype, std::vector<int64_t> dims) : dtype_(dtype), dims_(std::move(dims)) {
  int64_t n = checkedElementCount(dims_, "tensor");
  // The backstop for sizes only known at run time (checkDeclaredSizes names the value when inference knew it).
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(uint64_t(n), uint64_t(elementSize(dtype_)), &bytes)) bytes = UINT64_MAX;
  if (bytes > memoryLimit())
    checkAllocation(bytes, fmt::format("a tensor of shape [{}] {}", fmt::join(dims_, "x"), dtypeName(dtype_)));
  if (dtype_ == DType::String)
    strings_.resize(n);
  else
    bytes_.resize(static_cast<size_t>(n) * elementSize(dtype_));
}

Tensor Tensor::scalarInt64(int64_t value) { return fromVector<int64_t>(DType::Int64, {}, {value}); }

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

namespace {
template <typename Out, typename Fn>
std::vector<Out> convertAll(const Tensor& t, Fn&& visit) {
  std::vector<Out> out;
  out.reserve(t.numel());
  visit(out);
  return out;
}

// A float that is not a valid int (pads given as float in a malformed model)
// converts to the nearest representable value, NaN to 0, not to undefined behaviour.
template <typename Out, typename In>
Out saturatingCast(In v) {
  if (std::isnan(v)) return 0;
  if (v <= In(std::numeric_limits<Out>::min())) return std::numeric_limits<Out>::min();
  if (v >= In(std::numeric_limits<Out>::max())) return std::numeric_limits<Out>::max();
  return static_cast<Out>(v);
}

template <typename Out>
void appendAs(const Tensor& t, std::vector<Out>& out) {
  auto copy = [&](auto tag) {
    using T = decltype(tag);
    for (T v : t.data<T>()) {
      if constexpr (std::is_integral_v<Out> && std::is_floating_point_v<T>)
        out.push_back(saturatingCast<Out>(v));
      else
        out.push_back(static_cast<Out>(v));
    }
  };
  switch (t.dtype()) {
    case DType::Float:
      return copy(float{});
    case DType::Double:
      return copy(double{});
    case DType::Int8:
      return copy(int8_t{});
    case DType::Uint8:
      return copy(uint8_t{});
    case DType::Bool:
      return copy(uint8_t{});
    case DType::Int16:
      return copy(int16_t{});
    case DType::Uint16:
      return copy(uint16_t{});
    case DType::Int32:
      return copy(int32_t{});
    case DType::Uint32:
      return copy(uint32_t{});
    case DType::Int64:
      return copy(int64_t{});
    case DType::Uint64:
      return copy(uint64_t{});
    default:
      throw std::invalid_argument("tensor '" + t.name + "' of type " + std::string(dtypeName(t.dtype())) +
                                  " is not numeric");
  }
}
}  // namespace

std::vector<int64_t> Tensor::toInt64Vector() const {
  return convertAll<int64_t>(*this, [&](auto& out) { appendAs(*this, out); });
}

std::vector<float> Tensor::toFloatVector() const {
  return convertAll<float>(*this, [&](auto& out) { appendAs(*this, out); });
}

bool Tensor::sameContents(const Tensor& other) const {
  return dtype_ == other.dtype_ && dims_ == other.dims_ && bytes_ == other.bytes_ && strings_ == other.strings_;
}

void Tensor::assign(DType dtype, std::vector<int64_t> dims, std::vector<uint8_t> bytes) {
  dtype_ = dtype;
  dims_ = std::move(dims);
  bytes_ = std::move(bytes);
}

void Tensor::reshape(std::vector<int64_t> dims) {
  if (checkedElementCount(dims, name) != numel())
    throw std::invalid_argument("reshape of '" + name + "' changes its element count");
  dims_ = std::move(dims);
}

}  // namespace convopt::ir
