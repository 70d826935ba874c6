// The project's own test models (tests/models/generated/, made by
// tools/test_models and scripts/dev/make_test_models.sh with onnxruntime's
// outputs as goldens): 1-D convs, convs inside If and Loop bodies, dynamic
// batch. Each passes `convopt run --check` in both engines at 1 and 2 threads,
// before and after the default pipeline, which rewrites every structured conv
// (inside bodies too) and keeps the dynamic dims.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "ir/model_summary.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"
#include "tests/support/cli_helpers.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt {
namespace {

namespace fs = std::filesystem;

const fs::path kGenerated = fs::path(CONVOPT_SOURCE_DIR) / "tests" / "models" / "generated";

struct GeneratedModel {
  std::string name;
  std::string inputShape;  // the data sets' dims: what the cost model sizes convs at
  // Convs after the default pipeline, by "scope: kind" (scope "(main)" for the main graph).
  std::map<std::string, int64_t> convsAfter;
};

const std::vector<GeneratedModel> kModels = {
    // dw1, dw2 stored densely -> depthwise; sep (merged) -> depthwise + pointwise; grp -> grouped.
    {"audio_dwsep_1d",
     "audio=2x1x800",
     {{"(main): dense", 1}, {"(main): depthwise", 3}, {"(main): pointwise", 3}, {"(main): grouped", 1}}},
    // One conv per body, each with a structure: depthwise, grouped, grouped.
    {"branchy_control_flow",
     "x=2x8x16x16",
     {{"(main): dense", 1},
      {"If(picked)/then_branch: depthwise", 1},
      {"If(picked)/else_branch: grouped", 1},
      {"Loop(mixed)/body: grouped", 1}}},
    // sep (merged) -> depthwise + pointwise; Split -> Conv x2 -> Concat -> grouped.
    {"dynamic_batch_cnn",
     "image=2x3x32x32",
     {{"(main): dense", 1}, {"(main): depthwise", 1}, {"(main): pointwise", 1}, {"(main): grouped", 1}}},
    // Each block's pw1 and pw2 -> grouped (4), after a channel permutation.
    {"permuted_groups_cnn",
     "image=2x3x56x56",
     {{"(main): dense", 1}, {"(main): depthwise", 3}, {"(main): grouped", 6}}},
};

std::map<std::string, int64_t> convsByScopeAndKind(const ir::Model& model) {
  std::map<std::string, int64_t> counts;
  for (const ir::ConvInfo& conv : ir::summarizeModel(model).convs)
    ++counts[fmt::format("{}: {}", conv.scope.empty() ? "(main)" : conv.scope, ir::convKindName(conv.kind))];
  return counts;
}

std::vector<fs::path> dataSets(const std::string& name) {
  std::vector<fs::path> sets;
  for (const auto& entry : fs::directory_iterator(kGenerated / name))
    if (entry.is_directory()) sets.push_back(entry.path());
  std::sort(sets.begin(), sets.end());
  return sets;
}

void expectRunCheckPasses(const fs::path& model, const std::string& name) {
  testing::TempDir scratch;
  for (const fs::path& set : dataSets(name))
    for (const char* engine : {"reference", "jit"})
      for (int threads : {1, 2}) {
        SCOPED_TRACE(fmt::format("{} on {}, {} engine, {} threads", model.filename().string(), set.filename().string(),
                                 engine, threads));
        testing::RunResult r = testing::runConvopt(fmt::format("run '{}' --check '{}' --engine {} --threads {}",
                                                               model.string(), set.string(), engine, threads),
                                                   scratch.path());
        EXPECT_EQ(r.exitCode, 0) << r.stdoutText << r.stderrText;
      }
}

class Generated : public ::testing::TestWithParam<GeneratedModel> {};

TEST_P(Generated, RunCheckPassesInBothEnginesAtOneAndTwoThreads) {
  ASSERT_FALSE(dataSets(GetParam().name).empty());
  expectRunCheckPasses(kGenerated / GetParam().name / "model.onnx", GetParam().name);
}

TEST_P(Generated, DefaultPipelineRewritesEveryStructuredConvAndKeepsDynamicDims) {
  const GeneratedModel& m = GetParam();
  ir::Model model = ir::loadModel(kGenerated / m.name / "model.onnx");
  std::vector<ir::ValueType> inputTypes;
  for (const ir::Value* input : model.graph->inputs()) inputTypes.push_back(input->type);
  passes::PassManagerOptions options;
  options.pass.costingInputShapes = {m.inputShape};
  passes::runPipeline(model, passes::defaultPipelineNames(), options);
  EXPECT_EQ(convsByScopeAndKind(model), m.convsAfter);
  for (size_t i = 0; i < inputTypes.size(); ++i) EXPECT_EQ(model.graph->inputs()[i]->type, inputTypes[i]);
  testing::TempDir dir;
  ir::saveModel(model, dir / "optimized.onnx");
  expectRunCheckPasses(dir / "optimized.onnx", m.name);
}

// Every permutation the grouped rewrites need passes through the BatchNorms,
// Relus and depthwise convs between the blocks into a neighbouring conv.
TEST(GeneratedModels, PermutedGroupsLeaveNoGather) {
  ir::Model model = ir::loadModel(kGenerated / "permuted_groups_cnn" / "model.onnx");
  passes::PassManagerOptions options;
  options.pass.costingInputShapes = {"image=2x3x56x56"};
  passes::runPipeline(model, passes::defaultPipelineNames(), options);
  for (const ir::Node* node : model.graph->nodes()) EXPECT_NE(node->opType, "Gather") << node->label();
}

// The checked-in models are what the generator writes (their goldens were made from them).
TEST(GeneratedModels, AreWhatTheGeneratorWrites) {
  testing::TempDir dir;
  ASSERT_EQ(std::system(fmt::format("'{}' '{}'", CONVOPT_MAKE_TEST_MODELS, dir.path().string()).c_str()), 0);
  for (const GeneratedModel& m : kModels)
    EXPECT_EQ(testing::readFile(dir / m.name / "model.onnx"), testing::readFile(kGenerated / m.name / "model.onnx"))
        << m.name << ": run scripts/dev/make_test_models.sh";
}

INSTANTIATE_TEST_SUITE_P(Models, Generated, ::testing::ValuesIn(kModels),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace convopt
