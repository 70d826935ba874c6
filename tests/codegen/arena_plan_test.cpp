// Liveness-based arena planning (runtime/arena_plan.h).
#include <gtest/gtest.h>

#include "runtime/arena_plan.h"

namespace convopt::runtime {
namespace {

TEST(ArenaPlan, DisjointLifetimesShareMemory) {
  // a chain x -> y -> z: x and z never live together.
  ArenaPlan plan = planArena({{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}});
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
  EXPECT_NE(plan.offsets[0], plan.offsets[1]);
  EXPECT_EQ(plan.bytes, 2 * 1024u);  // two 64-byte-aligned buffers
}

TEST(ArenaPlan, OverlappingLifetimesNeverOverlapInMemory) {
  std::vector<BufferLifetime> buffers = {{100, 0, 5}, {300, 2, 3}, {64, 3, 9}, {500, 6, 8}, {10, 1, 1}};
  ArenaPlan plan = planArena(buffers);
  for (size_t a = 0; a < buffers.size(); ++a)
    for (size_t b = a + 1; b < buffers.size(); ++b) {
      bool live = buffers[a].first <= buffers[b].last && buffers[b].first <= buffers[a].last;
      bool disjoint = plan.offsets[a] + buffers[a].bytes <= plan.offsets[b] ||
                      plan.offsets[b] + buffers[b].bytes <= plan.offsets[a];
      if (live) {
        EXPECT_TRUE(disjoint) << a << " " << b;
      }
    }
  for (size_t offset : plan.offsets) EXPECT_EQ(offset % kArenaAlignment, 0u);
}

}  // namespace
}  // namespace convopt::runtime
