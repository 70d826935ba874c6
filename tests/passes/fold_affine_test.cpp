// fold-batchnorm and fold-channel-affine: per-channel affine maps after a Conv
// folded into its weight and bias.
#include <gtest/gtest.h>

#include <limits>

#include "ir/onnx_io.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "tests/support/passes_test_util.h"

namespace convopt::passes {
namespace {

using testing::numericallyEquivalent;
using testing::rejectionFor;
using testing::runPasses;

// s = scale / sqrt(var + 1) = {2, 1}; W' = s * W; b' = s * (b - mean) + B = {1, -2}.
TEST(FoldBatchNorm, FoldsIntoConvWeightAndBias) {
  auto run = runPasses("fold-batchnorm,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,3,3] x) => (float[1,2,3,3] y)
<float[2,2,1,1] w = {1, 2, 3, 4}, float[2] b = {0.5, -1}, float[2] scale = {4, 3}, float[2] shift = {1, 0},
 float[2] mean = {0.5, 1}, float[2] var = {3, 8}>
{
  c = Conv (x, w, b)
  y = BatchNormalization <epsilon = 1.0> (c, scale, shift, mean, var)
}
)");
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,3,3] x) => (float[1,2,3,3] y)
<float[2,2,1,1] c_W_folded = {2, 4, 3, 4}, float[2] c_B_folded = {1, -2}>
{
  y = Conv (x, c_W_folded, c_B_folded)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
}

TEST(FoldBatchNorm, RejectsConvOutputWithOtherReaders) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 15]>
g (float[1,2,3,3] x) => (float[1,2,3,3] y, float[1,2,3,3] c)
<float[2,2,1,1] w = {1, 2, 3, 4}, float[2] scale = {4, 3}, float[2] shift = {1, 0}, float[2] mean = {0, 0},
 float[2] var = {3, 8}>
{
  c = Conv (x, w)
  y = BatchNormalization (c, scale, shift, mean, var)
}
)";
  auto run = runPasses("fold-batchnorm", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "BatchNormalization(y)"), "Conv output has other readers");
}

TEST(FoldBatchNorm, RejectsNonConstantStatistics) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 15]>
g (float[1,2,3,3] x, float[2] mean) => (float[1,2,3,3] y)
<float[2,2,1,1] w = {1, 2, 3, 4}, float[2] scale = {4, 3}, float[2] shift = {1, 0}, float[2] var = {3, 8}>
{
  c = Conv (x, w)
  y = BatchNormalization (c, scale, shift, mean, var)
}
)";
  auto run = runPasses("fold-batchnorm", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "BatchNormalization(y)"), "parameter 3 is not a constant float tensor");
}

TEST(FoldBatchNorm, RejectsTrainingMode) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 15]>
g (float[1,2,3,3] x) => (float[1,2,3,3] y)
<float[2,2,1,1] w = {1, 2, 3, 4}, float[2] scale = {4, 3}, float[2] shift = {1, 0}, float[2] mean = {0, 0},
 float[2] var = {3, 8}>
{
  c = Conv (x, w)
  y = BatchNormalization <training_mode = 1> (c, scale, shift, mean, var)
}
)";
  auto run = runPasses("fold-batchnorm", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "BatchNormalization(y)"), "training_mode = 1");
}

TEST(FoldBatchNorm, RejectsInputNotFromAConv) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 15]>
g (float[1,2,3,3] x) => (float[1,2,3,3] y)
<float[2] scale = {4, 3}, float[2] shift = {1, 0}, float[2] mean = {0, 0}, float[2] var = {3, 8}>
{
  c = Relu (x)
  y = BatchNormalization (c, scale, shift, mean, var)
}
)";
  auto run = runPasses("fold-batchnorm", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "BatchNormalization(y)"), "input producer: not a Conv");
}

TEST(FoldChannelAffine, FoldsMulThenAdd) {
  auto run = runPasses("fold-channel-affine,dce", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,2,2] x) => (float[1,2,2,2] y)
<float[2,1,1,1] w = {1, 2}, float[2,1,1] s = {2, 3}, float[1,2,1,1] t = {1, -1}>
{
  c = Conv (x, w)
  m = Mul (c, s)
  y = Add (t, m)
}
)");
  EXPECT_EQ(run.afterText, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,2,2] x) => (float[1,2,2,2] y)
<float[2,1,1,1] c_W_folded_1 = {2, 6}, float[2] c_B_folded_1 = {1, -1}>
{
  y = Conv (x, c_W_folded_1, c_B_folded_1)
}
)");
  EXPECT_EQ(run.stats.rewritten, 2);
  EXPECT_TRUE(numericallyEquivalent(run));
}

TEST(FoldChannelAffine, RejectsConstantThatIsNotPerChannel) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,2,2] x) => (float[1,2,2,2] y)
<float[2,1,1,1] w = {1, 2}, float[1,2] s = {2, 3}>
{
  c = Conv (x, w)
  y = Mul (c, s)
}
)";
  auto run = runPasses("fold-channel-affine", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Mul(y)"), "the constant operand's dim 1 (size 2) is not per channel");
}

// inf * W would be NaN where W is 0 (ONNX text spells no inf: it is set after parsing).
TEST(FoldChannelAffine, RejectsANonFiniteConstant) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,2,2] x) => (float[1,2,2,2] y)
<float[2,1,1,1] w = {0, 2}, float[2,1,1] s = {2, 3}>
{
  c = Conv (x, w)
  y = Mul (c, s)
}
)");
  ir::Value* s = model.graph->findValue("s");
  s->mutableInitializer()->data<float>()[1] = std::numeric_limits<float>::infinity();
  std::string before = ir::printModel(model);
  std::vector<PassStatistics> stats = runPipeline(model, {"fold-channel-affine"}, {});
  EXPECT_EQ(ir::printModel(model), before);
  EXPECT_EQ(rejectionFor(stats.front(), "Mul(y)"),
            "the constant operand is not finite (folded, inf * 0 weights would become NaN)");
}

TEST(FoldChannelAffine, RejectsNonConstantOperand) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,2,2] x, float[1,2,2,2] r) => (float[1,2,2,2] y)
<float[2,1,1,1] w = {1, 2}>
{
  c = Conv (x, w)
  y = Add (c, r)
}
)";
  auto run = runPasses("fold-channel-affine", text);
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Add(y)"), "the other operand is not a constant");
}

}  // namespace
}  // namespace convopt::passes
