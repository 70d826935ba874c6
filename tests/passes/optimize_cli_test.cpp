// `convopt optimize` end to end through the binary: table, report, doc_string,
// opsets, --verify refusing to write, --print-after-all, bad pass names.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <onnx/onnx_pb.h>

#include "ir/onnx_io.h"
#include "passes/cost_table.h"
#include "tests/support/cli_helpers.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt::passes {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Every input-channel slice of W has rank 1 (W[o, i] = P[o, i] * D_i).
constexpr const char* kSeparable = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,8,8] x) => (float[1,3,8,8] y)
<float[3,2,2,2] w = {0.1, 0.2, 0.3, 0.4, 0.2, 0, -0.2, 0.4, 0.2, 0.4, 0.6, 0.8, -0.1, 0, 0.1, -0.2,
                     0.05, 0.1, 0.15, 0.2, 0.1, 0, -0.1, 0.2}>
{
  y = Conv <pads = [1, 1, 0, 0]> (x, w)
}
)";

struct Fixture {
  convopt::testing::TempDir dir;
  std::string in = (dir / "in.onnx").string();
  std::string out = (dir / "out.onnx").string();
  std::string reportPath = (dir / "report.json").string();
  Fixture() { convopt::testing::writeFile(in, convopt::testing::textModelBytes(kSeparable)); }
  convopt::testing::RunResult optimize(const std::string& flags) {
    return convopt::testing::runConvopt(fmt::format("optimize '{}' -o '{}' {}", in, out, flags), dir.path());
  }
  nlohmann::json report() const { return nlohmann::json::parse(convopt::testing::readFile(reportPath)); }
};

TEST(OptimizeCommand, RewritesReportsAndDocumentsTheRewrite) {
  Fixture f;
  auto r = f.optimize("--force --report '" + f.reportPath + "'");
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_THAT(r.stdoutText, HasSubstr("dense-to-separable     Conv(y)"));
  EXPECT_THAT(r.stdoutText, HasSubstr("dense -> depthwise+pointwise"));
  EXPECT_THAT(r.stdoutText, HasSubstr("  output y: max |diff| "));

  nlohmann::json json = f.report();
  EXPECT_EQ(json["totals"]["rewrites"], 1);
  EXPECT_EQ(json["totals"]["params_before"], 24);
  EXPECT_EQ(json["totals"]["params_after"], 2 * 4 + 3 * 2);
  EXPECT_EQ(json["verify"]["equivalent"], true);

  ir::Model written = ir::loadModel(f.out);
  EXPECT_EQ(written.defaultOpset(), 13);
  ASSERT_EQ(written.graph->numNodes(), 2u);
  for (const ir::Node* n : written.graph->nodes()) {
    EXPECT_EQ(n->opType, "Conv");
    EXPECT_THAT(n->docString, HasSubstr("(applied by --force)"));
    EXPECT_THAT(n->docString, StartsWith("convopt dense-to-separable: was dense (24 params); per-input-channel rank 1 "
                                         "weight, depthwise first; reconstruction error "));
  }
}

TEST(OptimizeCommand, VerifyRefusesToWriteBeyondTolerance) {
  Fixture f;
  // Tolerance 0: the factorised conv's different rounding is already a mismatch.
  auto r = f.optimize("--force --tolerance 0");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.stdoutText, HasSubstr("BEYOND TOLERANCE"));
  EXPECT_THAT(r.stderrText, HasSubstr("differs from the original beyond tolerance"));
  EXPECT_FALSE(std::filesystem::exists(f.out));
}

TEST(OptimizeCommand, PrintAfterAllDumpsTheIrAfterEachPass) {
  Fixture f;
  auto r = f.optimize("--passes dense-to-separable,dce --force --print-after-all --no-verify");
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_THAT(r.stderrText, HasSubstr("// ----- IR after dense-to-separable -----"));
  EXPECT_THAT(r.stderrText, HasSubstr("// ----- IR after dce -----"));
}

