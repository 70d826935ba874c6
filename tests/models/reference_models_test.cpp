// Every shared model passes `convopt run MODEL/model.onnx --check
// MODEL/test_data_set_0` with the reference engine (goldens: onnxruntime 1.30)
// at the CLI's default tolerance. One ctest per model (label `models`).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "tests/support/ir_shared_models.h"

namespace convopt {
namespace {

namespace fs = std::filesystem;

class ReferenceModel : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceModel, MatchesOnnxruntimeGolden) {
  fs::path dir = fs::path(CONVOPT_SHARED_MODELS) / GetParam();
  std::string command = fmt::format("'{}' run --engine reference '{}' --check '{}'", CONVOPT_BINARY,
                                    (dir / "model.onnx").string(), (dir / "test_data_set_0").string());
  int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << command;
}

INSTANTIATE_TEST_SUITE_P(Shared, ReferenceModel, ::testing::ValuesIn(convopt::testing::sharedModelNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ReferenceModel);

}  // namespace
}  // namespace convopt
