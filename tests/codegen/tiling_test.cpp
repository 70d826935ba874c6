// The register-blocking heuristics, as specified in codegen/tiling.h.
#include <gtest/gtest.h>

#include "codegen/conv/conv_plan.h"
#include "codegen/conv/tiling.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

const CacheBudget kCaches;  // the default budget every target has today

TEST(Tiling, BroadcastTileFillsTheRegisterFile) {
  // 32 registers: 4 blocks x 6 pixels (24 accumulators + 4 weights + 1 input).
  EXPECT_EQ(broadcastTile(avx512Target(), 4, false, 56), (ConvTile{4, 6}));
  // 16 registers: 3 blocks x 4 pixels beats 2x6 (12/7 > 12/8 FMAs per load).
  EXPECT_EQ(broadcastTile(avx2Target(), 8, false, 56), (ConvTile{3, 4}));
  // One block per group: all registers go to pixels.
  EXPECT_EQ(broadcastTile(avx512Target(), 1, true, 56), (ConvTile{1, 30}));
  // Blocks must divide the group's blocks: 3 does not divide 4.
  EXPECT_EQ(broadcastTile(avx2Target(), 4, true, 56), (ConvTile{2, 6}));
  // A short row caps the pixels.
  EXPECT_EQ(broadcastTile(avx512Target(), 1, false, 7), (ConvTile{1, 7}));
  // A 7-pixel row: 3 blocks x 7 pixels in one tile beats 4 x 6 plus a 1-pixel tile.
  EXPECT_EQ(broadcastTile(avx512Target(), 8, false, 7), (ConvTile{3, 7}));
  // 24 channels on AVX-512: the half-full last block takes pixel pairs, 18 + 9
  // accumulators + 2 weights + the input, its pair and the paired weight.
  EXPECT_EQ(broadcastTile(avx512Target(), 2, false, 56), (ConvTile{2, 14}));
  EXPECT_EQ(broadcastTile(avx512Target(), 2, false, 56, true), (ConvTile{2, 18}));
}

TEST(Tiling, UnrollOnlyWithSpareRegisters) {
  EXPECT_TRUE(unrollBroadcastSteps(32, 4, 6, false));    // 24 + 4 + 1: 3 spare
  EXPECT_TRUE(unrollBroadcastSteps(32, 3, 7, false));    // 21 + 3 + 1
  EXPECT_FALSE(unrollBroadcastSteps(32, 2, 14, false));  // 28 + 2 + 1: 1 spare
  EXPECT_FALSE(unrollBroadcastSteps(32, 1, 56, true));   // 28 pairs + 1 + 1 + 2
  EXPECT_FALSE(unrollBroadcastSteps(32, 2, 18, true));   // 18 + 9 pairs + 2 + 1 + 2
  EXPECT_FALSE(unrollBroadcastSteps(16, 3, 4, false));   // AVX2: 12 + 3 + 1
}

TEST(Tiling, ShortRowsAreCutIntoEqualTiles) {
  EXPECT_EQ(evenRowTiles(7, 7), 1);
  EXPECT_EQ(evenRowTiles(6, 14), 3);  // 5 + 4 + 5 pixels
  EXPECT_EQ(evenRowTiles(6, 18), 3);
  EXPECT_EQ(evenRowTiles(6, 19), 0);  // long row: borders, interior tiles, rest
}

