// Memory planning for the compiled engine: every intermediate buffer lives from
// the step that writes it to the last step that reads it; buffers whose
// lifetimes do not overlap share memory, so the arena stays close to the
// largest set of simultaneously live activations instead of their sum.
#pragma once
#include <cstddef>
#include <vector>

#include "runtime/aligned_floats.h"

namespace convopt::runtime {

struct BufferLifetime {
  size_t bytes = 0;
  int first = 0, last = 0;  // steps, inclusive
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // per buffer, kArenaAlignment-aligned
  size_t bytes = 0;
};

inline constexpr size_t kArenaAlignment = kCacheLineBytes;

// Greedy: largest buffers first, each at the lowest offset not overlapping a
// placed buffer whose lifetime intersects its own.
ArenaPlan planArena(const std::vector<BufferLifetime>& buffers);

}  // namespace convopt::runtime
