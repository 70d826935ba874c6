// Every conv family against the reference interpreter, on both vector widths, over shape
// sweeps that hit the tile edges: channels below / equal to / not a multiple
// of the vector width, odd sizes, asymmetric pads, stride 2, dilation 2, depth
// multiplier 2, every epilogue.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/target_cpus.h"
#include "codegen/conv/conv_emitter.h"
#include "codegen/engine/jit.h"
#include "conv_harness.h"
#include "ir/int_math.h"
#include "reference_conv.h"

namespace convopt::codegen::testing {
namespace {

struct Layer {
  int64_t in, out, size, kernel = 1, stride = 1, dilation = 1, group = 1;
  int64_t pads[4] = {0, 0, 0, 0};  // top, left, bottom, right
  int64_t width = 0;                // 0: square
};

ConvSpec specOf(const Layer& l, Epilogue epilogue = {}) {
  ConvSpec s;
  s.inChannels = l.in, s.outChannels = l.out, s.group = l.group;
  s.inHeight = l.size, s.inWidth = l.width ? l.width : l.size;
  s.kernelH = s.kernelW = l.kernel;
  s.strideH = s.strideW = l.stride;
  s.dilationH = s.dilationW = l.dilation;
  s.padTop = l.pads[0], s.padLeft = l.pads[1], s.padBottom = l.pads[2], s.padRight = l.pads[3];
  int64_t extent = (l.kernel - 1) * l.dilation + 1;
  s.outHeight = (s.inHeight + s.padTop + s.padBottom - extent) / l.stride + 1;
  s.outWidth = (s.inWidth + s.padLeft + s.padRight - extent) / l.stride + 1;
  s.epilogue = std::move(epilogue);
  return s;
}

// Whether the generated kernel of `spec` prefetches weights (tiling.h: weightPrefetchLines).
bool prefetchesWeights(const ConvSpec& spec, const Target& target) {
  KernelModule module;
  emitConvKernel(*module.module, "conv", *planConv(spec, target), target.vectorWidth);
  return moduleText(*module.module).find("@llvm.prefetch") != std::string::npos;
}

class ConvKernels : public TargetTest<const char*> {
 protected:
  // Plans with the family's own planner, checks the family took it, compares with the oracle.
  // With `plainInput` the kernel reads the input in NCHW (ConvPlan::plainInput).
  void expectMatches(const Layer& layer, const std::string& family, Epilogue epilogue = {}, bool plainInput = false) {
    ConvSpec spec = specOf(layer, std::move(epilogue));
    Expected<ConvPlan> result = planConv(spec, target_);
    ASSERT_TRUE(result) << spec.describe() << ": " << result.reason();
    EXPECT_EQ(result->family, family) << spec.describe();
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
                      << " vs " << expected[i] << " (tile " << result->tile.outBlocks << "x"
                      << result->tile.pixels << ")",
            ++mismatches;
  }

