// Every conv family against the reference interpreter, on both vector widths:
// every layer of the table the benchmarks time (tests/support/conv_layers.cpp),
// then shape sweeps that hit the tile edges: channels below / equal to / not a
// multiple of the vector width, odd sizes, asymmetric pads, stride 2, dilation
// 2, depth multiplier 2, every epilogue.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "codegen/conv/conv_emitter.h"
#include "codegen/engine/jit.h"
#include "conv_harness.h"
#include "ir/int_math.h"
#include "reference_conv.h"
#include "tests/support/conv_layers.h"
#include "tests/support/target_cpus.h"

namespace convopt::layers {

// GoogleTest shows a table layer (a test parameter) by its name.
void PrintTo(const Layer& layer, std::ostream* out) { *out << layer.name; }

}  // namespace convopt::layers

namespace convopt::codegen::testing {
namespace {

using layers::Layer;
using layers::specOf;

constexpr bool kPlainInput = true;  // expectMatches: the kernel reads the input in NCHW

Epilogue relu() { return {{EpilogueStep::activate(Activation::Relu)}}; }
Epilogue residualRelu() { return {{EpilogueStep::addResidual(), EpilogueStep::activate(Activation::Relu)}}; }

// Whether the generated kernel of `spec` prefetches weights (tiling.h: weightPrefetchLines).
bool prefetchesWeights(const ConvSpec& spec, const Target& target) {
  KernelModule module;
  emitConvKernel(*module.module, "conv", *planConv(spec, target), target.vectorWidth);
  return moduleText(*module.module).find("@llvm.prefetch") != std::string::npos;
}

const char* isaName(const char* cpu) { return std::string(cpu) == "x86-64-v3" ? "AVX2" : "AVX512"; }

// Param: the CPU (TargetTest), or a tuple starting with it.
template <typename Param>
class ConvKernelTest : public TargetTest<Param> {
 protected:
  // Plans, checks layer.family took it, compares with the oracle.
  // With `plainInput` the kernel reads the input in NCHW (ConvPlan::plainInput).
  // `variant`: the kernel variant (ConvPlan::variant).
  void expectMatches(const Layer& layer, bool plainInput = false, ConvVariant variant = ConvVariant::Heuristic) {
    ConvSpec spec = specOf(layer);
    Expected<ConvPlan> result = planConv(spec, target_);
    ASSERT_TRUE(result) << spec.describe() << ": " << result.reason();
    result->variant = variant;
    EXPECT_EQ(result->family, layer.family) << spec.describe();
    if (plainInput) {
      ASSERT_TRUE(canReadPlainInput(*result, target_.vectorWidth)) << spec.describe();
      result->plainInput = true;
    }
    ConvData data = randomConvData(spec, rng_);
    std::vector<float> expected = referenceConv(spec, data);
    std::vector<float> actual = runGeneratedConv(spec, *result, target_, data);
    ASSERT_EQ(actual.size(), expected.size());
    int mismatches = 0;
    for (size_t i = 0; i < actual.size() && mismatches < 5; ++i)
      if (!(std::abs(actual[i] - expected[i]) <= 1e-4f * (1 + std::abs(expected[i]))))
        ADD_FAILURE() << spec.describe() << " " << spec.epilogue.describe() << " at " << i << ": " << actual[i]
                      << " vs " << expected[i] << " (tile " << result->tile.outBlocks << "x" << result->tile.pixels
                      << ")",
            ++mismatches;
  }

