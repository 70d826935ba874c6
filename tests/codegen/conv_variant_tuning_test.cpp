// Tuning a direct conv's kernel variant by measurement
// (codegen/engine/conv_variant_tuning.h): each layer key is timed with the
// heuristics' kernel and with each variant in play for it, a variant is kept
// only when it beats the heuristics by kMinVariantGain, and the engine given
// any choice computes what the reference does.
#include <gtest/gtest.h>

#include <set>

#include "codegen/conv/conv_emitter.h"
#include "codegen/engine/conv_variant_tuning.h"
#include "codegen/engine/jit.h"
#include "codegen/engine/winograd_tuning.h"
#include "ir/onnx_io.h"
#include "tests/support/codegen_reference_check.h"
#include "tests/support/conv_layers.h"

namespace convopt::codegen {
namespace {

// A pointwise conv whose 400 input channels are reduced in batches (tiling.h:
// reductionBatchBlocks), twice; a 3x3 dense conv; a global pool (no conv).
constexpr const char* kModel = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,400,14,14] x, float[400,400,1,1] w1, float[400,400,1,1] w2, float[32,400,3,3] w3) => (float[1,32,1,1] y) {
  a = Conv (x, w1)
  r = Relu (a)
  b = Conv (r, w2)
  c = Conv <pads = [1, 1, 1, 1]> (b, w3)
  y = GlobalAveragePool (c)
}
)";

ConvSpec pointwiseLayer() { return layers::specOf({.in = 400, .out = 400, .height = 14}); }
ConvSpec denseLayer() {
  return layers::specOf({.in = 400, .out = 32, .height = 14, .kernel = 3, .pads = {1, 1, 1, 1}});
}
std::string pointwiseKey() { return convLayerKey(pointwiseLayer()); }
std::string denseKey() { return convLayerKey(denseLayer()); }

// The variants in play for a layer's kernel on `target`, as the emitter reports them.
std::set<ConvVariant> inPlay(const ConvSpec& spec, const Target& target) {
  KernelModule module;
  std::vector<ConvVariant> variants =
      emitConvKernel(*module.module, "conv", *planConv(spec, target), target.vectorWidth);
  return {variants.begin(), variants.end()};
}

TEST(ConvVariantTuning, AVariantIsKeptOnlyWhenItBeatsTheHeuristicsByTheMargin) {
  EXPECT_EQ(chooseConvVariant(1.0, {}), ConvVariant::Heuristic);
  EXPECT_EQ(chooseConvVariant(1.0, {{ConvVariant::OneReductionSweep, 0.99}}), ConvVariant::Heuristic);
  EXPECT_EQ(chooseConvVariant(1.0, {{ConvVariant::OneReductionSweep, 0.97}, {ConvVariant::OtherUnitOrder, 0.95}}),
            ConvVariant::OtherUnitOrder);
  EXPECT_EQ(chooseConvVariant(1.0, {{ConvVariant::NoStepUnroll, 0.9}, {ConvVariant::OtherUnitOrder, 1.2}}),
            ConvVariant::NoStepUnroll);
}

TEST(ConvVariantTuning, TimesEachLayerKeyWithTheVariantsInPlayAndKeepsItsChoice) {
  Target host = selectTarget("x86-64-v3");  // V = 8 on any x86-64 host with AVX2
  if (!hostCanRun(host)) GTEST_SKIP() << "the host lacks AVX2";
  std::vector<std::string> progress;
  ConvVariantTuning tuning = tuneConvVariants(testing::modelWithFixedWeights(kModel), {},
                                              {.cpu = "x86-64-v3", .threads = 1, .winograd = WinogradUse::Never}, 0.0,
                                              [&](const std::string& line) { progress.push_back(line); });
  EXPECT_EQ(tuning.rounds, 3);  // the minimum, however small the budget
  EXPECT_EQ(progress.size(), 3u);
  ASSERT_EQ(tuning.layers.size(), 2u);
  std::map<std::string, int> convs;
  for (const ConvVariantTuning::Layer& layer : tuning.layers) {
    SCOPED_TRACE(layer.key);
    convs[layer.key] = layer.convs;
    EXPECT_GT(layer.heuristicMs, 0);
    // Timed: exactly the variants that change the layer's kernel.
    std::set<ConvVariant> timed;
    for (const auto& [variant, ms] : layer.variantMs) {
      EXPECT_GT(ms, 0) << convVariantName(variant);
      timed.insert(variant);
    }
    EXPECT_EQ(timed, inPlay(layer.key == pointwiseKey() ? pointwiseLayer() : denseLayer(), host));
    EXPECT_EQ(tuning.variants().at(layer.key), layer.chosen);
  }
  EXPECT_EQ(convs, (std::map<std::string, int>{{pointwiseKey(), 2}, {denseKey(), 1}}));
  // 400 channels reduce in batches of 32 KB of weights: one sweep is in play for the pointwise layer.
  EXPECT_TRUE(inPlay(pointwiseLayer(), host).count(ConvVariant::OneReductionSweep));
}

// Neither tuner times a model without a conv to tune (winograd_tuning.h too).
TEST(ConvVariantTuning, AModelWithoutAConvHasNothingToTune) {
  ir::Model model = ir::parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4,6,6] x) => (float[1,4,6,6] y) {
  y = Relu (x)
}
)");
  int rounds = 0;
  auto count = [&](const std::string&) { ++rounds; };
  EXPECT_TRUE(tuneConvVariants(model, {}, {.cpu = "", .threads = 1}, 10.0, count).layers.empty());
  EXPECT_TRUE(tuneWinograd(model, {}, {.cpu = "", .threads = 1}, 10.0, count).layers.empty());
  EXPECT_EQ(rounds, 0);
}

// Whatever the host measured, each variant computes the same model, and
// --explain says which kernel took a measured variant.
TEST(ConvVariantTuning, EveryMeasurableVariantMatchesTheReference) {
  for (ConvVariant variant : kConvVariants) {
    SCOPED_TRACE(convVariantName(variant));
    testing::ReferenceCheck check;
    check.magnitude = 0.5f;
    check.measuredConvVariants = {{pointwiseKey(), variant}, {denseKey(), variant}};
    std::string explain = testing::expectSameAsReference(kModel, "", check);
    bool named = explain.find(convVariantName(variant) + " (measured)") != std::string::npos;
    EXPECT_EQ(named, variant != ConvVariant::Heuristic) << explain;
  }
}

}  // namespace
}  // namespace convopt::codegen
