// Inputs the engine fuzz target (fuzz/engine_fuzzer.cpp) found that the JIT engine and the
// reference interpreter ran differently, or that made either fail, each with the clear error
// (exit 2) or the result both engines now agree on. The import and pipeline targets' findings
// are in fuzz_regressions_test.cpp; the files are kept as found in tests/cli/fuzz_regressions/.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "tests/support/cli_helpers.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt {
namespace {

namespace fs = std::filesystem;

using testing::expectRejected;
using testing::readFile;
using testing::textModelBytes;
using testing::writeFile;

// The engine fuzz target: a Pad in a model importing the ONNX domain at version -1. The reference
// interpreter read that as its default opset (pads an input), the JIT's fallback as an old one
// (pads an attribute, missing here): an error the harness did not expect. Ops without an opset
// mean nothing, so such a model is refused at import.
TEST(BadInput, FuzzFoundOnnxOpsWithoutAPositiveOpset) {
  expectRejected(readFile(testing::fuzzFinding("pad_at_opset_minus_one.onnx")),
                 "opset_import: version -1 of the ONNX domain is not an opset (they start at 1)");
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["com.example" : 1]>
g (float[2] x) => (float[2] y) { y = Relu (x) })"),
                 "the model uses ONNX ops but its opset_import has no version of the ONNX domain");
}

// The engine fuzz target: a grouped Conv of group INT64_MAX whose weight's output channels are
// unknown; the channel check multiplied the group by the weight's input channels (overflow, UBSan).
TEST(BadInput, FuzzFoundConvGroupOfInt64Max) {
  expectRejected(readFile(testing::fuzzFinding("conv_group_of_int64_max.onnx")),
                 "expects 46116860184273879035 input channels (5 per group x group 9223372036854775807)");
}

// The engine fuzz target: an If whose branch output folded to a constant had no buffer, and the
// engine stopped with an internal error (exit 1); it runs now, as on the reference interpreter.
TEST(BadInput, FuzzFoundIfBranchFoldingToAConstantOutput) {
  testing::TempDir dir;
  testing::RunResult r = testing::runConvopt(
      fmt::format("run '{}'", testing::fuzzFinding("if_branch_folding_to_a_constant_output.onnx").string()),
      dir.path());
  EXPECT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_NE(r.stdoutText.find("y: float[4,4,6,6]"), std::string::npos) << r.stdoutText;
}

// The engine fuzz target: an integer Mul of an empty value by a one-element one (the shape-value
// arithmetic read the empty side's first element), and a model whose custom-domain nodes have
// no outputs (the JIT's fallback read the first output of each). Both were internal errors.
TEST(BadInput, FuzzFoundEmptyValuesAndNodesWithoutOutputs) {
  const std::pair<const char*, const char*> cases[] = {
      {"mul_of_an_empty_and_a_one_element_value.onnx", "node '_if_copy': Node (_if_copy) has input size 3"},
      {"custom_nodes_without_outputs.onnx", "Reshape node 'Reshape(Y)': required input 0 is missing"}};
  for (const auto& [file, message] : cases) {
    SCOPED_TRACE(file);
    testing::TempDir dir;
    testing::RunResult r =
        testing::runConvopt(fmt::format("run '{}'", testing::fuzzFinding(file).string()), dir.path());
    EXPECT_EQ(r.exitCode, 2) << r.stderrText;
    EXPECT_TRUE(r.stderrText.starts_with(std::string("convopt: error: ") + message)) << r.stderrText;
  }
}

// The engine fuzz target: a declared output of another rank than the node computes was kept
// (only equal ranks were compared); the JIT sized it by the declaration (internal error).
TEST(BadInput, FuzzFoundDeclaredRankTheNodeDoesNotCompute) {
  expectRejected(textModelBytes(R"(<ir_version: 7, opset_import: ["" : 13]>
g (float[2,2,2] a, float[2,2,2] b) => (float[2,4,2,1] y)
{
  y = Concat <axis = 1> (a, b)
}
)"),
                 "node Concat(y): computes [2,4,2] for 'y', which the model declares [2,4,2,1]");
}

