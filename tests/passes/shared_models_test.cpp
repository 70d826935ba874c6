// Acceptance: the default pipeline on every shared model. Structured models
// reach the MANIFEST's "after ideal rewrite" conv counts, all others keep
// theirs; every optimized model still matches its golden output on the
// reference interpreter.
#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "ir/model_summary.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "ir/tensor_proto.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"
#include "runtime/reference/interpreter.h"

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

ir::Tensor readTensor(const std::filesystem::path& path) {
  onnx::TensorProto proto;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(proto.ParseFromIstream(&in)) << path;
  return ir::tensorFromProto(proto, path.parent_path());
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
  ir::Tensor input = readTensor(dir / "test_data_set_0" / "input_0.pb");
  ir::Tensor golden = readTensor(dir / "test_data_set_0" / "output_0.pb");
  std::string inputName = model.graph->inputs()[0]->name();
  ir::applyInputShape(model, fmt::format("{}={}", inputName, fmt::join(input.dims(), "x")));

  runPipeline(model, defaultPipelineNames());

  std::map<std::string, int64_t> expected;
  for (const auto& [kind, count] : entry["census"]["after"].items())
    if (count.get<int64_t>() > 0) expected[kind] = count;
  EXPECT_EQ(manifestCounts(ir::summarizeModel(model)), expected);

  runtime::TensorMap outputs = runtime::runReference(*model.graph, {{inputName, input}});
  std::vector<float> actual = outputs.at(model.graph->outputs()[0]->name()).toFloatVector();
  std::vector<float> reference = golden.toFloatVector();
  ASSERT_EQ(actual.size(), reference.size());
  double scale = 1, diff = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    scale = std::max(scale, static_cast<double>(std::abs(reference[i])));
    diff = std::max(diff, static_cast<double>(std::abs(actual[i] - reference[i])));
  }
  EXPECT_LE(diff, 1e-3 * scale) << "max |optimized - golden| " << diff << ", max |golden| " << scale;
}

INSTANTIATE_TEST_SUITE_P(Manifest, SharedModel, ::testing::ValuesIn(modelNames()),
                         [](const auto& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SharedModel);

}  // namespace
}  // namespace convopt::passes
