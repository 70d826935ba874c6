// Models whose declared sizes or structure would eat the machine: refused by
// name before anything is allocated (ir/memory_limit.h, --max-memory), or
// handled in bounded time and memory.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "tests/support/cli_helpers.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt {
namespace {

namespace fs = std::filesystem;

struct ModelFile {
  testing::TempDir dir;
  fs::path path;
  explicit ModelFile(const std::string& bytes) : path(dir / "model.onnx") { testing::writeFile(path, bytes); }
  testing::RunResult convopt(const std::string& args) {
    return testing::runConvopt(
        fmt::format(fmt::runtime(args), fmt::arg("model", path.string()), fmt::arg("out", (dir / "out.onnx").string())),
        dir.path());
  }
};

void expectError(const testing::RunResult& r, const std::string& expected) {
  EXPECT_EQ(r.exitCode, 2) << r.stderrText;
  EXPECT_EQ(std::count(r.stderrText.begin(), r.stderrText.end(), '\n'), 1) << r.stderrText;
  EXPECT_NE(r.stderrText.find(expected), std::string::npos) << r.stderrText;
}

// Four bytes of shape ask for 3.6 TiB: folding leaves it alone, executing it is refused by name.
TEST(ResourceLimits, ConstantOfShapeDeclaringTerabytes) {
  ModelFile model(testing::textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1] x) => (float[1000000,1000000] y)
<int64[2] shape = {1000000, 1000000}>
{
  z = ConstantOfShape (shape)
  y = Add (z, x)
}
)"));
  EXPECT_EQ(model.convopt("inspect '{model}'").exitCode, 0);
  // Names z, or y where the run did not infer z's shape before refusing y's declared one.
  const char* refusal = "([1000000x1000000] float) needs 3.64 TiB, over the memory limit of";
  for (const char* engine : {"reference", "jit"})
    expectError(model.convopt(fmt::format("run --engine {} '{{model}}'", engine)), refusal);
  // optimize cannot run the whole model either, so it checks each rewrite alone (none here).
  testing::RunResult verified = model.convopt("optimize '{model}' -o '{out}'");
  EXPECT_EQ(verified.exitCode, 0) << verified.stderrText;
  EXPECT_NE(verified.stdoutText.find("each rewrite alone (the whole model cannot run on the reference interpreter: "),
            std::string::npos)
      << verified.stdoutText;
  EXPECT_NE(verified.stdoutText.find(refusal), std::string::npos) << verified.stdoutText;
  EXPECT_NE(verified.stdoutText.find("0 rewritten regions checked"), std::string::npos) << verified.stdoutText;
  testing::RunResult unverified = model.convopt("optimize --no-verify --explain '{model}' -o '{out}'");
  EXPECT_EQ(unverified.exitCode, 0) << unverified.stderrText;
  EXPECT_NE(unverified.stdoutText.find("would grow the model"), std::string::npos);
}

TEST(ResourceLimits, MaxMemoryRefusesAnInputOverIt) {
  ModelFile model(testing::textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,512,512] x) => (float[1,3,512,512] y)
{
  y = Relu (x)
}
)"));
  const char* refusal =
      "input 'x' ([1x3x512x512] float) needs 3 MiB, over the memory limit of 1 MiB (raise it with --max-memory)";
  expectError(model.convopt("run --max-memory 1M '{model}'"), refusal);
  expectError(model.convopt("--max-memory 1M run '{model}'"), refusal);  // before the command too
  EXPECT_EQ(model.convopt("run --max-memory 64M '{model}'").exitCode, 0);
  expectError(model.convopt("run --max-memory lots '{model}'"), "'lots' is not a memory size");
}

// Every tensor fits, the compiled model's intermediates at once do not.
TEST(ResourceLimits, MaxMemoryCoversTheJitEnginesArena) {
  ModelFile model(testing::textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,16,64,64] x) => (float[1,16,64,64] y)
{
  a = Relu (x)
  b = Sigmoid (x)
  y = Mul (a, b)
}
)"));
  expectError(model.convopt("run --engine jit --max-memory 300K '{model}'"),
              "the compiled model's arena (its intermediate tensors live at once) needs");
  EXPECT_EQ(model.convopt("run --engine reference --max-memory 300K '{model}'").exitCode, 0);
}

// A Conv with a million pads: refused by its schema before anything loops over them.
TEST(ResourceLimits, EnormousAttributeList) {
  onnx::ModelProto proto;
  proto.ParseFromString(testing::textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,4,4] x, float[1,1,3,3] w) => (float[1,1,4,4] y)
{
  y = Conv <pads = [1, 1, 1, 1]> (x, w)
}
)"));
  onnx::AttributeProto* pads = proto.mutable_graph()->mutable_node(0)->mutable_attribute(0);
  for (int i = 0; i < 1000000; ++i) pads->add_ints(1);
  ModelFile model(proto.SerializeAsString());
  for (const char* command : {"inspect '{model}'", "optimize '{model}' -o '{out}'", "run '{model}'"})
    expectError(model.convopt(command),
                "node Conv(y): kernel_shape/strides/dilations/pads do not match its 2 spatial dimensions");
}

// If nodes nested `depth` deep through their then_branch (each else_branch an
// Identity), the innermost then_branch an Identity too.
std::string nestedIfModel(int depth) {
  onnx::ModelProto proto;
  proto.ParseFromString(testing::textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[1] x) => (float[1] y)
{
  y = Identity (x)
}
)"));
  const onnx::NodeProto identity = proto.graph().node(0);
  const std::string condition = proto.graph().input(0).name();
  onnx::NodeProto* node = proto.mutable_graph()->mutable_node(0);
  for (int level = 0; level < depth; ++level) {
    node->set_op_type("If");
    node->clear_input();
    node->add_input(condition);
    onnx::NodeProto* inner = nullptr;
    for (const char* branch : {"then_branch", "else_branch"}) {
      onnx::AttributeProto* attribute = node->add_attribute();
      attribute->set_name(branch);
      attribute->set_type(onnx::AttributeProto::GRAPH);
      onnx::GraphProto* body = attribute->mutable_g();
      body->set_name(fmt::format("{}{}", branch, level));
      onnx::NodeProto* child = body->add_node();
      *child = identity;
      child->set_output(0, fmt::format("{}{}_out", branch, level));
      onnx::ValueInfoProto* output = body->add_output();
      output->set_name(child->output(0));
      output->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
      if (!inner) inner = child;
    }
    node = inner;
  }
  return proto.SerializeAsString();
}

TEST(ResourceLimits, NestedSubgraphs) {
  ModelFile shallow(nestedIfModel(8));
  EXPECT_EQ(shallow.convopt("inspect '{model}'").exitCode, 0);
  // --no-verify: the reference interpreter does not run If yet (issue 13).
  testing::RunResult optimized = shallow.convopt("optimize --no-verify '{model}' -o '{out}'");
  EXPECT_EQ(optimized.exitCode, 0) << optimized.stderrText;
  ModelFile deep(nestedIfModel(200));
  for (const char* command : {"inspect '{model}'", "optimize '{model}' -o '{out}'"})
    expectError(deep.convopt(command), "the model nests subgraphs deeper than protobuf's limit of 100 messages");
}

}  // namespace
}  // namespace convopt