// The engine fuzz target: ConvTranspose had no rule of the project's, so a declared output
// extent it does not compute went unchecked and the JIT sized the output by it.
TEST(BadInput, FuzzFoundConvTransposeDeclaringAnExtentItDoesNotCompute) {
  expectRejected(textModelBytes(R"(<ir_version: 6, opset_import: ["" : 11]>
g (float[1,1,3,3] X, float[1,2,3,3] W) => (float[1,2,1,3] Y)
{
  Y = ConvTranspose <pads = [1, 2, 1, 2], strides = [3, 2]> (X, W)
}
)"),
                 "node ConvTranspose(Y): computes [1,2,7,3] for 'Y', which the model declares [1,2,1,3]");
}

// The engine fuzz target: an If output declared with a dim its branches do not compute; with no
// If rule the declaration went unchecked and the JIT sized the output by it.
TEST(BadInput, FuzzFoundIfDeclaringADimItsBranchesDoNotCompute) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool[1] c, float[2,3] x) => (float[2,4] y)
{
  y = If (c) <then_branch = then_body () => (float[2,3] t) { t = Relu (x) },
              else_branch = else_body () => (float[2,3] e) { e = Neg (x) }>
}
)"),
                 "node If(y): computes [2,3] for 'y', which the model declares [2,4]");
}

// CI's seeded engine fuzz run: an AveragePool output declared uint8; the JIT sized it as
// uint8 and failed with an internal error after computing floats.
TEST(BadInput, FuzzFoundOutputDeclaredOfAnotherElementType) {
  expectRejected(textModelBytes(R"(<ir_version: 6, opset_import: ["" : 11]>
g (float[1,3,28,28] x) => (uint8[1,3,30,30] y)
{
  y = AveragePool <kernel_shape = [3, 3], pads = [2, 2, 2, 2]> (x)
}
)"),
                 "node AveragePool(y): computes float for 'y', which the model declares uint8");
}

// CI's seeded engine fuzz run: an opset-1 Concat without axis (default 1 before opset 4) was
// inferred along axis 0, so the JIT sized its output wrongly. Its shape is now the model's.
TEST(BadInput, FuzzFoundOpset1ConcatWithTheDefaultAxis) {
  expectRejected(textModelBytes(R"(<ir_version: 10, opset_import: ["" : 1]>
g (float[2,2,2] a, float[2,4,2] b) => (float[2,6,3] y)
{
  y = Concat (a, b)
}
)"),
                 "node Concat(y): computes [2,6,2] for 'y', which the model declares [2,6,3]");
}

// The engine fuzz target: a Concat without axis at opset >= 4, which the engines sized differently.
TEST(BadInput, FuzzFoundConcatWithoutAxis) {
  testing::TempDir dir;
  fs::path model = testing::fuzzFinding("concat_without_axis_at_opset_4_or_later.onnx");
  for (const char* engine : {"jit", "reference"}) {
    testing::RunResult r = testing::runConvopt(fmt::format("run --engine {} '{}'", engine, model.string()), dir.path());
    EXPECT_EQ(r.exitCode, 2) << engine;
    EXPECT_NE(r.stderrText.find("axis is required from opset 4 on"), std::string::npos) << r.stderrText;
  }
}

// CI's seeded engine fuzz run: a Resize reading its scales from an input, its output declared
// 4x4; the JIT sized the output by that declaration and stopped with an uncaught error when the
// scales made it 2x2, while the reference returned the 2x2 tensor. Both engines now refuse it.
TEST(BadInput, FuzzFoundRunTimeShapeContradictingTheDeclaredOne) {
  testing::TempDir dir;
  writeFile(dir / "model.onnx", textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,2,2] x, float[4] scales) => (float[1,1,4,4] y)
{
  y = Resize <mode = "linear"> (x, , scales)
}
)"));
  onnx::TensorProto scales;
  scales.set_data_type(onnx::TensorProto::FLOAT);
  scales.add_dims(4);
  for (float s : {1.0f, 1.0f, 1.0f, 1.0f}) scales.add_float_data(s);
  writeFile(dir / "scales.pb", scales.SerializeAsString());
  for (const char* engine : {"jit", "reference"}) {
    testing::RunResult r = testing::runConvopt(fmt::format("run --engine {} '{}' --input 'scales={}'", engine,
                                                           (dir / "model.onnx").string(), (dir / "scales.pb").string()),
                                               dir.path());
    EXPECT_EQ(r.exitCode, 2) << engine;
    EXPECT_EQ(r.stderrText,
              "convopt: error: node Resize(y): computes float [1,1,2,2] for 'y', which the model declares "
              "float[1,1,4,4]\n")
        << engine;
  }
}

