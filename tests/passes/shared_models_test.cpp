// Acceptance: the default pipeline on every shared model. Structured models
// reach the MANIFEST's "after ideal rewrite" conv counts, all others keep
// theirs; every optimized model still matches its golden output on the
// reference interpreter.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "ir/model_summary.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"
#include "runtime/compare.h"
#include "runtime/reference/interpreter.h"
#include "runtime/tensor_file.h"

namespace convopt::passes {
namespace {

const std::filesystem::path kModels = CONVOPT_SHARED_MODELS;

nlohmann::json manifest() {
  std::ifstream in(kModels / "manifest.json");
  return nlohmann::json::parse(in);
}

std::vector<std::string> modelNames() {
  std::vector<std::string> names;
  if (!std::filesystem::exists(kModels / "manifest.json")) return names;
  for (const auto& entry : manifest()) names.push_back(entry["name"]);
  return names;
}

// MANIFEST kind names for the IR's kinds.
std::map<std::string, int64_t> manifestCounts(const ir::ModelSummary& summary) {
  std::map<std::string, int64_t> counts;
  for (const auto& [kind, count] : summary.convCounts) {
    if (count == 0) continue;
    std::string name = kind == ir::ConvKind::Pointwise ? "dense1x1"
                       : kind == ir::ConvKind::Dense   ? "densekxk"
                                                       : std::string(ir::convKindName(kind));
    counts[name] = count;
  }
  return counts;
}

class SharedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(SharedModel, DefaultPipelineReachesTheIdealCountsAndKeepsTheGoldenOutput) {
  nlohmann::json entry;
  for (const auto& e : manifest())
    if (e["name"] == GetParam()) entry = e;
  std::filesystem::path dir = kModels / GetParam();
  ir::Model model = ir::loadModel(dir / "model.onnx");
  runtime::TestDataSet data = runtime::loadTestDataSet(dir / "test_data_set_0");
  const ir::Tensor& input = data.inputs.at(0);
  std::string inputName = model.graph->inputs()[0]->name();
  ir::applyInputShape(model, fmt::format("{}={}", inputName, fmt::join(input.dims(), "x")));

  runPipeline(model, defaultPipelineNames());

  std::map<std::string, int64_t> expected;
  for (const auto& [kind, count] : entry["census"]["after"].items())
    if (count.get<int64_t>() > 0) expected[kind] = count;
  EXPECT_EQ(manifestCounts(ir::summarizeModel(model)), expected);

  runtime::TensorMap outputs = runtime::runReference(model, {{inputName, input}});
  // The golden outputs come from onnxruntime; the tolerance is the one `convopt run --check` uses.
  runtime::Comparison c =
      runtime::compareTensors(outputs.at(model.graph->outputs()[0]->name()), data.outputs.at(0), runtime::Tolerance{});
  EXPECT_TRUE(c.ok) << c.mismatch << " max abs error " << c.maxAbsError << ", max rel error " << c.maxRelError << ", "
                    << c.failures << " elements beyond tolerance";
}

INSTANTIATE_TEST_SUITE_P(Manifest, SharedModel, ::testing::ValuesIn(modelNames()),
                         [](const auto& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SharedModel);

}  // namespace
}  // namespace convopt::passes
