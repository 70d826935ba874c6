// Inputs the import and pipeline fuzz targets (fuzz/) found crashing or
// misleading convopt, each with the clear error (exit 2) or result it gets now
// (the engine target's: engine_fuzz_regressions_test.cpp, but for the conv whose
// declared shape it does not compute, beside its pipeline siblings). The files are kept
// as found in tests/cli/fuzz_regressions/; docs/RELIABILITY.md lists them.
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

// `convopt optimize` of the fuzz finding into dir/out.onnx, with `extra` arguments.
testing::RunResult optimizeFinding(const testing::TempDir& dir, const std::string& finding,
                                   const std::string& extra = "") {
  return testing::runConvopt(fmt::format("optimize '{}' -o '{}'{}", testing::fuzzFinding(finding).string(),
                                         (dir / "out.onnx").string(), extra),
                             dir.path());
}

// `convopt optimize` of the finding fails with exactly `message` (exit 2) and writes nothing.
void expectOptimizeRefuses(const std::string& finding, const std::string& message, const std::string& extra = "") {
  testing::TempDir dir;
  testing::RunResult r = optimizeFinding(dir, finding, extra);
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.stderrText, "convopt: error: " + message + "\n");
  EXPECT_FALSE(fs::exists(dir / "out.onnx"));
}

TEST(BadInput, FuzzFoundGraphInputWithoutName) {
  expectRejected(readFile(testing::fuzzFinding("graph_input_without_name.onnx")), "a graph input has no name");
}

TEST(BadInput, FuzzFoundScanThatBreaksItsSchema) {  // libonnx's Scan inference dereferenced a missing body
  expectRejected(readFile(testing::fuzzFinding("scan_with_a_misspelt_attribute.onnx")),
                 "node Scan(y): Unrecognized attribute: nu-_scan_inputs for operator Scan");
}

TEST(BadInput, FuzzFoundConvTransposeWeightsOfRankZero) {  // libonnx indexed W's missing dims
  expectRejected(readFile(testing::fuzzFinding("conv_transpose_weights_of_rank_0.onnx")),
                 "node ConvTranspose(Y): input 'W' has rank 0; ConvTranspose takes [N, C, spatial...] tensors");
}

// Opset 110: libonnx would apply its newest Shape schema to a 3-input Shape node and crash; its
// inference is skipped instead. `inspect` then finds the model's own error with the project's
// rules (its Concat output is declared of another type than it computes); `run` stops first at
// its input, of a type convopt cannot feed.
TEST(BadInput, FuzzFoundShapeNodeOfAFutureOpset) {
  const std::pair<const char*, const char*> expected[] = {
      {"inspect", "node Concat(output): computes int16 for 'output', which the model declares float"},
      {"run", "input 'x': random inputs of type undefined are not supported"}};
  for (const auto& [command, message] : expected) {
    SCOPED_TRACE(command);
    testing::TempDir dir;
    fs::path model = testing::fuzzFinding("shape_node_of_a_future_opset.onnx");
    testing::RunResult r = testing::runConvopt(fmt::format("{} '{}'", command, model.string()), dir.path());
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.stderrText.find(message), std::string::npos) << r.stderrText;
  }
}

// The pipeline fuzz target (fuzz/pipeline_fuzzer.cpp): an Add whose operands cannot broadcast,
// hidden while a Pad of an unknown opset left the shapes unknown; folding the Pad into the Conv
// made them known. Was an internal error blaming fold-pad; the conflict is the input's. Since
// Pad has a shape rule of the project's, the conflict is named at import, before any pass.
TEST(BadInput, FuzzFoundBroadcastConflictRevealedByFoldingAPad) {
  testing::TempDir dir;
  testing::RunResult r = optimizeFinding(dir, "pad_fold_reveals_a_broadcast_conflict.onnx");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(
      r.stderrText,
      "convopt: error: node Add(a): shapes do not broadcast (dimension 3 is 5 in one input and 2 in the other)\n");
  EXPECT_FALSE(fs::exists(dir / "out.onnx"));
}

// The pipeline fuzz target: at opset 18, whose schemas this libonnx does not know (so they are
// not enforced), a Relu without input ahead of a conv with permuted blocks, and a Conv without
// its data input in an If branch. The permutation's path search and the conv matcher followed
// the missing inputs (null dereferences under UBSan); now each stops there, and optimize ends
// with the clear error or report it would give anyway.
TEST(BadInput, FuzzFoundNodesMissingTheirDataInput) {
  const std::pair<const char*, const char*> cases[] = {
      {"relu_without_input_before_a_permuted_conv.onnx",
       "input 'diagonal_relu.out' (computed by diagonal_relu) has no known rank"},
      {"conv_without_data_input_in_a_branch.onnx", ""}};
  for (const auto& [file, message] : cases) {
    SCOPED_TRACE(file);
    testing::TempDir dir;
    testing::RunResult r = optimizeFinding(dir, file);
    EXPECT_EQ(r.exitCode, *message ? 2 : 0) << r.stderrText;
    EXPECT_NE(r.stderrText.find(message), std::string::npos) << r.stderrText;
    EXPECT_EQ(fs::exists(dir / "out.onnx"), !*message);
  }
}

