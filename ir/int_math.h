// Integer helpers shared by the layout, kernel and reference code.
#pragma once
#include <cstdint>

namespace convopt {

// ceil(a / b) for a >= 0, b > 0: blocks of b covering a.
constexpr int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace convopt
