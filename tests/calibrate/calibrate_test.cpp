// `convopt calibrate`'s pieces: the probe pairs differ by exactly the probed
// op, and the fit turns timings back into the rates they were made from.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "ir/shape_inference.h"
#include "passes/cost_model.h"
#include "tools/calibrate/cost_table_fit.h"
#include "tools/calibrate/probe_models.h"

namespace convopt::tools::calibrate {
namespace {

std::map<std::string, int> opCounts(const ir::Model& model) {
  std::map<std::string, int> counts;
  for (const ir::Node* node : model.graph->nodes()) ++counts[node->opType];
  return counts;
}

TEST(ProbeModels, PairsDifferByTheRepeatedOpAndKeepTheTensorShape) {
  for (const Probe& probe : probeTable()) {
    SCOPED_TRACE(probe.name);
    auto [without, with] = probeModels(probe);
    std::map<std::string, int> extra = opCounts(with);
    for (auto& [op, n] : opCounts(without)) extra[op] -= n;
    std::erase_if(extra, [](const auto& entry) { return entry.second == 0; });
    std::map<std::string, int> expected;
    if (probe.op == ProbeOp::Conv) expected = {{"Conv", kProbeRepeats * (probe.multiplier > 1 ? 2 : 1)}};
    if (probe.op == ProbeOp::Gather) expected = {{"Gather", kProbeRepeats}};
    if (probe.op == ProbeOp::SplitConcat)
      expected = {{"Split", kProbeRepeats}, {"Relu", 2 * kProbeRepeats}, {"Concat", kProbeRepeats}};
    EXPECT_EQ(extra, expected);
    for (ir::Model* model : {&without, &with}) {
      ir::inferShapes(*model);
      const ir::Value* y = model->graph->outputs().at(0);
      ASSERT_TRUE(y->type.hasStaticShape());
      EXPECT_EQ(y->type.staticShape(), (std::vector<int64_t>{1, probe.channels, probe.side, probe.side}));
    }
  }
}

// Timings made from a known table: one op of each probe takes what `truth`
// predicts, the op-free model 1 ms.
std::vector<ProbeTiming> timingsFrom(const passes::CostModel& truth) {
  std::vector<ProbeTiming> timings;
  for (const Probe& probe : probeTable()) {
    double seconds = truth.table().nodeSeconds;
    if (probe.op == ProbeOp::Gather) seconds = truth.gatherSeconds(probe.tensorBytes());
    if (probe.op == ProbeOp::SplitConcat) seconds = 2 * truth.splitConcatSeconds(probe.tensorBytes());
    if (probe.op == ProbeOp::Conv && probe.name != "tiny") seconds = truth.convSeconds(probe.geometry());
    if (probe.multiplier > 1) seconds += truth.convSeconds(probe.pointwiseGeometry());
    timings.push_back({probe, 1.0, 1.0 + kProbeRepeats * seconds * 1e3});
  }
  // A depth multiplier without a kernel (9 when only 1..8 have one), at 1 GMAC/s.
  Probe fallback = depthwiseMultiplierProbe(16, 9);
  double seconds = truth.table().nodeSeconds + double(fallback.geometry().macs()) / 1e9 +
                   truth.convSeconds(fallback.pointwiseGeometry());
  timings.push_back({fallback, 1.0, 1.0 + kProbeRepeats * seconds * 1e3});
  return timings;
}

TEST(CostTableFit, RecoversTheRatesTheTimingsWereMadeFrom) {
  passes::CostTable t;
  t.nodeSeconds = 1e-6;
  t.streamBytesPerSecond = 1e12;  // nothing memory bound: every time is its rate's
  t.gatherBytesPerSecond = 5e9;
  t.splitConcatBytesPerSecond = 20e9;
  // Each kind with its own fixed time, as onnxruntime's grouped convs outside its blocked layout.
  t.rates = {{ir::ConvKind::Dense, 1, 1, 9, 100e9, 3e-6},
             {ir::ConvKind::Pointwise, 1, 1, 1, 80e9, 1e-6},
             {ir::ConvKind::Grouped, 1, 1, 9, 30e9, 30e-6},
             {ir::ConvKind::Depthwise, 1, 1, 9, 20e9, 2e-6}};
  // One rate per kind whatever the channels: the fit must find it at every probe.
  passes::CostModel truth(t);
  passes::CostTable fitted =
      fitCostTable(timingsFrom(truth), {"convopt", "test CPU", "2026-12-03", 1, {1, 2, 3, 4, 5, 6, 7, 8}});
  EXPECT_EQ(fitted.runtime, "convopt");
  EXPECT_EQ(fitted.host, "test CPU");
  EXPECT_NEAR(fitted.nodeSeconds, 1e-6, 1e-12);
  EXPECT_NEAR(fitted.gatherBytesPerSecond, 5e9, 1e3);
  EXPECT_NEAR(fitted.splitConcatBytesPerSecond, 20e9, 1e3);
  // The fit subtracts its own prediction of the pointwise conv after the
  // fallback one, whose memory roofline uses the stream bandwidth it derived
  // from the depthwise probe, not the truth's: hence 1%.
  EXPECT_NEAR(fitted.fallbackMacsPerSecond / 1e9, 1.0, 0.01);
  EXPECT_EQ(fitted.nativeDepthMultipliers.size(), 8u);
  for (const passes::KernelRate& rate : fitted.rates) {
    SCOPED_TRACE(fmt::format("{} {}x{} k{}", ir::convKindName(rate.kind), rate.inPerGroup, rate.outPerGroup,
                             rate.kernelElements));
    double expected = rate.kind == ir::ConvKind::Dense       ? 100e9
                      : rate.kind == ir::ConvKind::Pointwise ? 80e9
                      : rate.kind == ir::ConvKind::Grouped   ? 30e9
                                                             : 20e9;
    EXPECT_NEAR(rate.macsPerSecond / expected, 1.0, 1e-6);
    double overhead = rate.kind == ir::ConvKind::Dense       ? 3e-6
                      : rate.kind == ir::ConvKind::Pointwise ? 1e-6
                      : rate.kind == ir::ConvKind::Grouped   ? 30e-6
                                                             : 2e-6;
    EXPECT_NEAR(rate.overheadSeconds, overhead, 1e-12);
  }
  // Each depth multiplier has its own entry.
  EXPECT_EQ(
      std::count_if(fitted.rates.begin(), fitted.rates.end(),
                    [](const passes::KernelRate& r) { return r.kind == ir::ConvKind::Depthwise && r.outPerGroup > 1; }),
      2);
}

}  // namespace
}  // namespace convopt::tools::calibrate
