// Integer helpers shared by the layout, kernel and reference code.
#pragma once
#include <cstdint>

namespace convopt {

// ceil(a / b) for a >= 0, b > 0: blocks of b covering a.
constexpr int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A dimension computed in floating point (Resize's floor(in * scale)) that an
// int64_t can hold with room for element counts: finite, in [0, 2^62).
constexpr bool representableDim(double dim) { return dim >= 0 && dim < 0x1p62; }

// Products and sums of counts (>= 0) that stop at INT64_MAX instead of
// overflowing: a conv's MACs can pass 2^63 where each tensor's size does not.
template <typename... Rest>
constexpr int64_t saturatingProduct(int64_t first, Rest... rest) {
  if (first == 0 || ((rest == 0) || ...)) return 0;
  int64_t product = first;
  bool overflow = false;
  ((overflow = overflow || __builtin_mul_overflow(product, int64_t(rest), &product)), ...);
  return overflow ? INT64_MAX : product;
}

// The windows a sliding-window op (Conv, the pools) places along one spatial
// dim: the first, then one every `stride` over `room` (the padded input less
// the window's extent, >= 0); rounded up under a pool's ceil_mode, less a last
// window that would start in the end padding (it reads nothing: onnxruntime,
// PyTorch and ONNX's reference drop it). Int: int64_t, or __int128 where the
// attributes are not bounded yet.
template <typename Int>
constexpr Int windowCount(Int input, Int padBegin, Int room, Int stride, bool ceilMode) {
  Int count = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1;
  return ceilMode && (count - 1) * stride >= input + padBegin ? count - 1 : count;
}

constexpr int64_t saturatingSum(int64_t a, int64_t b) {
  int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

}  // namespace convopt
