// How a kernel's dimension (output blocks, matrix rows or columns) splits into
// tiles: `full` tiles of the plan's size that share one code path (a runtime
// tile index), then possibly one last tile of `last` units on a compiled path
// of its own (its size, masks and lane mapping known at compile time).
#pragma once
#include <cstdint>

namespace convopt::codegen {

struct TileSplit {
  int64_t full = 0;
  int64_t last = 0;  // units in the last tile; 0: there is none
  int64_t total() const { return full + (last > 0); }
};

}  // namespace convopt::codegen
