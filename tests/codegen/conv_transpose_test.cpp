// ConvTranspose as phase convolutions (codegen/conv_transpose.h): the phase
// decomposition itself, then generated kernels against the reference
// interpreter over kernel sizes, strides, pads, dilations, output_padding,
// groups and bias on both targets, and each fallback condition.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "codegen/conv/conv_transpose.h"
#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::explainEngine;

TEST(ConvTransposePhases, Kernel4Stride2Pad1IsTwoTapConvPerPhase) {
  // o = 2t: taps k = 3 (x[t-1]) and k = 1 (x[t]); o = 2t+1: k = 2 (x[t]) and k = 0 (x[t+1]).
  std::vector<PhaseAxis> phases = axisPhases({5, 10, 4, 2, 1, 1});
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].taps, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(phases[0].pad, 1);
  EXPECT_EQ(phases[1].taps, (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(phases[1].pad, 0);
  EXPECT_EQ(phases[0].count, 5);
  EXPECT_EQ(phases[1].offset, 1);
}

TEST(ConvTransposePhases, DilationSharingAFactorWithTheStride) {
  // s = 2, d = 2: every tap lands on even offsets, so odd outputs get none.
  std::vector<PhaseAxis> phases = axisPhases({4, 11, 3, 2, 2, 0});
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].taps, (std::vector<int64_t>{2, 1, 0}));
  EXPECT_EQ(phases[0].dilation, 1);
  EXPECT_EQ(phases[0].pad, 2);
  EXPECT_EQ(phases[0].count, 6);
  EXPECT_TRUE(phases[1].taps.empty());
  EXPECT_EQ(phases[1].count, 5);
}

// Every field has a default, so a case names only what it sets (designated
// initializers, without GCC's -Wmissing-field-initializers).
struct TransposeCase {
  const char* name = "";
  int64_t batch = 1, inC = 0, outC = 0, h = 0, w = 0, kh = 0, kw = 0;
  std::vector<int64_t> strides = {1, 1}, pads = {0, 0, 0, 0}, dilations = {1, 1}, outputPadding = {0, 0};
  int64_t group = 1;
  bool bias = true;
  std::string extra = "";           // more attributes (output_shape, auto_pad)
  std::vector<int64_t> outHW = {};  // when `extra` sets the output size
};

int64_t outputSize(int64_t in, int64_t k, int64_t s, int64_t d, int64_t op, int64_t padSum) {
  return s * (in - 1) + op + (k - 1) * d + 1 - padSum;
}

std::string transposeModel(const TransposeCase& c) {
  int64_t oh = c.outHW.empty()
                   ? outputSize(c.h, c.kh, c.strides[0], c.dilations[0], c.outputPadding[0], c.pads[0] + c.pads[2])
                   : c.outHW[0];
  int64_t ow = c.outHW.empty()
                   ? outputSize(c.w, c.kw, c.strides[1], c.dilations[1], c.outputPadding[1], c.pads[1] + c.pads[3])
                   : c.outHW[1];
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[{0},{1},{3},{4}] x, float[{1},{5},{6},{7}] w{8}) => (float[{0},{2},{9},{10}] y)
{{
  y = ConvTranspose <kernel_shape = [{6}, {7}], strides = [{11}], pads = [{12}], dilations = [{13}], output_padding = [{14}], group = {15}{16}> (x, w{17})
}}
)",
                     c.batch, c.inC, c.outC, c.h, c.w, c.outC / c.group, c.kh, c.kw,
                     c.bias ? fmt::format(", float[{}] b", c.outC) : "", oh, ow, fmt::join(c.strides, ", "),
                     fmt::join(c.pads, ", "), fmt::join(c.dilations, ", "), fmt::join(c.outputPadding, ", "), c.group,
                     c.extra, c.bias ? ", b" : "");
}

