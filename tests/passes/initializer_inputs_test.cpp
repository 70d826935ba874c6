// Weight rewrites on models whose initializers are also graph inputs: below IR
// version 4 those initializers are constants and get rewritten (the exported
// model lists the new initializers as inputs, as IR < 4 requires); from IR 4 on
// they are defaults a caller may override, so nothing is folded into them.
#include <gtest/gtest.h>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "ir/onnx_io.h"
#include "tests/support/passes_test_util.h"

namespace convopt::passes {
namespace {

using testing::forcedOptions;
using testing::numericallyEquivalent;
using testing::rejectionFor;
using testing::runPasses;

// W[o, i] != 0 only when o/2 == i/2: two contiguous 2x2 blocks; w and b listed as inputs.
constexpr const char* kIr3BlockDiagonal = R"(<ir_version: 3, opset_import: ["" : 8]>
g (float[1,4,3,3] x, float[4,4,1,1] w, float[4] b) => (float[1,4,3,3] y)
<float[4,4,1,1] w = {1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0, 7, 8}, float[4] b = {1, 2, 3, 4}>
{
  y = Conv (x, w, b)
}
)";

std::vector<std::string> inputNames(const onnx::ModelProto& proto) {
  std::vector<std::string> names;
  for (const auto& vi : proto.graph().input()) names.push_back(vi.name());
  return names;
}

TEST(InitializerInputs, Ir3BlockDiagonalWeightBecomesGrouped) {
  auto run = runPasses("dense-to-grouped,dce", kIr3BlockDiagonal, forcedOptions());
  // The replaced weight w left the inputs with its initializer (dce); b is still read.
  EXPECT_EQ(run.afterText, R"(<ir_version: 3, opset_import: ["" : 8]>
g (float[1,4,3,3] x, float[4] b) => (float[1,4,3,3] y)
<float[4] b = {1, 2, 3, 4}, float[4,2,1,1] y_W_grouped = {1, 2, 3, 4, 5, 6, 7, 8}>
{
  y = Conv <group = 2> (x, y_W_grouped, b)
}
)");
  ASSERT_EQ(run.stats.rewrites.size(), 1u);
  EXPECT_EQ(run.stats.rewrites[0].after.kind, "grouped");
  EXPECT_TRUE(numericallyEquivalent(run));

  onnx::ModelProto exported = ir::exportModel(run.after);
  EXPECT_EQ(inputNames(exported), (std::vector<std::string>{"x", "b", "y_W_grouped"}));
  EXPECT_NO_THROW(onnx::checker::check_model(exported));
}

TEST(InitializerInputs, Ir7WeightListedAsInputIsOverridableAndStays) {
  std::string text = kIr3BlockDiagonal;
  text.replace(text.find("ir_version: 3"), 13, "ir_version: 7");
  auto run = runPasses("dense-to-grouped,dce", text, forcedOptions());
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Conv(y)"), "weight is not a constant");
}

// u is read by nobody: below IR 4 it is a dead constant; from IR 4 on it is part of the interface.
std::string unusedInitializerInput(int irVersion) {
  return "<ir_version: " + std::to_string(irVersion) + R"(, opset_import: ["" : 8]>
g (float[2] x, float[2] u) => (float[2] y)
<float[2] u = {1, 2}>
{
  y = Relu (x)
}
)";
}

TEST(InitializerInputs, DceRemovesUnusedIr3InitializerInputs) {
  auto run = runPasses("dce", unusedInitializerInput(3));
  EXPECT_EQ(run.afterText, R"(<ir_version: 3, opset_import: ["" : 8]>
g (float[2] x) => (float[2] y)
{
  y = Relu (x)
}
)");
  EXPECT_NO_THROW(onnx::checker::check_model(ir::exportModel(run.after)));
}

TEST(InitializerInputs, DceKeepsUnusedIr4InitializerInputs) {
  auto run = runPasses("dce", unusedInitializerInput(4));
  EXPECT_EQ(run.afterText, run.beforeText);
}

TEST(InitializerInputs, Ir3ConstantsFold) {
  auto run = runPasses("fold-constants,dce", R"(<ir_version: 3, opset_import: ["" : 8]>
g (float[2] x, float[2] a, float[2] b) => (float[2] y)
<float[2] a = {1, 2}, float[2] b = {3, 4}>
{
  c = Mul (a, b)
  y = Add (x, c)
}
)");
  EXPECT_EQ(run.afterText, R"(<ir_version: 3, opset_import: ["" : 8]>
g (float[2] x) => (float[2] y)
<float[2] c = {3, 8}>
{
  y = Add (x, c)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
  onnx::ModelProto exported = ir::exportModel(run.after);
  EXPECT_EQ(inputNames(exported), (std::vector<std::string>{"x", "c"}));
  EXPECT_NO_THROW(onnx::checker::check_model(exported));
}

// s = scale / sqrt(var + 1) = {2, 1}; W' = s * W; b' = s * (b - mean) + B = {1, -2}.
TEST(InitializerInputs, Ir3BatchNormFoldsIntoConv) {
  auto run = runPasses("fold-batchnorm,dce", R"(<ir_version: 3, opset_import: ["" : 8]>
g (float[1,2,3,3] x, float[2,2,1,1] w, float[2] b, float[2] scale, float[2] shift, float[2] mean, float[2] var)
  => (float[1,2,3,3] y)
<float[2,2,1,1] w = {1, 2, 3, 4}, float[2] b = {0.5, -1}, float[2] scale = {4, 3}, float[2] shift = {1, 0},
 float[2] mean = {0.5, 1}, float[2] var = {3, 8}>
{
  c = Conv (x, w, b)
  y = BatchNormalization <epsilon = 1.0> (c, scale, shift, mean, var)
}
)");
  EXPECT_EQ(run.afterText, R"(<ir_version: 3, opset_import: ["" : 8]>
g (float[1,2,3,3] x) => (float[1,2,3,3] y)
<float[2,2,1,1] c_W_folded = {2, 4, 3, 4}, float[2] c_B_folded = {1, -2}>
{
  y = Conv (x, c_W_folded, c_B_folded)
}
)");
  EXPECT_TRUE(numericallyEquivalent(run));
  EXPECT_NO_THROW(onnx::checker::check_model(ir::exportModel(run.after)));
}

}  // namespace
}  // namespace convopt::passes
