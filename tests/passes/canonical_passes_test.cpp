// dce, eliminate-identity, fold-constants, fold-pad: ONNX text before -> IR dump after.
#include <gtest/gtest.h>

#include "tests/support/passes_test_util.h"

namespace convopt::passes {
namespace {

using testing::numericallyEquivalent;
using testing::rejectionFor;
using testing::runPasses;

TEST(Dce, RemovesDeadNodesAndUnusedInitializers) {
  auto run = runPasses("dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
<float[2] unused = {1, 2}, float[2] b = {3, 4}>
{
  dead = Relu (x)
  deader = Neg (dead)
  z = Add (x, b)
}
)");
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
<float[2] b = {3, 4}>
{
  z = Add (x, b)
}
)");
  EXPECT_EQ(run.stats.rewritten, 3);
  EXPECT_TRUE(numericallyEquivalent(run));
}

TEST(Dce, KeepsEverythingThatReachesAnOutput) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z, float[2] y)
<float[2] b = {3, 4}>
{
  y = Relu (x)
  z = Add (y, b)
}
)";
  auto run = runPasses("dce", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(run.stats.rewritten, 0);
}

constexpr const char* kIdentityAndDropout = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  a = Identity (x)
  b = Dropout (a)
  z = Relu (b)
}
)";

TEST(EliminateIdentity, ForwardsIdentityAndInferenceDropout) {
  auto run = runPasses("eliminate-identity", kIdentityAndDropout);
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  z = Relu (x)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

TEST(EliminateIdentity, GraphOutputKeepsItsNameThroughTheProducer) {
  auto run = runPasses("eliminate-identity", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  r = Relu (x)
  z = Identity (r)
}
)");
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  z = Relu (x)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

TEST(EliminateIdentity, RejectsGraphOutputFedByAGraphInput) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  z = Identity (x)
}
)";
  auto run = runPasses("eliminate-identity", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Identity(z)"),
            "output is a graph output and its input is not a single-use single-output node result, so removing "
            "the node would rename the output");
}

// The pipeline fuzz target: an Identity with two outputs, at an opset whose schemas libonnx
// does not check; erasing it left its second output's reader dangling (std::logic_error).
TEST(EliminateIdentity, RejectsAnIdentityWithTwoOutputs) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 21]>
g (float[2] x) => (float[2] z)
{
  a, b = Identity (x)
  z = Add (a, b)
}
)";
  auto run = runPasses("eliminate-identity", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Identity(a)"), "its output 'b' is read too");
}

// The pipeline fuzz target: the Identity's output is read inside an If branch that has an
// initializer named like the Identity's input; a branch cannot read both (std::logic_error).
TEST(EliminateIdentity, RejectsAnIdentityWhoseInputNameABodyShadows) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] z)
{
  a = Identity (x)
  z = If (c) <then_branch = t () => (float[2] r) <float[2] x = {1, 2}> { r = Add (a, x) },
               else_branch = e () => (float[2] s) { s = Neg (a) }>
}
)";
  // Two levels down, behind a body that captures x too (renaming merges the captures and goes on).
  const char* nested = R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] z)
{
  a = Identity (x)
  z = If (c) <then_branch = t () => (float[2] r) {
                 r = If (c) <then_branch = tt () => (float[2] q) <float[2] x = {1, 2}> { q = Add (a, x) },
                              else_branch = te () => (float[2] p) { p = Neg (a) }>
                 u = Neg (x)
               },
               else_branch = e () => (float[2] s) { s = Neg (a) }>
}
)";
  for (const char* model : {text, nested}) {
    auto run = runPasses("eliminate-identity", model);
    EXPECT_EQ(run.afterText, run.beforeText);
    EXPECT_EQ(rejectionFor(run.stats, "Identity(a)"), "a body reading its output defines a value named 'x' of its own");
  }
}

TEST(EliminateIdentity, RejectsDropoutWhoseMaskIsUsed) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z, bool[2] m)
{
  d, m = Dropout (x)
  z = Relu (d)
}
)";
  auto run = runPasses("eliminate-identity", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Dropout(d)"), "Dropout mask output is used");
}

TEST(EliminateIdentity, RejectsDropoutWhoseTrainingModeIsNotConstant) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x, bool training) => (float[2] z)
<float ratio = {0.5}>
{
  d = Dropout (x, ratio, training)
  z = Relu (d)
}
)";
  auto run = runPasses("eliminate-identity", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Dropout(d)"), "Dropout training_mode is not a constant");
}

TEST(EliminateIdentity, RejectsDropoutWithConstantTrueTrainingMode) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
<float ratio = {0.5}, bool training = {1}>
{
  d = Dropout (x, ratio, training)
  z = Relu (d)
}
)";
  auto run = runPasses("eliminate-identity", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Dropout(d)"), "Dropout training_mode is true");
}

TEST(EliminateIdentity, RejectsOldDropoutWithoutIsTest) {
  const char* text = R"(<ir_version: 3, opset_import: ["" : 6]>
g (float[2] x) => (float[2] z)
{
  d = Dropout (x)
  z = Relu (d)
}
)";
  auto run = runPasses("eliminate-identity", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Dropout(d)"), "Dropout is_test = 0 (training mode, opset < 7)");
}

TEST(FoldConstants, ConstantNodesAndStaticShapesBecomeInitializers) {
  auto run = runPasses("fold-constants", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,3] x) => (float[1,2,3] z, int64[3] s)
{
  c = Constant <value = float[2,1] {1, 2}> ()
  z = Mul (x, c)
  s = Shape (x)
}
)");
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,3] x) => (float[1,2,3] z, int64[3] s)
<float[2,1] c = {1, 2}, int64[3] s = {1, 2, 3}>
{
  z = Mul (x, c)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

TEST(FoldConstants, RejectsShapeOfDynamicInput) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,2] x) => (int64[2] s)
{
  s = Shape (x)
}
)";
  auto run = runPasses("fold-constants", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Shape(s)"), "input shape is not static");
}

