// Bad input to `convopt inspect`, `optimize` and `run`: one clear error line
// naming the node/tensor, exit code 2, no output file, input untouched.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "ir/tensor.h"
#include "runtime/tensor_file.h"
#include "tests/support/cli_helpers.h"
#include "tests/support/ir_external_model.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt {
namespace {

namespace fs = std::filesystem;

using testing::expectRejected;
using testing::externalDataModelBytes;
using testing::readFile;
using testing::textModelBytes;
using testing::writeFile;

std::string protoBytes(const onnx::ModelProto& proto) { return proto.SerializeAsString(); }

// One float initializer 'w' with the given dims and raw bytes.
std::string initializerModelBytes(const std::vector<int64_t>& dims, size_t rawBytes) {
  onnx::ModelProto proto = testing::singleInitializerModel(dims);
  proto.mutable_graph()->mutable_initializer(0)->set_raw_data(std::string(rawBytes, '\0'));
  return protoBytes(proto);
}

const fs::path kSharedModel = fs::path(CONVOPT_SHARED_MODELS) / "sepnet" / "model.onnx";

TEST(BadInput, EmptyFile) { expectRejected("", "the file is empty"); }

// Bodies are imported like the main graph, and their errors say where they are.
TEST(BadInput, SubgraphOutputThatNothingProduces) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
{
  y = If (c) <then_branch = then_body () => (float[2] t) { u = Relu (x) }, else_branch = else_body () => (float[2] e) { e = Neg (x) }>
}
)"),
                 "node If(y): in its then_branch body: graph output 't' is not produced by any node, input or "
                 "initializer");
}

TEST(BadInput, ConvStrideZero) {  // libonnx divides by it
  expectRejected(textModelBytes(readFile(testing::fuzzFinding("conv_stride_zero.onnxtxt"))),
                 "node Conv(y): strides has 0, not positive");
}

// Pads add pixels (onnxruntime refuses negative ones; a Pad node crops): every
// command refuses them, not only the reference interpreter.
TEST(BadInput, NegativePads) {
  std::string bytes = textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,4,4] x, float[1,1,3,3] w) => (float[1,1,1,2] y)
{
  y = Conv <pads = [-1, 0, 0, 0]> (x, w)
}
)");
  expectRejected(bytes, "node Conv(y): pads has -1, negative");
  testing::TempDir dir;
  writeFile(dir / "model.onnx", bytes);
  for (std::string command : {"run '{}' --seed 1", "compile '{}' -o artifact"}) {
    testing::RunResult r =
        testing::runConvopt(fmt::format(fmt::runtime(command), (dir / "model.onnx").string()), dir.path());
    EXPECT_EQ(r.exitCode, 2) << command;
    EXPECT_EQ(r.stderrText, "convopt: error: node Conv(y): pads has -1, negative\n") << command;
  }
  EXPECT_FALSE(fs::exists(dir / "artifact"));
}

TEST(BadInput, WindowLargerThanThePaddedInput) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,4,4] x, float[1,1,3,3] w) => (float[1,1,1,1] y)
{
  y = Conv <dilations = [2, 2]> (x, w)
}
)"),
                 "node Conv(y): window of 5 does not fit input extent 4");
}

// Input types are checked against the op's type constraints, as onnxruntime does when
// it loads a model: a kernel reads an input as the type its constraint binds.
TEST(BadInput, InputOfATypeItsOpDoesNotTake) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[4,2] x, float[3] i) => (float[3,2] y)
{
  y = Gather (x, i)
}
)"),
                 "node Gather(y): input 'i' is tensor(float), which Gather does not take as Tind (tensor(int32), "
                 "tensor(int64))");
}

TEST(BadInput, InputsOfOneTypeConstraintOfDifferentTypes) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] a, float[3,4] b, int64[4] c) => (float[2,4] y)
{
  y = Gemm (a, b, c)
}
)"),
                 "node Gemm(y): inputs 'a' and 'c' are tensor(float) and tensor(int64), where Gemm takes one type T "
                 "for both");
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] a, int64[2] b) => (float[4] y)
{
  y = Concat <axis = 0> (a, b)
}
)"),
                 "node Concat(y): inputs 'a' and 'b' are tensor(float) and tensor(int64), where Concat takes one "
                 "type T for both");
}

