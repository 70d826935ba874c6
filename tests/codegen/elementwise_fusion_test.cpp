// Elementwise fusion (codegen/elementwise_group.h): which elementwise nodes
// become one kernel, which stay apart and why, on blocked and plain tensors,
// against the reference interpreter on both targets. Channel counts are not
// multiples of 8 or 16 and inner dims leave vector tails.
#include <gtest/gtest.h>

#include <regex>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::has;

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class ElementwiseFusion : public TargetTest<const char*> {};

TEST_P(ElementwiseFusion, BranchedChainIsOneKernel) {
  // b is used twice inside the group (Sigmoid and Mul), x twice (Mul and Sub).
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,20,7,9] x, float[20,1,1] s, float[20,1,1] t, float[1,20,1,1] divisor) => (float[2,20,7,9] z)
<float half = {0.5}>
{
  a = Mul (x, s)
  b = Add (a, t)
  c = Sigmoid (b)
  d = Mul (b, c)
  e = Sub (d, x)
  f = Div (e, divisor)
  z = Mul (f, half)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("Mul(a): Mul -> kernel k0_elementwise (mul+add+sigmoid+mul+sub+div+mul)"), std::string::npos)
      << explain;
  EXPECT_EQ(count(explain, "-> fused into k0_elementwise"), 6) << explain;
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

TEST_P(ElementwiseFusion, TwoInputMaxAndMin) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,9,4,3] x, float[9,1,1] s) => (float[1,9,4,3] z)
<float lo = {-0.25}>
{
  a = Max (x, s)
  b = Min (a, x)
  c = Neg (b)
  z = Max (c, lo)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("Max(a): Max -> kernel k0_elementwise (max+min+neg+max)"), std::string::npos) << explain;
}

TEST_P(ElementwiseFusion, IntermediateUsedOutsideTheGroupIsStoredAndItsUsersNotFused) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,13,6,5] x, float[13,1,1] s) => (float[1,13,6,5] z)
{
  a = Mul (x, s)
  b = Relu (a)
  p = MaxPool <kernel_shape = [3,3], pads = [1,1,1,1]> (a)
  z = Add (b, p)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("Mul(a): Mul -> kernel k0_elementwise (mul)"), std::string::npos) << explain;
  EXPECT_EQ(explain.find("Relu(b): Relu -> fused into k0"), std::string::npos) << explain;
  EXPECT_NE(explain.find("Relu(b): Relu -> kernel"), std::string::npos) << explain;
}

TEST_P(ElementwiseFusion, GraphOutputIntermediateIsStoredAndItsUsersNotFused) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,11,5,5] x, float[11,1,1] s, float[11,1,1] t) => (float[1,11,5,5] b, float[1,11,5,5] z)
{
  a = Mul (x, s)
  b = Add (a, t)
  z = Sigmoid (b)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("Mul(a): Mul -> kernel k0_elementwise (mul+add)"), std::string::npos) << explain;
  EXPECT_NE(explain.find("Sigmoid(z): Sigmoid -> kernel k1_elementwise (sigmoid)"), std::string::npos) << explain;
}

TEST_P(ElementwiseFusion, PerImageChannelOperandsAndBatchNorm) {
  // Squeeze-excitation style gate: a value per image and channel ([2,13,1,1]).
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 14]>
g (float[2,13,6,7] x, float[13] sc, float[13] bb, float[13] m, float[13] var) => (float[2,13,6,7] z)
{
  r = Relu (x)
  p = GlobalAveragePool (r)
  gate = Sigmoid (p)
  n = BatchNormalization (x, sc, bb, m, var)
  y = Mul (n, gate)
  z = HardSwish (y)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("(muladd+mul+hardswish)"), std::string::npos) << explain;
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

