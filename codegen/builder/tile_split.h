// How a dimension splits into tiles, for the conv and GEMM emitters: `full`
// tiles of the plan's size share one code path (a run-time tile index), then
// possibly one last, smaller tile with its own compiled path.
#pragma once
#include <cstdint>

namespace convopt::codegen {

struct TileSplit {
  int64_t full = 0;
  int64_t last = 0;  // rows or blocks of the last tile; 0: no last tile
  int64_t total() const { return full + (last > 0); }
};

}  // namespace convopt::codegen