TEST(BadInput, AxesOutOfRange) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,4,4] x) => (float[1,4,4,4] y)
{
  y = Concat <axis = 7> (x, x)
}
)"),
                 "node Concat(y): axis 7 is out of range for rank 4");
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,4,4] x) => (float[1,2,4,4] y)
{
  y = Transpose <perm = [0, 5, 1, 1]> (x)
}
)"),
                 "node Transpose(y): axis 5 is out of range for rank 4");
}

// onnxruntime refuses it too: no kernel of that op exists at the model's opset.
TEST(BadInput, OpNewerThanTheModelsOpset) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2] x) => (float[1,2] y)
{
  y = HardSwish (x)
}
)"),
                 "node HardSwish(y): HardSwish is not in opset 13 of the default domain: it came in opset 14");
}

// Ops that were experimental before ONNX defined them (onnxruntime still runs
// them at their old opsets) are not refused as newer than the model's opset.
TEST(BadInput, FormerlyExperimentalOpAtAnOldOpsetIsAccepted) {
  testing::TempDir dir;
  writeFile(dir / "model.onnx", textModelBytes(R"(<ir_version: 4, opset_import: ["" : 7]>
g (float[1,2] x) => (float[1,2] y)
{
  y = ThresholdedRelu <alpha = 0.5> (x)
}
)"));
  testing::RunResult r = testing::runConvopt(fmt::format("inspect '{}'", (dir / "model.onnx").string()), dir.path());
  EXPECT_EQ(r.exitCode, 0) << r.stderrText;
}

TEST(BadInput, NodeWithTheSameOutputTwice) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[4] x) => (float[2] y)
{
  y, y = Split <num_outputs = 2> (x)
}
)"),
                 "output 'y' is listed twice");
}

TEST(BadInput, TruncatedFile) {
  std::string bytes = readFile(kSharedModel);
  expectRejected(bytes.substr(0, bytes.size() / 2), "not an ONNX model");
}

TEST(BadInput, NotAnOnnxFile) { expectRejected("\x89PNG\r\n\x1a\n not a model at all", "not an ONNX model"); }

TEST(BadInput, ModelWithoutGraph) {
  onnx::ModelProto proto;
  proto.set_ir_version(8);
  expectRejected(protoBytes(proto), "a model without a graph");
}

TEST(BadInput, UndefinedInput) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  z = Add (x, missing)
}
)"),
                 "node Add(z): input 'missing' is not defined");
}

TEST(BadInput, Cycle) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  a = Add (x, b)
  b = Relu (a)
  z = Neg (b)
}
)"),
                 "node Add(a): is part of a cycle");
}

TEST(BadInput, InitializerDataNotMatchingShape) {
  expectRejected(initializerModelBytes({2, 3}, 20),
                 "tensor 'w': data holds 20 bytes but shape [2,3] of float needs 24");
}

TEST(BadInput, DimsOverflowing64Bits) {
  expectRejected(initializerModelBytes({int64_t{1} << 40, int64_t{1} << 40}, 4),
                 "tensor 'w': element count of its shape overflows 64 bits");
}

TEST(BadInput, DeclaredInputDimsOverflowing64Bits) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[4294967296,4294967296,4] x) => (float[4294967296,4294967296,4] y)
{
  y = Relu (x)
}
)"),
                 "value 'x': element count of its shape overflows 64 bits");
}

TEST(BadInput, ExternalDataOutsideTheModelsFolder) {
  expectRejected(externalDataModelBytes("../secret.bin", 0, 16),
                 "tensor 'w': external data location '../secret.bin' is outside",
                 [](const testing::TempDir& dir) { writeFile(dir / "secret.bin", std::string(16, 'x')); });
}

TEST(BadInput, ExternalDataPastTheEndOfItsFile) {
  expectRejected(externalDataModelBytes("w.bin", 8, 16),
                 "tensor 'w': external data (offset 8, length 16) runs past the end",
                 [](const testing::TempDir& dir) { writeFile(dir / "in" / "w.bin", std::string(20, 'x')); });
}

TEST(BadInput, ExternalDataThroughASymlinkLeavingTheModelsFolder) {
  expectRejected(externalDataModelBytes("w.bin", 0, 16), "tensor 'w': external data location 'w.bin' is outside",
                 [](const testing::TempDir& dir) {
                   writeFile(dir / "secret.bin", std::string(16, 'x'));
                   fs::create_symlink(dir / "secret.bin", dir / "in" / "w.bin");
                 });
}

