// dense-to-separable: a dense kxk Conv with per-channel low-rank weight becomes
// depthwise + pointwise (or pointwise + depthwise-style grouped). Shown with
// --force; factor values come from an SVD, so dumps show structure and the
// reference interpreter checks the values.
#include <gtest/gtest.h>

#include "tests/support/passes_test_util.h"

namespace convopt::passes {
namespace {

using testing::forcedOptions;
using testing::numericallyEquivalent;
using testing::printedStructure;
using testing::rejectionFor;
using testing::runPasses;

// W[o, i] = P[o, i] * D_i with D_0 = {1, 2, 3, 4}, D_1 = {1, 0, -1, 2}, P = [[1, 2], [2, -1]]:
// every input-channel slice has rank 1.
constexpr const char* kRankOnePerInput = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] x) => (float[1,2,5,5] y)
<float[2,2,2,2] w = {1, 2, 3, 4, 2, 0, -2, 4, 2, 4, 6, 8, -1, 0, 1, -2}, float[2] b = {1, -1}>
{
  y = Conv <pads = [1, 1, 0, 0]> (x, w, b)
}
)";

TEST(DenseToSeparable, RankOneInputSlicesBecomeDepthwiseThenPointwise) {
  auto run = runPasses("dense-to-separable,dce", kRankOnePerInput, forcedOptions());
  EXPECT_EQ(printedStructure(run.after), R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] x) => (float[1,2,5,5] y)
# float[2] b = <2 elements>
# float[2,1,2,2] y_W_depthwise = <8 elements>
# float[2,2,1,1] y_W_pointwise = <4 elements>
{
  y_depthwise = Conv <pads = [1, 1, 0, 0], group = 2> (x, y_W_depthwise)  # y_depthwise
  y = Conv <pads = [0, 0, 0, 0], kernel_shape = [1, 1], strides = [1, 1], dilations = [1, 1], group = 1> (y_depthwise, y_W_pointwise, b)
}
)");
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  const RewriteRecord& r = run.stats.rewrites[0];
  EXPECT_EQ(r.description, "per-input-channel rank 1 weight, depthwise first");
  EXPECT_EQ(r.after.kind, "depthwise+pointwise");
  EXPECT_LT(r.reconstructionError, 1e-6);
  EXPECT_TRUE(numericallyEquivalent(run));
}

// W[o, i] = p_o[i] * d_o with p_0 = (1, 2, -1), d_0 = {1, 2, 3, 4}, p_1 = (0.5, 1, 2), d_1 = {1, 0, -1, 2}:
// every output-channel slice has rank 1, the input-channel slices do not.
TEST(DenseToSeparable, RankOneOutputSlicesBecomePointwiseThenDepthwise) {
  auto run = runPasses("dense-to-separable,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,5,5] x) => (float[1,2,2,2] y)
<float[2,3,2,2] w = {1, 2, 3, 4, 2, 4, 6, 8, -1, -2, -3, -4, 0.5, 0, -0.5, 1, 1, 0, -1, 2, 2, 0, -2, 4},
 float[2] b = {1, -1}>
{
  y = Conv <strides = [2, 2]> (x, w, b)
}
)",
                       forcedOptions());
  EXPECT_EQ(printedStructure(run.after), R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,5,5] x) => (float[1,2,2,2] y)
# float[2] b = <2 elements>
# float[2,3,1,1] y_W_pointwise = <6 elements>
# float[2,1,2,2] y_W_depthwise = <8 elements>
{
  y_pointwise = Conv <strides = [1, 1], kernel_shape = [1, 1], dilations = [1, 1], pads = [0, 0, 0, 0], group = 1> (x, y_W_pointwise)  # y_pointwise
  y = Conv <strides = [2, 2], group = 2> (y_pointwise, y_W_depthwise, b)
}
)");
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  EXPECT_EQ(run.stats.rewrites[0].description, "per-output-channel rank 1 weight, pointwise first");
  EXPECT_TRUE(numericallyEquivalent(run));
}

class SeparableRejects : public ::testing::TestWithParam<testing::ConvRejection> {};

TEST_P(SeparableRejects, LeavesTheModelUnchanged) { testing::expectConvRejected("dense-to-separable", GetParam()); }

INSTANTIATE_TEST_SUITE_P(Conditions, SeparableRejects,
                         ::testing::Values(
                             // kRankOnePerInput with W[1,0,1,1] = 8.001 instead of 8: nearly, not exactly, low rank.
                             testing::ConvRejection{
                                 "NearlyLowRank", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] x) => (float[1,2,5,5] y)
<float[2,2,2,2] w = {1, 2, 3, 4, 2, 0, -2, 4, 2, 4, 6, 8.001, -1, 0, 1, -2}, float[2] b = {1, -1}>
{
  y = Conv <pads = [1, 1, 0, 0]> (x, w, b)
}
)",
                                 "weight is not per-channel low-rank: input-channel slices have rank 2 (full); "
                                 "output-channel slices have rank 2 (full)"},
                             testing::ConvRejection{"PointwiseKernel", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] x) => (float[1,2,5,5] y)
<float[2,2,1,1] w = {1, 2, 2, 4}>
{
  y = Conv (x, w)
}
)",
                                                    "1x1 kernel: nothing to separate"},
                             testing::ConvRejection{"AlreadyGrouped", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] x) => (float[1,2,4,4] y)
<float[2,1,2,2] w = {1, 2, 3, 4, 2, 4, 6, 8}>
{
  y = Conv <group = 2> (x, w)
}
)",
                                                    "already grouped (group > 1)"},
                             // Found by the pipeline fuzz target: an SVD of empty slices asserted.
                             testing::ConvRejection{"EmptyWeight", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,0,16] x) => (float[1,4,16] y)
<float[4,0,3] w = {}>
{
  y = Conv <pads = [1, 1]> (x, w)
}
)",
                                                    "weight has no elements"}),
                         [](const auto& info) { return std::string(info.param.name); });

// The pipeline fuzz target: a Conv without outputs, at an opset whose schemas libonnx does
// not check; the pass read its missing output's shape (std::out_of_range).
TEST(DenseToSeparable, RejectsAConvWithoutOutputs) {
  auto run = runPasses("dense-to-separable", R"(<ir_version: 8, opset_import: ["" : 21]>
g (float[1,2,16] x) => (float[1,2,16] y)
<float[4,2,3] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}>
{
  y = Relu (x)
  = Conv <pads = [1, 1]> (x, w)
}
)",
                       testing::forcedOptions());
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Conv()"), "no output");
}

TEST(DenseToSeparable, CostModelRejectsWhereFactorsDoNotPay) {
  auto run = runPasses("dense-to-separable", kRankOnePerInput);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Conv(y)").rfind("cost model: rank 1 factors take ", 0), 0u);
}

}  // namespace
}  // namespace convopt::passes
