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
  tight.tolerance = 1e-5f, tight.runtimeInputs = 2;
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[3,50,40] x, float[2,20,6,7] v, float[1,40] gamma, float[50] s, float[50] b, float[20] s4, float[20] b4)
  => (float[3,50,40] y, float[3,50,40] z, float[2,20,6,7] w)
<float offset = {1000.0}>
{
  o = Add (x, offset)
  y = LayerNormalization (o, gamma)
  z = InstanceNormalization (o, s, b)
  p = Add (v, offset)
  w = InstanceNormalization (p, s4, b4)
}
)",
                                              GetParam(), tight);
  EXPECT_EQ(has(explain, "LayerNormalization(y): LayerNormalization -> kernel"), "");
  EXPECT_EQ(has(explain, "InstanceNormalization(z): InstanceNormalization -> kernel"), "");
  EXPECT_EQ(has(explain,
                "InstanceNormalization(w): InstanceNormalization -> kernel k4_normalization (20 channels of 42 "
                "pixels, blocked)"),
            "");
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
  runtimeScale.runtimeInputs = 3;  // gamma and s too
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[4,8,3] x, float[3] gamma, float[8] s, float[3] beta, float[8] b) => (float[4,8,3] y, float[4,8,1] mean,
                                                                              float[4,8,3] i)
{
  y = LayerNormalization (x, gamma)
  z, mean = LayerNormalization (x, beta)
  i = InstanceNormalization (x, s, b)
}
)",
                                              GetParam(), runtimeScale);
  EXPECT_EQ(has(explain,
                "LayerNormalization(y): LayerNormalization -> FALLBACK to the reference interpreter (scale or "
                "bias is not a float constant broadcast onto the normalized dims)"),
            "");
  EXPECT_EQ(has(explain,
                "LayerNormalization(z): LayerNormalization -> FALLBACK to the reference interpreter (its "
                "Mean or InvStdDev output is read)"),
            "");
  EXPECT_EQ(has(explain,
                "InstanceNormalization(i): InstanceNormalization -> FALLBACK to the reference interpreter "
                "(scale or bias is not a float constant of one value per channel)"),
            "");
  // Group norm scales of the wrong count (opset 18 takes one per group) and a rank-2 instance norm.
  explain = testing::explainEngine(R"(<ir_version: 8, opset_import: ["" : 18]>
g (float[2,6,5] x, float[6] s, float[6] b, float[2,6] f, float[6] c) => (float[2,6,5] y, float[2,6] z)
{
  y = GroupNormalization <num_groups = 3> (x, s, b)
  z = InstanceNormalization (f, c, c)
}
)",
                                   GetParam());
  EXPECT_EQ(has(explain,
                "GroupNormalization(y): GroupNormalization -> FALLBACK to the reference interpreter (scale or "
                "bias is not a float constant of 3 values)"),
            "");
  EXPECT_EQ(has(explain,
                "InstanceNormalization(z): InstanceNormalization -> FALLBACK to the reference interpreter "
                "(rank below 3)"),
            "");
}
INSTANTIATE_TEST_SUITE_P(Targets, Normalization, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
