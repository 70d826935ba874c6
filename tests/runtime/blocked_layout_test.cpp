// The NCHW <-> NCHWc reorders: where each element lands, zeroed padding lanes,
// and plane ranges that compose to the whole reorder.
#include <gtest/gtest.h>

#include <numeric>

#include "runtime/blocked_layout.h"

namespace convopt::runtime {
namespace {

TEST(BlockedLayout, ChannelGoesToBlockAndLaneWithPaddingZeroed) {
  BlockedShape shape = BlockedShape::of({2, 5, 1, 3}, 4);  // 2 blocks of 4 lanes per image
  ASSERT_EQ(shape.blocks(), 2);
  ASSERT_EQ(shape.planes(), 4);
  std::vector<float> plain(2 * 5 * 3);
  std::iota(plain.begin(), plain.end(), 1.0f);  // value = 1 + ((n*5 + c)*3 + w)
  std::vector<float> blocked(shape.elements(), -1.0f);
  toBlocked(plain.data(), blocked.data(), shape);
  // Image 1, block 1 holds channel 4 in lane 0, lanes 1..3 are padding.
  for (int64_t w = 0; w < 3; ++w) {
    const float* pixel = &blocked[((1 * 2 + 1) * 3 + w) * 4];
    EXPECT_EQ(pixel[0], float(1 + (1 * 5 + 4) * 3 + w));
    EXPECT_EQ(pixel[1], 0.0f);
    EXPECT_EQ(pixel[3], 0.0f);
  }
  // Image 0, block 0, pixel 2: channels 0..3.
  const float* pixel = &blocked[(0 * 3 + 2) * 4];
  EXPECT_EQ(std::vector<float>(pixel, pixel + 4), (std::vector<float>{3, 6, 9, 12}));
}

TEST(BlockedLayout, PlaneRangesComposeAndRoundTrip) {
  for (int width : {8, 16}) {
    BlockedShape shape = BlockedShape::of({2, 19, 5, 7}, width);
    std::vector<float> plain(2 * 19 * 5 * 7);
    std::iota(plain.begin(), plain.end(), 0.5f);
    std::vector<float> whole(shape.elements(), -1.0f), split(shape.elements(), -1.0f);
    toBlocked(plain.data(), whole.data(), shape);
    toBlocked(plain.data(), split.data(), shape, 0, 1);
    toBlocked(plain.data(), split.data(), shape, 1, shape.planes());
    EXPECT_EQ(split, whole);
    std::vector<float> back(plain.size(), -1.0f);
    fromBlocked(whole.data(), back.data(), shape, 0, 3);
    fromBlocked(whole.data(), back.data(), shape, 3, shape.planes());
    EXPECT_EQ(back, plain);
  }
}

}  // namespace
}  // namespace convopt::runtime
