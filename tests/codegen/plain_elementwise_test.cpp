// Elementwise kernels on plain (row-major) tensors of any rank: numpy
// broadcasting (scalar, last-dim vector, per-row value, same shape), masked
// tails, rows cut into chunks, and the dtypes that fall back.
#include <gtest/gtest.h>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;

class PlainElementwise : public TargetTest<const char*> {};

TEST_P(PlainElementwise, LayerNormTailOfATransformerIn3D) {
  // m and v are per-row values ([2,5,1]) computed by reduction kernels (reduce_test.cpp); g and b are last-dim vectors.
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,5,37] x, float[37] gamma, float[37] beta) => (float[2,5,37] z)
<float two = {2.0}, float eps = {0.00001}>
{
  m = ReduceMean <axes = [-1]> (x)
  d = Sub (x, m)
  q = Pow (d, two)
  v = ReduceMean <axes = [-1]> (q)
  ve = Add (v, eps)
  sd = Sqrt (ve)
  n = Div (d, sd)
  a = Mul (n, gamma)
  y = Add (a, beta)
  s = Sigmoid (y)
  z = Mul (y, s)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("ReduceMean(m): ReduceMean -> kernel k0_reduce (mean over axes [2] of [2x5x37])"),
            std::string::npos)
      << explain;
  EXPECT_NE(explain.find("Sub(d): Sub -> kernel k1_elementwise (sub, plain)"), std::string::npos) << explain;
  EXPECT_NE(explain.find("Pow(q): Pow -> kernel k2_elementwise (mul, plain)"), std::string::npos) << explain;
  EXPECT_NE(explain.find("ReduceMean(v): ReduceMean -> kernel k3_reduce"), std::string::npos) << explain;
  EXPECT_NE(explain.find("Add(ve): Add -> kernel k4_elementwise (add+sqrt, plain)"), std::string::npos) << explain;
  EXPECT_NE(explain.find("Div(n): Div -> kernel k5_elementwise (div+mul+add+sigmoid+mul, plain)"), std::string::npos)
      << explain;
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

TEST_P(PlainElementwise, UnaryOpsIn2DWithTail) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[7,19] x) => (float[7,19] z)
<float half = {0.5}, float two = {2.0}>
{
  a = Abs (x)
  r = Sqrt (a)
  h = Pow (a, half)
  n = Neg (x)
  e = Exp (n)
  s = Pow (x, two)
  t = Add (r, h)
  u = Sub (e, s)
  z = Mul (t, u)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("Abs(a): Abs -> kernel k0_elementwise (abs+sqrt+sqrt+add+neg+exp+mul+sub+mul, plain)"),
            std::string::npos)
      << explain;
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

TEST_P(PlainElementwise, ErfReciprocalCubesEluSeluAndPRelu) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[7,19] x, float[19] slope) => (float[7,19] z)
<float three = {3.0}, float minus = {-1.0}>
{
  e = Erf (x)
  c = Pow (x, three)
  r = Pow (e, minus)
  q = Reciprocal (c)
  l = Elu <alpha = 0.5> (x)
  s = Selu (x)
  p = PRelu (x, slope)
  a = Add (r, q)
  b = Add (l, s)
  d = Add (a, b)
  z = Add (d, p)
}
)",
                                              GetParam());
  EXPECT_EQ(testing::has(explain,
                         "Erf(e): Erf -> kernel k0_elementwise (erf+reciprocal+mul+mul+reciprocal+add+elu+"
                         "selu+add+add+prelu+add, plain)"),
            "");
}

TEST_P(PlainElementwise, AFourthPowerAndAnUnknownGeluFallBackSayingWhy) {
  std::string explain = testing::explainEngine(R"(<ir_version: 8, opset_import: ["" : 20]>
g (float[7,19] x) => (float[7,19] p, float[7,19] e)
<float four = {4.0}>
{
  p = Pow (x, four)
  e = Gelu <approximate = "erf"> (x)
}
)",
                                               GetParam());
  EXPECT_EQ(testing::has(explain,
                         "Pow(p): Pow -> FALLBACK to the reference interpreter (exponent is not a constant -1, "
                         "0.5, 1, 2 or 3)"),
            "");
  EXPECT_EQ(testing::has(explain,
                         "Gelu(e): Gelu -> FALLBACK to the reference interpreter (activation parameters are "
                         "not constants the kernels take)"),
            "");
}

TEST_P(PlainElementwise, LongRowsSpreadOverChunksAndThreads) {
  // 3 x 4099 collapses to one row of 12297: several chunks and a masked tail.
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[3,4099] x, float[3,4099] y) => (float[3,4099] z)
{
  a = Mul (x, y)
  z = HardSigmoid <alpha = 0.3, beta = 0.4> (a)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("(mul+hardsigmoid, plain)"), std::string::npos) << explain;
}

TEST_P(PlainElementwise, FourDimensionalBroadcastsTheBlockedLayoutCannotTake) {
  // [1,1,5,7] broadcasts over the channels: not per channel, so a plain kernel.
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,6,5,7] x, float[1,1,5,7] mask) => (float[1,6,5,7] z)
{
  a = Mul (x, mask)
  z = LeakyRelu <alpha = 0.1> (a)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("Mul(a): Mul -> kernel k0_elementwise (mul+leakyrelu, plain)"), std::string::npos) << explain;
  EXPECT_NE(explain.find("0 fallback node(s)"), std::string::npos) << explain;
}

TEST_P(PlainElementwise, OtherDtypesFallBackWithAReason) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[4,9] x) => (float[4,9] z)
{
  i = Cast <to = 6> (x)
  j = Add (i, i)
  z = Cast <to = 1> (j)
}
)",
                                              GetParam());
  EXPECT_NE(
      explain.find(
          "Add(j): Add -> FALLBACK to the reference interpreter (output is not a statically shaped float tensor)"),
      std::string::npos)
      << explain;
}

TEST_P(PlainElementwise, SingleThreadMatchesToo) {
  expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[3,1,33] x, float[33] b) => (float[3,1,33] z)
{
  a = Add (x, b)
  z = Relu (a)
}
)",
                        GetParam(), 1);
}

INSTANTIATE_TEST_SUITE_P(Targets, PlainElementwise, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
