// dense-to-grouped with permuted blocks: the channel orders folded into the
// neighbouring convs (through per-channel ops, into a classifier head), or
// carried by Gathers where nothing takes them; blocks of unequal sizes packed
// into equal groups. Shown with --force so that the dumps stay small.
#include <gtest/gtest.h>

#include "tests/support/passes_test_util.h"

namespace convopt::passes {
namespace {

using testing::forcedOptions;
using testing::numericallyEquivalent;
using testing::runPasses;

// W[o, i] != 0 only when o%2 == i%2: blocks {0,2} and {1,3}, interleaved.
// The input order is folded into the producing conv p, the output order into the reader z.
TEST(DenseToGrouped, PermutedBlocksFoldTheOrderIntoNeighbourConvs) {
  auto run = runPasses("dense-to-grouped,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,3,3] z)
<float[4,1,1,1] wp = {1, 2, 3, 4}, float[4] bp = {0.1, 0.2, 0.3, 0.4},
 float[4,4,1,1] w = {1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 7, 0, 8}, float[1,4,1,1] wz = {1, 2, 3, 4}>
{
  p = Conv (x, wp, bp)
  y = Conv (p, w)
  z = Conv (y, wz)
}
)",
                       forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,3,3] z)
<float[4,1,1,1] p_W_permuted = {1, 3, 2, 4}, float[4] p_B_permuted = {0.1, 0.3, 0.2, 0.4}, float[1,4,1,1] z_W_permuted = {1, 3, 2, 4}, float[4,2,1,1] y_W_grouped = {1, 2, 5, 6, 3, 4, 7, 8}>
{
  p = Conv (x, p_W_permuted, p_B_permuted)
  y = Conv <group = 2> (p, y_W_grouped)
  z = Conv (y, z_W_permuted)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

// The orders also pass through ops acting on each channel alone (BatchNormalization
// and Relu above, Mul by a per-channel constant and Clip below), whose per-channel
// constants are reordered with them: no Gather is left.
TEST(DenseToGrouped, PermutedBlocksFoldThroughPerChannelOps) {
  auto run = runPasses("dense-to-grouped,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,3,3] z)
<float[4,1,1,1] wp = {1, 2, 3, 4}, float[4] bp = {0.1, 0.2, 0.3, 0.4},
 float[4] s = {1, 2, 3, 4}, float[4] sb = {0.5, 0.6, 0.7, 0.8}, float[4] m = {0, 0.1, 0.2, 0.3}, float[4] v = {1, 1, 2, 2},
 float[4,4,1,1] w = {1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 7, 0, 8}, float[4,1,1] k = {1, 2, 3, 4},
 float[1,4,1,1] wz = {1, 2, 3, 4}>
{
  p = Conv (x, wp, bp)
  n = BatchNormalization (p, s, sb, m, v)
  r = Relu (n)
  y = Conv (r, w)
  a = Mul (y, k)
  c = Clip (a)
  z = Conv (c, wz)
}
)",
                       forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,3,3] z)
<float[4] s_permuted = {1, 3, 2, 4}, float[4] sb_permuted = {0.5, 0.7, 0.6, 0.8}, float[4] m_permuted = {0, 0.2, 0.1, 0.3}, float[4] v_permuted = {1, 2, 1, 2}, float[4,1,1,1] p_W_permuted = {1, 3, 2, 4}, float[4] p_B_permuted = {0.1, 0.3, 0.2, 0.4}, float[4,1,1] k_permuted = {1, 3, 2, 4}, float[1,4,1,1] z_W_permuted = {1, 3, 2, 4}, float[4,2,1,1] y_W_grouped = {1, 2, 5, 6, 3, 4, 7, 8}>
{
  p = Conv (x, p_W_permuted, p_B_permuted)
  n = BatchNormalization (p, s_permuted, sb_permuted, m_permuted, v_permuted)
  r = Relu (n)
  y = Conv <group = 2> (r, y_W_grouped)
  a = Mul (y, k_permuted)
  c = Clip (a)
  z = Conv (c, z_W_permuted)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

// A classifier head (pooled to 1x1, flattened, Gemm with constant B) takes the
// output order into B's features; a Flatten of more than one pixel per channel
// interleaves pixels with channels, so there the order stays a Gather.
TEST(DenseToGrouped, PermutedBlocksFoldIntoAClassifierHead) {
  constexpr const char* kHead = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,1,2,2] x) => (float[N,2] z)
<float[4,1,1,1] wp = {1, 2, 3, 4}, float[4,4,1,1] w = {1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 7, 0, 8},
 float[2,4] fc = {1, 2, 3, 4, 5, 6, 7, 8}>
{
  p = Conv (x, wp)
  y = Conv (p, w)
  g = GlobalAveragePool (y)
  f = Flatten (g)
  z = Gemm <transB = 1> (f, fc)
}
)";
  auto run = runPasses("dense-to-grouped,dce", kHead, forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,1,2,2] x) => (float[N,2] z)
