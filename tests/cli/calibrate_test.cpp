// `convopt calibrate` end to end: a table optimize reads, and clear errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "passes/cost_table.h"
#include "tests/support/cli_helpers.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt {
namespace {

using ::testing::HasSubstr;
using testing::runConvopt;

TEST(Calibrate, MeasuresATableThatOptimizeReads) {
  testing::TempDir dir;
  std::string table = (dir / "convopt.json").string();
  auto r = runConvopt(fmt::format("calibrate -o '{}' --runs 1", table), dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_THAT(r.stdoutText, HasSubstr("calibrating convopt at 1 thread(s)"));
  EXPECT_THAT(r.stdoutText, HasSubstr("grouped3x3_c128_g32"));
  passes::CostTable measured = passes::loadCostTable(table);
  EXPECT_EQ(measured.runtime, "convopt");
  EXPECT_EQ(measured.threads, 1);
  EXPECT_FALSE(measured.host.empty());
  EXPECT_EQ(measured.rates.size(), passes::builtinCostTable("convopt").rates.size());

  testing::writeFile(dir / "m.onnx", testing::textModelBytes(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,8,8] x) => (float[1,4,8,8] y)
<float[4,4,1,1] w = {1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0, 7, 8}>
{
  y = Conv (x, w)
}
)"));
  std::string report = (dir / "report.json").string();
  auto optimized = runConvopt(fmt::format("optimize '{}' -o '{}' --cost-table '{}' --report '{}'",
                                          (dir / "m.onnx").string(), (dir / "out.onnx").string(), table, report),
                              dir.path());
  ASSERT_EQ(optimized.exitCode, 0) << optimized.stderrText;
  EXPECT_EQ(nlohmann::json::parse(testing::readFile(report))["cost_model"]["source"], table);
}

TEST(Calibrate, OnnxruntimeWithoutItsPackageIsAClearErrorAndWritesNothing) {
  testing::TempDir dir;
  std::string table = (dir / "ort.json").string();
  std::string missing = (dir / "no_node_modules").string();
  auto r =
      runConvopt(fmt::format("calibrate --for onnxruntime --node-modules '{}' -o '{}'", missing, table), dir.path());
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_THAT(r.stderrText, HasSubstr("onnxruntime-node is not installed in '" + missing + "'"));
  EXPECT_FALSE(std::filesystem::exists(table));
}

}  // namespace
}  // namespace convopt
