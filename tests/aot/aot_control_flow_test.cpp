// `convopt compile` of models with If and Loop: the artifact runs each body
// compiled (its own program, the JIT engine's kernels) and computes what the
// JIT engine computes, to the bit, through nested bodies, captured values,
// scan outputs and inputs that are not float32; what cannot have fixed shapes
// fails the compile naming the node, and a Loop that stops before the trips
// its outputs were compiled for is a status.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "codegen/engine/jit_engine.h"
#include "ir/onnx_io.h"
#include "runtime/random_inputs.h"
#include "tests/aot/artifact_harness.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt::testing {
namespace {
namespace fs = std::filesystem;

// An If on an int64 input picks how the Loop starts; the Loop's body convolves,
// then an If nested in it (on the trip's parity: Mod and Equal run in the
// fallback library) adds `a`, an outer value captured two levels down, or
// applies Relu; every trip is stacked into `trace`.
constexpr const char* kLoopModel = R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[1,4,6,6] x, int64 mode) => (float[1,4,6,6] y, float[3,1,4,6,6] trace)
<float[4,1,3,3] w = {-0.55, 0.15, -0.30, 0.40, -0.05, -0.50, 0.20, -0.25, 0.45, 0.00, -0.45, 0.25,
                     -0.20, 0.50, 0.05, -0.40, 0.30, -0.15, 0.55, 0.10, -0.35, 0.35, -0.10, -0.55,
                     0.15, -0.30, 0.40, -0.05, -0.50, 0.20, -0.25, 0.45, 0.00, -0.45, 0.25, -0.20},
 int64 trips = {3}, int64 two = {2}, int64 zero = {0}>
{
  a = Relu (x)
  up = Greater (mode, zero)
  start = If (up) <then_branch = t () => (float[1,4,6,6] t_out) { t_out = Neg (a) },
                   else_branch = e () => (float[1,4,6,6] e_out) { e_out = Sigmoid (x) }>
  y, trace = Loop (trips, , start) <body = b (int64 i, bool c, float[1,4,6,6] v)
                                            => (bool c_out, float[1,4,6,6] v_out, float[1,4,6,6] s) {
    c_out = Identity (c)
    conv = Conv <group = 4, pads = [1, 1, 1, 1]> (v, w)
    parity = Mod (i, two)
    even = Equal (parity, zero)
    v_out = If (even) <then_branch = p () => (float[1,4,6,6] p_out) { p_out = Add (conv, a) },
                       else_branch = q () => (float[1,4,6,6] q_out) { q_out = Relu (conv) }>
    s = Identity (v_out)
  }>
}
)";

struct Compiled {
  TempDir temp;
  Artifact artifact;
  fs::path driver;
};

void compileText(Compiled& c, const std::string& text, const std::string& args) {
  writeFile(c.temp / "model.onnx", textModelBytes(text));
  c.artifact = compileModel(c.temp / "model.onnx", c.temp / "out", "m", args);
  c.driver = linkDriver(c.artifact);
}

TEST(AotControlFlow, NestedBodiesRunCompiledToTheBitOfTheJitEngine) {
  Compiled c;
  compileText(c, kLoopModel, "--allow-fallback");
  ir::Model model = ir::parseModelText(kLoopModel);
  runtime::TensorMap feeds = runtime::randomInputs(*model.graph, {});
  for (int64_t mode : {1, -1}) {  // both branches of the outer If
    feeds["mode"] = ir::Tensor::scalarInt64(mode);
    for (int threads : {1, 2}) {
      runtime::TensorMap expected = codegen::JitEngine(model, {}, {"", threads}).run(feeds);
      std::vector<ir::Tensor> outputs =
          runDriver(c.artifact, c.driver, (c.temp / "out" / "m.weights").string(), {feeds.at("x"), feeds.at("mode")},
                    {{1, 4, 6, 6}, {3, 1, 4, 6, 6}}, threads);
      EXPECT_TRUE(sameBits(outputs.at(0), expected.at("y"))) << "mode " << mode << ", " << threads << " threads: y";
      EXPECT_TRUE(sameBits(outputs.at(1), expected.at("trace")))
          << "mode " << mode << ", " << threads << " threads: trace";
    }
  }
  nlohmann::json json = nlohmann::json::parse(readFile(c.temp / "out" / "m.json"));
  EXPECT_EQ(json.at("inputs").at(1).at("dtype"), "int64");
  EXPECT_EQ(json.at("inputs").at(1).at("bytes"), 8);
  std::string header = readFile(c.temp / "out" / "m.h");
  EXPECT_NE(header.find("typedef void m_data;"), std::string::npos) << header;
  EXPECT_NE(header.find("#define M_INPUT_1_DTYPE \"int64\""), std::string::npos) << header;
}

