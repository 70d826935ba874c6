// dense-to-grouped and dense-to-depthwise: group structure found in the exact
// zeros of a dense or grouped weight, which structure is taken, the legality
// conditions and the cost model's decisions (permuted blocks:
// grouping_permutation_test.cpp). The rewrites are shown with --force so that
// the dumps stay small; the cost model's decisions are tested separately below.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/passes_test_util.h"

namespace convopt::passes {
namespace {

using testing::forcedOptions;
using testing::numericallyEquivalent;
using testing::rejectionFor;
using testing::runPasses;

// W[o, i] != 0 only when o/2 == i/2: two contiguous 2x2 blocks.
constexpr const char* kBlockDiagonal = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] y)
<float[4,4,1,1] w = {1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0, 7, 8}, float[4] b = {1, 2, 3, 4}>
{
  y = Conv (x, w, b)
}
)";

TEST(DenseToGrouped, ContiguousBlocksBecomeGroups) {
  auto run = runPasses("dense-to-grouped,dce", kBlockDiagonal, forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] y)
<float[4] b = {1, 2, 3, 4}, float[4,2,1,1] y_W_grouped = {1, 2, 3, 4, 5, 6, 7, 8}>
{
  y = Conv <group = 2> (x, y_W_grouped, b)
}
)");
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  const RewriteRecord& r = run.stats.rewrites[0];
  EXPECT_EQ(r.before.kind, "pointwise");
  EXPECT_EQ(r.after.kind, "grouped");
  EXPECT_EQ(r.before.macs, 4 * 4 * 9);
  EXPECT_EQ(r.after.macs, 4 * 2 * 9);
  EXPECT_EQ(r.reconstructionError, 0.0);
  EXPECT_TRUE(numericallyEquivalent(run));
}

// Two contiguous blocks of 4 channels, each of two interleaved pairs: o0, o2
// read i0, i2 and o1, o3 read i1, i3 (and so from channel 4 on). Contiguous,
// the weight makes 2 groups; permuted, 4.
constexpr const char* kInterleavedPairsInTwoBlocks =
    "1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 0, 7, 0, 8, 0, 0, 0, 0, "
    "0, 0, 0, 0, 9, 0, 10, 0, 0, 0, 0, 0, 0, 11, 0, 12, 0, 0, 0, 0, 13, 0, 14, 0, 0, 0, 0, 0, 0, 15, 0, 16";

// An 8-channel 1x1 Conv of `group` groups and weight `w`, then a Relu.
std::string eightChannelConvThenRelu(const std::string& w, int group) {
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,3,3] x) => (float[1,8,3,3] z)
<float[8,{},1,1] w = {{{}}}>
{{
  y = Conv {}(x, w)
  z = Relu (y)
}}
)",
                     8 / group, w, group == 1 ? "" : fmt::format("<group = {}> ", group));
}

// The permuted packing of more groups is taken when its orders fold into the
// neighbouring convs.
TEST(DenseToGrouped, APermutedPackingOfMoreGroupsBeatsTheContiguousOne) {
  auto run = runPasses("dense-to-grouped,dce",
                       std::string(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,3,3] z)
<float[8,1,1,1] wp = {1, 2, 3, 4, 5, 6, 7, 8}, float[8,8,1,1] w = {)") +
                           kInterleavedPairsInTwoBlocks +
                           R"(},
 float[1,8,1,1] wz = {1, 2, 3, 4, 5, 6, 7, 8}>
{
  p = Conv (x, wp)
  y = Conv (p, w)
  z = Conv (y, wz)
}
)",
                       forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,3,3] z)
