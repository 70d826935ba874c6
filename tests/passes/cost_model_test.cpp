// The cost model: figures, the roofline over a table's rates, interpolation
// between entries, the gain rule; cost tables: JSON, built-ins, bad tables.
#include "passes/cost_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "ir/error.h"
#include "tests/support/ir_temp_dir.h"

namespace convopt::passes {
namespace {

ConvGeometry conv(int64_t cin, int64_t cout, int64_t group, int64_t kernel, int64_t pixels) {
  ConvGeometry g;
  g.inChannels = cin;
  g.outChannels = cout;
  g.group = group;
  g.kernelElements = kernel;
  g.inPixels = pixels;
  g.outPixels = pixels;
  return g;
}

// Round numbers: 2 us per node, 10 GB/s streaming, rates in GMAC/s.
CostTable table() {
  CostTable t;
  t.runtime = "convopt";
  t.nodeSeconds = 2e-6;
  t.streamBytesPerSecond = 10e9;
  t.gatherBytesPerSecond = 20e9;
  t.splitConcatBytesPerSecond = 40e9;
  t.rates = {{ir::ConvKind::Dense, 64, 64, 9, 40e9},
             {ir::ConvKind::Pointwise, 64, 64, 1, 50e9},
             {ir::ConvKind::Grouped, 4, 4, 9, 10e9},
             {ir::ConvKind::Grouped, 16, 16, 9, 20e9},
             {ir::ConvKind::Depthwise, 1, 1, 9, 50e9}};
  return t;
}

TEST(CostModel, FiguresFollowTheConvDefinition) {
  ConvGeometry g = conv(32, 64, 2, 9, 100);
  g.hasBias = true;
  EXPECT_EQ(g.kind(), ir::ConvKind::Grouped);
  EXPECT_EQ(g.params(), 64 * 16 * 9 + 64);
  EXPECT_EQ(g.macs(), 100 * 64 * 16 * 9);
  EXPECT_EQ(g.bytesMoved(), 4 * (100 * 32 + 100 * 64 + g.params()));
  EXPECT_EQ(conv(8, 8, 8, 9, 1).kind(), ir::ConvKind::Depthwise);
  EXPECT_EQ(conv(8, 8, 1, 1, 1).kind(), ir::ConvKind::Pointwise);
}

// The pipeline fuzz target: a conv whose output (here 2^59 elements) fits 64 bits while its
// MACs do not overflowed the product (UBSan). The figures stop at INT64_MAX.
TEST(CostModel, FiguresBeyond64BitsSaturate) {
  ConvGeometry g = conv(512, 64, 1, 9, int64_t{1} << 53);
  EXPECT_EQ(g.macs(), INT64_MAX);
  EXPECT_EQ(g.bytesMoved(), INT64_MAX);
  EXPECT_EQ(conv(512, 64, 1, 9, 0).macs(), 0);
  EXPECT_GT(CostModel(table()).convSeconds(g), 1e6);
}

TEST(CostModel, ComputeBoundTimeIsMacsOverTheMeasuredRate) {
  CostModel model(table());
  ConvGeometry g = conv(64, 64, 1, 9, 56 * 56);
  EXPECT_DOUBLE_EQ(model.convSeconds(g), 2e-6 + double(g.macs()) / 40e9);
}

TEST(CostModel, MemoryBoundTimeIsBytesOverBandwidth) {
  CostModel model(table());
  ConvGeometry g = conv(64, 64, 64, 9, 112 * 112);  // depthwise: few MACs per byte
  ASSERT_GT(double(g.bytesMoved()) / 10e9, double(g.macs()) / 50e9);
  EXPECT_DOUBLE_EQ(model.convSeconds(g), 2e-6 + double(g.bytesMoved()) / 10e9);
}

TEST(CostModel, RatesInterpolateBetweenTheNearestEntriesInLogSpace) {
  CostModel model(table());
  // 8 channels per group lies halfway (in log) between the 4 and 16 entries.
  EXPECT_NEAR(model.macsPerSecond(conv(64, 64, 8, 9, 1)), std::sqrt(10e9 * 20e9), 1e3);
  EXPECT_DOUBLE_EQ(model.macsPerSecond(conv(64, 64, 16, 9, 1)), 10e9);  // an entry itself
  // Beyond the last entry the rate leans to the nearer one.
  double wide = model.macsPerSecond(conv(64, 64, 2, 9, 1));  // 32 per group
  EXPECT_GT(wide, std::sqrt(10e9 * 20e9));
  EXPECT_LE(wide, 20e9);
}

TEST(CostModel, AnEntrysOverheadReplacesTheNodeOverheadAndInterpolatesLinearly) {
  CostTable t = table();
  t.rates[2].overheadSeconds = 30e-6;  // grouped, 4 per group
  t.rates[3].overheadSeconds = 10e-6;  // grouped, 16 per group
  CostModel model(t);
  ConvGeometry narrow = conv(64, 64, 16, 9, 14 * 14);
  EXPECT_DOUBLE_EQ(model.convSeconds(narrow), 30e-6 + double(narrow.macs()) / 10e9);
  EXPECT_NEAR(model.overheadSeconds(conv(64, 64, 8, 9, 1)), 20e-6, 1e-12);  // halfway in log
  // Entries without one keep the table's node overhead.
  ConvGeometry dense = conv(64, 64, 1, 9, 56 * 56);
  EXPECT_DOUBLE_EQ(model.convSeconds(dense), 2e-6 + double(dense.macs()) / 40e9);
  t.nativeDepthMultipliers = {1};
  t.fallbackMacsPerSecond = 1e9;
  EXPECT_DOUBLE_EQ(CostModel(t).overheadSeconds(conv(16, 32, 16, 9, 1)), 2e-6);  // the fallback's
}

TEST(CostModel, KindsWithoutEntriesUseTheDenseOnes) {
  CostTable t = table();
  std::erase_if(t.rates, [](const KernelRate& r) { return r.kind == ir::ConvKind::Grouped; });
  EXPECT_DOUBLE_EQ(CostModel(t).macsPerSecond(conv(64, 64, 4, 9, 1)), 40e9);
}

TEST(CostModel, DepthMultipliersWithoutAKernelRunAtTheFallbackRate) {
  CostTable t = table();
  t.nativeDepthMultipliers = {1, 2, 4};
  t.fallbackMacsPerSecond = 1e9;
  CostModel model(t);
  EXPECT_DOUBLE_EQ(model.macsPerSecond(conv(16, 48, 16, 9, 1)), 1e9);  // multiplier 3
  EXPECT_DOUBLE_EQ(model.macsPerSecond(conv(16, 16, 16, 9, 1)), 50e9);
  EXPECT_GT(model.macsPerSecond(conv(16, 32, 16, 9, 1)), 1e9);
  t.nativeDepthMultipliers.clear();  // a runtime with a kernel for every multiplier
  EXPECT_GT(CostModel(t).macsPerSecond(conv(16, 48, 16, 9, 1)), 1e9);
}

TEST(CostModel, CopiesMoveTheirTensorAtTheMeasuredRates) {
  CostModel model(table());
  EXPECT_DOUBLE_EQ(model.gatherSeconds(1000), 1000 / 20e9);
  EXPECT_DOUBLE_EQ(model.splitConcatSeconds(1000), 1000 / 40e9);
}

TEST(CostModel, GainRuleIsAFractionOfTheOriginal) {
  EXPECT_TRUE(rewritePays(1.0, 0.9, 0.10));
  EXPECT_FALSE(rewritePays(1.0, 0.91, 0.10));
  EXPECT_TRUE(rewritePays(1.0, 1.0, 0.0));
  EXPECT_FALSE(rewritePays(1.0, 1.1, 0.0));
}

TEST(CostTable, JsonRoundTripKeepsEveryField) {
  CostTable t = table();
  t.host = "test CPU";
  t.measured = "2026-12-03";
  t.threads = 2;
  t.nativeDepthMultipliers = {1, 2, 3};
  t.fallbackMacsPerSecond = 0.5e9;
  t.rates[2].overheadSeconds = 31.5e-6;
  CostTable back = parseCostTable(costTableJson(t), "test");
  EXPECT_EQ(back.nativeDepthMultipliers, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_DOUBLE_EQ(back.fallbackMacsPerSecond, 0.5e9);
  EXPECT_EQ(back.runtime, "convopt");
  EXPECT_EQ(back.host, "test CPU");
  EXPECT_EQ(back.measured, "2026-12-03");
  EXPECT_EQ(back.threads, 2);
  EXPECT_DOUBLE_EQ(back.nodeSeconds, 2e-6);
  EXPECT_DOUBLE_EQ(back.streamBytesPerSecond, 10e9);
  EXPECT_DOUBLE_EQ(back.gatherBytesPerSecond, 20e9);
  EXPECT_DOUBLE_EQ(back.splitConcatBytesPerSecond, 40e9);
  ASSERT_EQ(back.rates.size(), t.rates.size());
  EXPECT_EQ(back.rates[2].kind, ir::ConvKind::Grouped);
  EXPECT_EQ(back.rates[2].inPerGroup, 4);
  EXPECT_EQ(back.rates[2].kernelElements, 9);
  EXPECT_DOUBLE_EQ(back.rates[2].macsPerSecond, 10e9);
  EXPECT_DOUBLE_EQ(back.rates[2].overheadSeconds, 31.5e-6);
  EXPECT_LT(back.rates[1].overheadSeconds, 0);  // none given: the node overhead
}

TEST(CostTable, BadTablesNameTheSourceAndTheField) {
  std::string good = costTableJson(table());
  auto message = [](const std::string& text) {
    try {
      parseCostTable(text, "t.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("[1, 2]"), "t.json: not a JSON object");
  std::string noNode = good;
  noNode.replace(noNode.find("\"node_us\""), 9, "\"nodes\"");
  EXPECT_EQ(message(noNode), "t.json: 'node_us' is missing or not a number");
  std::string badKind = good;
  badKind.replace(badKind.find("\"grouped\""), 9, "\"winograd\"");
  EXPECT_EQ(message(badKind), "t.json: rates[2]: unknown conv kind 'winograd' (dense, pointwise, grouped, depthwise)");
  std::string zeroRate = good;
  zeroRate.replace(zeroRate.find("\"gmacs\": 40.0"), 13, "\"gmacs\": 0");
  EXPECT_EQ(message(zeroRate), "t.json: rates[0]: 'gmacs' must be positive, not 0");
  std::string negativeOverhead = good;
  negativeOverhead.replace(negativeOverhead.find("\"gmacs\": 40.0"), 13, "\"gmacs\": 40, \"overhead_us\": -1");
  EXPECT_EQ(message(negativeOverhead), "t.json: rates[0]: 'overhead_us' must be a number >= 0");
  CostTable noDepthwise = table();
  noDepthwise.rates.pop_back();
  EXPECT_EQ(message(costTableJson(noDepthwise)), "t.json: no rate for depthwise convs");
}

TEST(CostTable, EveryRuntimeHasAMeasuredBuiltInTable) {
  for (const std::string& runtime : builtinRuntimes()) {
    const CostTable& t = builtinCostTable(runtime);
    EXPECT_EQ(t.runtime, runtime);
    EXPECT_EQ(t.source, "built-in");
    EXPECT_FALSE(t.host.empty());
    EXPECT_FALSE(t.measured.empty());
    EXPECT_GT(t.rates.size(), 10u);
  }
  EXPECT_THROW(
      {
        try {
          builtinCostTable("tvm");
        } catch (const InputError& e) {
          EXPECT_STREQ(e.what(), "no cost table for runtime 'tvm' (known: convopt, onnxruntime)");
          throw;
        }
      },
      InputError);
}

TEST(CostTable, AMeasuredTableMustBeForTheRuntimeAskedFor) {
  testing::TempDir dir;
  std::string path = (dir / "ort.json").string();
  CostTable ort = table();
  ort.runtime = "onnxruntime";
  std::ofstream(path) << costTableJson(ort);
  EXPECT_EQ(selectCostModel("", path)->table().runtime, "onnxruntime");
  EXPECT_EQ(selectCostModel("onnxruntime", path)->table().source, path);
  try {
    selectCostModel("convopt", path);
    FAIL() << "accepted a table measured for another runtime";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "cost table '" + path + "' was measured for 'onnxruntime', not 'convopt' (--for)");
  }
  EXPECT_EQ(selectCostModel("", "")->table().runtime, "convopt");
}

}  // namespace
}  // namespace convopt::passes