  Target target_ = selectTarget(cpuOf(this->GetParam()));
  std::mt19937 rng_{1234};
};

class TableLayers : public ConvKernelTest<std::tuple<const char*, Layer>> {};

TEST_P(TableLayers, MatchTheReference) { expectMatches(std::get<1>(GetParam())); }

INSTANTIATE_TEST_SUITE_P(Table, TableLayers,
                         ::testing::Combine(::testing::Values("x86-64-v3", "x86-64-v4"),
                                            ::testing::ValuesIn(layers::layerTable())),
                         [](const auto& info) {
                           return std::get<1>(info.param).name + "_" + isaName(std::get<0>(info.param));
                         });

// The kernel variants a host may measure faster (Target::measuredConvVariants):
// each one in play for a layer of the table (a choice its kernel makes)
// generates another kernel that computes the same conv; one not in play
// generates the heuristics' kernel.
TEST_P(TableLayers, EveryVariantMatchesTheReferenceAndChangesTheKernelOnlyWhereInPlay) {
  const Layer& layer = std::get<1>(GetParam());
  ConvSpec spec = specOf(layer);
  std::vector<ConvVariant> inPlay;
  auto kernelText = [&](ConvVariant variant) {
    ConvPlan plan = *planConv(spec, target_);
    plan.variant = variant;
    KernelModule module;
    inPlay = emitConvKernel(*module.module, "conv", plan, target_.vectorWidth);
    return moduleText(*module.module);
  };
  std::string heuristic = kernelText(ConvVariant::Heuristic);
  std::vector<ConvVariant> heuristicInPlay = inPlay;
  for (ConvVariant variant : kConvVariants) {
    if (variant == ConvVariant::Heuristic) continue;
    SCOPED_TRACE(convVariantName(variant));
    std::string text = kernelText(variant);
    EXPECT_EQ(inPlay, heuristicInPlay);  // the choices a kernel makes do not depend on how it makes them
    if (std::find(heuristicInPlay.begin(), heuristicInPlay.end(), variant) == heuristicInPlay.end()) {
      EXPECT_EQ(text, heuristic) << "not in play";
      continue;
    }
    EXPECT_NE(text, heuristic) << "in play";
    expectMatches(layer, /*plainInput=*/false, variant);
  }
}

class ConvKernels : public ConvKernelTest<const char*> {};

TEST_P(ConvKernels, Pointwise) {
  for (int64_t in : {3, 8, 16, 21}) expectMatches({.family = "pointwise", .in = in, .out = 24, .height = 5});
  expectMatches({.family = "pointwise", .in = 32, .out = 40, .height = 7, .width = 9});
  expectMatches({.family = "pointwise", .in = 16, .out = 16, .height = 1});
}

TEST_P(ConvKernels, LargeWeightsArePrefetchedATileAhead) {
  // 81 KB and 16 KB of weights
  Layer large{.family = "pointwise", .in = 144, .out = 144, .height = 7}, small{.in = 64, .out = 64, .height = 7};
  EXPECT_TRUE(prefetchesWeights(specOf(large), target_));
  EXPECT_FALSE(prefetchesWeights(specOf(small), target_));
  expectMatches(large);
  // 144 KB; border rows skip taps
  expectMatches({.family = "dense", .in = 64, .out = 64, .height = 6, .kernel = 3, .pads = {1, 1, 1, 1}});
}

TEST_P(ConvKernels, Dense) {
  expectMatches(
      {.family = "dense", .in = 3, .out = 16, .height = 11, .kernel = 3, .stride = 2, .pads = {1, 1, 1, 1}});  // stem
  expectMatches({.family = "dense", .in = 3, .out = 8, .height = 15, .kernel = 7, .stride = 2, .pads = {3, 3, 3, 3}});
  expectMatches({.family = "dense", .in = 8, .out = 20, .height = 9, .kernel = 3, .pads = {1, 0, 2, 1}});  // asymmetric
  expectMatches(
      {.family = "dense", .in = 17, .out = 33, .height = 10, .kernel = 3, .dilation = 2, .pads = {2, 2, 2, 2}});
  expectMatches({.family = "dense", .in = 32, .out = 64, .height = 7, .kernel = 3, .stride = 2, .pads = {1, 1, 1, 1}});
  expectMatches({.family = "dense", .in = 16, .out = 16, .height = 6, .stride = 2});  // strided 1x1
}

TEST_P(ConvKernels, FewChannelInputReadInPlainLayout) {
  expectMatches({.family = "dense",
                 .in = 3,
                 .out = 16,
                 .height = 11,
                 .kernel = 3,
                 .stride = 2,
                 .pads = {1, 1, 1, 1},
                 .epilogue = relu()},
                kPlainInput);  // stem
  expectMatches({.family = "dense", .in = 3, .out = 20, .height = 15, .kernel = 7, .stride = 2, .pads = {3, 2, 3, 1}},
                kPlainInput);
  expectMatches({.family = "dense",
                 .in = 5,
                 .out = 8,
                 .height = 9,
                 .width = 10,
                 .kernel = 3,
                 .dilation = 2,
                 .pads = {2, 2, 2, 2}},
                kPlainInput);
  expectMatches({.family = "pointwise", .in = 7, .out = 33, .height = 6}, kPlainInput);
  expectMatches({.family = "pointwise", .in = 3, .out = 40, .height = 7, .width = 9}, kPlainInput);
}

TEST_P(ConvKernels, PlainInputOnlyForFewChannelsAndOneGroup) {
  int width = target_.vectorWidth;
  auto readsPlain = [&](const Layer& layer) { return canReadPlainInput(*planConv(specOf(layer), target_), width); };
  EXPECT_FALSE(readsPlain({.in = width, .out = 16, .height = 5, .kernel = 3, .pads = {1, 1, 1, 1}}));  // C_in = V
  // two groups; depthwise
  EXPECT_FALSE(readsPlain({.in = 4, .out = 4, .height = 5, .kernel = 3, .group = 2, .pads = {1, 1, 1, 1}}));
  EXPECT_FALSE(readsPlain({.in = 6, .out = 6, .height = 5, .kernel = 3, .group = 6, .pads = {1, 1, 1, 1}}));
  EXPECT_TRUE(readsPlain({.in = width - 1, .out = 16, .height = 5, .kernel = 3, .pads = {1, 1, 1, 1}}));
}

TEST_P(ConvKernels, Depthwise) {
  for (int64_t kernel : {3, 5, 7})
    for (int64_t stride : {1, 2}) {
      int64_t pad = kernel / 2;
      expectMatches({.family = "depthwise",
                     .in = 24,
                     .out = 24,
                     .height = 13,
                     .kernel = kernel,
                     .stride = stride,
                     .group = 24,
                     .pads = {pad, pad, pad, pad}});
    }
  expectMatches({.family = "depthwise",
                 .in = 5,
                 .out = 5,
                 .height = 9,
                 .kernel = 3,
                 .dilation = 2,
                 .group = 5,
                 .pads = {2, 2, 2, 2}});  // channels < V
  expectMatches({.family = "depthwise",
                 .in = 16,
                 .out = 32,
                 .height = 8,
                 .kernel = 3,
                 .stride = 2,
                 .group = 16,
                 .pads = {1, 1, 0, 0}});  // multiplier 2
  expectMatches({.family = "depthwise",
                 .in = 12,
                 .out = 24,
                 .height = 7,
                 .kernel = 3,
                 .group = 12,
                 .pads = {1, 1, 1, 1}});  // multiplier 2, C < V
  expectMatches({.family = "depthwise",
                 .in = 40,
                 .out = 40,
                 .height = 6,
                 .width = 11,
                 .kernel = 3,
                 .group = 40,
                 .pads = {0, 1, 1, 0}});
}

TEST_P(ConvKernels, Grouped) {
  expectMatches({.family = "grouped",
                 .in = 64,
                 .out = 64,
                 .height = 9,
                 .kernel = 3,
                 .group = 16,
                 .pads = {1, 1, 1, 1}});  // 4 channels per group
  expectMatches({.family = "grouped",
                 .in = 32,
                 .out = 32,
                 .height = 8,
                 .kernel = 3,
                 .stride = 2,
                 .group = 8,
                 .pads = {1, 1, 1, 1}});  // 4 per group
  expectMatches({.family = "grouped",
                 .in = 48,
                 .out = 48,
                 .height = 7,
                 .kernel = 3,
                 .group = 3,
                 .pads = {1, 1, 1, 1}});  // 16 per group
  expectMatches({.family = "grouped",
                 .in = 64,
                 .out = 64,
                 .height = 5,
                 .kernel = 3,
                 .group = 2,
                 .pads = {1, 1, 1, 1}});  // 32 per group
  expectMatches({.family = "grouped",
                 .in = 12,
                 .out = 24,
                 .height = 7,
                 .kernel = 3,
                 .dilation = 2,
                 .group = 4,
                 .pads = {2, 2, 2, 2}});                                               // 3 in / 6 out per group
  expectMatches({.family = "grouped", .in = 16, .out = 16, .height = 6, .group = 2});  // grouped 1x1
}

// A last output block with at most V/2 real channels holds two pixels per
// vector (4, 20, 36 channels on both targets): odd pixel counts, border pixels
// missing a tap on one side of a pair, stride 2, the epilogue with a residual.
TEST_P(ConvKernels, HalfFullLastBlockAccumulatesPixelPairs) {
  for (int64_t out : {4, 20, 36}) {
    expectMatches({.family = "pointwise", .in = 16, .out = out, .height = 7, .width = 9, .epilogue = residualRelu()});
    expectMatches({.family = "dense",
                   .in = 10,
                   .out = out,
                   .height = 9,
                   .width = 13,
                   .kernel = 3,
                   .pads = {1, 1, 1, 1},
                   .epilogue = residualRelu()});
    expectMatches(
        {.family = "dense", .in = 8, .out = out, .height = 11, .kernel = 3, .stride = 2, .pads = {1, 0, 0, 1}});
    expectMatches({.family = "dense", .in = 3, .out = out, .height = 9, .kernel = 3, .stride = 2, .pads = {1, 1, 1, 1}},
                  kPlainInput);
  }
}

// Rows swept once per batch of input blocks (tiling.h: reductionBatchBlocks):
// partial sums in the output between batches, the epilogue (residual included)
// on the last; an uneven last batch, a partial last input block.
TEST_P(ConvKernels, ReductionBatchesKeepPartialSumsInTheOutput) {
  for (Layer layer :
       {Layer{.family = "pointwise", .in = 397, .out = 72, .height = 14},
        Layer{.family = "dense", .in = 40, .out = 32, .height = 10, .width = 40, .kernel = 3, .pads = {1, 1, 1, 1}}}) {
    ConvSpec spec = specOf(layer);
    ConvPlan plan = *planConv(spec, target_);
    int64_t width = target_.vectorWidth, inBlocks = ceilDiv(spec.inChannels, width);
    int64_t batch = reductionBatchBlocks(plan.caches, plan.tile.outBlocks, spec.kernelH * spec.kernelW, inBlocks,
                                         ceilDiv(plan.view.outWidth, plan.tile.pixels), int(width));
    EXPECT_LT(batch, inBlocks) << spec.describe();
    Layer withResidual = layer;
    withResidual.epilogue = residualRelu();
    expectMatches(withResidual);
    expectMatches(layer);
  }
}

TEST_P(ConvKernels, EveryEpilogue) {
  using A = Activation;
  std::vector<Epilogue> epilogues = {
      {{EpilogueStep::activate(A::Relu)}},
      {{EpilogueStep::activate(A::Clip, 0, 6)}},
      {{EpilogueStep::activate(A::HardSigmoid, 0.2f, 0.5f)}},
      {{EpilogueStep::activate(A::HardSwish, 1.0f / 6, 0.5f)}},
      {{EpilogueStep::activate(A::Sigmoid)}},
      {{EpilogueStep::activate(A::SiLU)}},
      {{EpilogueStep::activate(A::LeakyRelu, 0.1f)}},
      {{EpilogueStep::activate(A::Tanh)}},
      {{EpilogueStep::activate(A::Gelu)}},
      {{EpilogueStep::activate(A::GeluTanh)}},
      {{EpilogueStep::activate(A::Elu, 0.7f)}},
      {{EpilogueStep::activate(A::Softplus)}},
      {{EpilogueStep::activate(A::Mish)}},
      {{EpilogueStep::activate(A::Selu, 1.6732632f, 1.0507010f)}},
      {{EpilogueStep::addResidual()}},
      {{EpilogueStep::addResidual(), EpilogueStep::activate(A::Relu)}},
  };
  for (const Epilogue& epilogue : epilogues) {
    expectMatches({.family = "pointwise", .in = 8, .out = 24, .height = 6, .epilogue = epilogue});
    expectMatches({.family = "depthwise",
                   .in = 24,
                   .out = 24,
                   .height = 7,
                   .kernel = 3,
                   .group = 24,
                   .pads = {1, 1, 1, 1},
                   .epilogue = epilogue});
  }
}

TEST_P(ConvKernels, RandomSweep) {
  std::uniform_int_distribution<int> pick(0, 1000);
  for (int round = 0; round < 12; ++round) {
    int64_t kernel = 1 + 2 * (pick(rng_) % 3), stride = 1 + pick(rng_) % 2, dilation = 1 + (pick(rng_) % 4 == 0);
    int64_t groupWidth = std::vector<int64_t>{1, 2, 4, 8, 16}[pick(rng_) % 5];
    int64_t groups = 1 + pick(rng_) % 6, multiplier = 1 + pick(rng_) % 2;
    Layer layer{.in = groupWidth * groups,
                .out = groupWidth * groups * multiplier,
                .height = 5 + pick(rng_) % 9,
                .kernel = kernel,
                .stride = stride,
                .dilation = dilation,
                .group = groups};
    for (int64_t& pad : layer.pads) pad = pick(rng_) % (kernel / 2 + 1);
    ConvSpec spec = specOf(layer);
    Expected<ConvPlan> plan = planConv(spec, target_);
    layer.family = plan ? plan->family : "none";
    SCOPED_TRACE(spec.describe());
    expectMatches(layer);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, ConvKernels, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return isaName(info.param); });

}  // namespace
}  // namespace convopt::codegen::testing