<float[8,1,1,1] p_W_permuted = {1, 3, 2, 4, 5, 7, 6, 8}, float[1,8,1,1] z_W_permuted = {1, 3, 2, 4, 5, 7, 6, 8}, float[8,2,1,1] y_W_grouped = {1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16}>
{
  p = Conv (x, p_W_permuted)
  y = Conv <group = 4> (p, y_W_grouped)
  z = Conv (y, z_W_permuted)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

// Where the permutation is refused (the output is a graph output), the contiguous 2 groups stand in.
TEST(DenseToGrouped, TheContiguousGroupsStandInForARefusedPermutation) {
  auto run = runPasses("dense-to-grouped,dce",
                       std::string(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,3,3] x) => (float[1,8,3,3] y)
<float[8,8,1,1] w = {)") + kInterleavedPairsInTwoBlocks +
                           R"(}>
{
  y = Conv (x, w)
}
)",
                       forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,3,3] x) => (float[1,8,3,3] y)
<float[8,4,1,1] y_W_grouped = {1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 7, 0, 8, 9, 0, 10, 0, 0, 11, 0, 12, 13, 0, 14, 0, 0, 15, 0, 16}>
{
  y = Conv <group = 2> (x, y_W_grouped)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

// The permuted packing would need a Gather on either side (a Relu reads the
// output, nothing produces the input): the cost model takes the contiguous 2 groups.
TEST(DenseToGrouped, APermutedPackingThatNeedsGathersLosesToTheContiguousOne) {
  auto run =
      runPasses("dense-to-grouped,dce", eightChannelConvThenRelu(kInterleavedPairsInTwoBlocks, 1), forcedOptions());
  EXPECT_NE(run.afterText.find("y = Conv <group = 2> (x, y_W_grouped)"), std::string::npos) << run.afterText;
  EXPECT_EQ(run.afterText.find("Gather"), std::string::npos) << run.afterText;
  EXPECT_TRUE(numericallyEquivalent(run));
}

// Channel-diagonal after a permutation (o0, o2 read i0; o1, o3 read i1; ...),
// which the graph output refuses: dense-to-depthwise leaves it, and
// dense-to-grouped takes the contiguous 2 groups the weight also has.
TEST(DenseToGrouped, TakesTheContiguousGroupsWhereThePermutedDiagonalIsRefused) {
  auto run = runPasses("dense-to-depthwise,dense-to-grouped,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,8,3,3] y)
<float[8,4,1,1] w = {1, 0, 0, 0, 0, 2, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 5, 0, 0, 0, 0, 6, 0, 0, 7, 0, 0, 0, 0, 8}>
{
  y = Conv (x, w)
}
)",
                       forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,8,3,3] y)
<float[8,2,1,1] y_W_grouped = {1, 0, 0, 2, 3, 0, 0, 4, 5, 0, 0, 6, 7, 0, 0, 8}>
{
  y = Conv <group = 2> (x, y_W_grouped)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

// When every structure is refused, the rejection says why for each: here a
// gain of 10x asked for, which neither 4 permuted nor 2 contiguous groups give.
TEST(DenseToGrouped, SaysWhyEachStructureIsRefused) {
  PassOptions options;
  options.minGain = 10;
  auto run = runPasses("dense-to-grouped", eightChannelConvThenRelu(kInterleavedPairsInTwoBlocks, 1), options);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_THAT(rejectionFor(run.stats, "Conv(y)"),
              ::testing::MatchesRegex("4 permuted groups: cost model: .* does not gain 1000%; "
                                      "2 contiguous groups: cost model: .* does not gain 1000%"));
}

// A grouped conv whose groups are themselves block-diagonal: 2 groups of 4
// channels, each of two 2 x 2 blocks, become 4 groups.
TEST(DenseToGrouped, AGroupedConvWhoseGroupsAreBlockDiagonalSplitsFurther) {
  auto run = runPasses(
      "dense-to-grouped,dce",
      eightChannelConvThenRelu(
          "1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0, 7, 8, 9, 10, 0, 0, 11, 12, 0, 0, 0, 0, 13, 14, 0, 0, 15, 16", 2),
      forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,3,3] x) => (float[1,8,3,3] z)
<float[8,2,1,1] y_W_grouped = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}>
{
  y = Conv <group = 4> (x, y_W_grouped)
  z = Relu (y)
}
)");
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  EXPECT_EQ(run.stats.rewrites[0].description,
            "block-diagonal weight, 4 contiguous blocks of 2 in x 2 out channels (from 2 groups)");
  EXPECT_EQ(run.stats.rewrites[0].reconstructionError, 0.0);
  EXPECT_TRUE(numericallyEquivalent(run));
}

