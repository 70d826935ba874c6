// 3x3 convs in the Winograd domain (codegen/conv/winograd.h): the transform
// matrices compute a correlation, and the engine's three kernels agree with the
// reference interpreter for both tiles on both vector widths, over a sweep of
// shapes that hits partial tiles, padding, groups, batches and epilogues. Each
// legality condition is a conv that stays a direct kernel.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <array>
#include <random>
#include <string>

#include "codegen/conv/winograd.h"
#include "tests/support/codegen_reference_check.h"
#include "tests/support/conv_layers.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::has;
using testing::ReferenceCheck;

// One output row of F(m, 3) in one dimension: A^T [(G g) ⊙ (B^T d)] = the correlation of d with g.
TEST(WinogradTransform, ComputesACorrelationInOneDimension) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> uniform(-1, 1);
  for (int tile : {2, 4}) {
    const WinogradTransform& t = winogradTransform(tile);
    ASSERT_EQ(t.points, tile + 2);
    std::vector<double> d(size_t(t.points)), g(3);
    for (double& v : d) v = uniform(rng);
    for (double& v : g) v = uniform(rng);
    std::vector<double> product(size_t(t.points));
    for (int p = 0; p < t.points; ++p) {
      double gp = 0, dp = 0;
      for (int k = 0; k < 3; ++k) gp += t.filter[size_t(p * 3 + k)] * g[size_t(k)];
      for (int k = 0; k < t.points; ++k) dp += t.inputT[size_t(p * t.points + k)] * d[size_t(k)];
      product[size_t(p)] = gp * dp;
    }
    for (int i = 0; i < tile; ++i) {
      double y = 0, want = 0;
      for (int p = 0; p < t.points; ++p) y += t.outputT[size_t(i * t.points + p)] * product[size_t(p)];
      for (int k = 0; k < 3; ++k) want += d[size_t(i + k)] * g[size_t(k)];
      EXPECT_NEAR(y, want, 1e-12) << "F(" << tile << ",3) output " << i;
    }
  }
}

struct ConvCase {
  const char* name;
  int64_t batch, channels, height, width, outChannels, group;
  const char* follower;  // "" | "relu" | "residual" (Add of x, then Relu)
};

// Output size of a 3x3 stride-1 conv along one axis.
int64_t outSize(int64_t size, int64_t padBefore, int64_t padAfter) { return size + padBefore + padAfter - 2; }

std::string modelText(const ConvCase& c, std::array<int64_t, 4> pads) {
  int64_t oh = outSize(c.height, pads[0], pads[2]), ow = outSize(c.width, pads[1], pads[3]);
  std::string follower = std::string(c.follower) == "relu"       ? "y = Relu (c)"
                         : std::string(c.follower) == "residual" ? "s = Add (c, x)\n  y = Relu (s)"
                                                                 : "y = Identity (c)";
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[{0},{1},{2},{3}] x, float[{4},{5},3,3] w, float[{4}] b) => (float[{0},{4},{6},{7}] y) {{
  c = Conv <group = {8}, pads = [{9}, {10}, {11}, {12}]> (x, w, b)
  {13}
}}
)",
                     c.batch, c.channels, c.height, c.width, c.outChannels, c.channels / c.group, oh, ow, c.group,
                     pads[0], pads[1], pads[2], pads[3], follower);
}

// Shapes: channels per group a multiple of 16 (both vector widths), odd and
// prime map sizes (partial last tiles of both tile sizes), maps smaller than a tile.
const ConvCase kCases[] = {
    {"c16_8x8", 1, 16, 8, 8, 16, 1, "relu"},
    {"c32_o48_7x9", 1, 32, 7, 9, 48, 1, ""},
    {"c16_o32_13x11", 1, 16, 13, 11, 32, 1, "relu"},
    {"c64_g2_10x10", 1, 64, 10, 10, 64, 2, "relu"},
    {"c64_g4_6x5", 1, 64, 6, 5, 64, 4, ""},
    {"batch2_c16_6x6", 2, 16, 6, 6, 16, 1, "relu"},
    {"c32_9x9_residual", 1, 32, 9, 9, 32, 1, "residual"},
    {"c16_3x3_map", 1, 16, 3, 3, 16, 1, ""},
};