const TransposeCase kCases[] = {
    {.name = "k2s2_decoder", .inC = 24, .outC = 24, .h = 9, .w = 7, .kh = 2, .kw = 2, .strides = {2, 2}},
    {.name = "k2s2_one_output_channel", .inC = 5, .outC = 1, .h = 6, .w = 5, .kh = 2, .kw = 2, .strides = {2, 2}},
    {.name = "k4s2p1_odd",
     .inC = 12,
     .outC = 20,
     .h = 5,
     .w = 6,
     .kh = 4,
     .kw = 4,
     .strides = {2, 2},
     .pads = {1, 1, 1, 1}},
    {.name = "k3s3_asymmetric_pads",
     .inC = 3,
     .outC = 10,
     .h = 4,
     .w = 5,
     .kh = 3,
     .kw = 3,
     .strides = {3, 3},
     .pads = {1, 0, 2, 1}},
    {.name = "k3s2d2_output_padding",
     .inC = 8,
     .outC = 9,
     .h = 5,
     .w = 4,
     .kh = 3,
     .kw = 3,
     .strides = {2, 2},
     .pads = {1, 1, 1, 1},
     .dilations = {2, 2},
     .outputPadding = {1, 1}},
    {.name = "k3s2d3",
     .inC = 7,
     .outC = 17,
     .h = 4,
     .w = 5,
     .kh = 3,
     .kw = 3,
     .strides = {2, 2},
     .pads = {2, 1, 0, 3},
     .dilations = {3, 3},
     .outputPadding = {1, 0}},
    {.name = "k3s1p1_like_conv", .inC = 17, .outC = 16, .h = 6, .w = 7, .kh = 3, .kw = 3, .pads = {1, 1, 1, 1}},
    {.name = "k1s2_empty_phases",
     .inC = 9,
     .outC = 11,
     .h = 4,
     .w = 3,
     .kh = 1,
     .kw = 1,
     .strides = {2, 2},
     .outputPadding = {1, 1}},
    {.name = "k2x3_s2x1_rectangular",
     .batch = 2,
     .inC = 6,
     .outC = 13,
     .h = 5,
     .w = 4,
     .kh = 2,
     .kw = 3,
     .strides = {2, 1},
     .pads = {0, 1, 1, 0}},
    {.name = "grouped_wide",
     .inC = 32,
     .outC = 32,
     .h = 4,
     .w = 5,
     .kh = 3,
     .kw = 3,
     .strides = {2, 2},
     .pads = {1, 1, 1, 1},
     .outputPadding = {1, 1},
     .group = 2},
    {.name = "grouped_narrow",
     .inC = 12,
     .outC = 6,
     .h = 5,
     .w = 5,
     .kh = 3,
     .kw = 3,
     .strides = {2, 2},
     .pads = {1, 1, 1, 1},
     .group = 3},
    {.name = "depthwise_k4s2p1",
     .inC = 10,
     .outC = 10,
     .h = 5,
     .w = 6,
     .kh = 4,
     .kw = 4,
     .strides = {2, 2},
     .pads = {1, 1, 1, 1},
     .group = 10,
     .bias = false},
    {.name = "no_bias", .inC = 8, .outC = 16, .h = 3, .w = 4, .kh = 3, .kw = 3, .strides = {2, 2}, .bias = false},
    {.name = "output_shape_bigger",
     .inC = 4,
     .outC = 8,
     .h = 4,
     .w = 4,
     .kh = 3,
     .kw = 3,
     .strides = {2, 2},
     .extra = ", output_shape = [11, 10]",
     .outHW = {11, 10}},
    {.name = "auto_pad_same_upper",
     .inC = 5,
     .outC = 6,
     .h = 4,
     .w = 3,
     .kh = 3,
     .kw = 3,
     .strides = {2, 2},
     .extra = ", auto_pad = \"SAME_UPPER\"",
     .outHW = {8, 6}},
};

class ConvTransposeKernel : public TargetTest<std::tuple<const char*, TransposeCase>> {};

TEST_P(ConvTransposeKernel, MatchesReference) {
  auto [cpu, c] = GetParam();
  std::string explain = expectSameAsReference(transposeModel(c), cpu);
  EXPECT_NE(explain.find("ConvTranspose -> kernel"), std::string::npos) << explain;
}

INSTANTIATE_TEST_SUITE_P(Sweep, ConvTransposeKernel,
                         ::testing::Combine(::testing::Values("x86-64-v3", "x86-64-v4"), ::testing::ValuesIn(kCases)),
                         [](const auto& info) {
                           return std::string(std::get<1>(info.param).name) + "_" +
                                  (std::string(std::get<0>(info.param)) == "x86-64-v3" ? "avx2" : "avx512");
                         });

class ConvTransposeEngine : public TargetTest<const char*> {};

TEST_P(ConvTransposeEngine, SiLUAndResidualFuseIntoTheKernel) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,5,5] x, float[8,12,2,2] w, float[12] b, float[8,12,4,4] w2) => (float[1,12,10,10] z)
{
  r = ConvTranspose <strides = [2, 2], pads = [1, 1, 1, 1]> (x, w2)
  y = ConvTranspose <strides = [2, 2]> (x, w, b)
  s = Sigmoid (y)
  m = Mul (y, s)
  z = Add (m, r)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("Mul(m): Mul -> fused into"), std::string::npos) << explain;
  EXPECT_NE(explain.find("Add(z): Add -> fused into"), std::string::npos) << explain;
  EXPECT_NE(explain.find("+ silu+add"), std::string::npos) << explain;
}

