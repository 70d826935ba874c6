// Every shared model, and every model of tests/models/generated (control flow,
// 1-D convolutions, a dynamic batch) on each of its data sets, compiled ahead
// of time (default pipeline, host CPU, the data set's dims), linked with
// examples/c/run_model.c by `cc`, run on its golden inputs at 1 and 2 threads:
// the outputs match onnxruntime's goldens within `run --check`'s tolerance
// (rtol 1e-4, atol 1e-5).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "runtime/compare.h"
#include "runtime/tensor_file.h"
#include "tests/aot/artifact_harness.h"
#include "tests/support/ir_shared_models.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt::testing {
namespace {
namespace fs = std::filesystem;

void expectArtifactMatchesGoldens(const fs::path& model, const fs::path& dataSet) {
  runtime::TestDataSet data = runtime::loadTestDataSet(dataSet);
  TempDir temp;
  std::string shapes;  // the data set's own dims (some models have dynamic ones)
  for (const ir::Tensor& input : data.inputs)
    shapes += fmt::format(" --input-shape '{}={}'", input.name, fmt::join(input.dims(), "x"));
  Artifact artifact = compileModel(model, temp / "out", "m", shapes);
  fs::path driver = linkDriver(artifact);
  for (int threads : {1, 2}) {
    std::vector<ir::Tensor> outputs =
        runDriver(artifact, driver, (temp / "out" / "m.weights").string(), data.inputs, dimsOf(data.outputs), threads);
    for (size_t i = 0; i < outputs.size(); ++i) {
      runtime::Comparison c = runtime::compareTensors(outputs[i], data.outputs[i], {});
      EXPECT_TRUE(c.ok) << dataSet << " output " << i << " at " << threads << " threads: " << c.failures
                        << " elements outside tolerance, max abs error " << c.maxAbsError << ", max rel "
                        << c.maxRelError << c.mismatch;
    }
  }
}

class AotSharedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(AotSharedModel, ObjectLinkedWithCcMatchesTheGoldensAtOneAndTwoThreads) {
  fs::path dir = fs::path(CONVOPT_SHARED_MODELS) / GetParam();
  expectArtifactMatchesGoldens(dir / "model.onnx", dir / "test_data_set_0");
}

INSTANTIATE_TEST_SUITE_P(Models, AotSharedModel, ::testing::ValuesIn(sharedModelNames()),
                         [](const auto& info) { return info.param; });

class AotGeneratedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(AotGeneratedModel, EveryDataSetMatchesTheGoldensAtOneAndTwoThreads) {
  fs::path dir = fs::path(CONVOPT_SOURCE_DIR) / "tests" / "models" / "generated" / GetParam();
  int dataSets = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().starts_with("test_data_set_")) {
      expectArtifactMatchesGoldens(dir / "model.onnx", entry.path());
      ++dataSets;
    }
  EXPECT_GT(dataSets, 0) << dir;
}

std::vector<std::string> generatedModelNames() {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(fs::path(CONVOPT_SOURCE_DIR) / "tests" / "models" / "generated"))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Models, AotGeneratedModel, ::testing::ValuesIn(generatedModelNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace convopt::testing
