// The ahead-of-time artifact's contract (codegen/aot/aot_compiler.h, the C API
// in NAME.h): the three code formats and embedded weights compute what the JIT
// engine computes, to the bit; two models link into one program; every problem
// with the weights is a status code, every bad compile exits 2 and writes
// nothing; AArch64 builds run under qemu and match the goldens.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include <onnx/onnx_pb.h>
#include <nlohmann/json.hpp>

#include "codegen/engine/jit_engine.h"
#include "codegen/engine/target.h"
#include "codegen/engine/tuning_cache.h"
#include "ir/onnx_io.h"
#include "runtime/compare.h"
#include "runtime/tensor_file.h"
#include "tests/aot/artifact_harness.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt::testing {
namespace {
namespace fs = std::filesystem;

fs::path sharedModel(const std::string& name) { return fs::path(CONVOPT_SHARED_MODELS) / name; }

bool sameBits(const ir::Tensor& a, const ir::Tensor& b) {
  return a.byteSize() == b.byteSize() && std::memcmp(a.bytes().data(), b.bytes().data(), a.byteSize()) == 0;
}

TEST(AotArtifact, EveryFormatAndEmbeddedWeightsComputeWhatTheJitEngineComputesToTheBit) {
  fs::path dir = sharedModel("sepnet");
  runtime::TestDataSet data = runtime::loadTestDataSet(dir / "test_data_set_0");
  ir::Model model = ir::loadModel(dir / "model.onnx");
  runtime::TensorMap feeds;
  for (const ir::Value* input : model.graph->inputs())
    if (!input->isInitializer()) feeds[input->name()] = data.inputs.at(feeds.size());
  for (int threads : {1, 2}) {
    codegen::JitEngine engine(model, codegen::shapesOf(feeds), {"", threads});
    runtime::TensorMap expected = engine.run(feeds);
    TempDir temp;
    struct Case {
      std::string args, weights;
    } cases[] = {{"", "m.weights"}, {"--format static", "m.weights"}, {"--format shared --embed-weights", "-"}};
    for (const Case& c : cases) {
      Artifact artifact = compileModel(dir / "model.onnx", temp / "out", "m", "--no-optimize " + c.args);
      std::string weights = c.weights == "-" ? "-" : (temp / "out" / c.weights).string();
      std::vector<ir::Tensor> outputs =
          runDriver(artifact, linkDriver(artifact), weights, data.inputs, dimsOf(data.outputs), threads);
      EXPECT_TRUE(sameBits(outputs.at(0), expected.at(model.graph->outputs()[0]->name())))
          << "'" << c.args << "' at " << threads << " threads differs from JitEngine";
    }
  }
}

TEST(AotArtifact, ExportsOnlyNamePrefixedSymbols) {
  TempDir temp;
  Artifact artifact = compileModel(sharedModel("sepnet") / "model.onnx", temp / "out", "sep", "--format shared");
  RunResult symbols =
      runCommand(fmt::format("nm -D --defined-only '{}'", (temp / "out" / artifact.code).string()), temp.path());
  ASSERT_EQ(symbols.exitCode, 0) << symbols.stderrText;
  std::istringstream lines(symbols.stdoutText);
  std::vector<std::string> exported;
  for (std::string address, kind, name; lines >> address >> kind >> name;) exported.push_back(name);
  std::sort(exported.begin(), exported.end());
  EXPECT_EQ(exported, (std::vector<std::string>{"sep_model_free", "sep_model_from_memory", "sep_model_load", "sep_run",
                                                "sep_session_create", "sep_session_fix_threads", "sep_session_free",
                                                "sep_status_string"}));
}

TEST(AotArtifact, TwoModelsLinkIntoOneProgram) {
  TempDir temp;
  compileModel(sharedModel("sepnet") / "model.onnx", temp / "out", "first");
  compileModel(sharedModel("mobilenet_v2_lite") / "model.onnx", temp / "out", "second");
  writeFile(temp / "both.c", R"(#include <stdio.h>
#include <stdlib.h>
#include "first.h"
#include "second.h"
#define RUN(m, M, weights)                                                              \
  do {                                                                                  \
    m##_model* model;                                                                   \
    m##_session* session;                                                               \
    if (m##_model_load(weights, &model) || m##_session_create(model, 1, NULL, &session)) \
      return 1;                                                                         \
    const float* in[1] = {calloc(M##_INPUT_0_ELEMENTS, sizeof(float))};                 \
    float* out[1] = {calloc(M##_OUTPUT_0_ELEMENTS, sizeof(float))};                     \
    if (m##_run(session, in, out)) return 1;                                            \
    printf(#m " ran: %d outputs\n", M##_NUM_OUTPUTS);                                   \
    m##_session_free(session);                                                          \
    m##_model_free(model);                                                              \
    free((void*)in[0]);                                                                 \
    free(out[0]);                                                                       \
  } while (0)
int main(int argc, char** argv) {
  (void)argc;
  RUN(first, FIRST, argv[1]);
  RUN(second, SECOND, argv[2]);
  return 0;
}
)");
  fs::path out = temp / "out";
  RunResult link = runCommand(
      fmt::format("{3} -std=c99 -Wall -Werror -I'{0}' '{1}' '{0}/first.o' '{0}/second.o' -lm -lpthread -o '{2}'",
                  out.string(), (temp / "both.c").string(), (temp / "both").string(), CONVOPT_TEST_C_COMPILER),
      temp.path());
  ASSERT_EQ(link.exitCode, 0) << link.stderrText;
  RunResult cxx = runCommand(
      fmt::format("c++ -std=c++17 -Wall -Werror -fsyntax-only -x c++ '{}/first.h'", out.string()), temp.path());
  EXPECT_EQ(cxx.exitCode, 0) << "NAME.h does not compile as C++: " << cxx.stderrText;
  RunResult run = runCommand(
      fmt::format("'{}' '{}/first.weights' '{}/second.weights'", (temp / "both").string(), out.string(), out.string()),
      temp.path());
  EXPECT_EQ(run.exitCode, 0) << run.stderrText;
  EXPECT_EQ(run.stdoutText, "first ran: 1 outputs\nsecond ran: 1 outputs\n");
}

TEST(AotArtifact, CApiContractFromMemoryConcurrentSessionsAndBadArguments) {
  TempDir temp;
  Artifact artifact = compileModel(sharedModel("sepnet") / "model.onnx", temp / "out", "m");
  fs::path program = temp / "api_contract";
  RunResult link = runCommand(
      fmt::format(
          "{} -std=c99 -O2 -Wall -Wextra -Werror -I'{}' -DMODEL=m -DMODEL_UPPER=M '{}/tests/aot/api_contract.c' "
          "'{}' -lm -lpthread -o '{}'",
          CONVOPT_TEST_C_COMPILER, artifact.dir.string(), CONVOPT_SOURCE_DIR, (artifact.dir / artifact.code).string(),
          program.string()),
      temp.path());
  ASSERT_EQ(link.exitCode, 0) << link.stderrText;
  RunResult run =
      runCommand(fmt::format("'{}' '{}'", program.string(), (artifact.dir / "m.weights").string()), temp.path());
  EXPECT_EQ(run.exitCode, 0) << run.stderrText;
  EXPECT_EQ(run.stdoutText, "api contract: ok\n");
}

// Runs the driver on `weights`; returns its stderr (the status string), expecting exit 1.
std::string loadFailure(const Artifact& artifact, const fs::path& driver, const std::string& weights) {
  RunResult run = runCommand(fmt::format("'{}' '{}'", driver.string(), weights), artifact.dir.parent_path());
  EXPECT_EQ(run.exitCode, 1) << weights;
  return run.stderrText;
}

TEST(AotArtifact, WeightsProblemsAreStatusCodesNeverACrash) {
  TempDir temp;
  Artifact artifact = compileModel(sharedModel("sepnet") / "model.onnx", temp / "a", "m");
  compileModel(sharedModel("sepnet_merged") / "model.onnx", temp / "b", "m");
  fs::path driver = linkDriver(artifact);
  std::string weights = readFile(temp / "a" / "m.weights");
  writeFile(temp / "truncated.weights", weights.substr(0, weights.size() - 100));
  std::string flipped = weights;
  flipped[flipped.size() / 2] ^= 1;
  writeFile(temp / "flipped.weights", flipped);
  writeFile(temp / "longer.weights", weights + "x");
  EXPECT_NE(loadFailure(artifact, driver, (temp / "missing.weights").string()).find("cannot be opened"),
            std::string::npos);
  EXPECT_NE(loadFailure(artifact, driver, (temp / "truncated.weights").string()).find("truncated or corrupt"),
            std::string::npos);
  EXPECT_NE(loadFailure(artifact, driver, (temp / "flipped.weights").string()).find("truncated or corrupt"),
            std::string::npos);
  EXPECT_NE(loadFailure(artifact, driver, (temp / "longer.weights").string()).find("truncated or corrupt"),
            std::string::npos);
  EXPECT_NE(loadFailure(artifact, driver, (temp / "b" / "m.weights").string()).find("another compile"),
            std::string::npos);
  EXPECT_NE(loadFailure(artifact, driver, "-").find("without --embed-weights"), std::string::npos);
}

TEST(AotArtifact, ModelLoadRefusesAHostThatLacksTheCompiledInstructionSet) {
  if (!codegen::selectTarget().triple.starts_with("x86_64")) GTEST_SKIP() << "an x86-64 host is needed";
  TempDir temp;
  bool hostHasAvx512 = codegen::hostCanRun(codegen::selectTarget("x86-64-v4"));
  Artifact artifact = compileModel(sharedModel("sepnet") / "model.onnx", temp / "out", "m", "--cpu x86-64-v4");
  fs::path driver = linkDriver(artifact);
  RunResult run =
      runCommand(fmt::format("'{}' '{}'", driver.string(), (temp / "out" / "m.weights").string()), temp.path());
  if (hostHasAvx512) {
    EXPECT_EQ(run.exitCode, 0) << run.stderrText;  // and no SIGILL where the host has AVX-512
  } else {
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_NE(run.stderrText.find("lacks an instruction set extension"), std::string::npos) << run.stderrText;
  }
}

// The kernel choices `bench --tune` measured are taken for the thread count
// the artifact is meant to run at (--threads): here a tuning cache entry puts
// the 16-channel 3x3 conv, which the estimate keeps direct, in the Winograd
// domain at 1 thread; at 2 threads nothing was measured and the estimate stays.
TEST(AotCompile, TakesTheKernelChoicesMeasuredForItsThreadCount) {
  TempDir temp;
  writeFile(temp / "c.onnx", conv3x3ModelBytes());
  nlohmann::json cache;
  cache["version"] = 1;
  cache["hosts"][codegen::tuningHostKey("", 1)]["winograd"]["n1_conv3x3_s1_d1_g1_c16x10x10_o16_p1_1_1_1"] = 4;
  fs::create_directories(temp / "cache");
  writeFile(temp / "cache" / "tuning.json", cache.dump());
  auto compile = [&](int threads) {
    return runCommand(
        fmt::format("CONVOPT_CACHE_DIR='{}' '{}' compile '{}' -o '{}' --no-optimize --explain --threads {}",
                    (temp / "cache").string(), CONVOPT_BINARY, (temp / "c.onnx").string(), (temp / "out").string(),
                    threads),
        temp.path());
  };
  RunResult one = compile(1);
  ASSERT_EQ(one.exitCode, 0) << one.stderrText;
  EXPECT_NE(one.stdoutText.find("entries of this host's tuning cache: 1,"), std::string::npos) << one.stdoutText;
  EXPECT_NE(one.stdoutText.find("winograd F(4x4,3x3) input transform"), std::string::npos) << one.stdoutText;
  RunResult two = compile(2);
  ASSERT_EQ(two.exitCode, 0) << two.stderrText;
  EXPECT_EQ(two.stdoutText.find("winograd F(4x4,3x3)"), std::string::npos) << two.stdoutText;
  EXPECT_NE(two.stdoutText.find("(winograd: estimated slower than direct convolution)"), std::string::npos)
      << two.stdoutText;
}

// LLVM optimises the kernels in the same parts on any number of threads: the
// object is the same bytes (a build machine's cores do not change what ships).
TEST(AotCompile, TheObjectIsTheSameWhateverTheJobs) {
  if (std::thread::hardware_concurrency() < 2)
    GTEST_SKIP() << "this host has one hardware thread: -j 3 would optimise on one thread too";
  TempDir temp;
  std::string objects[2];
  for (int jobs : {1, 3}) {
    Artifact artifact = compileModel(sharedModel("sepnet") / "model.onnx", temp / std::to_string(jobs), "m",
                                     fmt::format("-j {}", jobs));
    objects[jobs / 2] = readFile(artifact.dir / artifact.code);
  }
  EXPECT_FALSE(objects[0].empty());
  EXPECT_TRUE(objects[0] == objects[1]) << "compile -j 1 and -j 3 wrote different objects";
}

// Tensor names become C string literals and comments in NAME.h: any name ONNX
// allows keeps it valid C99 and C++11 (quotes, "*/", "??/", which pre-C++17
// compilers read as a trigraph for a backslash).
TEST(AotCompile, TheHeaderOfAnyTensorNamesIsStrictC99AndCpp11) {
  TempDir temp;
  onnx::ModelProto proto;
  proto.ParseFromString(textModelBytes(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2] x) => (float[2] y)
{
  y = Relu (x)
}
)"));
  const std::string name = std::string("y \"*/ /* ?") + "?/ ?? \\";  // split: no trigraph in this file
  proto.mutable_graph()->mutable_node(0)->set_output(0, name);
  proto.mutable_graph()->mutable_output(0)->set_name(name);
  writeFile(temp / "names.onnx", proto.SerializeAsString());
  RunResult result = runConvopt(
      fmt::format("compile '{}' -o '{}' --name names", (temp / "names.onnx").string(), (temp / "out").string()),
      temp.path());
  ASSERT_EQ(result.exitCode, 0) << result.stderrText;
  for (const char* compiler : {"cc -std=c99 -x c", "c++ -std=c++11 -x c++"}) {
    RunResult check = runCommand(
        fmt::format("{} -Wall -Werror -pedantic -fsyntax-only '{}'", compiler, (temp / "out" / "names.h").string()),
        temp.path());
    EXPECT_EQ(check.exitCode, 0) << compiler << "\n" << check.stderrText;
  }
}

TEST(AotCompile, BadInputExitsTwoNamingTheProblemAndWritesNothing) {
  TempDir temp;
  writeFile(temp / "cos.onnx", textModelBytes(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[1,8,4,4] x) => (float[1,8,4,4] y)
{
  y = Cos (x)
}
)"));
  fs::create_directories(temp / "out");
  struct Case {
    std::string args, message;
  } cases[] = {
      {fmt::format("'{}' -o '{}'", (temp / "cos.onnx").string(), (temp / "out").string()),
       "node Cos(y) (Cos) has no generated kernel"},
      {fmt::format("'{}' -o '{}' --name 9lives", (temp / "cos.onnx").string(), (temp / "out").string()),
       "not a C identifier"},
      {fmt::format("'{}/model.onnx' -o '{}/cos.onnx/dir'", sharedModel("sepnet").string(), temp.path().string()),
       "cannot write into"},
      {fmt::format("'{}/model.onnx' -o '{}' --cpu no-such-cpu", sharedModel("sepnet").string(),
                   (temp / "out").string()),
       "unknown CPU"},
      {fmt::format("'{}/model.onnx' -o '{}' --target-triple riscv64-linux-gnu", sharedModel("sepnet").string(),
                   (temp / "out").string()),
       "not an x86-64 or AArch64 triple"},
  };
  for (const Case& c : cases) {
    RunResult result = runConvopt("compile " + c.args, temp.path());
    EXPECT_EQ(result.exitCode, 2) << c.args << "\n" << result.stderrText;
    EXPECT_NE(result.stderrText.find(c.message), std::string::npos) << c.args << "\n" << result.stderrText;
  }
  EXPECT_TRUE(fs::is_empty(temp / "out")) << "a failed compile left files behind";
}

TEST(AotCompile, AArch64BuildsRunUnderQemuAndMatchTheGoldens) {
  if (!haveProgram("aarch64-linux-gnu-gcc") || !haveProgram("qemu-aarch64"))
    GTEST_SKIP() << "needs aarch64-linux-gnu-gcc (Debian gcc-aarch64-linux-gnu) and qemu-aarch64 (qemu-user)";
  for (const char* name : {"sepnet", "mobilenet_v2_lite", "resnet18_w025"}) {
    runtime::TestDataSet data = runtime::loadTestDataSet(sharedModel(name) / "test_data_set_0");
    TempDir temp;
    Artifact artifact = compileModel(sharedModel(name) / "model.onnx", temp / "out", "m",
                                     "--target-triple aarch64-linux-gnu --cpu cortex-a76");
    std::vector<ir::Tensor> outputs = runDriver(artifact, linkDriver(artifact), (temp / "out" / "m.weights").string(),
                                                data.inputs, dimsOf(data.outputs), 2);
    runtime::Comparison c = runtime::compareTensors(outputs.at(0), data.outputs.at(0), {});
    EXPECT_TRUE(c.ok) << name << ": " << c.failures << " elements outside tolerance, max abs error " << c.maxAbsError;
  }
}

}  // namespace
}  // namespace convopt::testing
