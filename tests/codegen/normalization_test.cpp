// LayerNormalization and InstanceNormalization kernels (kernels/normalization_kernel.h)
// against the reference interpreter: rows with masked tails, scale and bias
// broadcast onto the normalized dims, instance norm blocked after a conv (channels
// off the vector width) and in plain rows (a 3-D group norm as exporters write
// it), GroupNormalization's scale per group (opset 18) and per channel (21), and
// each refusal, which falls back naming why.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::has;

class Normalization : public TargetTest<const char*> {};

TEST_P(Normalization, LayerNormOverTheLastAxisWithATail) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,5,37] x, float[37] gamma, float[37] beta) => (float[2,5,37] y)
{
  y = LayerNormalization <epsilon = 0.001> (x, gamma, beta)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "LayerNormalization(y): LayerNormalization -> kernel k0_normalization (10 rows of 37)"), "");
}

TEST_P(Normalization, LayerNormOverTrailingAxesBroadcastsItsScaleAndLacksABias) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3,4,5] x, float[4,1] gamma) => (float[2,3,4,5] y)
{
  y = LayerNormalization <axis = -3> (x, gamma)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "LayerNormalization(y): LayerNormalization -> kernel k0_normalization (2 rows of 60)"), "");
}

// Data far from 0 (1000 + x) and a scale of shape [1, D] (leading 1s beyond the
// normalized dims, as onnxruntime takes them): the mean from deviations of each
// group's first value keeps the normalized values to 1e-5.
TEST_P(Normalization, OffsetDataStaysAccurateAndAScaleMayHaveLeadingOnes) {
  testing::ReferenceCheck tight;
  tight.tolerance = 1e-5f;
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[3,50,40] x, float[1,40] gamma, float[50] s, float[50] b) => (float[3,50,40] y, float[3,50,40] z)
<float offset = {1000.0}>
{
  o = Add (x, offset)
  y = LayerNormalization (o, gamma)
  z = InstanceNormalization (o, s, b)
}
)",
                                              GetParam(), tight);
  EXPECT_EQ(has(explain, "LayerNormalization(y): LayerNormalization -> kernel"), "");
  EXPECT_EQ(has(explain, "InstanceNormalization(z): InstanceNormalization -> kernel"), "");
}

TEST_P(Normalization, InstanceNormAfterAConvStaysBlocked) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3,13,11] x, float[20,3,3,3] w, float[20] s, float[20] b) => (float[2,20,13,11] z)
{
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  y = InstanceNormalization <epsilon = 0.0001> (c, s, b)
  z = Relu (y)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain,
                "InstanceNormalization(y): InstanceNormalization -> kernel k1_normalization (20 channels of "
                "143 pixels, blocked)"),
            "");
  EXPECT_EQ(explain.find("reorder"), std::string::npos) << explain;
}

TEST_P(Normalization, GroupNormAsExportersSpellItNormalizesPlainRows) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,6,9,10] x, float[6,1,1] gamma, float[6,1,1] beta) => (float[2,6,9,10] y)
<int64[3] groups = {2, 3, -1}, int64[4] back = {2, 6, 9, 10}, float[3] ones = {1, 1, 1}, float[3] zeros = {0, 0, 0}>
{
  r = Reshape (x, groups)
  n = InstanceNormalization (r, ones, zeros)
  u = Reshape (n, back)
  m = Mul (u, gamma)
  y = Add (m, beta)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "InstanceNormalization(n): InstanceNormalization -> kernel k0_normalization (6 rows of 180)"),
            "");
}

TEST_P(Normalization, GroupNormScalesPerGroupAt18AndPerChannelFrom21) {
  // Planes of 35 pixels: each channel's run of a group's row starts off the vector width.
  for (auto [opset, parameters] : {std::pair{18, 3}, {21, 6}}) {
    std::string explain = expectSameAsReference(fmt::format(R"(<ir_version: 10, opset_import: ["" : {0}]>
g (float[2,6,5,7] x, float[{1}] s, float[{1}] b) => (float[2,6,5,7] y)
{{
  y = GroupNormalization <num_groups = 3, epsilon = 0.001> (x, s, b)
}}
)",
                                                            opset, parameters),
                                                GetParam());
    EXPECT_EQ(has(explain, "GroupNormalization(y): GroupNormalization -> kernel k0_normalization (6 rows of 70)"), "");
  }
}

TEST_P(Normalization, RefusalsFallBackSayingWhy) {
  testing::ReferenceCheck runtimeScale;
  runtimeScale.runtimeInputs = 2;
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[4,8] x, float[8] gamma) => (float[4,8] y, float[4,1] mean)
{
  y = LayerNormalization (x, gamma)
  z, mean = LayerNormalization (x, gamma)
}
)",
                                              GetParam(), runtimeScale);
  EXPECT_EQ(has(explain, "scale or bias is not a float constant broadcast onto the normalized dims"), "");
  EXPECT_EQ(has(explain, "its Mean or InvStdDev output is read"), "");
}

INSTANTIATE_TEST_SUITE_P(Targets, Normalization, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
