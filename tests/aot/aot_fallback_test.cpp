// `convopt compile --allow-fallback`: nodes without a generated kernel run in
// libconvopt_fallback (the reference interpreter behind a C ABI) and compute
// what the JIT engine's fallback computes, to the bit, in every code format;
// the artifact says what it needs linked; nodes the library cannot run fail
// the compile, named; a node failing at run time is a status, not a crash.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
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

// A pointwise conv, then Cos (no kernel), Relu and a conv again (kernels), and
// ArgMax -> Cast (no kernels; an int64 value between two fallback nodes).
std::string mixedModel() {
  std::vector<std::string> weights;
  for (int i = 0; i < 64; ++i) weights.push_back(fmt::format("{:.3f}", 0.05 * ((i * 37) % 23 - 11)));
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[1,8,6,6] x) => (float[1,8,6,6] y, float[1,1,6,6] z)
<float[8,8,1,1] w = {{{}}}>
{{
  a = Conv (x, w)
  b = Cos (a)
  c = Relu (b)
  y = Conv (c, w)
  i = ArgMax <axis = 1, keepdims = 1> (b)
  z = Cast <to = 1> (i)
}}
)",
                     fmt::join(weights, ", "));
}

TEST(AotFallback, NodesWithoutAKernelRunInTheFallbackLibraryToTheBitOfTheJitEngine) {
  TempDir temp;
  writeFile(temp / "mixed.onnx", textModelBytes(mixedModel()));
  ir::Model model = ir::parseModelText(mixedModel());
  runtime::TensorMap feeds = runtime::randomInputs(*model.graph, {});
  for (const char* format : {"object", "static", "shared"}) {
    Artifact artifact = compileModel(temp / "mixed.onnx", temp / format, "mixed",
                                     fmt::format("--no-optimize --allow-fallback --format {}", format));
    fs::path driver = linkDriver(artifact);
    for (int threads : {1, 2}) {
      runtime::TensorMap expected = codegen::JitEngine(model, {}, {"", threads}).run(feeds);
      std::vector<ir::Tensor> outputs = runDriver(artifact, driver, (artifact.dir / "mixed.weights").string(),
                                                  {feeds.at("x")}, {{1, 8, 6, 6}, {1, 1, 6, 6}}, threads);
      EXPECT_TRUE(sameBits(outputs.at(0), expected.at("y"))) << format << " at " << threads << " threads: y";
      EXPECT_TRUE(sameBits(outputs.at(1), expected.at("z"))) << format << " at " << threads << " threads: z";
    }
  }
  nlohmann::json json = nlohmann::json::parse(readFile(temp / "object" / "mixed.json"));
  EXPECT_EQ(json.at("fallback_nodes"), (std::vector<std::string>{"Cos(b)", "ArgMax(i)", "Cast(z)"}));
  EXPECT_EQ(json.at("link_libraries"), (std::vector<std::string>{"convopt_fallback", "m", "pthread"}));
  EXPECT_NE(readFile(temp / "object" / "mixed.h").find("#define MIXED_NUM_FALLBACK_NODES 3"), std::string::npos);
}

TEST(AotFallback, ArtifactsWithoutFallbackNodesNeedNoFallbackLibrary) {
  TempDir temp;
  writeFile(temp / "conv.onnx", textModelBytes(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[1,8,4,4] x) => (float[1,8,4,4] y)
<float[8,1,3,3] w = {1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1,
                     1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1}>
{
  y = Conv <group = 8, pads = [1, 1, 1, 1]> (x, w)
}
)"));
  Artifact artifact = compileModel(temp / "conv.onnx", temp / "out", "conv", "--allow-fallback");
  EXPECT_EQ(artifact.libraries, "");
  nlohmann::json json = nlohmann::json::parse(readFile(temp / "out" / "conv.json"));
  EXPECT_EQ(json.at("fallback_nodes"), std::vector<std::string>{});
  runDriver(artifact, linkDriver(artifact), (temp / "out" / "conv.weights").string(), {}, {},
            1);  // links with libc only
}

TEST(AotFallback, WithoutTheFlagANodeWithoutAKernelFailsTheCompileNamingIt) {
  TempDir temp;
  writeFile(temp / "mixed.onnx", textModelBytes(mixedModel()));
  RunResult result = runConvopt(
      fmt::format("compile '{}' -o '{}'", (temp / "mixed.onnx").string(), (temp / "out").string()), temp.path());
  EXPECT_EQ(result.exitCode, 2) << result.stderrText;
  EXPECT_NE(result.stderrText.find("node Cos(b) (Cos) has no generated kernel"), std::string::npos)
      << result.stderrText;
  EXPECT_NE(result.stderrText.find("--allow-fallback"), std::string::npos) << result.stderrText;
  EXPECT_TRUE(!fs::exists(temp / "out") || fs::is_empty(temp / "out"));
}