TEST(FoldConstants, ShapeArithmeticChainFoldsIntoAReshapeTarget) {
  auto run = runPasses("fold-constants,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,4,4] x) => (float[1,8,16] y)
<int64 i = {1}, int64[1] axis0 = {0}, int64[1] rest = {-1}>
{
  s = Shape (x)
  c = Gather <axis = 0> (s, i)
  u = Unsqueeze (c, axis0)
  n = Constant <value = int64[1] {1}> ()
  target = Concat <axis = 0> (n, u, rest)
  y = Reshape (x, target)
}
)");
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,4,4] x) => (float[1,8,16] y)
<int64[3] target = {1, 8, -1}>
{
  y = Reshape (x, target)
}
)");
  EXPECT_EQ(run.stats.rewritten, 5);
  EXPECT_TRUE(numericallyEquivalent(run));
}

// One negative case per refusal of the folder: the model is unchanged and the reason recorded.
void expectNotFolded(const char* text, const char* node, const char* reason) {
  auto run = runPasses("fold-constants", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, node), reason);
}

TEST(FoldConstants, RejectsFoldingThatWouldGrowTheModel) {
  expectNotFolded(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,64,64] x) => (float[1,8,64,64] y)
<float one = {1}, int64[4] shape = {1, 8, 64, 64}>
{
  big = Expand (one, shape)
  y = Add (x, big)
}
)",
                  "Expand(big)", "output of 131072 bytes would grow the model");
}

// A NonZero's size depends on its input's values: the folder would have to run it to learn how
// large its output is, so it does not.
TEST(FoldConstants, RejectsAnOutputOfUnknownSize) {
  expectNotFolded(R"(<ir_version: 8, opset_import: ["" : 13]>
g (int64[1,2] x) => (int64[1,2] y)
<float[4] mask = {0, 1, 0, 1}>
{
  n = NonZero (mask)
  y = Add (x, n)
}
)",
                  "NonZero(n)", "its output's size is not known before evaluating");
}

TEST(FoldConstants, RejectsNondeterministicOps) {
  expectNotFolded(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
<float[2] like = {0, 0}>
{
  r = RandomNormalLike (like)
  y = Add (x, r)
}
)",
                  "RandomNormalLike(r)", "op is not deterministic");
}

constexpr const char* kPadConv = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,5,4] y)
<int64[8] pads = {0, 0, 1, 0, 0, 0, 1, 1}, float[1,1,1,1] w = {2}>
{
  p = Pad (x, pads)
  y = Conv <pads = [0, 0, 0, 0]> (p, w)
}
)";

TEST(FoldPad, ZeroPadBecomesConvPads) {
  auto run = runPasses("fold-pad,dce", kPadConv);
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x) => (float[1,1,5,4] y)
<float[1,1,1,1] w = {2}>
{
  y = Conv <pads = [1, 0, 1, 1]> (x, w)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

// One negative case per legality condition: the model is unchanged and the reason recorded.
struct PadRejection {
  const char* name;
  const char* pads;
  const char* padNode;
  const char* reader;
  const char* reason;
};

class FoldPadRejects : public ::testing::TestWithParam<PadRejection> {};

TEST_P(FoldPadRejects, LeavesTheModelUnchanged) {
  const PadRejection& c = GetParam();
  std::string text = std::string(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,3,3] x, int64[8] shape) => (float[N,1,5,4] y)
<int64[8] pads = )") +
                     c.pads + R"(, float[1,1,1,1] w = {2}, float value = {1}>
{
  p = )" + c.padNode +
                     R"(
  y = )" + c.reader + R"(
}
)";
  auto run = runPasses("fold-pad", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Pad(p)"), c.reason);
}

INSTANTIATE_TEST_SUITE_P(
    Conditions, FoldPadRejects,
    ::testing::Values(PadRejection{"Reflect", "{0, 0, 1, 0, 0, 0, 1, 1}", R"(Pad <mode = "reflect"> (x, pads))",
                                   "Conv (p, w)", "mode is not constant"},
                      PadRejection{"NonzeroValue", "{0, 0, 1, 0, 0, 0, 1, 1}", "Pad (x, pads, value)", "Conv (p, w)",
                                   "pad value is not 0"},
                      PadRejection{"BatchPad", "{1, 0, 1, 0, 0, 0, 1, 1}", "Pad (x, pads)", "Conv (p, w)",
                                   "pads the batch or channel dim"},
                      PadRejection{"PadsNotConstant", "{0, 0, 1, 0, 0, 0, 1, 1}", "Pad (x, shape)", "Conv (p, w)",
                                   "pads are not a constant"},
                      PadRejection{"Negative", "{0, 0, -1, 0, 0, 0, 3, 1}", "Pad (x, pads)", "Conv (p, w)",
                                   "pads are negative (cropping)"},
                      PadRejection{"ReaderNotConv", "{0, 0, 1, 0, 0, 0, 1, 1}", "Pad (x, pads)", "Relu (p)",
                                   "output is read by Relu(y) which is not a Conv's data input"},
                      PadRejection{"AutoPad", "{0, 0, 1, 0, 0, 0, 1, 1}", "Pad (x, pads)",
                                   R"(Conv <auto_pad = "SAME_UPPER"> (p, w))", "Conv(y) uses auto_pad"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace convopt::passes