// The pipeline fuzz target: a scale of 1.7e22 made shape inference cast 5e22 to int64 (undefined).
TEST(BadInput, FuzzFoundResizeScaleBeyondAnyDim) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x) => (float[1,4,3,3] y)
<float[4] scales = {1, 1, 1.7225224e+22, 2}>
{
  y = Resize <mode = "nearest"> (x, , scales)
}
)"),
                 "node Resize(y): scale 1.72252e+22 makes dim 2 5.16757e+22 long");
}

// The pipeline fuzz target: libonnx's conv inference crashed (SIGSEGV) on a weight whose rank
// differs from that of an input only inference knows; the project's rules now run first, so the
// schema check sees the inferred rank.
TEST(BadInput, FuzzFoundConvWeightRankDifferingFromAnInferredInput) {
  expectRejected(readFile(testing::fuzzFinding("conv_weight_rank_differs_from_an_inferred_input.onnx")),
                 "node Conv(ca): input 'a' has rank 4 and weight 'wa' rank 5; both must be the same, at least 3");
}

// CI's seeded pipeline fuzz run: the same mismatch where only libonnx can infer the data's rank
// (a Pad's output, in the pass that reaches the Conv); its conv inference indexed the rank-4 input
// by the rank-5 weight (SIGSEGV). Its conv and pooling schemas now check the ranks first.
TEST(BadInput, FuzzFoundConvWeightRankDifferingFromARankLibonnxInfers) {
  expectRejected(readFile(testing::fuzzFinding("conv_weight_rank_differs_from_a_rank_libonnx_infers.onnx")),
                 "node Conv(c): input 'p' has rank 4 and weight 'w' rank 5; both must be the same, at least 3");
}

// The pipeline fuzz target: a Conv whose bias is a 4-D weight; fold-batchnorm copied all its
// elements into a bias of C_out (heap overflow). The conv rule now checks the bias's shape.
TEST(BadInput, FuzzFoundConvBiasOfTheWrongShape) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,5,5] x, float[8,4,3,3] w1, float[8,1,3,3] w2) => (float[1,8,3,3] e)
{
  e = Conv(x, w1, w2)
}
)"),
                 "node Conv(e): bias 'w2' has shape [8,1,3,3]; weight 'w1' has 8 output channels");
}

// The pipeline fuzz target: a node reading its own output passed the verifier's cycle check
// (Kahn's algorithm skipped self-edges); eliminate-identity then could not erase it.
TEST(BadInput, FuzzFoundNodeReadingItsOwnOutput) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
{
  t = Identity (t)
  y = Add (t, x)
}
)"),
                 "node Identity(t): is part of a cycle (the graph is not a DAG)");
}

// The pipeline fuzz target: Unsqueeze axes [2, 2] made the rule read past the input's dims (ASan).
TEST(BadInput, FuzzFoundUnsqueezeOfARepeatedAxis) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 11]>
g (float[2,3] x) => (float[2,3,1,1] y)
{
  y = Unsqueeze <axes = [2, 2]> (x)
}
)"),
                 "node Unsqueeze(y): axes names axis 2 twice");
}

// The pipeline fuzz target: a Split without outputs (in a model whose opset libonnx cannot
// check) divided by its output count of 0 in the shape rule (UBSan).
TEST(BadInput, FuzzFoundSplitWithoutOutputs) {
  onnx::ModelProto proto;
  proto.set_ir_version(8);
  proto.add_opset_import()->set_version(13);
  onnx::GraphProto& g = *proto.mutable_graph();
  onnx::ValueInfoProto& x = *g.add_input();
  x.set_name("x");
  x.mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  x.mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(4);
  onnx::NodeProto& split = *g.add_node();
  // std::string arguments: GCC 12 at -O3 warned falsely (-Wrestrict) on the char* overloads here.
  split.set_op_type(std::string("Split"));
  split.set_name(std::string("s"));
  split.add_input(std::string("x"));
  expectRejected(proto.SerializeAsString(), "node s: a Split needs at least one output");
}