// Inside each of 2 groups the pairs interleave (o0, o2 read local i0, i2): 4
// permuted groups, the orders gathered (no conv around to fold them into).
TEST(DenseToGrouped, AGroupedConvWithPermutedBlocksInItsGroupsSplitsFurther) {
  auto run = runPasses(
      "dense-to-grouped,dce",
      eightChannelConvThenRelu(
          "1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 7, 0, 8, 9, 0, 10, 0, 0, 11, 0, 12, 13, 0, 14, 0, 0, 15, 0, 16", 2),
      forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,3,3] x) => (float[1,8,3,3] z)
<int64[8] y_in_order = {0, 2, 1, 3, 4, 6, 5, 7}, int64[8] y_out_order = {0, 2, 1, 3, 4, 6, 5, 7}, float[8,2,1,1] y_W_grouped = {1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16}>
{
  y_in_permuted = Gather <axis = 1> (x, y_in_order)
  y = Conv <group = 4> (y_in_permuted, y_W_grouped)
  y_out_restored = Gather <axis = 1> (y, y_out_order)
  z = Relu (y_out_restored)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

// A channel-diagonal weight with depth multiplier 2: W[o, i] != 0 only when i == o/2.
constexpr const char* kChannelDiagonal = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,4,4] x) => (float[1,4,4,4] y)
<float[4,2,1,2] w = {1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0, 7, 8}>
{
  y = Conv <pads = [0, 0, 0, 1]> (x, w)
}
)";

TEST(DenseToDepthwise, ChannelDiagonalWeightWithMultiplierBecomesDepthwise) {
  auto run = runPasses("dense-to-depthwise,dce", kChannelDiagonal, forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,4,4] x) => (float[1,4,4,4] y)
<float[4,1,1,2] y_W_grouped = {1, 2, 3, 4, 5, 6, 7, 8}>
{
  y = Conv <pads = [0, 0, 0, 1], group = 2> (x, y_W_grouped)
}
)");
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  EXPECT_EQ(run.stats.rewrites[0].after.kind, "depthwise");
  EXPECT_TRUE(numericallyEquivalent(run));
}

TEST(DenseToDepthwise, AGroupedConvWhoseGroupsAreChannelDiagonalBecomesDepthwise) {
  auto run = runPasses("dense-to-depthwise,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] y)
<float[4,2,3,3] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                     0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                     9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                     0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1}>
{
  y = Conv <group = 2, pads = [1, 1, 1, 1]> (x, w)
}
)",
                       forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] y)
<float[4,1,3,3] y_W_grouped = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1, 9, 8, 7, 6, 5, 4, 3, 2, 1}>
{
  y = Conv <group = 4, pads = [1, 1, 1, 1]> (x, y_W_grouped)
}
)");
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  EXPECT_EQ(run.stats.rewrites[0].after.kind, "depthwise");
  EXPECT_TRUE(numericallyEquivalent(run));
}

// 4096 groups of 2 channels, each anti-diagonal (o0 reads i1, o1 reads i0):
// 8192 blocks of one channel in and out, all of one size, which make one group
// each without a search (whose depth, one level per block, a stack may not hold).
TEST(DenseToDepthwise, ThousandsOfBlocksOfOneSizeBecomeGroupsWithoutASearch) {
  std::string w;
  for (int i = 0; i < 4096; ++i) w += fmt::format("{}0, {}, {}, 0", i ? ", " : "", i % 7 + 1, i % 5 + 1);
  auto run = runPasses("dense-to-depthwise,dce",
                       fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8192,1,1] x) => (float[1,8192,1,1] z)