<float[4,1,1,1] p_W_permuted = {1, 3, 2, 4}, float[2,4] fc_permuted = {1, 3, 2, 4, 5, 7, 6, 8}, float[4,2,1,1] y_W_grouped = {1, 2, 5, 6, 3, 4, 7, 8}>
{
  p = Conv (x, p_W_permuted)
  y = Conv <group = 2> (p, y_W_grouped)
  g = GlobalAveragePool (y)
  f = Flatten (g)
  z = Gemm <transB = 1> (f, fc_permuted)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
  std::string unpooled = kHead;
  unpooled.replace(unpooled.find("g = GlobalAveragePool (y)"), 25, "g = Relu (y)");
  unpooled.replace(unpooled.find("float[2,4] fc = {1, 2, 3, 4, 5, 6, 7, 8}"), 40,
                   "float[2,16] fc = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, "
                   "4, 5, 6, 7, 8}");
  auto kept = runPasses("dense-to-grouped,dce", unpooled, forcedOptions());
  EXPECT_NE(kept.afterText.find("Gather <axis = 1> (y, y_out_order)"), std::string::npos) << kept.afterText;
  EXPECT_TRUE(numericallyEquivalent(kept));
}

// Softmax over the channels mixes them: the output order stays a Gather.
TEST(DenseToGrouped, PermutedBlocksKeepAGatherBeforeAnOpThatMixesChannels) {
  auto run = runPasses("dense-to-grouped,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,3,3] z)
<float[4,1,1,1] wp = {1, 2, 3, 4}, float[4,4,1,1] w = {1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 7, 0, 8},
 float[1,4,1,1] wz = {1, 2, 3, 4}>
{
  p = Conv (x, wp)
  y = Conv (p, w)
  a = Softmax <axis = 1> (y)
  z = Conv (a, wz)
}
)",
                       forcedOptions());
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,3,3] z)
<float[1,4,1,1] wz = {1, 2, 3, 4}, float[4,1,1,1] p_W_permuted = {1, 3, 2, 4}, int64[4] y_out_order = {0, 2, 1, 3}, float[4,2,1,1] y_W_grouped = {1, 2, 5, 6, 3, 4, 7, 8}>
{
  p = Conv (x, p_W_permuted)
  y = Conv <group = 2> (p, y_W_grouped)
  y_out_restored = Gather <axis = 1> (y, y_out_order)
  a = Softmax <axis = 1> (y_out_restored)
  z = Conv (a, wz)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

// A 4-channel 1x1 Conv of weight `w` and a Relu, which no permutation folds into.
std::string convThenRelu(const std::string& w) {
  return R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] z)
<float[4,4,1,1] w = {)" +
         w + R"(}>
{
  y = Conv (x, w)
  z = Relu (y)
}
)";
}

// What dense-to-grouped makes of it with permuted blocks: Gathers around a Conv of 2 groups.
std::string gatheredGroups(const std::string& inOrder, const std::string& outOrder, const std::string& grouped) {
  return R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] z)
<int64[4] y_in_order = {)" +
         inOrder + R"(}, int64[4] y_out_order = {)" + outOrder + R"(}, float[4,2,1,1] y_W_grouped = {)" + grouped +
         R"(}>
{
  y_in_permuted = Gather <axis = 1> (x, y_in_order)
  y = Conv <group = 2> (y_in_permuted, y_W_grouped)
  y_out_restored = Gather <axis = 1> (y, y_out_order)
  z = Relu (y_out_restored)
}
)";
}

TEST(DenseToGrouped, PermutedBlocksWithoutFoldableNeighboursUseGathers) {
  auto run = runPasses("dense-to-grouped,dce", convThenRelu("1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 7, 0, 8"),
                       forcedOptions());
  EXPECT_EQ(run.afterText, gatheredGroups("0, 2, 1, 3", "0, 2, 1, 3", "1, 2, 5, 6, 3, 4, 7, 8"));
  EXPECT_TRUE(numericallyEquivalent(run));
}

// Blocks of unequal sizes, interleaved: {o0, o3 | i0, i3} (2 x 2), {o1 | i1}, {o2 | i2}.
// The two small ones share a group (zero between them): 2 groups of 2 x 2.
TEST(DenseToGrouped, UnequalBlocksPackIntoEqualGroups) {
  auto run = runPasses("dense-to-grouped,dce", convThenRelu("1, 0, 0, 2, 0, 3, 0, 0, 0, 0, 4, 0, 5, 0, 0, 6"),
                       forcedOptions());
  EXPECT_EQ(run.afterText, gatheredGroups("0, 3, 1, 2", "0, 2, 3, 1", "1, 2, 5, 6, 3, 0, 0, 4"));
  EXPECT_TRUE(numericallyEquivalent(run));
}

// A pruned filter (output 3 all zeros) and an input channel no filter reads (3)
// are blocks of their own, which fill the group the small block {o1 | i1} leaves.
TEST(DenseToGrouped, APrunedFilterAndAnUnreadInputJoinAGroup) {
  auto run = runPasses("dense-to-grouped,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] z)
<float[4,4,1,1] w = {1, 0, 2, 0, 0, 3, 0, 0, 4, 0, 5, 0, 0, 0, 0, 0}, float[4] b = {1, 2, 3, 4}>
{
  y = Conv (x, w, b)
  z = Relu (y)
}
)",
                       forcedOptions());
  EXPECT_NE(run.afterText.find("y = Conv <group = 2>"), std::string::npos) << run.afterText;
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  EXPECT_EQ(run.stats.rewrites[0].reconstructionError, 0.0);
  EXPECT_TRUE(numericallyEquivalent(run));
}

}  // namespace
}  // namespace convopt::passes
