// Tuning the Winograd choice by measurement (codegen/engine/winograd_tuning.h):
// every legal 3x3 conv is timed direct, as F(2x2) and as F(4x4) per layer key,
// convs of one shape counted together, and the engine given the result
// computes what the reference does.
#include <gtest/gtest.h>

#include <algorithm>

#include "codegen/conv/winograd.h"
#include "codegen/engine/tuning_rounds.h"
#include "codegen/engine/winograd_tuning.h"
#include "ir/onnx_io.h"
#include "tests/support/codegen_reference_check.h"
#include "tests/support/conv_layers.h"

namespace convopt::codegen {
namespace {

// Two 16 -> 16 convs of one shape, then a 16 -> 32 one, and a 1x1 that is no 3x3 layer.
constexpr const char* kThreeConvs = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,16,12,12] x, float[16,16,3,3] w1, float[16,16,3,3] w2, float[32,16,3,3] w3, float[8,32,1,1] w4)
    => (float[1,8,12,12] y) {
  a = Conv <pads = [1, 1, 1, 1]> (x, w1)
  r = Relu (a)
  b = Conv <pads = [1, 1, 1, 1]> (r, w2)
  c = Conv <pads = [1, 1, 1, 1]> (b, w3)
  y = Conv (c, w4)
}
)";

// The 3x3 layers of kThreeConvs.
ConvSpec layer(int64_t outChannels) {
  return layers::specOf({.in = 16, .out = outChannels, .height = 12, .kernel = 3, .pads = {1, 1, 1, 1}});
}

TEST(WinogradTuning, TimesEachLayerKeyThreeWaysAndKeepsTheFastest) {
  std::vector<std::string> progress;
  WinogradTuning tuning = tuneWinograd(testing::modelWithFixedWeights(kThreeConvs), {}, {.cpu = "", .threads = 1}, 0.0,
                                       [&](const std::string& line) { progress.push_back(line); });
  EXPECT_EQ(tuning.rounds, 3);  // the minimum, however small the budget
  EXPECT_EQ(progress.size(), 3u);
  ASSERT_EQ(tuning.layers.size(), 2u);
  std::map<std::string, int> convs;
  for (const WinogradTuning::Layer& l : tuning.layers) {
    SCOPED_TRACE(l.key);
    convs[l.key] = l.convs;
    for (double ms : l.ms) EXPECT_GT(ms, 0);
    double fastest = *std::min_element(l.ms.begin(), l.ms.end());
    EXPECT_EQ(l.ms[l.tile / 2], fastest);  // ms: direct, F(2x2), F(4x4)
    EXPECT_EQ(tuning.tiles().at(l.key), l.tile);
  }
  EXPECT_EQ(convs, (std::map<std::string, int>{{convLayerKey(layer(16)), 2}, {convLayerKey(layer(32)), 1}}));
}

// A layer's time is its convs' kernel steps: the three of a Winograd conv
// together, never the reorder of its input, other layers and unkeyed steps apart.
TEST(WinogradTuning, ALayersTimeSumsItsKernelStepsOnly) {
  auto step = [](const char* category, const char* label, double ms, const char* key) {
    return StepProfile{category, label, ms, 1, 0, 0, key, {}, {}};
  };
  std::vector<StepProfile> profile = {
      step("reorder to blocked", "x", 0.5, ""),
      step("winograd_input", "Conv(a)", 0.1, "A"),
      step("winograd_products", "Conv(a)", 0.3, "A"),
      step("winograd_output", "Conv(a)", 0.2, "A"),
      step("dense", "Conv(b)", 0.4, "A"),
      step("dense", "Conv(c)", 0.7, "C"),
      step("pointwise", "Conv(y)", 0.9, ""),
  };
  std::map<std::string, double> times = layerTimes(profile, [](const StepProfile& s) { return s.winogradKey; });
  ASSERT_EQ(times.size(), 2u);
  EXPECT_DOUBLE_EQ(times.at("A"), 0.1 + 0.3 + 0.2 + 0.4);
  EXPECT_DOUBLE_EQ(times.at("C"), 0.7);
}

// Whatever the host measured, each choice computes the same convolution.
TEST(WinogradTuning, EveryMeasurableChoiceMatchesTheReference) {
  for (int tile : {0, 2, 4}) {
    SCOPED_TRACE(tile);
    testing::ReferenceCheck check;
    check.magnitude = 0.5f;  // three convs in a row: F(4x4)'s rounding (docs/CODEGEN.md) grows with the values
    check.measuredWinogradTiles = {{convLayerKey(layer(16)), tile}, {convLayerKey(layer(32)), 4 - tile}};
    std::string explain = testing::expectSameAsReference(kThreeConvs, "", check);
    EXPECT_NE(explain.find("winograd F("), std::string::npos) << explain;  // one of the two layers, at least
  }
}

}  // namespace
}  // namespace convopt::codegen