TEST(Tiling, LongRowsPutBorderPixelsInFullSizedTiles) {
  // 3x3, pad 1, 56 wide: 4 + 8x6 + 4 (10 tiles), not 1 + 9x6 + 1 (11, two of one pixel).
  EXPECT_EQ(cutRow(6, 56, 1, 55), (RowCut{4, 8, 4}));
  // No border: the rest is one tile at the end, or split when that makes it larger.
  EXPECT_EQ(cutRow(6, 60, 0, 60), (RowCut{0, 10, 0}));
  EXPECT_EQ(cutRow(6, 56, 0, 56), (RowCut{0, 8, 8}));  // 8x6 + (4, 4) beats 9x6 + 2
  // 55 = 10 tiles either way; 7x6 + (4, 4, 5) beats 8x6 + (3, 4) and 9x6 + 1.
  EXPECT_EQ(cutRow(6, 55, 0, 55), (RowCut{0, 7, 13}));
  // Only a right border (pad 0, 3 taps, 56 wide: interior [0, 54)).
  EXPECT_EQ(cutRow(6, 56, 0, 54), (RowCut{0, 8, 8}));
  // A wide border (pad 3 on a 7x7 filter) takes more than one tile per side.
  RowCut wide = cutRow(4, 40, 9, 31);
  EXPECT_GE(wide.left, 9);
  EXPECT_GE(wide.right, 9);
  EXPECT_EQ(wide.left + wide.interiorTiles * 4 + wide.right, 40);
  EXPECT_EQ((wide.left + 3) / 4 + wide.interiorTiles + (wide.right + 3) / 4, 10);
}

TEST(Tiling, GatherTileSharesRegistersAmongThePeriod) {
  // Half the registers: 16 on AVX-512 = 14 accumulators + input + weight.
  EXPECT_EQ(gatherTile(avx512Target(), 1, 56), (ConvTile{1, 14}));
  EXPECT_EQ(gatherTile(avx512Target(), 2, 56), (ConvTile{2, 6}));
  EXPECT_EQ(gatherTile(avx2Target(), 1, 56), (ConvTile{1, 6}));
  EXPECT_EQ(gatherTile(avx2Target(), 4, 56), (ConvTile{4, 1}));  // never below one pixel
  EXPECT_EQ(gatherTile(avx2Target(), 1, 5), (ConvTile{1, 5}));
}

TEST(Tiling, PointwiseRowsHoldSeveralTiles) {
  EXPECT_EQ(pointwiseRowLength(56, 56, 6, 1), 56);
  EXPECT_EQ(pointwiseRowLength(14, 14, 6, 2), 28);  // 2 image rows: 7 rows of 28 pixels
  EXPECT_EQ(pointwiseRowLength(7, 7, 6, 8), 49);    // 8 block tiles are enough units
}

TEST(Tiling, PointwiseRowsShortenUntilThreadsGetWork) {
  EXPECT_EQ(pointwiseRowLength(13, 13, 6, 1), 13);  // 13 units, not 1
  EXPECT_EQ(pointwiseRowLength(7, 7, 6, 7), 7);     // 49 units, not 7
  EXPECT_EQ(pointwiseRowLength(14, 14, 6, 1), 14);  // 7 rows of 28 are 7 units: 14 of 14
  EXPECT_EQ(pointwiseRowLength(2, 3, 6, 1), 6);     // too small to split below one tile
}

TEST(Tiling, WeightPrefetchSpreadsTheNextTileOverTheSteps) {
  // regnet_x_400mf's 7x7 pointwise convs, 400 -> 400 on AVX-512: tiles of 3 blocks
  // (19200 floats), 7 rows of one pixel tile, 25 steps: 172 lines a row, 7 per step.
  EXPECT_EQ(weightPrefetchLines(kCaches, 400 * 400, 19200, 7, 1, 25), 7);
  // One row of 9 pixel tiles of 10 steps (160 -> 960): 640 lines over 90 steps.
  EXPECT_EQ(weightPrefetchLines(kCaches, 160 * 960, 4 * 16 * 160, 1, 9, 10), 8);
  // Many rows: a line per step at least.
  EXPECT_EQ(weightPrefetchLines(kCaches, 64 * 64 * 9, 4 * 16 * 64 * 9, 56, 10, 36), 1);
  // Under CacheBudget::streamedWeightBytes: none.
  EXPECT_EQ(weightPrefetchLines(kCaches, 64 * 64, 4 * 16 * 64, 7, 1, 4), 0);
}

TEST(Tiling, SmallWeightsOrderUnitsRowByRow) {
  EXPECT_TRUE(unitsRowByRow(kCaches, 32 * 192 * 4, true));    // pointwise C32 -> 192: 24 KB
  EXPECT_FALSE(unitsRowByRow(kCaches, 400 * 400 * 4, true));  // 640 KB: a tile's rows together
  EXPECT_FALSE(unitsRowByRow(kCaches, 144 * 9 * 4, false));   // gather tiles read different inputs
}