TEST(BadInput, ExternalDataInAFifo) {  // reading it would block forever
  expectRejected(externalDataModelBytes("w.bin", 0, 16),
                 "tensor 'w': external data location 'w.bin' is not a regular file",
                 [](const testing::TempDir& dir) { ASSERT_EQ(mkfifo((dir / "in" / "w.bin").c_str(), 0600), 0); });
}

TEST(BadInput, ExternalDataNamingADevice) {
  expectRejected(externalDataModelBytes("/dev/zero", 0, 16),
                 "tensor 'w': external data location '/dev/zero' is outside");
}

TEST(BadInput, ExternalDataFileMissing) {
  expectRejected(externalDataModelBytes("w.bin", 0, 16), "tensor 'w': external data file 'w.bin' does not exist");
}

TEST(BadInput, ConvWeightNotFittingChannelsAndGroup) {
  expectRejected(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,4,4] x, float[6,3,1,1] w) => (float[1,6,4,4] y)
{
  y = Conv <group = 2> (x, w)
}
)"),
                 "node Conv(y): weight 'w' expects 6 input channels (3 per group x group 2) but input 'x' has 8");
}

TEST(BadInput, RunOnDynamicDimsSetToOneSaysHowToGiveThem) {
  testing::TempDir dir;
  fs::path model = dir / "model.onnx";
  writeFile(model, textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,4,W] x) => (float[1,4,2,Wo] y)
{
  y = MaxPool <kernel_shape = [2, 2], strides = [2, 2]> (x)
}
)"));
  for (const char* engine : {"jit", "reference"}) {
    SCOPED_TRACE(engine);
    testing::RunResult r = testing::runConvopt(fmt::format("run --engine {} '{}'", engine, model.string()), dir.path());
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.stderrText.find("MaxPool(y)"), std::string::npos) << r.stderrText;
    EXPECT_NE(r.stderrText.find("note: input 'x' has dynamic dims, set to 1 for random data; give them with "
                                "--input-shape x=D0xD1x..."),
              std::string::npos)
        << r.stderrText;
    r = testing::runConvopt(fmt::format("run --engine {} '{}' --input-shape x=1x4x4x6", engine, model.string()),
                            dir.path());
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
  }
}

// A given input file is used as it is: its type is the engine's to judge, with both types named.
TEST(BadInput, RunOnAGivenInputOfAnotherTypeNamesBothTypes) {
  testing::TempDir dir;
  for (const char* type : {"float", "float16"}) {
    writeFile(dir / "model.onnx", textModelBytes(fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g ({}[1,2] x) => ({}[1,2] y)
{{
  y = Relu (x)
}}
)",
                                                             type, type)));
    ir::Tensor given(std::string(type) == "float" ? ir::DType::Double : ir::DType::Float16, {1, 2});  // zeros
    given.name = "x";
    runtime::saveTensorFile(given, dir / "x.pb");
    testing::RunResult r = testing::runConvopt(
        fmt::format("run '{}' --input x='{}'", (dir / "model.onnx").string(), (dir / "x.pb").string()), dir.path());
    SCOPED_TRACE(type);
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_EQ(r.stderrText, std::string(type) == "float"
                                ? "convopt: error: input 'x' is double [1,2]; the engine was compiled for float[1,2]\n"
                                : "convopt: error: Relu node 'Relu(y)': element type float16 is not supported\n");
  }
}

TEST(BadInput, ProfileJsonThatIsNotABenchProfileIsNamed) {
  testing::TempDir dir;
  writeFile(dir / "profile.json", "{\"median_ms\": 1.0}");
  testing::RunResult r =
      testing::runConvopt(fmt::format("inspect '{}' --html '{}' --profile-json '{}'", kSharedModel.string(),
                                      (dir / "r.html").string(), (dir / "profile.json").string()),
                          dir.path());
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.stderrText, fmt::format("convopt: error: --profile-json {}: not what `convopt bench --profile --json` "
                                      "prints\n",
                                      (dir / "profile.json").string()));
  EXPECT_FALSE(fs::exists(dir / "r.html"));
}

}  // namespace
}  // namespace convopt
