// `convopt bench --trace FILE`: a timeline of a few runs, which thread ran
// which of each step's work units when (JitEngine::setTracing), in the Chrome
// trace event format that chrome://tracing and https://ui.perfetto.dev open:
// one track with the steps, one per thread with its chunks. It shows what a
// profile's averages hide: a thread waiting for the other, a step's units
// taken over, steps too small to share.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "codegen/engine/jit_engine.h"

namespace convopt::tools {

// The trace event JSON of `spans`; `steps` (JitEngine::profile(), program order)
// names them. Track 0 holds the steps, track 1 + t thread t's chunks.
nlohmann::json traceEventJson(const std::vector<codegen::TraceSpan>& spans,
                              const std::vector<codegen::StepProfile>& steps, int threads);

// Time the threads spent in chunks over the time `threads` threads had during
// the traced runs' steps: 1 when every thread worked all along.
double threadBusyShare(const std::vector<codegen::TraceSpan>& spans, int threads);

}  // namespace convopt::tools
