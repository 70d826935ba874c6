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

constexpr int64_t saturatingSum(int64_t a, int64_t b) {
  int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

}  // namespace convopt