// A 3x3 Conv on a 1x1x7x5 input with these attributes, declaring its output `outputDims`.
std::string convModelBytes(const std::string& attributes, const std::string& outputDims) {
  return textModelBytes(fmt::format(R"(<ir_version: 6, opset_import: ["" : 11]>
g (float[1,1,7,5] x, float[1,1,3,3] W) => (float[{}] y)
{{
  y = Conv <kernel_shape = [3, 3], {}> (x, W)
}}
)",
                                    outputDims, attributes));
}

// The engine fuzz target: a declared output shape the node does not compute. Inference kept the
// declared dims, both engines sized y by them and failed with an internal error after computing it.
TEST(BadInput, FuzzFoundDeclaredShapeTheNodeDoesNotCompute) {
  expectRejected(convModelBytes("strides = [2, 2]", "1,1,4,3"),
                 "node Conv(y): computes [1,1,3,2] for 'y', which the model declares [1,1,4,3]");
}

// The pipeline fuzz target (in CI's seeded run): a pad of INT64_MAX overflowed the output-extent
// arithmetic of shape inference (UBSan).
TEST(BadInput, FuzzFoundPadOfInt64Max) {
  expectRejected(convModelBytes("pads = [9223372036854775807, 1, 1, 1], strides = [2, 2]", "1,1,4,3"),
                 "node Conv(y): pads has 9223372036854775807, beyond 2^31");
}

// The same run on the next commit: a stride of INT64_MAX passed shape inference (one output
// pixel) and overflowed the reference convolution's window arithmetic (UBSan).
TEST(BadInput, FuzzFoundStrideOfInt64Max) {
  expectRejected(convModelBytes("strides = [9223372036854775807, 2]", "1,1,1,2"),
                 "node Conv(y): strides has 9223372036854775807, beyond 2^31");
}

// The pipeline fuzz target (a 2-worker run on commit 698ad6b): a Shape node with two outputs,
// in a model importing the ONNX domain as opsets 12 and 21. The last import counts (as for
// libonnx and onnxruntime), 21, whose schemas libonnx does not know, so the output count went
// unchecked; fold-constants wrote the one value Shape computes to both outputs (heap overflow;
// ASan). Now a node with more outputs than its op computes is not folded, and running it names
// the node.
TEST(BadInput, FuzzFoundShapeNodeWithTwoOutputs) {
  for (const char* file : {"shape_node_with_two_outputs.onnx", "shape_node_with_two_outputs_small.onnxtxt"}) {
    SCOPED_TRACE(file);
    testing::TempDir dir;
    fs::path model = dir / "model.onnx";
    std::string bytes = readFile(testing::fuzzFinding(file));
    writeFile(model, fs::path(file).extension() == ".onnxtxt" ? textModelBytes(bytes) : bytes);
    testing::RunResult optimized = testing::runConvopt(
        fmt::format("optimize '{}' -o '{}'", model.string(), (dir / "out.onnx").string()), dir.path());
    EXPECT_EQ(optimized.exitCode, 0) << optimized.stderrText;
    EXPECT_NE(optimized.stdoutText.find("fold-constants                  0          0         1"), std::string::npos)
        << optimized.stdoutText;
    testing::RunResult run = testing::runConvopt(fmt::format("run '{}'", model.string()), dir.path());
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_EQ(run.stderrText,
              "convopt: error: node 'Shape(a)' (Shape) asks for 2 outputs; the reference interpreter computes 1\n");
  }
}

// The pipeline fuzz target (the first seconds of a run on commit 4a0ecdb): a Pad adding 2^56 to
// the batch, then a Conv of 4 output channels, whose output just fits 64 bits of elements.
// dense-to-separable factors it through 8 channels, and the shape inference after the pass gave
// that value a size beyond 2^63 elements; the next pass's verifier refused it as the pass's
// fault (internal error, exit 1). Inference now checks the sizes it assigns, as the verifier
// checks declared ones, and the error is the input's. Since dense-to-grouped packs unequal
// blocks, it regroups the conv first, and its permuted input meets the same check.
TEST(BadInput, FuzzFoundAFactoredConvWhoseSizeOverflows) {
  expectOptimizeRefuses("batch_pad_of_2_pow_56_before_a_factored_conv.onnx",
                        "value 'c_pointwise': element count of its shape overflows 64 bits (shapes inferred after pass "
                        "dense-to-separable)",
                        " --passes dense-to-separable");
  expectOptimizeRefuses("batch_pad_of_2_pow_56_before_a_factored_conv.onnx",
                        "value 'c_in_permuted': element count of its shape overflows 64 bits (shapes inferred after "
                        "pass dense-to-grouped)");
}