const std::array<int64_t, 4> kPadsSame{1, 1, 1, 1};

class Winograd : public TargetTest<std::tuple<const char*, WinogradUse>> {
 protected:
  const char* cpu() const { return std::get<0>(GetParam()); }
  WinogradUse use() const { return std::get<1>(GetParam()); }
  std::string transformLine() const {
    return fmt::format("winograd F({0}x{0},3x3) input transform", use() == WinogradUse::Tile2 ? 2 : 4);
  }
  std::string check(const std::string& text) {
    ReferenceCheck check;
    check.winograd = use();
    return expectSameAsReference(text, cpu(), check);
  }
};

TEST_P(Winograd, MatchesTheReferenceOverTheShapeSweep) {
  for (const ConvCase& c : kCases) {
    SCOPED_TRACE(c.name);
    std::string explain = check(modelText(c, kPadsSame));
    EXPECT_EQ(has(explain, transformLine()), "");
  }
}

TEST_P(Winograd, UnpaddedAndAsymmetricPads) {
  ConvCase c{"c16_o32_11x13", 1, 16, 11, 13, 32, 1, "relu"};
  for (std::array<int64_t, 4> pads : {std::array<int64_t, 4>{0, 0, 0, 0}, {0, 1, 2, 1}, {2, 0, 0, 2}}) {
    SCOPED_TRACE(fmt::format("pads {} {} {} {}", pads[0], pads[1], pads[2], pads[3]));
    EXPECT_EQ(has(check(modelText(c, pads)), transformLine()), "");
  }
}

TEST_P(Winograd, TheResidualAndReluRunInTheOutputTransform) {
  std::string explain = check(modelText(kCases[6], kPadsSame));
  EXPECT_EQ(has(explain, "output transform + add+relu"), "");
  EXPECT_EQ(has(explain, "Add(s): Add -> fused into"), "");
}

// Each legality condition: the conv stays a direct kernel.
TEST_P(Winograd, DirectWhereNotLegal) {
  const ConvCase c16{"c16", 1, 16, 9, 9, 16, 1, "relu"};
  // `attribute` joins the pads; `output` is the conv's output size.
  auto variant = [&](const std::string& attribute, int64_t output, int64_t kernel = 3) {
    std::string text = modelText(c16, kPadsSame);
    auto replace = [&](const std::string& from, const std::string& to) {
      text.replace(text.find(from), from.size(), to);
    };
    replace("pads = [1, 1, 1, 1]", fmt::format("pads = [{0}, {0}, {0}, {0}]{1}", kernel / 2, attribute));
    replace("float[1,16,9,9] y", fmt::format("float[1,16,{0},{0}] y", output));
    replace("float[16,16,3,3] w", fmt::format("float[16,16,{0},{0}] w", kernel));
    return text;
  };
  const std::pair<const char*, std::string> cases[] = {
      {"stride 2", variant(", strides = [2, 2]", 5)},
      {"dilation 2", variant(", dilations = [2, 2]", 7)},
      {"5x5", variant("", 9, 5)},
      {"12 channels", modelText({"c12", 1, 12, 9, 9, 12, 1, "relu"}, kPadsSame)},
  };
  for (const auto& [what, text] : cases) {
    SCOPED_TRACE(what);
    std::string explain = check(text);
    EXPECT_EQ(explain.find("winograd"), std::string::npos) << explain;
  }
}

TEST_P(Winograd, OffKeepsDirectConvolution) {
  ReferenceCheck off;
  off.winograd = WinogradUse::Never;
  std::string explain = expectSameAsReference(modelText(kCases[0], kPadsSame), cpu(), off);
  EXPECT_EQ(explain.find("winograd"), std::string::npos) << explain;
  EXPECT_EQ(has(explain, "-> kernel k0_dense"), "");
}