TEST(AotControlFlow, AllFloatModelsKeepFloatBuffers) {
  TempDir temp;
  writeFile(temp / "model.onnx", textModelBytes(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3] x) => (float[2,3] y)
{
  y = Relu (x)
}
)"));
  compileModel(temp / "model.onnx", temp / "out", "m");
  EXPECT_NE(readFile(temp / "out" / "m.h").find("typedef float m_data;"), std::string::npos);
}

RunResult compileFails(const std::string& text, const std::string& args = "") {
  TempDir temp;
  writeFile(temp / "model.onnx", textModelBytes(text));
  fs::create_directories(temp / "out");
  RunResult result =
      runConvopt(fmt::format("compile '{}' -o '{}' {}", (temp / "model.onnx").string(), (temp / "out").string(), args),
                 temp.path());
  EXPECT_EQ(result.exitCode, 2) << result.stderrText;
  EXPECT_TRUE(fs::is_empty(temp / "out"));
  return result;
}

// Only the body, specialised to the shapes the Loop feeds it, shows that it
// doubles its carried value: the declarations leave those dims symbolic.
TEST(AotControlFlow, ACarriedValueWhoseShapeTheBodyChangesFailsTheCompileNamingTheLoop) {
  RunResult result = compileFails(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3] x) => (float[K,3] y)
<int64 trips = {2}>
{
  y = Loop (trips, , x) <body = b (int64 i, bool c, float[2,3] v) => (bool c_out, float[M,3] v_out) {
    c_out = Identity (c)
    v_out = Concat <axis = 0> (v, v)
  }>
}
)");
  EXPECT_NE(result.stderrText.find("node Loop(y) (Loop): Loop(y)/body gives carried value 'v_out' as float[4,3] where "
                                   "float[2,3] is needed"),
            std::string::npos)
      << result.stderrText;
}

TEST(AotControlFlow, ScanOutputsWithoutAConstantTripCountFailTheCompileNamingTheLoop) {
  RunResult result = compileFails(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3] x, int64 n) => (float[2,3] y, float[3,2,3] trace)
{
  y, trace = Loop (n, , x) <body = b (int64 i, bool c, float[2,3] v) => (bool c_out, float[2,3] v_out, float[2,3] s) {
    c_out = Identity (c)
    v_out = Relu (v)
    s = Identity (v_out)
  }>
}
)",
                                  "--allow-fallback");
  EXPECT_NE(result.stderrText.find("node Loop(y) (Loop) has scan outputs but no constant trip count"),
            std::string::npos)
      << result.stderrText;
}

TEST(AotControlFlow, AScanFailsTheCompileSayingItsBodyIsNotCompiled) {
  RunResult result = compileFails(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[3,2] xs) => (float[2] total)
<float[2] init = {0, 0}>
{
  total = Scan <num_scan_inputs = 1, body = b (float[2] acc, float[2] x) => (float[2] acc_out) {
    acc_out = Add (acc, x)
  }> (init, xs)
}
)");
  EXPECT_NE(result.stderrText.find("a Scan's body is not compiled ahead of time"), std::string::npos)
      << result.stderrText;
}

// The model declares 4 trips of scan output, but the body stops after 2.
TEST(AotControlFlow, ALoopStoppingBeforeTheTripsItsOutputsHoldIsAStatusNotACrash) {
  Compiled c;
  compileText(c, R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3] x) => (float[2,3] y, float[4,2,3] trace)
<int64 trips = {4}, int64 last = {1}>
{
  y, trace = Loop (trips, , x) <body = b (int64 i, bool c, float[2,3] v) => (bool c_out, float[2,3] v_out, float[2,3] s) {
    v_out = Add (v, v)
    s = Identity (v_out)
    c_out = Less (i, last)
  }>
}
)",
              "--allow-fallback");
  writeFile(c.temp / "x.bin", std::string(6 * sizeof(float), '\0'));
  RunResult run = runCommand(fmt::format("'{}' '{}' --in '{}'", c.driver.string(),
                                         (c.temp / "out" / "m.weights").string(), (c.temp / "x.bin").string()),
                             c.temp.path());
  EXPECT_EQ(run.exitCode, 1) << run.stderrText;
  EXPECT_NE(run.stderrText.find("a Loop with scan outputs ran another number of trips"), std::string::npos)
      << run.stderrText;
}

}  // namespace
}  // namespace convopt::testing
