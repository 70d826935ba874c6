// `convopt bench --trace FILE`: a timeline of a few runs, which thread ran
// which of each step's work units when (JitEngine::setTracing), in the Chrome
// trace event format that chrome://tracing and https://ui.perfetto.dev open:
// one track with the steps, one per thread with its chunks. It shows what a
// profile's averages hide: a thread waiting for the other, a step's units
// taken over, steps too small to share. The runs keep the engine's thread
// choice as it stands (a run on one thread leaves the other tracks empty;
// `--fixed-threads` uses all), and a control-flow node's bodies, run by their
// own engines, are one chunk of the caller.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "codegen/engine/jit_engine.h"

namespace convopt::tools {

// The trace event JSON of `spans`; `steps` (JitEngine::profile(), program order)
// names them. Track 0 holds the steps, track 1 + t thread t's chunks.
nlohmann::json traceEventJson(const std::vector<codegen::TraceSpan>& spans,
                              const std::vector<codegen::StepProfile>& steps, int threads);

// Time the threads spent in chunks over the time the threads each step's run
// used had during it: 1 when they all worked all along.
double threadBusyShare(const std::vector<codegen::TraceSpan>& spans);

// Each thread's part in the traced steps the pool shared out (runs on several
// threads, steps of more than one unit): the share of their work units it ran
// (summed across steps, not weighted by what a unit costs in each), its time in
// chunks per traced run, and its time per unit over the caller's: its time in
// the steps where both ran units over the time its units would have taken at
// the caller's rate in each (none if there is no such step; 1 for the caller).
// A thread whose units take longer typically runs on a core slower at that
// moment, or reads what the other thread wrote.
struct ThreadShare {
  int thread = 0;
  double unitShare = 0, busyUsPerRun = 0;
  std::optional<double> timePerUnitVsCaller;
};
std::vector<ThreadShare> threadShares(const std::vector<codegen::TraceSpan>& spans, int threads);

}  // namespace convopt::tools
