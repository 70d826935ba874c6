// Integer helpers shared by the layout, kernel and reference code.
#pragma once
#include <cstdint>

namespace convopt {

// ceil(a / b) for a >= 0, b > 0: blocks of b covering a.
constexpr int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A dimension computed in floating point (Resize's floor(in * scale)) that an
// int64_t can hold with room for element counts: finite, in [0, 2^62).
constexpr bool representableDim(double dim) { return dim >= 0 && dim < 0x1p62; }

}  // namespace convopt
