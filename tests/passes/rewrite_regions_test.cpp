// Rewrites cut out to be checked alone (passes/rewrite_regions.h): what a pass
// changed, before and after, as two small models over the same boundary values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/printer.h"
#include "passes/rewrite_regions.h"
#include "tests/support/passes_test_util.h"

namespace convopt::passes {
namespace {

using ::testing::ElementsAre;
using testing::runPasses;

// A diagonal (depthwise) conv stored densely, then an op the reference interpreter does not run.
constexpr const char* kConvThenCustomOp = R"(<ir_version: 8, opset_import: ["" : 13, "com.example" : 1]>
g (float[1,2,8,8] x) => (float[1,2,8,8] y)
<float[2,2,3,3] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1}>
{
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  r = Relu (c)
  y = com.example.Mystery (r)
}
)";

std::vector<RewriteRegion> regionsOf(const testing::PassRun& run) {
  return changedRegions(run.before, run.after, "pass", {}, 64);
}

TEST(RewriteRegions, TheChangedConvAloneBeforeAndAfter) {
  testing::PassRun run = runPasses("dense-to-depthwise", kConvThenCustomOp, testing::forcedOptions());
  std::vector<RewriteRegion> regions = regionsOf(run);
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_THAT(regions[0].nodes, ElementsAre("Conv(c)"));
  EXPECT_EQ(regions[0].scope, "");
  EXPECT_EQ(regions[0].uncheckable, "");
  EXPECT_EQ(ir::printGraph(*regions[0].after.graph), R"(region (float[1,2,8,8] x) => (float[1,2,8,8] c)
<float[2,1,3,3] c_W_grouped = {1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1}>
{
  c = Conv <pads = [1, 1, 1, 1], group = 2> (x, c_W_grouped)
}
)");
  EXPECT_TRUE(compareRegion(regions[0], {}).equivalent());
}

TEST(RewriteRegions, AWrongRewriteIsCaught) {
  testing::PassRun run = runPasses("dense-to-depthwise", kConvThenCustomOp, testing::forcedOptions());
  ir::Tensor& weight = *run.after.graph->findValue("c_W_grouped")->mutableInitializer();
  weight.data<float>()[0] += 0.5f;
  std::vector<RewriteRegion> regions = regionsOf(run);
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_FALSE(compareRegion(regions[0], {}).equivalent());
}

TEST(RewriteRegions, NothingChangedNoRegion) {
  PassOptions noGainIsEnough;
  noGainIsEnough.minGain = 1.0;  // no rewrite removes all the time
  testing::PassRun run = runPasses("dense-to-depthwise", kConvThenCustomOp, noGainIsEnough);
  EXPECT_EQ(run.stats.rewritten, 0);
  EXPECT_TRUE(regionsOf(run).empty());
}

TEST(RewriteRegions, DeadCodeRemovedHasNoRegion) {
  testing::PassRun run = runPasses("dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
{
  unused = Neg (x)
  y = Relu (x)
}
)");
  EXPECT_EQ(run.stats.rewritten, 1);
  EXPECT_TRUE(regionsOf(run).empty());
}

// Separate rewrites are separate regions, each with its own inputs.
TEST(RewriteRegions, EachRewriteIsItsOwnRegion) {
  testing::PassRun run = runPasses("dense-to-depthwise", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,8,8] x) => (float[1,2,8,8] y)
<float[2,2,1,1] w = {2, 0, 0, 3}, float[2,2,1,1] v = {4, 0, 0, 5}>
{
  a = Conv (x, w)
  r = Relu (a)
  y = Conv (r, v)
}
)",
                                   testing::forcedOptions());
  std::vector<RewriteRegion> regions = regionsOf(run);
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_THAT(regions[0].nodes, ElementsAre("Conv(a)"));
  EXPECT_THAT(regions[1].nodes, ElementsAre("Conv(y)"));
  EXPECT_EQ(regions[1].before.graph->inputs()[0]->name(), "r");
  for (const RewriteRegion& region : regions) EXPECT_TRUE(compareRegion(region, {}).equivalent());
}

// A rewrite inside a branch: found with its scope; the outer value it reads is the region's input.
TEST(RewriteRegions, ARewriteInsideABodyCarriesItsScope) {
  testing::PassRun run = runPasses("dense-to-depthwise", R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool[1] c, float[1,2,8,8] x) => (float[1,2,8,8] y)
{
  y = If (c) <then_branch = then_body () => (float[1,2,8,8] t)
    <float[2,2,1,1] w = {2, 0, 0, 3}>
    {
      t = Conv (x, w)
    }, else_branch = else_body () => (float[1,2,8,8] e)
    {
      e = Identity (x)
    }>
}
)",
                                   testing::forcedOptions());
  std::vector<RewriteRegion> regions = regionsOf(run);
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].scope, "If(y)/then_branch");
  EXPECT_EQ(regions[0].before.graph->inputs()[0]->name(), "x");
  EXPECT_TRUE(compareRegion(regions[0], {}).equivalent());
}

}  // namespace
}  // namespace convopt::passes