// The pipeline fuzz target (a run with -reload=0 on b333489): a Gemm whose C is a bool scalar.
// The reference interpreter read C (and would have read B) as A's element type: a heap overflow
// (ASan) in the equivalence check. Now it names the mismatch.
TEST(BadInput, FuzzFoundGemmWithABoolBias) {
  testing::TempDir dir;
  fs::path model = testing::fuzzFinding("gemm_with_a_bool_bias.onnx");
  testing::RunResult r = testing::runConvopt(fmt::format("run '{}' --engine reference", model.string()), dir.path());
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.stderrText, "convopt: error: Gemm node 'Gemm(y)': A is float but C is bool\n");
}

// The pipeline fuzz target (a -reload=0 run on cc02451): a Gather of a [2,0,2] tensor with
// float indices. The reference interpreter read the indices as integers and passed memcpy
// the empty tensor's null buffer (UBSan). Now an input of a type its op's constraint does
// not allow is refused at import, and copies of nothing skip memcpy.
TEST(BadInput, FuzzFoundGatherWithFloatIndicesOfAnEmptyTensor) {
  expectRejected(readFile(testing::fuzzFinding("gather_with_float_indices_of_an_empty_tensor.onnx")),
                 "node '_copy': input 'value1' is tensor(float), which Gather does not take as Tind");
}

// The pipeline fuzz target (2026-12-04, a run on 6686e1b): a Pad whose pads are a float
// tensor, in a model importing the ONNX domain as opsets 14 and 21. At 21, newer than libonnx
// knows, the type check does not refuse the node, and libonnx's Pad inference read the float
// pads as int64: SIGSEGV. A node of such an opset that breaks the type constraints of the
// newest schema libonnx has now keeps libonnx's inference off the model, as a structural
// violation did; the project's rules infer what they can. (The input's ir_version, 0 as found,
// is set to 8: a model must now give one.)
TEST(BadInput, FuzzFoundPadOfFloatPadsAtAnOpsetLibonnxDoesNotKnow) {
  testing::TempDir dir;
  fs::path model = testing::fuzzFinding("pad_of_float_pads_at_an_opset_libonnx_does_not_know.onnx");
  testing::RunResult r = testing::runConvopt(fmt::format("inspect '{}'", model.string()), dir.path());
  EXPECT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_NE(r.stdoutText.find("ops:     Conv 1, Mul 1, Pad 1, Shape 1, com.example.Concat 1"), std::string::npos)
      << r.stdoutText;
}

// The same run: a Pad adding 2^26 to the batch and 2^32 to the height ahead of a Conv in a
// nested If. Its output fits 64 bits of elements, its multiply-adds do not: the cost model's
// product overflowed (UBSan). The figures saturate; the rewrite's check then names the size.
TEST(BadInput, FuzzFoundAConvWhoseMacsPass2Pow63) {
  testing::TempDir dir;
  testing::RunResult r = optimizeFinding(dir, "conv_whose_macs_pass_2_pow_63.onnx");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.stderrText.find("--verify cannot run the dense-to-depthwise of Conv(c_then_branch_else_branch)"),
            std::string::npos)
      << r.stderrText;
  EXPECT_FALSE(fs::exists(dir / "out.onnx"));
}

// The pipeline fuzz target (2026-12-04, a run on baba59f): a 3x3 Conv with dilations = [1]
// whose input comes from an op of another domain, so its shape is unknown and the shape rule
// never read the window; spatial-separation indexed the second dilation (heap overflow, ASan).
// The rule now checks the window against the weight whenever the weight's shape is known.
TEST(BadInput, FuzzFoundConvDilationsOfOneValueAfterAnUnknownOp) {
  expectRejected(readFile(testing::fuzzFinding("conv_dilations_of_one_value_after_an_unknown_op.onnx")),
                 "node Conv(c): kernel_shape/strides/dilations/pads do not match its 2 spatial dimensions");
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13, "com.example" : 1]>
g (float[1,4,5,5] x, float[4,4,3,3] w) => (float[1,4,3,3] y)
{
  p = com.example.Pad (x)
  y = Conv <dilations = [1]> (p, w)
}
)"),
                 "node Conv(y): kernel_shape/strides/dilations/pads do not match its 2 spatial dimensions");
}

// The pipeline fuzz target (2026-12-04, a run on d235dac): a ConvTranspose of group
// INT64_MAX; its output channels, per group times group, overflowed in shape inference (UBSan).
TEST(BadInput, FuzzFoundConvTransposeGroupOfInt64Max) {
  expectRejected(readFile(testing::fuzzFinding("conv_transpose_group_of_int64_max.onnx")),
                 "node ConvTranspose(Y): weight 'W' has 2 output channels per group; times group 9223372036854775807 "
                 "is beyond 64 bits");
}