TEST(AotFallback, ANodeTheReferenceInterpreterCannotRunFailsTheCompileNamingIt) {
  TempDir temp;
  writeFile(temp / "custom.onnx", textModelBytes(R"(<ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>
g (float[1,8,4,4] x) => (float[1,8,4,4] y)
{
  y = com.example.Mystery (x)
}
)"));
  fs::create_directories(temp / "out");
  RunResult result = runConvopt(
      fmt::format("compile '{}' -o '{}' --allow-fallback", (temp / "custom.onnx").string(), (temp / "out").string()),
      temp.path());
  EXPECT_EQ(result.exitCode, 2) << result.stderrText;
  EXPECT_EQ(result.stderrText,
            "convopt: error: node Mystery(y) (com.example::Mystery) has no generated kernel, and no reference "
            "implementation: --allow-fallback cannot run it either\n");
  EXPECT_TRUE(fs::is_empty(temp / "out"));
  // Without --allow-fallback the error does not suggest it.
  result = runConvopt(fmt::format("compile '{}' -o '{}'", (temp / "custom.onnx").string(), (temp / "out").string()),
                      temp.path());
  EXPECT_EQ(result.exitCode, 2) << result.stderrText;
  EXPECT_NE(result.stderrText.find("node Mystery(y) (com.example::Mystery) has no generated kernel ("),
            std::string::npos)
      << result.stderrText;
  EXPECT_NE(result.stderrText.find("), and no reference implementation: --allow-fallback cannot run it either\n"),
            std::string::npos)
      << result.stderrText;
  EXPECT_TRUE(fs::is_empty(temp / "out"));
}

// What --allow-fallback cannot run either is said at once, without suggesting it.
TEST(AotFallback, NodesTheFallbackLibraryCannotRunSayWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3] xs, float[3] a) => (float[3] last, float[2,3] ys)
{
  last, ys = Scan <num_scan_inputs = 1, body = body (float[3] s, float[3] x) => (float[3] t, float[3] y) {
    t = Add (s, x)
    y = Mul (t, a)
  }> (a, xs)
}
)",
       ", and it reads 'a' from the enclosing graph through a subgraph: --allow-fallback runs single nodes only\n"},
      {R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[4] x) => (int64[1,N] y)
{
  y = NonZero (x)
}
)",
       ", and it runs in libconvopt_fallback, which needs 'y' to have a shape known when compiling (where it is "
       "one of dynamic input dims: give them with --input-shape)\n"}};
  for (const auto& [text, reason] : cases) {
    SCOPED_TRACE(text);
    TempDir temp;
    writeFile(temp / "model.onnx", textModelBytes(text));
    fs::create_directories(temp / "out");
    for (const char* flag : {"", " --allow-fallback"}) {
      RunResult result = runConvopt(
          fmt::format("compile '{}' -o '{}'{}", (temp / "model.onnx").string(), (temp / "out").string(), flag),
          temp.path());
      EXPECT_EQ(result.exitCode, 2) << result.stderrText;
      EXPECT_TRUE(result.stderrText.ends_with(reason)) << result.stderrText;
      EXPECT_EQ(result.stderrText.find("unless --allow-fallback"), std::string::npos) << result.stderrText;
      EXPECT_TRUE(fs::is_empty(temp / "out"));
    }
  }
}

TEST(AotFallback, ANodeFailingAtRunTimeIsAStatusNotACrash) {
  TempDir temp;
  writeFile(temp / "gather.onnx", textModelBytes(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[4] data, float[2] where) => (float[2] y)
{
  i = Cast <to = 7> (where)
  y = Gather (data, i)
}
)"));
  Artifact artifact = compileModel(temp / "gather.onnx", temp / "out", "gather", "--allow-fallback");
  fs::path driver = linkDriver(artifact);
  std::vector<ir::Tensor> inputs = {ir::Tensor::fromVector<float>(ir::DType::Float, {4}, {10, 20, 30, 40}),
                                    ir::Tensor::fromVector<float>(ir::DType::Float, {2}, {3, 1})};
  EXPECT_TRUE(sameBits(runDriver(artifact, driver, (temp / "out" / "gather.weights").string(), inputs, {{2}}).at(0),
                       ir::Tensor::fromVector<float>(ir::DType::Float, {2}, {40, 20})));
  for (size_t i = 0; i < inputs.size(); ++i)
    writeFile(temp / fmt::format("in{}.bin", i),
              i == 0 ? std::string(reinterpret_cast<const char*>(inputs[0].bytes().data()), 16)
                     : std::string("\0\0\x10\x41\0\0\0\0", 8));  // 9.0f, 0.0f: index 9 is out of range
  RunResult run = runCommand(
      fmt::format("'{}' '{}' --in '{}' --in '{}'", driver.string(), (temp / "out" / "gather.weights").string(),
                  (temp / "in0.bin").string(), (temp / "in1.bin").string()),
      temp.path());
  EXPECT_EQ(run.exitCode, 1) << run.stderrText;
  EXPECT_NE(run.stderrText.find("libconvopt_fallback could not load or run a node"), std::string::npos)
      << run.stderrText;
}

TEST(AotFallback, TheFallbackLibraryExportsOnlyItsCApi) {
  TempDir temp;
  RunResult symbols = runCommand(
      fmt::format("nm -D --defined-only '{}/libconvopt_fallback.so'", CONVOPT_FALLBACK_LIBRARY_DIR), temp.path());
  ASSERT_EQ(symbols.exitCode, 0) << symbols.stderrText;
  std::istringstream lines(symbols.stdoutText);
  std::vector<std::string> exported;
  for (std::string address, kind, name; lines >> address >> kind >> name;) exported.push_back(name);
  std::sort(exported.begin(), exported.end());
  EXPECT_EQ(exported, (std::vector<std::string>{"convopt_fallback_free", "convopt_fallback_last_error",
                                                "convopt_fallback_load", "convopt_fallback_run"}));
}

}  // namespace
}  // namespace convopt::testing
