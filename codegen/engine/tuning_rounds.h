// What `--tune` measures candidates with (winograd_tuning.h,
// conv_variant_tuning.h): one compilation of the model per candidate, timed in
// whole runs with a per-step profile, the candidates alternating round by round
// so that a host whose speed drifts moves them alike; a layer's time is the
// sum of its steps'.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codegen/engine/jit_engine.h"

namespace convopt::codegen {

inline constexpr int kMinTuningRounds = 3, kMaxTuningRounds = 15;

// A candidate's options: every run on the thread count being tuned for (no
// adaptive thread choice), each conv its own steps (no ring fusion: a fused
// kernel carries two convs), no planning observer.
EngineOptions tuningCandidateOptions(EngineOptions options);

// Per layer (`layerOf` a step, "" for none), ms per run of its steps.
std::map<std::string, double> layerTimes(const std::vector<StepProfile>& profile,
                                         const std::function<std::string(const StepProfile&)>& layerOf);

// Layer key (`layerOf` a step, "" for none) -> per candidate (engine) -> ms per run, one per round.
using LayerRounds = std::map<std::string, std::vector<std::vector<double>>>;

struct TimedRounds {
  LayerRounds ms;
  int rounds = 0;
};

// Rounds continue while they fit in `budgetSeconds` since `start` (at least
// kMinTuningRounds, at most kMaxTuningRounds); `progress` hears a line per
// round: "tuning <what> at N thread(s): round R (of 3 to 15), S s".
TimedRounds timeLayerRounds(const std::vector<std::unique_ptr<JitEngine>>& engines, const runtime::TensorMap& inputs,
                            const std::function<std::string(const StepProfile&)>& layerOf, double budgetSeconds,
                            std::chrono::steady_clock::time_point start, const std::string& what,
                            const std::function<void(const std::string&)>& progress);

}  // namespace convopt::codegen