// The pipeline fuzz target (2026-12-04, a run on 82208ab): an Identity whose output nested If
// bodies read, one of which has an initializer named like the Identity's input.
// eliminate-identity renamed the bodies' captures into that name (std::logic_error, an internal
// error); now it leaves the Identity, and the model's own type error is named.
TEST(BadInput, FuzzFoundIdentityReadInABodyThatShadowsItsInput) {
  testing::TempDir dir;
  testing::RunResult r = optimizeFinding(dir, "identity_read_in_a_body_that_shadows_its_input.onnx");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.stderrText,
            "convopt: error: Mul node 'Mul(y_then_branch_then_branch)': inputs have different element types float "
            "and bool\n");
}

// The pipeline fuzz target (2026-12-04, second session, on 60d75a6): a Conv with channel-
// permuted blocks whose output an If branch reads. The Gather restoring the order was put
// before the branch's capture, which has no input slot (SIGSEGV); now that conv is refused.
// (The input's ir_version, 0 as found, is set to 8: a model must now give one.)
TEST(BadInput, FuzzFoundPermutedConvOutputReadInABranch) {
  testing::TempDir dir;
  testing::RunResult r = optimizeFinding(dir, "permuted_conv_output_read_in_a_branch.onnx", " --explain");
  EXPECT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_NE(r.stdoutText.find("permuted blocks and the output is read inside a subgraph"), std::string::npos)
      << r.stdoutText;
  EXPECT_TRUE(fs::exists(dir / "out.onnx"));
}

// The same run: an int64 Mul whose product overflows, folded by fold-constants through the
// reference interpreter (signed overflow: undefined behaviour, UBSan). Integer arithmetic
// now wraps around (ReferenceIntegers.SignedArithmeticWrapsAround).
TEST(BadInput, FuzzFoundInt64MulThatOverflowsBeforeAConv) {
  testing::TempDir dir;
  testing::RunResult r = optimizeFinding(dir, "int64_mul_that_overflows_before_a_conv.onnx");
  EXPECT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_TRUE(fs::exists(dir / "out.onnx"));
}

// The pipeline fuzz target (2026-12-04, second session, on 06e7c58): at opset 21 (unchecked
// by libonnx) Convs of 3x3x1x1 weights on an input of unknown rank, one with permuted blocks
// read by another whose weight does not match its channels. Folding the permutation into the
// reader reordered its weight by indices past its end (heap overflow, ASan); now only readers
// (and producers, and depthwise convs between) whose weights have those channels fold it.
TEST(BadInput, FuzzFoundPermutedConvReaderOfOtherChannels) {
  expectOptimizeRefuses("permuted_conv_reader_of_other_channels.onnx",
                        "--verify cannot run the eliminate-identity of _copy alone: input 'p' (computed by Pa\xA1(p)) "
                        "has no known rank; declare its shape in the model's value_info, or skip the check with "
                        "--no-verify");
}

// The pipeline fuzz target (2026-12-04, second session, on 3353f16): a model with ir_version 0
// whose Shape reads the Shape of an initializer. libonnx's data propagation dereferenced null
// (SIGSEGV in every command); a model must now give its IR version, as the ONNX checker requires.
TEST(BadInput, FuzzFoundShapeOfAShapeWithoutIrVersion) {
  expectRejected(readFile(testing::fuzzFinding("shape_of_a_shape_without_ir_version.onnx")),
                 "ir_version is 0: the model must say which ONNX IR version it follows (1 or later)");
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[3,16] x) => (int64[1] y) { s = Shape (x)  y = Shape (s) })")));
  proto.set_ir_version(-3);
  expectRejected(proto.SerializeAsString(),
                 "ir_version is -3: the model must say which ONNX IR version it follows (1 or later)");
}

// The pipeline fuzz target (2026-12-04, second session, on 641152f): a ReduceMean over an empty
// uint8 tensor, folded by fold-constants: the reference converted its mean, 0 / 0 = NaN, into
// uint8 (undefined behaviour, UBSan). Floats out of an integer type's range now saturate
// (ReferenceIntegers.FloatsOutOfRangeSaturate).
TEST(BadInput, FuzzFoundReduceMeanOfAnEmptyUint8Tensor) {
  testing::TempDir dir;
  testing::RunResult r = optimizeFinding(dir, "reduce_mean_of_an_empty_uint8_tensor.onnx");
  EXPECT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_TRUE(fs::exists(dir / "out.onnx"));
}

}  // namespace
}  // namespace convopt