TEST_P(ConvTransposeEngine, ConstantPerChannelFollowersFuseAsAffineSteps) {
  // Paddle's export: bias as a separate Add, then BatchNormalization, then Relu;
  // and Sub / Mul / Div by per-channel constants, a scalar, reversed operands.
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,5,5] x, float[8,12,2,2] w, float[1,12,1,1] b, float[12] gamma, float[12] beta, float[12] mean,
   float[12] var, float[12,1,1] c, float[1] k, float[1,12,1,1] divisor) => (float[1,12,10,10] z)
{
  y = ConvTranspose <strides = [2, 2]> (x, w)
  a = Add (y, b)
  n = BatchNormalization <epsilon = 0.001> (a, gamma, beta, mean, var)
  s = Sub (c, n)
  m = Mul (k, s)
  d = Div (m, divisor)
  z = Relu (d)
}
)",
                                              GetParam());
  for (const char* node : {"Add(a)", "BatchNormalization(n)", "Sub(s)", "Mul(m)", "Div(d)", "Relu(z)"})
    EXPECT_NE(explain.find(std::string(node) + ": " + std::string(node).substr(0, std::string(node).find('(')) +
                           " -> fused into k"),
              std::string::npos)
        << node << "\n"
        << explain;
}

TEST_P(ConvTransposeEngine, FollowersNotPerChannelDoNotFuseIntoIt) {
  // [1, 1, 1, 10] varies along W; 1-D [10] too (aligned right, it is the W axis).
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,5,5] x, float[8,10,2,2] w, float[1,1,1,10] row, float[10] c) => (float[1,10,10,10] z)
{
  y = ConvTranspose <strides = [2, 2]> (x, w)
  a = Add (y, row)
  z = Mul (a, c)
}
)",
                                              GetParam());
  EXPECT_EQ(explain.find("_convtranspose\n"), std::string::npos) << explain;  // nothing "fused into" it
}

TEST_P(ConvTransposeEngine, FollowersFuseOnlyWhenSoleUseAndAffine) {
  // y feeds two nodes: neither fuses. c / y2 is not affine in y2.
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,5,5] x, float[8,12,2,2] w, float[1,12,1,1] b, float[1,12,1,1] divisor)
  => (float[1,12,10,10] r, float[1,12,10,10] m, float[1,12,10,10] d)
{
  y = ConvTranspose <strides = [2, 2]> (x, w)
  r = Add (y, b)
  m = Mul (y, b)
  y2 = ConvTranspose <strides = [2, 2]> (x, w)
  d = Div (divisor, y2)
}
)",
                                              GetParam());
  EXPECT_EQ(explain.find("_convtranspose\n"), std::string::npos) << explain;  // nothing "fused into" either
}

TEST_P(ConvTransposeEngine, EachUnsupportedCaseFallsBackWithItsReason) {
  // Weights computed at run time.
  std::string explain = explainEngine(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x, float[4,4,2,2] w) => (float[1,4,6,6] y)
{ y = ConvTranspose <strides = [2, 2]> (x, w) }
)",
                                      GetParam());
  EXPECT_NE(
      explain.find("ConvTranspose -> FALLBACK to the reference interpreter (weights are not a 4-D float constant)"),
      std::string::npos)
      << explain;
  // Bias computed at run time.
  explain = explainEngine(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,3] x, float[4] b) => (float[1,4,6,6] y)
<float[4,4,2,2] w = {1,0,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,0, 1,0,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,0, 1,0,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,0, 1,0,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,0}>
{ y = ConvTranspose <strides = [2, 2]> (x, w, b) }
)",
                          GetParam());
  EXPECT_NE(explain.find("FALLBACK to the reference interpreter (bias is not a float constant)"), std::string::npos)
      << explain;
  // Three spatial dimensions (one runs as two: OneDimensionalConvTransposesRunAsUnitHeightKernels).
  explain = explainEngine(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,1,2,2,2] x) => (float[1,1,4,4,4] y)
<float[1,1,2,2,2] w = {1, 2, 3, 4, 5, 6, 7, 8}>
{ y = ConvTranspose <strides = [2, 2, 2]> (x, w) }
)",
                          GetParam());
  EXPECT_NE(explain.find("FALLBACK to the reference interpreter (input/output not a static 4-D float tensor)"),
            std::string::npos)
      << explain;
}

TEST_P(ConvTransposeEngine, PhasesWithoutAConvFamilyFallBack) {
  // 40 input channels per group, 3 output channels per group: no conv family
  // takes such groups (neither vector-aligned nor narrow), so neither do the phases.
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,80,3,3] x, float[80,3,2,2] w) => (float[1,6,6,6] y)
{ y = ConvTranspose <strides = [2, 2], group = 2> (x, w) }
)",
                                              GetParam());
  EXPECT_NE(explain.find("FALLBACK to the reference interpreter (phase conv1x1_s1_d1_g2_c80x3x3_o6: "),
            std::string::npos)
      << explain;
}

INSTANTIATE_TEST_SUITE_P(Targets, ConvTransposeEngine, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "avx2" : "avx512"; });

}  // namespace
}  // namespace convopt::codegen
