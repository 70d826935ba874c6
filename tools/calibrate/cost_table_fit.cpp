#include "tools/calibrate/cost_table_fit.h"

#include <algorithm>

#include "ir/error.h"

namespace convopt::tools::calibrate {

double ProbeTiming::opSeconds() const {
  // A difference within noise of zero still counts as a little time.
  return std::max((withMs - withoutMs) / kProbeRepeats, 1e-5) * 1e-3;
}

passes::CostTable fitCostTable(const std::vector<ProbeTiming>& timings, const TableIdentity& identity) {
  passes::CostTable table;
  table.runtime = identity.runtime;
  table.host = identity.host;
  table.measured = identity.measured;
  table.threads = identity.threads;
  table.nativeDepthMultipliers = identity.nativeDepthMultipliers;
  auto find = [&](const std::string& name) -> const ProbeTiming& {
    for (const ProbeTiming& t : timings)
      if (t.probe.name == name) return t;
    throwInputError("calibration: probe '{}' was not timed", name);
  };
  table.nodeSeconds = find("tiny").opSeconds();
  auto work = [&](const ProbeTiming& t) { return std::max(t.opSeconds() - table.nodeSeconds, 0.25 * t.opSeconds()); };
  const ProbeTiming& depthwise = find("depthwise3x3_c128_g128");
  table.streamBytesPerSecond = double(depthwise.probe.geometry().bytesMoved()) / work(depthwise);
  const ProbeTiming& gather = find("gather_c128");
  table.gatherBytesPerSecond = double(gather.probe.tensorBytes()) / gather.opSeconds();
  const ProbeTiming& splitConcat = find("split_concat_c128");
  table.splitConcatBytesPerSecond = 2.0 * double(splitConcat.probe.tensorBytes()) / splitConcat.opSeconds();
  auto addRate = [&](const ProbeTiming& t, double seconds, double overheadSeconds) {
    passes::ConvGeometry g = t.probe.geometry();
    table.rates.push_back({g.kind(), g.inChannels / g.group, g.outChannels / g.group, g.kernelElements,
                           double(g.macs()) / std::max(seconds, 0.25 * t.opSeconds()), overheadSeconds});
  };
  // A conv probe and its small twin: the rate from the MACs and time between
  // them (the small one at most three quarters of the large one's time, so
  // noise cannot make the rate infinite), the overhead from the small one's rest.
  for (const ProbeTiming& t : timings) {
    if (t.probe.op != ProbeOp::Conv || t.probe.name == "tiny" || t.probe.multiplier != 1 || t.probe.side == kSmallSide)
      continue;
    const ProbeTiming& small = find(smallTwin(t.probe).name);
    double macs = double(t.probe.geometry().macs()), smallMacs = double(small.probe.geometry().macs());
    double rate = (macs - smallMacs) / std::max(t.opSeconds() - small.opSeconds(), 0.25 * t.opSeconds());
    addRate(t, macs / rate, std::max(small.opSeconds() - smallMacs / rate, 0.0));
  }
  // Then the depthwise multipliers, less the pointwise conv the table now predicts.
  passes::CostModel sofar(table);
  const std::vector<int64_t>& native = identity.nativeDepthMultipliers;
  for (const ProbeTiming& t : timings) {
    if (t.probe.multiplier == 1) continue;
    // Its fixed time: the depthwise entries' (a multiplier without a kernel: the node's).
    double overhead = sofar.overheadSeconds(t.probe.geometry());
    double seconds = t.opSeconds() - overhead - sofar.convSeconds(t.probe.pointwiseGeometry());
    if (native.empty() || std::find(native.begin(), native.end(), t.probe.multiplier) != native.end())
      addRate(t, seconds, overhead);
    else
      table.fallbackMacsPerSecond = double(t.probe.geometry().macs()) / std::max(seconds, 0.25 * t.opSeconds());
  }
  if (!native.empty() && table.fallbackMacsPerSecond == 0)
    throwInputError("calibration: no probe measured the fallback of a depth multiplier without a kernel");
  return table;
}

}  // namespace convopt::tools::calibrate
