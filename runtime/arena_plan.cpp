#include "runtime/arena_plan.h"

#include <algorithm>
#include <numeric>

namespace convopt::runtime {

namespace {
size_t alignUp(size_t value) { return (value + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }
}  // namespace

ArenaPlan planArena(const std::vector<BufferLifetime>& buffers) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  ArenaPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> placed;
  for (size_t index : order) {
    const BufferLifetime& buffer = buffers[index];
    // Occupied ranges of placed buffers alive at the same time, by offset.
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t other : placed)
      if (buffers[other].first <= buffer.last && buffer.first <= buffers[other].last)
        busy.push_back({plan.offsets[other], plan.offsets[other] + alignUp(buffers[other].bytes)});
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + alignUp(buffer.bytes) <= begin) break;
      offset = std::max(offset, end);
    }
    plan.offsets[index] = offset;
    plan.bytes = std::max(plan.bytes, offset + alignUp(buffer.bytes));
    placed.push_back(index);
  }
  return plan;
}

}  // namespace convopt::runtime
