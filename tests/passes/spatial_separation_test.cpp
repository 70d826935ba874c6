// spatial-separation: a dense kh x kw Conv whose weight has low rank
// across its spatial axes (as M[(i, h), (o, w)]) becomes a kh x 1 Conv and a
// 1 x kw Conv. Shown with --force; factor values come from an SVD, so dumps
// show structure and the reference interpreter checks the values.
#include <gtest/gtest.h>

#include "tests/support/passes_test_util.h"

namespace convopt::passes {
namespace {

using testing::forcedOptions;
using testing::numericallyEquivalent;
using testing::printedStructure;
using testing::rejectionFor;
using testing::runPasses;

// W[o, i, h, w] = a[i, h] b[o, w] with a = {{1, 2, 3}, {0, -1, 1}}, b = {{1, 0, -1}, {2, 1, 0}}:
// M has rank 1. Asymmetric pads, a row stride and a column dilation: each goes to the factor
// along its axis.
constexpr const char* kRankOne = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,7,8] x) => (float[1,2,3,5] y)
<float[2,2,3,3] w = {1, 0, -1, 2, 0, -2, 3, 0, -3, 0, 0, 0, -1, 0, 1, 1, 0, -1,
                     2, 1, 0, 4, 2, 0, 6, 3, 0, 0, 0, 0, -2, -1, 0, 2, 1, 0},
 float[2] b = {1, -1}>
{
  y = Conv <pads = [1, 0, 0, 1], strides = [2, 1], dilations = [1, 2]> (x, w, b)
}
)";

TEST(SpatialSeparation, RankOneWeightBecomesAColumnThenARowConv) {
  auto run = runPasses("spatial-separation,dce", kRankOne, forcedOptions());
  EXPECT_EQ(printedStructure(run.after), R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,7,8] x) => (float[1,2,3,5] y)
# float[2] b = <2 elements>
# float[1,2,3,1] y_W_vertical = <6 elements>
# float[2,1,1,3] y_W_horizontal = <6 elements>
{
  y_vertical = Conv <pads = [1, 0, 0, 0], strides = [2, 1], dilations = [1, 1], kernel_shape = [3, 1]> (x, y_W_vertical)  # y_vertical
  y = Conv <pads = [0, 0, 0, 1], strides = [1, 1], dilations = [1, 2], kernel_shape = [1, 3]> (y_vertical, y_W_horizontal, b)
}
)");
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  const RewriteRecord& r = run.stats.rewrites[0];
  EXPECT_EQ(r.description, "spatially separable rank 1 weight, 3x1 then 1x3");
  EXPECT_EQ(r.after.kind, "2x dense");
  EXPECT_LT(r.reconstructionError, 1e-6);
  EXPECT_TRUE(numericallyEquivalent(run));
}

// auto_pad VALID is explicit pads of zero.
TEST(SpatialSeparation, AutoPadValidIsZeroPads) {
  std::string text = kRankOne;
  text.replace(text.find("pads = [1, 0, 0, 1]"), 19, "auto_pad = \"VALID\"");
  text.replace(text.find("float[1,2,3,5] y"), 16, "float[1,2,3,4] y");
  auto run = runPasses("spatial-separation", text, forcedOptions());
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  EXPECT_TRUE(numericallyEquivalent(run));
}

class SpatialSeparationRejects : public ::testing::TestWithParam<testing::ConvRejection> {};

TEST_P(SpatialSeparationRejects, LeavesTheModelUnchanged) {
  testing::expectConvRejected("spatial-separation", GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Conditions, SpatialSeparationRejects,
    ::testing::Values(testing::ConvRejection{"FullRank", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,7,8] x) => (float[1,2,5,6] y)
<float[2,2,3,3] w = {-6, 2, -6, -4, -5, 4, -3, 0, 0, -3, 4, -5, -4, -6, 2, -6, -4, -5,
                     4, -3, 0, 0, -3, 4, -5, -4, -6, 2, -6, -4, -5, 4, -3, 0, 0, -3}>
{
  y = Conv (x, w)
}
)",
                                             "weight is not spatially separable: rank 6 (full)"},
                      testing::ConvRejection{"AlreadyGrouped", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] x) => (float[1,2,3,3] y)
<float[2,1,3,3] w = {1, 0, -1, 2, 0, -2, 3, 0, -3, 2, 1, 0, 4, 2, 0, 6, 3, 0}>
{
  y = Conv <group = 2> (x, w)
}
)",
                                             "already grouped (group > 1)"},
                      testing::ConvRejection{"OneDimensional", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,8] x) => (float[1,2,6] y)
<float[2,2,3] w = {1, 0, -1, 2, 0, -2, 2, 0, -2, 4, 0, -4}>
{
  y = Conv (x, w)
}
)",
                                             "1-D conv: only 2-D kernels separate"},
                      testing::ConvRejection{"ColumnKernel", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] x) => (float[1,2,3,5] y)
<float[2,2,3,1] w = {1, 2, 3, 2, 4, 6, 2, 4, 6, 4, 8, 12}>
{
  y = Conv (x, w)
}
)",
                                             "3x1 kernel: already one-dimensional"},
                      testing::ConvRejection{"AutoPadSame", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,7,8] x) => (float[1,2,7,8] y)
<float[2,2,3,3] w = {1, 0, -1, 2, 0, -2, 3, 0, -3, 0, 0, 0, -1, 0, 1, 1, 0, -1,
                     2, 1, 0, 4, 2, 0, 6, 3, 0, 0, 0, 0, -2, -1, 0, 2, 1, 0}>
{
  y = Conv <auto_pad = "SAME_UPPER"> (x, w)
}
)",
                                             "auto_pad SAME_UPPER: pads depend on the input size"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SpatialSeparation, CostModelRejectsWhereFactorsDoNotPay) {
  auto run = runPasses("spatial-separation", kRankOne);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Conv(y)").rfind("cost model: rank 1 factors take ", 0), 0u);
}

}  // namespace
}  // namespace convopt::passes
