// Ring fusion (codegen/conv/conv_ring_fusion.h): a producer conv computed row
// by row inside the conv that reads it, against the reference interpreter on
// both vector widths. One table of conv pairs drives the equivalence tests —
// expand -> depthwise (strides 1 and 2, kernels 3/5/7, dilation 2), a stem
// reading the image in plain layout, depthwise -> project, pointwise ->
// pointwise, channel counts that are not multiples of the vector width,
// residual on and off, batch 2 — each fused wherever legal
// (RingFusionUse::Always) and run on 1 thread (one call: every row after an
// image's first reuses the rows the one before left in the ring) and
// on 2 (calls start mid-image and recompute their halo). Then each legality
// condition, whose expected plan is the two kernels unchanged, and the cost
// model's decisions.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "codegen/conv/conv_ring_fusion.h"
#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::has;
using testing::ReferenceCheck;

// Producer p = Conv(x) -> activation a -> consumer c = Conv(a) [+ residual r] -> y.
struct ConvPair {
  const char* name;
  int64_t batch, channels, height, width;
  int64_t mid;                  // producer output channels
  int64_t k1, s1, g1;           // producer kernel, stride, group
  int64_t out, k2, s2, d2, g2;  // consumer output channels, kernel, stride, dilation, group
  const char* activation;       // after each conv: "Relu", "SiLU" (x * Sigmoid(x))
  bool residual;                // y = c + r (r a model input of y's shape)
};

int64_t outSize(int64_t size, int64_t k, int64_t s, int64_t d) {
  int64_t pad = d * (k - 1) / 2;
  return (size + 2 * pad - d * (k - 1) - 1) / s + 1;
}

std::string activate(const char* activation, const std::string& in, const std::string& out) {
  if (std::string(activation) == "Relu") return fmt::format("  {} = Relu ({})\n", out, in);
  return fmt::format("  {0}_s = Sigmoid ({1})\n  {0} = Mul ({1}, {0}_s)\n", out, in);
}

std::string conv(const std::string& out, const std::string& in, const std::string& w, int64_t k, int64_t s, int64_t d,
                 int64_t g) {
  int64_t pad = d * (k - 1) / 2;
  return fmt::format(
      "  {} = Conv <strides = [{s}, {s}], dilations = [{d}, {d}], pads = [{p}, {p}, {p}, {p}], group = {g}> "
      "({}, {}, {}_b)\n",
      out, in, w, w, fmt::arg("s", s), fmt::arg("d", d), fmt::arg("p", pad), fmt::arg("g", g));
}

// The pair as ONNX text: inputs x [, r], then the weights (random initializers).
std::string modelText(const ConvPair& c) {
  int64_t h1 = outSize(c.height, c.k1, c.s1, 1), w1 = outSize(c.width, c.k1, c.s1, 1);
  int64_t h2 = outSize(h1, c.k2, c.s2, c.d2), w2 = outSize(w1, c.k2, c.s2, c.d2);
  std::string y = fmt::format("float[{},{},{},{}]", c.batch, c.out, h2, w2);
  std::string text = fmt::format(
      "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[{},{},{},{}] x{}, float[{},{},{},{}] w1, float[{}] w1_b, "
      "float[{},{},{},{}] w2, float[{}] w2_b) => ({} y)\n{{\n",
      c.batch, c.channels, c.height, c.width, c.residual ? ", " + y + " r" : "", c.mid, c.channels / c.g1, c.k1, c.k1,
      c.mid, c.out, c.mid / c.g2, c.k2, c.k2, c.out, y);
  text += conv("p", "x", "w1", c.k1, c.s1, 1, c.g1) + activate(c.activation, "p", "a");
  text += conv("c", "a", "w2", c.k2, c.s2, c.d2, c.g2);
  text += c.residual ? "  y = Add (c, r)\n" : activate(c.activation, "c", "y");
  return text + "}\n";
}

const ConvPair kPairs[] = {
    // name                       N  C   H   W  mid k1 s1 g1 out k2 s2 d2  g2   act     residual
    {"ExpandDepthwise3Stride1", 1, 16, 14, 14, 20, 1, 1, 1, 20, 3, 1, 1, 20, "SiLU", false},
    {"ExpandDepthwise3Stride2", 1, 8, 15, 13, 24, 1, 1, 1, 24, 3, 2, 1, 24, "Relu", false},
    {"ExpandDepthwise5Stride2", 1, 8, 16, 16, 40, 1, 1, 1, 40, 5, 2, 1, 40, "SiLU", false},
    {"ExpandDepthwise7Residual", 1, 12, 12, 10, 36, 1, 1, 1, 36, 7, 1, 1, 36, "Relu", true},
    {"ExpandDilatedDepthwise", 1, 8, 13, 11, 16, 1, 1, 1, 16, 3, 1, 2, 16, "Relu", false},
    {"StemReadingPlainImage", 1, 3, 32, 30, 16, 3, 2, 1, 16, 3, 1, 1, 16, "SiLU", false},
    {"DepthwiseProjectResidual", 1, 24, 12, 12, 24, 3, 1, 24, 24, 1, 1, 1, 1, "Relu", true},
    {"DepthwiseStride2Project", 1, 20, 14, 9, 20, 3, 2, 20, 12, 1, 1, 1, 1, "SiLU", false},
    {"PointwisePointwise", 1, 16, 9, 9, 40, 1, 1, 1, 8, 1, 1, 1, 1, "Relu", false},
    {"DenseDense3x3", 1, 8, 10, 12, 12, 3, 1, 1, 8, 3, 2, 1, 1, "Relu", false},
    {"Batch2ExpandDepthwise", 2, 8, 11, 12, 24, 1, 1, 1, 24, 3, 2, 1, 24, "SiLU", false},
};