TEST(OptimizeCommand, UnknownPassIsABadInput) {
  Fixture f;
  auto r = f.optimize("--passes fold-pad,nonsense");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_THAT(r.stderrText, HasSubstr("unknown pass 'nonsense'"));
  EXPECT_FALSE(std::filesystem::exists(f.out));
}

// A rewrite the reference interpreter can check only alone, whose input has no shape:
// the error says what would give it one. An op of another domain hides the shape of
// what it computes; a graph input without a shape has none either.
TEST(OptimizeCommand, VerifyNamesWhatWouldGiveARewritesInputItsShape) {
  Fixture f;
  for (auto [body, data, remedy] :
       {std::tuple{"g = com.example.Gelu (x)", "g",
                   "input 'g' (computed by Gelu(g)) has no known rank; declare its shape in the model's value_info"},
        std::tuple{"", "x", "input 'x' has no known rank; give its dims with --input-shape"}}) {
    SCOPED_TRACE(body);
    onnx::ModelProto proto;
    proto.ParseFromString(
        convopt::testing::textModelBytes(fmt::format(R"(<ir_version: 8, opset_import: ["" : 13, "com.example" : 1]>
g (float[1,3,8,8] x) => (y)
<float[3,3,1,1] w = {{1, 0, 0, 0, 2, 0, 0, 0, 3}}>
{{
  {}
  y = Conv ({}, w)
}}
)",
                                                     body, data)));
    proto.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();  // no rank
    convopt::testing::writeFile(f.in, proto.SerializeAsString());
    auto r = f.optimize("--passes dense-to-depthwise --force");
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_THAT(r.stderrText, HasSubstr(fmt::format("--verify cannot run the dense-to-depthwise of Conv(y) alone: {}, "
                                                    "or skip the check with --no-verify",
                                                    remedy)));
    EXPECT_FALSE(std::filesystem::exists(f.out));
  }
}

// The first pass's rewrites are checked alone on the shapes the pipeline infers
// (a static model needs no value_info): here the default pipeline's first pass,
// eliminate-identity, and a conv rewrite put first.
TEST(OptimizeCommand, VerifyLocalChecksTheFirstPassOnInferredShapes) {
  Fixture f;
  for (auto [body, passes] : {std::pair{"c = Relu (x)\n  i = Identity (c)\n  y = Relu (i)", ""},
                              std::pair{"c = Relu (x)\n  y = Conv (c, w)", "--passes dense-to-depthwise --force"}}) {
    SCOPED_TRACE(body);
    convopt::testing::writeFile(f.in, convopt::testing::textModelBytes(fmt::format(
                                          R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,8,8] x) => (float[1,3,8,8] y)
<float[3,3,1,1] w = {{1, 0, 0, 0, 2, 0, 0, 0, 3}}>
{{
  {}
}}
)",
                                          body)));
    auto r = f.optimize(fmt::format("--verify-local {}", passes));
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_THAT(r.stdoutText + r.stderrText, HasSubstr("1 rewritten regions checked"));
  }
}

// An empty pipeline, however spelt, is a pure round trip: the model as imported, exported.
TEST(OptimizeCommand, EmptyPassListRunsNoPass) {
  Fixture f;
  std::string expected = ir::exportModel(ir::loadModel(f.in)).SerializeAsString();
  for (const char* flags : {"--passes=", "--passes ''", "--passes ' '"}) {
    SCOPED_TRACE(flags);
    auto r = f.optimize(flags);
    ASSERT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_THAT(r.stdoutText, Not(HasSubstr("dce")));
    EXPECT_EQ(convopt::testing::readFile(f.out), expected);
  }
}

// A repeatable option takes one value per occurrence: the model after it stays the positional.
TEST(OptimizeCommand, PositionalAfterARepeatableOption) {
  Fixture f;
  auto r = convopt::testing::runConvopt(
      fmt::format("optimize --input-shape x=1x2x8x8 '{}' -o '{}' --passes dce", f.in, f.out), f.dir.path());
  EXPECT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_TRUE(std::filesystem::exists(f.out));
}