  Target target_ = selectTarget(GetParam());
  std::mt19937 rng_{1234};
};

TEST_P(ConvKernels, Pointwise) {
  for (int64_t in : {3, 8, 16, 21}) expectMatches({in, 24, 5}, "pointwise");
  expectMatches({32, 40, 7, 1, 1, 1, 1, {0, 0, 0, 0}, 9}, "pointwise");
  expectMatches({16, 16, 1}, "pointwise");
}

TEST_P(ConvKernels, LargeWeightsArePrefetchedATileAhead) {
  Layer large{144, 144, 7}, small{64, 64, 7};  // 81 KB and 16 KB of weights
  EXPECT_TRUE(prefetchesWeights(specOf(large), target_));
  EXPECT_FALSE(prefetchesWeights(specOf(small), target_));
  expectMatches(large, "pointwise");
  expectMatches({64, 64, 6, 3, 1, 1, 1, {1, 1, 1, 1}}, "dense");  // 144 KB; border rows skip taps
}

TEST_P(ConvKernels, Dense) {
  expectMatches({3, 16, 11, 3, 2, 1, 1, {1, 1, 1, 1}}, "dense");  // stem
  expectMatches({3, 8, 15, 7, 2, 1, 1, {3, 3, 3, 3}}, "dense");
  expectMatches({8, 20, 9, 3, 1, 1, 1, {1, 0, 2, 1}}, "dense");  // asymmetric pads
  expectMatches({17, 33, 10, 3, 1, 2, 1, {2, 2, 2, 2}}, "dense");  // dilation 2
  expectMatches({32, 64, 7, 3, 2, 1, 1, {1, 1, 1, 1}}, "dense");
  expectMatches({16, 16, 6, 1, 2}, "dense");  // strided 1x1
}

TEST_P(ConvKernels, FewChannelInputReadInPlainLayout) {
  Epilogue relu;
  relu.steps.push_back(EpilogueStep::activate(Activation::Relu));
  expectMatches({3, 16, 11, 3, 2, 1, 1, {1, 1, 1, 1}}, "dense", relu, true);  // stem
  expectMatches({3, 20, 15, 7, 2, 1, 1, {3, 2, 3, 1}}, "dense", {}, true);
  expectMatches({5, 8, 9, 3, 1, 2, 1, {2, 2, 2, 2}, 10}, "dense", {}, true);  // dilation 2, 9x10
  expectMatches({7, 33, 6, 1}, "pointwise", {}, true);
  expectMatches({3, 40, 7, 1, 1, 1, 1, {0, 0, 0, 0}, 9}, "pointwise", {}, true);
}

TEST_P(ConvKernels, PlainInputOnlyForFewChannelsAndOneGroup) {
  int width = target_.vectorWidth;
  auto plan = [&](const Layer& layer) { return *planConv(specOf(layer), target_); };
  EXPECT_FALSE(canReadPlainInput(plan({width, 16, 5, 3, 1, 1, 1, {1, 1, 1, 1}}), width));     // C_in = V
  EXPECT_FALSE(canReadPlainInput(plan({4, 4, 5, 3, 1, 1, 2, {1, 1, 1, 1}}), width));          // two groups
  EXPECT_FALSE(canReadPlainInput(plan({6, 6, 5, 3, 1, 1, 6, {1, 1, 1, 1}}), width));          // depthwise
  EXPECT_TRUE(canReadPlainInput(plan({width - 1, 16, 5, 3, 1, 1, 1, {1, 1, 1, 1}}), width));
}

TEST_P(ConvKernels, Depthwise) {
  for (int64_t kernel : {3, 5, 7})
    for (int64_t stride : {1, 2}) {
      int64_t pad = kernel / 2;
      expectMatches({24, 24, 13, kernel, stride, 1, 24, {pad, pad, pad, pad}}, "depthwise");
    }
  expectMatches({5, 5, 9, 3, 1, 2, 5, {2, 2, 2, 2}}, "depthwise");       // dilation 2, channels < V
  expectMatches({16, 32, 8, 3, 2, 1, 16, {1, 1, 0, 0}}, "depthwise");    // multiplier 2, asymmetric
  expectMatches({12, 24, 7, 3, 1, 1, 12, {1, 1, 1, 1}}, "depthwise");    // multiplier 2, C < V
  expectMatches({40, 40, 6, 3, 1, 1, 40, {0, 1, 1, 0}, 11}, "depthwise");
}

TEST_P(ConvKernels, Grouped) {
  expectMatches({64, 64, 9, 3, 1, 1, 16, {1, 1, 1, 1}}, "grouped");   // 4 channels per group
  expectMatches({32, 32, 8, 3, 2, 1, 8, {1, 1, 1, 1}}, "grouped");    // 4 per group, stride 2
  expectMatches({48, 48, 7, 3, 1, 1, 3, {1, 1, 1, 1}}, "grouped");    // 16 per group
  expectMatches({64, 64, 5, 3, 1, 1, 2, {1, 1, 1, 1}}, "grouped");    // 32 per group
  expectMatches({12, 24, 7, 3, 1, 2, 4, {2, 2, 2, 2}}, "grouped");    // 3 in / 6 out per group, dilation 2
  expectMatches({16, 16, 6, 1, 1, 1, 2}, "grouped");                  // grouped 1x1
}

// A last output block with at most V/2 real channels holds two pixels per
// vector (4, 20, 36 channels on both targets): odd pixel counts, border pixels
// missing a tap on one side of a pair, stride 2, the epilogue with a residual.
TEST_P(ConvKernels, HalfFullLastBlockAccumulatesPixelPairs) {
  Epilogue residualRelu{{EpilogueStep::addResidual(), EpilogueStep::activate(Activation::Relu)}};
  for (int64_t out : {4, 20, 36}) {
    expectMatches({16, out, 7, 1, 1, 1, 1, {0, 0, 0, 0}, 9}, "pointwise", residualRelu);
    expectMatches({10, out, 9, 3, 1, 1, 1, {1, 1, 1, 1}, 13}, "dense", residualRelu);
    expectMatches({8, out, 11, 3, 2, 1, 1, {1, 0, 0, 1}}, "dense");
    expectMatches({3, out, 9, 3, 2, 1, 1, {1, 1, 1, 1}}, "dense", {}, true);  // plain input
  }
}

// Rows swept once per batch of input blocks (tiling.h: reductionBatchBlocks):
// partial sums in the output between batches, the epilogue (residual included)
// on the last; an uneven last batch, a partial last input block.
TEST_P(ConvKernels, ReductionBatchesKeepPartialSumsInTheOutput) {
  Epilogue residualRelu{{EpilogueStep::addResidual(), EpilogueStep::activate(Activation::Relu)}};
  for (Layer layer : {Layer{397, 72, 14}, Layer{40, 32, 10, 3, 1, 1, 1, {1, 1, 1, 1}, 40}}) {
    ConvSpec spec = specOf(layer);
    ConvPlan plan = *planConv(spec, target_);
    int64_t width = target_.vectorWidth, inBlocks = ceilDiv(spec.inChannels, width);
    int64_t batch = reductionBatchBlocks(plan.caches, plan.tile.outBlocks, spec.kernelH * spec.kernelW, inBlocks,
                                         ceilDiv(plan.view.outWidth, plan.tile.pixels), int(width));
    EXPECT_LT(batch, inBlocks) << spec.describe();
    expectMatches(layer, layer.kernel == 1 ? "pointwise" : "dense", residualRelu);
    expectMatches(layer, layer.kernel == 1 ? "pointwise" : "dense");
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
      {{EpilogueStep::addResidual()}},
      {{EpilogueStep::addResidual(), EpilogueStep::activate(A::Relu)}},
  };
  for (const Epilogue& epilogue : epilogues) {
    expectMatches({8, 24, 6, 1}, "pointwise", epilogue);
    expectMatches({24, 24, 7, 3, 1, 1, 24, {1, 1, 1, 1}}, "depthwise", epilogue);
  }
}

TEST_P(ConvKernels, RandomSweep) {
  std::uniform_int_distribution<int> pick(0, 1000);
  for (int round = 0; round < 12; ++round) {
    int64_t kernel = 1 + 2 * (pick(rng_) % 3), stride = 1 + pick(rng_) % 2, dilation = 1 + (pick(rng_) % 4 == 0);
    int64_t groupWidth = std::vector<int64_t>{1, 2, 4, 8, 16}[pick(rng_) % 5];
    int64_t groups = 1 + pick(rng_) % 6, multiplier = 1 + pick(rng_) % 2;
    Layer layer{groupWidth * groups, groupWidth * groups * multiplier, 5 + pick(rng_) % 9, kernel, stride, dilation,
                groups};
    for (int64_t& pad : layer.pads) pad = pick(rng_) % (kernel / 2 + 1);
    ConvSpec spec = specOf(layer);
    Expected<ConvPlan> plan = planConv(spec, target_);
    std::string family = plan ? plan->family : "none";
    SCOPED_TRACE(spec.describe());
    expectMatches(layer, family);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, ConvKernels, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen::testing