class RingFusedPairs : public TargetTest<std::tuple<const char*, ConvPair, int>> {};

TEST_P(RingFusedPairs, MatchTheReference) {
  const auto& [cpu, pair, threads] = GetParam();
  ReferenceCheck check;
  check.threads = threads;
  check.runtimeInputs = pair.residual ? 2 : 1;
  check.ringFusion = RingFusionUse::Always;
  check.winograd = WinogradUse::Never;  // a 3x3 Winograd candidate is never ring-fused
  std::string explain = expectSameAsReference(modelText(pair), cpu, check);
  EXPECT_EQ(has(explain, "Conv(c): Conv -> kernel k0_ringfused ("), "");
  EXPECT_EQ(has(explain, "Conv(p): Conv -> fused into k0_ringfused"), "");
  if (pair.channels < 8) {  // the stem reads the image as given
    EXPECT_EQ(has(explain, "plain input"), "");
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, RingFusedPairs,
                         ::testing::Combine(::testing::Values("x86-64-v3", "x86-64-v4"), ::testing::ValuesIn(kPairs),
                                            ::testing::Values(1, 2)),
                         [](const auto& info) {
                           std::string isa = std::string(std::get<0>(info.param)) == "x86-64-v3" ? "AVX2" : "AVX512";
                           return fmt::format("{}_{}_{}Threads", isa, std::get<1>(info.param).name,
                                              std::get<2>(info.param));
                         });

class RingFusionLegality : public TargetTest<const char*> {
 protected:
  // The pair's plan when fusion is forced wherever legal: the reason it is not.
  std::string refusedBecause(const std::string& text, int runtimeInputs = 1) {
    ReferenceCheck check;
    check.runtimeInputs = runtimeInputs;
    check.ringFusion = RingFusionUse::Always;
    check.winograd = WinogradUse::Never;
    std::string explain = expectSameAsReference(text, GetParam(), check);
    EXPECT_EQ(explain.find("ringfused"), std::string::npos) << explain;
    return explain;
  }
};

const ConvPair kExpand = kPairs[0];

TEST_P(RingFusionLegality, ProducerOutputAlsoAGraphOutputStays) {
  std::string text = modelText(kExpand);
  text.replace(text.find(") => ("), 6, ") => (float[1,20,14,14] a, ");
  EXPECT_EQ(has(refusedBecause(text), "rejected Conv(c): the producer's output has other readers"), "");
}

TEST_P(RingFusionLegality, ProducerOutputWithASecondReaderStays) {
  std::string text = modelText(kExpand);
  text.replace(text.find("  y = "), 0, "  z = Relu (a)\n");
  text.replace(text.find(") => ("), 6, ") => (float[1,20,14,14] z, ");
  EXPECT_EQ(has(refusedBecause(text), "rejected Conv(c): the producer's output has other readers"), "");
}

TEST_P(RingFusionLegality, ProducerEpilogueReadingAResidualStays) {
  // a = Relu(p + q), q a model input: the producer's epilogue would read q at the ring's offsets.
  std::string text =
      "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[1,16,14,14] x, float[1,20,14,14] q, float[20,16,1,1] w1, "
      "float[20] w1_b, float[20,1,3,3] w2, float[20] w2_b) => (float[1,20,14,14] y)\n{\n" +
      conv("p", "x", "w1", 1, 1, 1, 1) + "  s = Add (p, q)\n  a = Relu (s)\n" + conv("c", "a", "w2", 3, 1, 1, 20) +
      "  y = Relu (c)\n}\n";
  EXPECT_EQ(has(refusedBecause(text, 2), "rejected Conv(c): producer epilogue reads residual operands"), "");
}

TEST_P(RingFusionLegality, WinogradCandidateStays) {
  // The producer is a 3x3 stride-1 dense conv with channels enough for the Winograd domain.
  ConvPair pair{"", 1, 32, 14, 14, 32, 3, 1, 1, 16, 3, 2, 1, 1, "Relu", false};
  ReferenceCheck check;
  check.ringFusion = RingFusionUse::Always;
  std::string explain = expectSameAsReference(modelText(pair), GetParam(), check);
  EXPECT_EQ(has(explain, "rejected Conv(c): a Winograd candidate"), "");
  EXPECT_EQ(explain.find("ringfused"), std::string::npos) << explain;
  check.winograd = WinogradUse::Never;  // --no-winograd: nothing to measure, the pair fuses
  EXPECT_EQ(has(expectSameAsReference(modelText(pair), GetParam(), check), "Conv(c): Conv -> kernel k0_ringfused ("),
            "");
}

TEST_P(RingFusionLegality, NoChainOfRings) {
  // expand -> depthwise -> project: the depthwise conv reads the expand conv's
  // ring, so its own output does not go through a second ring.
  std::string text =
      "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[1,8,12,12] x, float[24,8,1,1] w1, float[24] w1_b, "
      "float[24,1,3,3] w2, float[24] w2_b, float[8,24,1,1] w3, float[8] w3_b) => (float[1,8,12,12] y)\n{\n" +
      conv("p", "x", "w1", 1, 1, 1, 1) + "  a = Relu (p)\n" + conv("c", "a", "w2", 3, 1, 1, 24) + "  b = Relu (c)\n" +
      conv("y", "b", "w3", 1, 1, 1, 1) + "}\n";
  ReferenceCheck check;
  check.ringFusion = RingFusionUse::Always;
  std::string explain = expectSameAsReference(text, GetParam(), check);
  EXPECT_EQ(has(explain, "Conv(c): Conv -> kernel k0_ringfused ("), "");
  EXPECT_EQ(has(explain, "rejected Conv(y): the producer reads a ring of its own producer"), "");
  EXPECT_EQ(has(explain, "Conv(y): Conv -> kernel k1_pointwise"), "");
}

TEST_P(RingFusionLegality, WeightsToStreamStay) {
  // 1x1 conv 64 -> 320 (80 KB of weights): a ring would re-read them for every row.
  ConvPair pair{"", 1, 64, 8, 8, 320, 1, 1, 1, 320, 3, 2, 1, 320, "Relu", false};
  std::string explain = refusedBecause(modelText(pair));
  EXPECT_EQ(has(explain, "rejected Conv(c): producer has weights to stream"), "");
}

TEST_P(RingFusionLegality, OffKeepsBothKernels) {
  ReferenceCheck check;
  check.ringFusion = RingFusionUse::Never;
  std::string explain = expectSameAsReference(modelText(kExpand), GetParam(), check);
  EXPECT_EQ(has(explain, "rejected Conv(c): off (--no-ring-fusion)"), "");
  EXPECT_EQ(has(explain, "Conv(p): Conv -> kernel k0_pointwise"), "");
  EXPECT_EQ(has(explain, "Conv(c): Conv -> kernel k1_depthwise"), "");
}

TEST_P(RingFusionLegality, AnIntermediateThatStaysInL2IsNotFusedByDefault) {
  std::string explain = expectSameAsReference(modelText(kExpand), GetParam());
  EXPECT_EQ(has(explain, "rejected Conv(c): intermediate ("), "");
  EXPECT_EQ(has(explain, "KB) stays in L2 anyway"), "");
}

TEST_P(RingFusionLegality, AWideIntermediateReadByAPointwiseConvIsFusedByDefault) {
  // A 3x3 depthwise conv's 32 channels at 112x112 (1.6 MB) read by a 1x1 conv,
  // which recomputes nothing: mobilenet_v2's first block.
  ConvPair pair{"", 1, 32, 112, 112, 32, 3, 1, 32, 16, 1, 1, 1, 1, "Relu", false};
  std::string explain = expectSameAsReference(modelText(pair), GetParam());
  EXPECT_EQ(has(explain, "Conv(c): Conv -> kernel k0_ringfused (depthwise conv3x3_s1_d1_g32_c32x112x112_o32"), "");
  EXPECT_EQ(has(explain, "> pointwise conv1x1_s1_d1_g1_c32x112x112_o16"), "");
}

INSTANTIATE_TEST_SUITE_P(Targets, RingFusionLegality, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

// The cost model on specs alone (any host): halo rows recomputed at each call
// against the intermediate's round trip.
TEST(RingFusionCostModel, RecomputingWideHalosDoesNotPay) {
  Target target = avx512Target();
  auto plan = [&](int64_t k2, int64_t s2) {
    ConvSpec producer, consumer;
    producer.inChannels = 24, producer.outChannels = consumer.inChannels = consumer.outChannels = 144;
    producer.inHeight = producer.inWidth = producer.outHeight = producer.outWidth = 56;
    consumer.inHeight = consumer.inWidth = 56;
    consumer.outHeight = consumer.outWidth = (56 + 2 * (k2 / 2) - k2) / s2 + 1;
    consumer.kernelH = consumer.kernelW = k2, consumer.strideH = consumer.strideW = s2;
    consumer.padTop = consumer.padLeft = consumer.padBottom = consumer.padRight = k2 / 2;
    consumer.group = 144;
    return planRingFusion(producer, *planConv(producer, target), consumer, *planConv(consumer, target), target);
  };
  // 1.8 MB intermediate: a 1x1 reader recomputes nothing; a 5x5 stride-2 one 3 rows per call.
  EXPECT_TRUE(plan(1, 1));
  Expected<RingFusionPlan> wide = plan(5, 2);
  ASSERT_FALSE(wide);
  EXPECT_NE(wide.reason().find("recomputing 3 halo rows per call"), std::string::npos) << wide.reason();
}

}  // namespace
}  // namespace convopt::codegen