// --verify-inputs: the check runs on the user's data (here a batch of 2, where the model's batch is dynamic).
TEST(OptimizeCommand, VerifiesOnTheUsersInputs) {
  convopt::testing::TempDir dir;
  std::filesystem::path model =
      std::filesystem::path(CONVOPT_SOURCE_DIR) / "tests" / "models" / "generated" / "dynamic_batch_cnn";
  auto r = convopt::testing::runConvopt(
      fmt::format("optimize '{}' -o '{}' --verify-inputs '{}'", (model / "model.onnx").string(),
                  (dir / "out.onnx").string(), (model / "test_data_set_0").string()),
      dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_THAT(r.stdoutText, HasSubstr("verify (inputs of "));
  EXPECT_THAT(r.stdoutText, HasSubstr("test_data_set_0, tolerance 0.0001): the whole model"));
  EXPECT_THAT(r.stdoutText, HasSubstr("output logits: max |diff|"));
  auto empty = convopt::testing::runConvopt(
      fmt::format("optimize '{}' -o '{}' --verify-inputs '{}'", (model / "model.onnx").string(),
                  (dir / "out2.onnx").string(), dir.path().string()),
      dir.path());
  EXPECT_EQ(empty.exitCode, 2);
  EXPECT_THAT(empty.stderrText, HasSubstr("holds neither input_0.pb (an ONNX test data set) nor NAME.npy"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out2.onnx"));
}

TEST(OptimizeCommand, ExplainNamesTheCostModelDecision) {
  Fixture f;
  auto r = f.optimize("--explain --no-verify");
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_THAT(r.stdoutText, HasSubstr("    rejected Conv(y): cost model: rank 1 factors take "));
  EXPECT_THAT(r.stdoutText, HasSubstr("no convolution was rewritten"));
}

TEST(OptimizeCommand, ForNamesTheRuntimeWhoseCostModelDecides) {
  Fixture f;
  auto r = f.optimize("--for onnxruntime --no-verify --report '" + f.reportPath + "'");
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_THAT(r.stdoutText, HasSubstr("cost model: onnxruntime (built-in, measured "));
  nlohmann::json json = f.report();
  EXPECT_EQ(json["cost_model"]["runtime"], "onnxruntime");
  EXPECT_EQ(json["cost_model"]["source"], "built-in");
  EXPECT_EQ(json["cost_model"]["min_gain"], 0.05);

  auto unknown = f.optimize("--for tvm");
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_THAT(unknown.stderrText, HasSubstr("tvm not in {convopt,onnxruntime}"));
}

TEST(OptimizeCommand, ACostTableMustBeReadableAndForTheRuntime) {
  Fixture f;
  std::string table = (f.dir / "table.json").string();
  convopt::testing::writeFile(table, "{\"runtime\": \"onnxruntime\"}");
  auto incomplete = f.optimize("--cost-table '" + table + "'");
  EXPECT_EQ(incomplete.exitCode, 2);
  EXPECT_THAT(incomplete.stderrText, HasSubstr(table + ": 'threads' is missing or not a number"));
  EXPECT_FALSE(std::filesystem::exists(f.out));

  std::string builtin = (f.dir / "ort.json").string();
  convopt::testing::writeFile(builtin, passes::costTableJson(passes::builtinCostTable("onnxruntime")));
  auto mismatch = f.optimize("--for convopt --cost-table '" + builtin + "'");
  EXPECT_EQ(mismatch.exitCode, 2);
  EXPECT_THAT(mismatch.stderrText, HasSubstr("was measured for 'onnxruntime', not 'convopt' (--for)"));
  auto used = f.optimize("--no-verify --cost-table '" + builtin + "'");
  ASSERT_EQ(used.exitCode, 0) << used.stderrText;
  EXPECT_THAT(used.stdoutText, HasSubstr("cost model: onnxruntime (" + builtin + ", measured "));
}

}  // namespace
}  // namespace convopt::passes
