// splitconcat-to-grouped: Split/Slice -> g Convs -> Concat becomes one grouped Conv.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/passes_test_util.h"

namespace convopt::passes {
namespace {

using testing::numericallyEquivalent;
using testing::rejectionFor;
using testing::runPasses;

// Two 3x3 branches of 2 -> 1 channels each.
constexpr const char* kSplitBranches = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,5,5] x) => (float[1,2,5,5] y)
<float[1,2,1,1] w0 = {1, 2}, float[1,2,1,1] w1 = {3, 4}, float[1] b0 = {0.5}, float[1] b1 = {-0.5}>
{
  x0, x1 = Split <axis = 1> (x)
  y0 = Conv <pads = [0, 0, 0, 0]> (x0, w0, b0)
  y1 = Conv <pads = [0, 0, 0, 0]> (x1, w1, b1)
  y = Concat <axis = 1> (y0, y1)
}
)";

TEST(SplitConcatToGrouped, SplitBranchesBecomeOneGroupedConv) {
  auto run = runPasses("splitconcat-to-grouped,dce", kSplitBranches);
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,5,5] x) => (float[1,2,5,5] y)
<float[2,2,1,1] y_W_grouped = {1, 2, 3, 4}, float[2] y_B_grouped = {0.5, -0.5}>
{
  y = Conv <pads = [0, 0, 0, 0], group = 2> (x, y_W_grouped, y_B_grouped)
}
)");
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  EXPECT_EQ(run.stats.rewrites[0].before.kind, "2x pointwise");
  EXPECT_EQ(run.stats.rewrites[0].after.kind, "grouped");
  EXPECT_EQ(run.stats.rewrites[0].before.macs, run.stats.rewrites[0].after.macs);
  EXPECT_TRUE(numericallyEquivalent(run));
}

TEST(SplitConcatToGrouped, SliceBranchesBecomeOneGroupedConv) {
  auto run = runPasses("splitconcat-to-grouped,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,5,5] x) => (float[1,2,3,3] y)
<float[1,2,3,3] w0 = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9},
 float[1,2,3,3] w1 = {9, 8, 7, 6, 5, 4, 3, 2, 1, 9, 8, 7, 6, 5, 4, 3, 2, 1},
 int64[1] s0 = {0}, int64[1] e0 = {2}, int64[1] s1 = {2}, int64[1] e1 = {4}, int64[1] axis = {1}>
{
  x0 = Slice (x, s0, e0, axis)
  x1 = Slice (x, s1, e1, axis)
  y0 = Conv (x0, w0)
  y1 = Conv (x1, w1)
  y = Concat <axis = -3> (y0, y1)
}
)");
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,5,5] x) => (float[1,2,3,3] y)
<float[2,2,3,3] y_W_grouped = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1, 9, 8, 7, 6, 5, 4, 3, 2, 1}>
{
  y = Conv <group = 2> (x, y_W_grouped)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

// Two 3x3 branches of channels [0, 2) and [2, 4) of x taken by Slices spelt
// {x0} and {x1} (inputs s0, e0, s1, e1: the bounds; a: the axis; st: step 1).
std::string sliceBranches(const std::string& x0, const std::string& x1, int opset = 13,
                          const std::string& y1Attributes = "") {
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : {}]>
g (float[1,4,5,5] x) => (float[1,2,3,3] y)
<float[1,2,3,3] w0 = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
 float[1,2,3,3] w1 = {{9, 8, 7, 6, 5, 4, 3, 2, 1, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
 int64[1] s0 = {{0}}, int64[1] e0 = {{2}}, int64[1] s1 = {{2}}, int64[1] e1 = {{4}}, int64[1] a = {{1}},
 int64[1] st = {{1}}, int64[1] begin = {{-4}}, int64[1] middle = {{-2}}, int64[1] last = {{9223372036854775807}},
 int64[1] minus3 = {{-3}}, int64[2] s0x = {{0, 0}}, int64[2] e0x = {{1, 2}},
 int64[2] s0h = {{0, 0}}, int64[2] e0h = {{2, 4}}, int64[2] s1h = {{2, 0}}, int64[2] e1h = {{4, 4}}, int64[2] a1h = {{1, 2}},
 int64[1] one = {{1}}, int64[1] minus5 = {{-5}}, int64[1] back = {{-1}}>
{{
  x0 = {}
  x1 = {}
  y0 = Conv (x0, w0)
  y1 = Conv {} (x1, w1)
  y = Concat <axis = 1> (y0, y1)
}}
)",
                     opset, x0, x1, y1Attributes);
}

struct SliceSpelling {
  const char* name;
  std::string text;
};

class SplitConcatSlices : public ::testing::TestWithParam<SliceSpelling> {};