// The engine fuzz target (2026-12-04, third session, on ab9e98e): an If whose then-branch
// computes a scalar for an output the model declares [1,4,1,1]. The JIT engine refuses it while
// running the branch (the reference interpreter does not check a body's declared shapes); the
// target counted that refusal as a crash, and now takes it, as the CLI always did: exit 2.
TEST(BadInput, FuzzFoundIfBranchOutputBreakingItsDeclaredShape) {
  testing::TempDir dir;
  testing::RunResult r = testing::runConvopt(
      fmt::format("run --engine jit '{}'",
                  testing::fuzzFinding("if_branch_output_breaking_its_declared_shape.onnx").string()),
      dir.path());
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.stderrText,
            "convopt: error: node split_if: computes float [] for 'split.1_then_branch', which the model declares "
            "float[1,4,1,1]\n");
}

// The engine fuzz target (2026-12-04, third session, on a6f91bb): a depthwise Conv whose weight
// has 0 output channels, then a Relu of the empty result. The conv planner divided by the
// channels per group (UBSan; SIGFPE in the release CLI), then the Relu's kernel by the empty
// dim. planConv now refuses an empty weight and an elementwise group an empty output; the
// reference interpreter runs both nodes.
TEST(BadInput, FuzzFoundDepthwiseConvWithNoOutputChannels) {
  testing::TempDir dir;
  testing::RunResult r =
      testing::runConvopt(fmt::format("run --engine jit '{}'",
                                      testing::fuzzFinding("depthwise_conv_with_no_output_channels.onnx").string()),
                          dir.path());
  EXPECT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_EQ(r.stdoutText, "y: float[1,0,8] min 0 max 0 mean 0\n");
}

// The engine fuzz target (2026-12-04, fourth session, on 6ecd455, both workers): opset-18 models
// whose HardSwish nodes have 3 extra inputs (the schema check leaves a node of an opset newer than
// libonnx's to its own opset), one of them the output of a GlobalAveragePool or a MatMul. Epilogue
// fusion took the HardSwish for that kernel's activation and applied it to the pool's (MatMul's)
// result; the reference interpreter applies it to the first input, as the JIT kernels do. An
// activation with inputs beyond its own now neither fuses nor joins an elementwise group: it falls
// back, saying why, and both engines agree.
TEST(BadInput, FuzzFoundActivationsWithExtraInputsFusedIntoTheWrongKernel) {
  for (const char* file :
       {"hardswish_with_extra_inputs_after_a_pool.onnx", "hardswish_with_extra_inputs_after_a_matmul.onnx"}) {
    SCOPED_TRACE(file);
    testing::TempDir dir;
    std::string model = testing::fuzzFinding(file).string();
    testing::RunResult jit = testing::runConvopt(
        fmt::format("run --engine jit --threads 1 --explain --output-dir '{}' '{}'", dir.path().string(), model),
        dir.path());
    ASSERT_EQ(jit.exitCode, 0) << jit.stderrText;
    EXPECT_NE(jit.stdoutText.find("HardSwish(y): HardSwish -> FALLBACK to the reference interpreter (4 inputs, where "
                                  "HardSwish takes one)"),
              std::string::npos)
        << jit.stdoutText;
    testing::RunResult reference = testing::runConvopt(
        fmt::format("run --engine reference --check '{}' '{}'", dir.path().string(), model), dir.path());
    EXPECT_EQ(reference.exitCode, 0) << reference.stdoutText << reference.stderrText;
  }
}

}  // namespace
}  // namespace convopt