<float[8192,2,1,1] w = {{{}}}>
{{
  y = Conv <group = 4096> (x, w)
  z = Relu (y)
}}
)",
                                   w),
                       forcedOptions());
  EXPECT_NE(run.afterText.find("y = Conv <group = 8192>"), std::string::npos);
  EXPECT_TRUE(numericallyEquivalent(run));
}

// A depthwise conv with depth multiplier 2: nothing left to group.
constexpr const char* kDepthwise = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,3,3] x) => (float[1,4,3,3] y)
<float[4,1,1,1] w = {1, 2, 3, 4}>
{
  y = Conv <group = 2> (x, w)
}
)";

struct GroupingRejection {
  const char* name;
  const char* pass;
  const char* text;
  const char* reason;
};

class GroupingRejects : public ::testing::TestWithParam<GroupingRejection> {};

TEST_P(GroupingRejects, LeavesTheModelUnchanged) {
  const GroupingRejection& c = GetParam();
  auto run = runPasses(c.pass, c.text, forcedOptions());
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Conv(y)"), c.reason);
}

INSTANTIATE_TEST_SUITE_P(
    Conditions, GroupingRejects,
    ::testing::Values(
        // Nearly block-diagonal: one "zero" is 1e-7. Rewriting would change the output.
        GroupingRejection{"NearlyBlockDiagonal", "dense-to-grouped", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] y)
<float[4,4,1,1] w = {1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 1e-7, 7, 8}>
{
  y = Conv (x, w)
}
)",
                          "weight has no block-diagonal zero structure (even up to channel permutation)"},
        // Blocks of 3 x 3 and 1 x 1: no equal groups hold whole blocks.
        GroupingRejection{"BlocksMakeNoEqualGroups", "dense-to-grouped", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] y)
<float[4,4,1,1] w = {1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 1}>
{
  y = Conv (x, w)
}
)",
                          "the weight's zeros separate 2 blocks, found in no equal groups"},
        // Its zero filters are blocks of their own, but the other filters read
        // 2 inputs each: no equal groups finer than its 2.
        GroupingRejection{"NoFinerStructureThanItsGroups", "dense-to-grouped",
                          R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] y)
<float[4,2,1,1] w = {1, 2, 0, 0, 3, 4, 0, 0}>
{
  y = Conv <group = 2> (x, w)
}
)",
                          "weight has no block structure finer than its 2 groups (even up to channel permutation)"},
        GroupingRejection{"AlreadyDepthwise", "dense-to-grouped", kDepthwise,
                          "already depthwise (one input channel per group)"},
        GroupingRejection{"DepthwiseAlreadyDepthwise", "dense-to-depthwise", kDepthwise,
                          "already depthwise (one input channel per group)"},
        GroupingRejection{"WeightNotConstant", "dense-to-grouped", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x, float[4,4,1,1] w) => (float[1,4,3,3] y)
{
  y = Conv (x, w)
}
)",
                          "weight is not a constant"},
        GroupingRejection{"DiagonalLeftToDepthwise", "dense-to-grouped", kChannelDiagonal,
                          "weight is channel-diagonal: left to dense-to-depthwise"},
        GroupingRejection{"BlocksAreNotDiagonal", "dense-to-depthwise", kBlockDiagonal,
                          "weight is block-diagonal with 2 groups, not channel-diagonal (4 input channels)"},
        GroupingRejection{"PermutedOutputIsGraphOutput", "dense-to-grouped", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] y)
<float[4,4,1,1] w = {1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 7, 0, 8}>
{
  y = Conv (x, w)
}
)",
                          "permuted blocks and the output is a graph output"},
        // The pipeline fuzz target (2026-12-04): the restoring Gather was put before an If that
        // reads the output in a branch, through a use that has no input slot (a crash).
        GroupingRejection{"PermutedOutputReadInABody", "dense-to-grouped", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x, bool c) => (float[1,4,3,3] z)