// A 3x3 conv keeping its size (pads 1), `size` x `size`, as the Winograd plan sees it.
ConvSpec sameSize3x3(int64_t channels, int64_t size) {
  return layers::specOf({.in = channels, .out = channels, .height = size, .kernel = 3, .pads = {1, 1, 1, 1}});
}

// A tile measured on the host for a layer (engine/winograd_tuning.h) replaces
// the estimate's choice, both ways, and the conv still computes what the reference does.
class WinogradMeasured : public TargetTest<const char*> {};

TEST_P(WinogradMeasured, AMeasuredTileReplacesTheEstimate) {
  const char* cpu = GetParam();
  const ConvCase c16 = kCases[0];  // 16 channels at 8x8: the estimate keeps it direct
  std::string estimated = expectSameAsReference(modelText(c16, kPadsSame), cpu);
  EXPECT_EQ(estimated.find("winograd F("), std::string::npos) << estimated;
  ReferenceCheck measured;
  measured.measuredWinogradTiles = {{convLayerKey(sameSize3x3(16, 8)), 4}};
  EXPECT_EQ(has(expectSameAsReference(modelText(c16, kPadsSame), cpu, measured), "winograd F(4x4,3x3) input transform"),
            "");

  ConvCase c32{"c32_12x12", 1, 32, 12, 12, 32, 1, "relu"};  // the estimate takes F(2x2)
  EXPECT_EQ(has(expectSameAsReference(modelText(c32, kPadsSame), cpu), "winograd F(2x2,3x3) input transform"), "");
  measured.measuredWinogradTiles = {{convLayerKey(sameSize3x3(32, 12)), 0}};
  std::string direct = expectSameAsReference(modelText(c32, kPadsSame), cpu, measured);
  EXPECT_EQ(direct.find("winograd F("), std::string::npos) << direct;
  EXPECT_EQ(has(direct,
                "(winograd: measured slower than direct convolution (--tune on this host, else the table of its CPU "
                "family))"),
            "");
}

INSTANTIATE_TEST_SUITE_P(Targets, WinogradMeasured, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

TEST(WinogradPlan, MeasuredTilesServeOnlyTheAutomaticChoice) {
  ConvSpec spec = sameSize3x3(32, 12);
  Target target = selectTarget("x86-64-v3");
  target.measuredWinogradTiles = {{convLayerKey(spec), 0}};
  EXPECT_EQ(
      planWinograd(spec, target).reason(),
      "winograd: measured slower than direct convolution (--tune on this host, else the table of its CPU family)");
  target.winograd = WinogradUse::Tile2;
  ASSERT_TRUE(planWinograd(spec, target));
  EXPECT_EQ(planWinograd(spec, target)->transform.tile, 2);
  // The key is the layer, not the epilogue: another batch or pads is another layer.
  ConvSpec other = spec;
  other.batch = 2;
  EXPECT_NE(convLayerKey(other), convLayerKey(spec));
  other = spec;
  other.padBottom = 0;
  EXPECT_NE(convLayerKey(other), convLayerKey(spec));
  other = spec;
  other.epilogue.steps.push_back({});
  EXPECT_EQ(convLayerKey(other), convLayerKey(spec));
}

INSTANTIATE_TEST_SUITE_P(Targets, Winograd,
                         ::testing::Combine(::testing::Values("x86-64-v3", "x86-64-v4"),
                                            ::testing::Values(WinogradUse::Tile2, WinogradUse::Tile4)),
                         [](const auto& info) {
                           return fmt::format("{}_F{}",
                                              std::get<0>(info.param) == std::string("x86-64-v3") ? "AVX2" : "AVX512",
                                              std::get<1>(info.param) == WinogradUse::Tile2 ? 2 : 4);
                         });

}  // namespace
}  // namespace convopt::codegen
