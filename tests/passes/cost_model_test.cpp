// The cost model: figures, the roofline, lane utilisation and the gain rule.
#include "passes/cost_model.h"

#include <gtest/gtest.h>

namespace convopt::passes {
namespace {

ConvGeometry conv(int64_t cin, int64_t cout, int64_t group, int64_t kernel, int64_t pixels) {
  ConvGeometry g;
  g.inChannels = cin;
  g.outChannels = cout;
  g.group = group;
  g.kernelElements = kernel;
  g.inPixels = pixels;
  g.outPixels = pixels;
  return g;
}

TEST(CostModel, FiguresFollowTheConvDefinition) {
  ConvGeometry g = conv(32, 64, 2, 9, 100);
  g.hasBias = true;
  EXPECT_EQ(g.kind(), ir::ConvKind::Grouped);
  EXPECT_EQ(g.params(), 64 * 16 * 9 + 64);
  EXPECT_EQ(g.macs(), 100 * 64 * 16 * 9);
  EXPECT_EQ(g.bytesMoved(), 4 * (100 * 32 + 100 * 64 + g.params()));
  EXPECT_EQ(conv(8, 8, 8, 9, 1).kind(), ir::ConvKind::Depthwise);
  EXPECT_EQ(conv(8, 8, 1, 1, 1).kind(), ir::ConvKind::Pointwise);
}

TEST(CostModel, ComputeBoundTimeIsMacsOverEfficientPeak) {
  const CostParameters& p = defaultCostParameters();
  ConvGeometry g = conv(256, 256, 1, 9, 56 * 56);
  double compute = static_cast<double>(g.macs()) / (p.peakMacsPerSecond * p.efficiency[0]);
  EXPECT_DOUBLE_EQ(estimateConvSeconds(g), compute + p.perNodeSeconds);
}

TEST(CostModel, MemoryBoundTimeIsBytesOverBandwidth) {
  const CostParameters& p = defaultCostParameters();
  ConvGeometry g = conv(64, 64, 64, 9, 112 * 112);  // depthwise: few MACs per byte
  EXPECT_DOUBLE_EQ(estimateConvSeconds(g), static_cast<double>(g.bytesMoved()) / p.bytesPerSecond + p.perNodeSeconds);
}

TEST(CostModel, NarrowGroupsLoseVectorLanes) {
  // Same MACs: 64 groups of 4 outputs use a quarter of 16 lanes, 4 groups of 64 all of them.
  ConvGeometry narrow = conv(2048, 256, 64, 9, 28 * 28);
  ConvGeometry wide = conv(128, 256, 4, 9, 28 * 28);
  ASSERT_EQ(narrow.macs(), wide.macs());
  EXPECT_GT(estimateConvSeconds(narrow), 3.0 * estimateConvSeconds(wide));
}

TEST(CostModel, DenseToDepthwiseAndDenseToGroupedPay) {
  double dense = estimateConvSeconds(conv(96, 96, 1, 9, 40 * 40));
  EXPECT_TRUE(rewritePays(dense, estimateConvSeconds(conv(96, 96, 96, 9, 40 * 40)), 0.10));
  EXPECT_TRUE(rewritePays(dense, estimateConvSeconds(conv(96, 96, 2, 9, 40 * 40)), 0.10));
}

TEST(CostModel, GainRuleIsAFractionOfTheOriginal) {
  EXPECT_TRUE(rewritePays(1.0, 0.9, 0.10));
  EXPECT_FALSE(rewritePays(1.0, 0.91, 0.10));
  EXPECT_TRUE(rewritePays(1.0, 1.0, 0.0));
  EXPECT_FALSE(rewritePays(1.0, 1.1, 0.0));
}

TEST(CostModel, CopyMovesBytesTwice) {
  const CostParameters& p = defaultCostParameters();
  EXPECT_DOUBLE_EQ(estimateCopySeconds(1200), 2400 / p.bytesPerSecond + p.perNodeSeconds);
}

}  // namespace
}  // namespace convopt::passes