TEST_P(ElementwiseFusion, DecomposedHardSwishAfterConvFusesIntoTheConv) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,5,9,11] x, float[20,5,3,3] w, float[20] bias) => (float[1,20,9,11] z)
<float three = {3.0}, float zero = {0.0}, float six = {6.0}>
{
  y = Conv <pads = [1,1,1,1]> (x, w, bias)
  t = Add (y, three)
  c = Clip (t, zero, six)
  m = Mul (y, c)
  z = Div (m, six)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("o20 tile"), std::string::npos) << explain;
  EXPECT_TRUE(std::regex_search(explain, std::regex("Conv\\(y\\): Conv -> kernel k0_\\w+ \\(.* \\+ hardswish\\)\n")))
      << explain;
  for (const char* node : {"Add(t): Add", "Clip(c): Clip", "Mul(m): Mul", "Div(z): Div"})
    EXPECT_NE(explain.find(std::string(node) + " -> fused into k0_"), std::string::npos) << explain;
}

// The exporters' GELU before opset 20, y * 0.5 * (1 + erf(y / sqrt 2)), in both
// orders of its Muls, fuses as one Gelu step; divided by 2 instead of sqrt 2 it is
// no GELU and stays an elementwise kernel.
TEST_P(ElementwiseFusion, DecomposedErfGeluAfterConvFusesIntoTheConv) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,5,9,11] x, float[20,5,3,3] w, float[20] bias) => (float[1,20,9,11] z, float[1,20,9,11] h, float[1,20,9,11] n)
<float root2 = {1.4142135}, float one = {1.0}, float half = {0.5}, float two = {2.0}>
{
  y = Conv <pads = [1,1,1,1]> (x, w, bias)
  d = Div (y, root2)
  e = Erf (d)
  a = Add (e, one)
  m = Mul (y, a)
  z = Mul (m, half)
  v = Conv <pads = [1,1,1,1]> (x, w, bias)
  vh = Mul (v, half)
  vd = Div (v, root2)
  ve = Erf (vd)
  va = Add (one, ve)
  h = Mul (vh, va)
  u = Conv <pads = [1,1,1,1]> (x, w, bias)
  ud = Div (u, two)
  ue = Erf (ud)
  ua = Add (ue, one)
  um = Mul (u, ua)
  n = Mul (um, half)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Conv(y): Conv -> kernel k0_dense"), "");
  EXPECT_TRUE(std::regex_search(explain, std::regex("Conv\\(y\\): Conv -> kernel k0_\\w+ \\(.* \\+ gelu\\)\n")))
      << explain;
  for (const char* node : {"Div(d): Div", "Erf(e): Erf", "Add(a): Add", "Mul(m): Mul", "Mul(z): Mul"})
    EXPECT_EQ(has(explain, std::string(node) + " -> fused into k0_"), "");
  EXPECT_TRUE(std::regex_search(explain, std::regex("Conv\\(v\\): Conv -> kernel k1_\\w+ \\(.* \\+ gelu\\)\n")))
      << explain;
  EXPECT_EQ(has(explain, "rejected Conv(u): u has 2 uses"), "");
}

TEST_P(ElementwiseFusion, PerChannelAffineAndBatchNormAfterConvFuseIntoTheConv) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,6,7,5] x, float[19,6,1,1] w, float[19,1,1] s, float[1,19,1,1] t, float[19] sc, float[19] bb, float[19] m, float[19] var) => (float[1,19,7,5] z)
{
  y = Conv (x, w)
  n = BatchNormalization (y, sc, bb, m, var)
  a = Mul (n, s)
  b = Add (t, a)
  z = Relu (b)
}
)",
                                              GetParam());
  EXPECT_TRUE(std::regex_search(
      explain,
      std::regex("Conv\\(y\\): Conv -> kernel k0_\\w+ \\(.*o19 tile \\w+( plain input)? \\+ affine\\+relu\\)\n")))
      << explain;
  EXPECT_EQ(count(explain, "-> fused into k0_"), 4) << explain;
}

TEST_P(ElementwiseFusion, PerChannelConstantOfTheWrongAxisStaysApart) {
  // [7] broadcasts along the width, not the channels: not an epilogue step; a plain kernel.
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,3,7] x, float[7,4,1,1] w, float[7] s) => (float[1,7,3,7] z)
{
  y = Conv (x, w)
  z = Mul (y, s)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("Mul(z): Mul -> kernel k1_elementwise (mul, plain)"), std::string::npos) << explain;
}

INSTANTIATE_TEST_SUITE_P(Targets, ElementwiseFusion, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
