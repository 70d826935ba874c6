// A per-channel scale of a conv's input folded into its weights
// (codegen/scaled_conv_input.h): the squeeze-excitation Mul disappears and a
// weight-scaling kernel runs before the conv. Engine against the reference on
// random inputs, both targets; each legality condition keeps the Mul kernel.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::has;

// x -> global average pool -> 1x1 -> Relu -> 1x1 -> Sigmoid = s;  y = Conv(x * s, w)
struct SqueezeExcitation {
  std::string x = "1,24,13,11", w = "20,24,1,1", y = "1,20,13,11";
  int64_t channels = 24;
  std::string convAttributes, mulOperands = "x, s", extraOutput;

  std::string text() const {
    return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[{0}] x, float[8,{1},1,1] w1, float[{1},8,1,1] w2, float[{2}] w) => (float[{3}] y{4}) {{
  p = GlobalAveragePool (x)
  h = Conv (p, w1)
  r = Relu (h)
  e = Conv (r, w2)
  s = Sigmoid (e)
  m = Mul ({5})
  y = Conv {6} (m, w)
}}
)",
                       x, channels, w, y, extraOutput.empty() ? "" : ", " + extraOutput, mulOperands, convAttributes);
  }
};

SqueezeExcitation shaped(const char* x, const char* w, const char* y, int64_t channels) {
  SqueezeExcitation model;
  model.x = x, model.w = w, model.y = y, model.channels = channels;
  return model;
}

class ScaledConvInput : public TargetTest<const char*> {};

TEST_P(ScaledConvInput, SqueezeExcitationScaleFoldsIntoTheProjection) {
  std::string explain = expectSameAsReference(SqueezeExcitation{}.text(), GetParam());
  EXPECT_EQ(has(explain, "Conv(y): Conv -> kernel k3_weightscale (weights scaled per input channel by s)"), "");
  EXPECT_EQ(has(explain, "Mul(m): Mul -> fused into k3_weightscale"), "");
  EXPECT_EQ(has(explain, "Conv(y): Conv -> kernel k4_pointwise"), "");
}

TEST_P(ScaledConvInput, ScaleOnEitherSideAndDenseConvsWithPadding) {
  SqueezeExcitation model = shaped("1,16,9,10", "8,16,3,3", "1,8,9,10", 16);
  model.convAttributes = "<pads = [1, 1, 1, 1]>", model.mulOperands = "s, x";
  std::string explain = expectSameAsReference(model.text(), GetParam());
  EXPECT_EQ(has(explain, "Mul(m): Mul -> fused into k3_weightscale"), "");
  EXPECT_EQ(has(explain, "Conv(y): Conv -> kernel k4_dense"), "");
}

// Negative cases: the Mul stays a kernel of its own.
TEST_P(ScaledConvInput, ConditionsNotMetKeepTheMul) {
  struct Case {
    const char* why;
    SqueezeExcitation model;
  };
  SqueezeExcitation alsoOutput = shaped("1,16,9,9", "8,16,1,1", "1,8,9,9", 16);
  alsoOutput.extraOutput = "float[1,16,9,9] m";
  SqueezeExcitation grouped = shaped("1,16,9,9", "8,8,1,1", "1,8,9,9", 16);
  grouped.convAttributes = "<group = 2>";
  Case cases[] = {
      {"batch 2: one set of weights per image", shaped("2,16,9,9", "8,16,1,1", "2,8,9,9", 16)},
      {"the product is also a graph output", alsoOutput},
      {"a grouped conv", grouped},
      {"weights (64 x 64) outnumber the activation (64 x 2 x 2)", shaped("1,64,2,2", "64,64,1,1", "1,64,2,2", 64)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    std::string explain = expectSameAsReference(c.model.text(), GetParam());
    EXPECT_EQ(has(explain, "Mul(m): Mul -> kernel"), "");
    EXPECT_NE(has(explain, "weightscale"), "");
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, ScaledConvInput, ::testing::Values("x86-64-v3", "x86-64-v4"));

}  // namespace
}  // namespace convopt::codegen
