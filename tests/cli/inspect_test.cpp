// `convopt inspect` and `convopt optimize` end to end through the binary.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/cli_helpers.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt {
namespace {

namespace fs = std::filesystem;
using testing::runConvopt;

// The issue's arithmetic example next to its group-1 twin, after a Relu.
constexpr const char* kTwoConvs = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,4,4] x, float[6,4,1,1] wg, float[6] b, float[6,8,1,1] wd) => (float[1,6,4,4] y, float[1,6,4,4] z)
{
  r = Relu (x)
  y = Conv <group = 2> (r, wg, b)
  z = Conv (r, wd, b)
}
)";

TEST(Inspect, HumanReportWithAlignedConvTable) {
  testing::TempDir dir;
  testing::writeFile(dir / "m.onnx", testing::textModelBytes(kTwoConvs));
  auto r = runConvopt(fmt::format("inspect '{}'", (dir / "m.onnx").string()), dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_EQ(r.stdoutText, fmt::format(R"(model:   {}
opsets:  ai.onnx 13
input:   x float[1,8,4,4]
input:   wg float[6,4,1,1]
input:   b float[6]
input:   wd float[6,8,1,1]
output:  y float[1,6,4,4]
output:  z float[1,6,4,4]
ops:     Conv 2, Relu 1
params:  0
MACs:    1152 (Conv, Gemm, MatMul)
convs:   2 (dense 0, pointwise 1, grouped 1, depthwise 0)

name     kind       C_in  C_out  group  kernel  strides  dilations     pads  out HxW  weights  bias  MACs
Conv(y)  grouped       8      6      2     1x1      1,1        1,1  0,0,0,0      4x4       24     6   384
Conv(z)  pointwise     8      6      1     1x1      1,1        1,1  0,0,0,0      4x4       48     6   768
)",
                                      (dir / "m.onnx").string()));
}

TEST(Inspect, JsonTotalsAndInputShapeOverride) {
  testing::TempDir dir;
  fs::path model = fs::path(CONVOPT_SHARED_MODELS) / "ppocr_mobile_v2_cls" / "model.onnx";
  auto dynamic = runConvopt(fmt::format("inspect --json '{}'", model.string()), dir.path());
  ASSERT_EQ(dynamic.exitCode, 0) << dynamic.stderrText;
  nlohmann::json j = nlohmann::json::parse(dynamic.stdoutText);
  EXPECT_TRUE(j["totals"]["macs"].is_null());  // batch and spatial dims are symbolic
  EXPECT_EQ(j["inputs"][0]["shape"][0], "p2o.DynamicDimension.0");
  EXPECT_EQ(j["totals"]["depthwise"], 11);

  auto fixed = runConvopt(fmt::format("inspect --json --input-shape x=1x3x48x192 '{}'", model.string()), dir.path());
  ASSERT_EQ(fixed.exitCode, 0) << fixed.stderrText;
  j = nlohmann::json::parse(fixed.stdoutText);
  EXPECT_TRUE(j["totals"]["macs"].is_number());
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json::parse("[1, 3, 48, 192]"));
  EXPECT_EQ(j["convs"][0]["output_shape"], nlohmann::json::parse("[24, 96]"));

  auto text = runConvopt(fmt::format("inspect '{}'", model.string()), dir.path());
  EXPECT_NE(text.stdoutText.find("MACs:    unknown (dims are dynamic; fix them with --input-shape"), std::string::npos);

  auto bad = runConvopt(fmt::format("inspect --input-shape y=1x3 '{}'", model.string()), dir.path());
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_EQ(bad.stderrText, "convopt: error: --input-shape: the model has no graph input 'y'\n");
}

TEST(Optimize, WritesAnEquivalentModelAndLeavesTheInputAlone) {
  testing::TempDir dir;
  testing::writeFile(dir / "in.onnx", testing::textModelBytes(kTwoConvs));
  std::string before = testing::readFile(dir / "in.onnx");
  auto r = runConvopt(fmt::format("optimize '{}' -o '{}'", (dir / "in.onnx").string(), (dir / "out.onnx").string()),
                      dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.stderrText;
  EXPECT_EQ(testing::readFile(dir / "in.onnx"), before);
  auto dumpIn = runConvopt(fmt::format("inspect --ir '{}'", (dir / "in.onnx").string()), dir.path());
  auto dumpOut = runConvopt(fmt::format("inspect --ir '{}'", (dir / "out.onnx").string()), dir.path());
  EXPECT_EQ(dumpOut.stdoutText, dumpIn.stdoutText);
}

}  // namespace
}  // namespace convopt