<float[4,4,1,1] w = {1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 7, 0, 8}>
{
  y = Conv (x, w)
  z = If (c) <then_branch = rectified () => (float[1,4,3,3] a) { a = Relu (y) },
              else_branch = given () => (float[1,4,3,3] b) { b = Identity (x) }>
}
)",
                          "permuted blocks and the output is read inside a subgraph"}),
    [](const auto& info) { return std::string(info.param.name); });

// The built-in (convopt) cost model: 64 channels in 4 blocks of 16 on a 32x32
// image pays; halving a 1x1 conv's MACs does not pay for the two channel
// Gathers its permuted blocks need (its input is the graph's, its output read
// by a Relu that is one; convopt measured a Gather at a few GB/s).
TEST(DenseToGrouped, CostModelDecides) {
  auto small = runPasses("dense-to-grouped", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,16,16] x) => (float[1,4,16,16] y)
<float[4,4,1,1] w = {1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 7, 0, 8}>
{
  c = Conv (x, w)
  y = Relu (c)
}
)");
  EXPECT_EQ(small.stats.rewritten, 0);
  EXPECT_THAT(rejectionFor(small.stats, "Conv(c)"), ::testing::StartsWith("cost model: "));

  std::string weights;
  for (int o = 0; o < 64; ++o)
    for (int i = 0; i < 64; ++i) weights += (weights.empty() ? "" : ", ") + std::string(o / 16 == i / 16 ? "0.5" : "0");
  std::string large = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,64,32,32] x) => (float[1,64,32,32] y)
<float[64,64,1,1] w = {)" +
                      weights + R"(}>
{
  y = Conv (x, w)
}
)";
  auto run = runPasses("dense-to-grouped", large);
  EXPECT_EQ(run.stats.rewritten, 1);
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  EXPECT_EQ(run.stats.rewrites[0].description, "block-diagonal weight, 4 contiguous blocks of 16 in x 16 out channels");
  EXPECT_LT(run.stats.rewrites[0].after.seconds, 0.9 * run.stats.rewrites[0].before.seconds);
}

// The same permuted candidate, whose Gathers stay (its input is the graph's,
// its output read by a Relu that is one), rewritten or not by what the
// runtime's table says a Gather costs.
TEST(DenseToGrouped, TheRuntimesTableDecides) {
  std::string weights;
  for (int o = 0; o < 32; ++o)
    for (int i = 0; i < 32 * 9; ++i)
      weights += (weights.empty() ? "" : ", ") + std::string(o % 2 == i / 9 % 2 ? "0.5" : "0");
  std::string text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,32,16,16] x) => (float[1,32,16,16] y)
<float[32,32,3,3] w = {)" +
                     weights + R"(}>
{
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  y = Relu (c)
}
)";
  auto tableWithGathersAt = [](double bytesPerSecond) {
    CostTable t;
    t.runtime = "test";
    t.nodeSeconds = 1e-6;
    t.streamBytesPerSecond = 1e12;
    t.gatherBytesPerSecond = bytesPerSecond;
    t.splitConcatBytesPerSecond = 1e10;
    t.rates = {{ir::ConvKind::Dense, 32, 32, 9, 100e9},
               {ir::ConvKind::Pointwise, 32, 32, 1, 100e9},
               {ir::ConvKind::Depthwise, 1, 1, 9, 20e9}};
    PassOptions options;
    options.costModel = std::make_shared<const CostModel>(t);
    return options;
  };
  auto cheap = runPasses("dense-to-grouped", text, tableWithGathersAt(100e9));
  EXPECT_EQ(cheap.stats.rewritten, 1);
  auto dear = runPasses("dense-to-grouped", text, tableWithGathersAt(1e9));
  EXPECT_EQ(dear.stats.rewritten, 0);
  EXPECT_THAT(rejectionFor(dear.stats, "Conv(c)"), ::testing::StartsWith("cost model: "));
}

}  // namespace
}  // namespace convopt::passes