TEST(Tiling, ReductionBatchesKeepATilesWeightsInL1) {
  // Pointwise 480 -> 480 on AVX-512, 4-block tiles: 4 KB per input block, so 30
  // blocks go in balanced batches of at most 8: 8, 8, 8, 6.
  EXPECT_EQ(reductionBatchBlocks(kCaches, 4, 1, 30, 5, 16), 8);
  EXPECT_EQ(reductionBatchBlocks(kCaches, 4, 1, 25, 5, 16), 7);  // 7, 7, 7, 4
  // All weights fit: one sweep.
  EXPECT_EQ(reductionBatchBlocks(kCaches, 4, 1, 8, 5, 16), 8);
  // A row of one pixel tile reuses nothing within the row: one sweep.
  EXPECT_EQ(reductionBatchBlocks(kCaches, 3, 1, 25, 1, 16), 25);
  // One block's weights exceed the budget (dense 3x3, 4 blocks: 36 KB): one sweep.
  EXPECT_EQ(reductionBatchBlocks(kCaches, 4, 9, 4, 10, 16), 4);
  // AVX2, 3-block tiles: 768 bytes per input block, 42 blocks a batch.
  EXPECT_EQ(reductionBatchBlocks(kCaches, 3, 1, 60, 5, 8), 30);
}

TEST(Tiling, WorkingSetsFollowTheTargetsCacheBudget) {
  CacheBudget halfL1 = kCaches;
  halfL1.l1WeightBytes /= 2;                                    // 16 KB: 4 blocks a batch where 32 KB takes 8
  EXPECT_EQ(reductionBatchBlocks(halfL1, 4, 1, 30, 5, 16), 4);  // 8 balanced batches: 4 x 7, then 2
  CacheBudget smallStream = kCaches;
  smallStream.streamedWeightBytes = 16 * 1024;
  EXPECT_FALSE(unitsRowByRow(smallStream, 32 * 192 * 4, true));                    // 24 KB now streams
  EXPECT_EQ(weightPrefetchLines(smallStream, 64 * 64, 4 * 16 * 64, 7, 1, 4), 10);  // 37 lines a row over 4 steps
}

TEST(Tiling, GatherPeriodFollowsGroupsAcrossVectors) {
  ConvSpec depthwise;
  depthwise.inChannels = depthwise.outChannels = depthwise.group = 32;
  EXPECT_EQ(gatherPeriod(depthwise, 16)->period, 1);
  depthwise.outChannels = 64;  // multiplier 2: a vector covers 8 input channels
  EXPECT_EQ(gatherPeriod(depthwise, 16)->period, 2);
  EXPECT_EQ(gatherPeriod(depthwise, 16)->shiftBlocks, 1);
  ConvSpec resnext;
  resnext.inChannels = resnext.outChannels = 128, resnext.group = 32;  // 4 per group
  EXPECT_EQ(gatherPeriod(resnext, 16)->period, 1);
  EXPECT_EQ(gatherPeriod(resnext, 16)->shiftBlocks, 1);
  ConvSpec odd;
  odd.inChannels = odd.outChannels = 7 * 5, odd.group = 5;  // 7 per group: 7 vectors repeat
  EXPECT_EQ(gatherPeriod(odd, 16)->period, 7);
}

// A depth multiplier m needs a period that is a multiple of m, so only those up
// to kMaxGatherPeriod have a kernel, at every vector width.
TEST(Tiling, DepthMultipliersWithAKernelAreThoseUpToTheLongestPeriod) {
  std::vector<int64_t> upToEight = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(nativeDepthMultipliers(16, 20), upToEight);
  EXPECT_EQ(nativeDepthMultipliers(8, 20), upToEight);
  EXPECT_EQ(nativeDepthMultipliers(4, 6), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

}  // namespace
}  // namespace convopt::codegen