// The same channels, however the Slices and Convs spell them, as ONNX resolves them.
TEST_P(SplitConcatSlices, SpellingsOfTheSameChannelsBecomeOneGroupedConv) {
  auto run = runPasses("splitconcat-to-grouped,dce", GetParam().text);
  EXPECT_EQ(run.stats.rewritten, 1) << rejectionFor(run.stats, "Concat(y)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

INSTANTIATE_TEST_SUITE_P(
    Spellings, SplitConcatSlices,
    ::testing::Values(
        SliceSpelling{"EndPastTheAxis", sliceBranches("Slice (x, s0, e0, a)", "Slice (x, s1, last, a)")},  // x[:, 2:]
        SliceSpelling{"NegativeBounds", sliceBranches("Slice (x, begin, middle, a)", "Slice (x, middle, e1, a, st)")},
        SliceSpelling{"NegativeAxis", sliceBranches("Slice (x, s0, e0, minus3)", "Slice (x, s1, e1, minus3)")},
        SliceSpelling{"AxesLeftOut", sliceBranches("Slice (x, s0x, e0x)", "Slice (x, s1, e1, a)")},
        SliceSpelling{"AttributesBeforeOpset10", sliceBranches("Slice <starts = [0], ends = [2], axes = [1]> (x)",
                                                               "Slice <starts = [2], ends = [4], axes = [1]> (x)", 9)},
        SliceSpelling{
            "DefaultConvAttributesSpeltOut",
            sliceBranches("Slice (x, s0, e0, a)", "Slice (x, s1, e1, a)", 13,
                          "<strides = [1, 1], dilations = [1, 1], pads = [0, 0, 0, 0], kernel_shape = [3, 3], "
                          "auto_pad = \"NOTSET\", group = 1>")}),
    [](const auto& info) { return std::string(info.param.name); });

// Channels 1, 0 (step -1) are channels [0, 2) in another order: refused too.
TEST(SplitConcatToGrouped, RejectsSlicesOfOtherAxesOrSteps) {
  for (auto [x0, x1, reason] :
       {std::tuple{"Slice (x, s0h, e0h, a1h)", "Slice (x, s1h, e1h, a1h)", "branch 0 Slice also slices axis 2"},
        std::tuple{"Slice (x, s0, e0, a)", "Slice (x, s0, e0, a)", "branch 1 Slice is not channels [2, 4)"},
        std::tuple{"Slice (x, one, minus5, a, back)", "Slice (x, s1, e1, a)",
                   "branch 0 Slice is not channels [0, 2)"}}) {
    std::string text = sliceBranches(x0, x1);
    text.replace(text.find("(float[1,2,3,3] y)"), 18, "(float[1,?,?,?] y)");
    auto run = runPasses("splitconcat-to-grouped", text);
    EXPECT_EQ(run.afterText, run.beforeText);
    EXPECT_EQ(rejectionFor(run.stats, "Concat(y)"), reason);
  }
}

struct SplitRejection {
  const char* name;
  const char* from;
  const char* to;
  const char* reason;
};

class SplitConcatRejects : public ::testing::TestWithParam<SplitRejection> {};

// Each case edits one line of kSplitBranches so that one legality condition fails
// (and leaves y's shape to inference: some edits change it).
TEST_P(SplitConcatRejects, LeavesTheModelUnchanged) {
  const SplitRejection& c = GetParam();
  std::string text = kSplitBranches;
  text.replace(text.find(c.from), std::string(c.from).size(), c.to);
  text.replace(text.find("(float[1,2,5,5] y)"), 18, "(float[1,?,?,?] y)");
  auto run = runPasses("splitconcat-to-grouped", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Concat(y)"), c.reason);
}

INSTANTIATE_TEST_SUITE_P(
    Conditions, SplitConcatRejects,
    ::testing::Values(SplitRejection{"OtherAttributes", "y1 = Conv <pads = [0, 0, 0, 0]>",
                                     "y1 = Conv <pads = [0, 0, 0, 0], dilations = [2, 2]>",
                                     "branch 1 has other Conv attributes"},
                      SplitRejection{"MissingBias", "(x1, w1, b1)", "(x1, w1)", "branch 1 differs in having a bias"},
                      SplitRejection{"SwappedOrder", "Concat <axis = 1> (y0, y1)", "Concat <axis = 1> (y1, y0)",
                                     "branch 0 does not read Split output 0"},
                      SplitRejection{"NotChannelAxis", "Concat <axis = 1> (y0, y1)", "Concat <axis = 2> (y0, y1)",
                                     "not concatenated on the channel axis"},
                      SplitRejection{"BranchNotAConv", "y1 = Conv <pads = [0, 0, 0, 0]> (x1, w1, b1)", "y1 = Relu (x1)",
                                     "input 1: not a Conv"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SplitConcatToGrouped, NegativeSplitAxisIsTheChannelAxis) {
  std::string text = kSplitBranches;
  text.replace(text.find("Split <axis = 1>"), 16, "Split <axis = -3>");
  auto run = runPasses("splitconcat-to-grouped", text);
  EXPECT_EQ(run.stats.rewritten, 1);
}

TEST(SplitConcatToGrouped, RejectsSplitOnAnotherAxis) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,4,4] x) => (float[1,2,2,4] y)
<float[1,2,1,1] w0 = {1, 2}, float[1,2,1,1] w1 = {3, 4}>
{
  x0, x1 = Split <axis = 2> (x)
  y0 = Conv (x0, w0)
  y1 = Conv (x1, w1)
  y = Concat <axis = 1> (y0, y1)
}
)";
  auto run = runPasses("splitconcat-to-grouped", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Concat(y)"), "Split is not on the channel axis");
}

TEST(SplitConcatToGrouped, RejectsWhenTheCostModelSaysNo) {
  PassOptions options;
  options.minGain = 0.999;
  auto run = runPasses("splitconcat-to-grouped", kSplitBranches, options);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_THAT(rejectionFor(run.stats, "Concat(y)"), ::testing::StartsWith("cost model: "));
}

}  // namespace
}  // namespace convopt::passes
