// The registry, pipeline text, default pipeline and pass manager.
#include "passes/pass_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "passes/pass_registry.h"
#include "passes/pipeline.h"

namespace convopt::passes {
namespace {

TEST(PassRegistry, EveryRegisteredPassIsCreatedUnderItsName) {
  ASSERT_EQ(registeredPasses().size(), 11u);
  for (const PassInfo& info : registeredPasses()) EXPECT_EQ(createPass(info.name)->name(), info.name);
}

TEST(PassRegistry, UnknownPassIsAnInputErrorListingTheKnownOnes) {
  try {
    createPass("fold-everything");
    FAIL() << "an unknown pass must be rejected";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("unknown pass 'fold-everything' (known passes: dce, "));
  }
}

TEST(Pipeline, TextIsSplitOnCommasAndTrimmed) {
  EXPECT_EQ(parsePipeline("fold-pad, dce"), (std::vector<std::string>{"fold-pad", "dce"}));
  EXPECT_THROW(parsePipeline("fold-pad,,dce"), InputError);
  EXPECT_THROW(parsePipeline(","), InputError);
  // An empty list is the empty pipeline (issue 13: `--passes=` is a pure round trip).
  EXPECT_TRUE(parsePipeline("").empty());
  EXPECT_TRUE(parsePipeline(" ").empty());
}

TEST(Pipeline, DefaultPipelineNamesRegisteredPassesWithAReason) {
  for (const PipelineEntry& entry : defaultPipeline()) {
    EXPECT_NO_THROW(createPass(entry.pass));
    EXPECT_FALSE(entry.why.empty()) << entry.pass;
  }
  EXPECT_EQ(defaultPipelineNames().back(), "dce");
}

TEST(PassManager, RunsPassesInOrderWithStatisticsAndAHookAfterEach) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  a = Identity (x)
  dead = Neg (a)
  z = Relu (a)
}
)");
  std::vector<std::string> seen;
  PassManagerOptions options;
  options.afterPass = [&](std::string_view pass, const ir::Model& m) {
    seen.push_back(std::string(pass) + ":" + std::to_string(m.graph->numNodes()));
  };
  std::vector<PassStatistics> stats = runPipeline(model, {"eliminate-identity", "dce"}, options);
  EXPECT_EQ(seen, (std::vector<std::string>{"eliminate-identity:2", "dce:1"}));
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].rewritten, 1);
  EXPECT_EQ(stats[1].rewritten, 1);
  std::string table = formatStatistics(stats, true);
  EXPECT_THAT(table, ::testing::HasSubstr("eliminate-identity"));
}

TEST(PassManager, ExplainListsEveryRejectionUnderItsPass) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  z = Identity (x)
}
)");
  std::vector<PassStatistics> stats = runPipeline(model, {"eliminate-identity"});
  EXPECT_THAT(formatStatistics(stats, true),
              ::testing::HasSubstr("    rejected Identity(z): output is a graph output and its input is not"));
  EXPECT_THAT(formatStatistics(stats, false), ::testing::Not(::testing::HasSubstr("rejected Identity")));
}

}  // namespace
}  // namespace convopt::passes
