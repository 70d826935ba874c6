#include "codegen/engine/tuning_rounds.h"

#include <fmt/format.h>

namespace convopt::codegen {
namespace {

constexpr int kRunsPerRound = 5;

}  // namespace

EngineOptions tuningCandidateOptions(EngineOptions options) {
  options.adaptThreads = false;
  options.ringFusion = RingFusionUse::Never;
  options.afterPlanningStep = {};
  return options;
}

std::map<std::string, double> layerTimes(const std::vector<StepProfile>& profile,
                                         const std::function<std::string(const StepProfile&)>& layerOf) {
  std::map<std::string, double> ms;
  for (const StepProfile& step : profile)
    if (std::string key = layerOf(step); !key.empty()) ms[key] += step.ms;
  return ms;
}

TimedRounds timeLayerRounds(const std::vector<std::unique_ptr<JitEngine>>& engines, const runtime::TensorMap& inputs,
                            const std::function<std::string(const StepProfile&)>& layerOf, double budgetSeconds,
                            std::chrono::steady_clock::time_point start, const std::string& what,
                            const std::function<void(const std::string&)>& progress) {
  TimedRounds timed;
  for (int round = 0; round < kMaxTuningRounds; ++round) {
    for (size_t c = 0; c < engines.size(); ++c) {
      JitEngine& engine = *engines[c];
      engine.run(inputs);  // untimed: brings this engine's constants back into cache
      engine.setProfiling(true);
      for (int run = 0; run < kRunsPerRound; ++run) engine.run(inputs);
      for (const auto& [key, ms] : layerTimes(engine.profile(), layerOf)) {
        std::vector<std::vector<double>>& candidates = timed.ms[key];
        candidates.resize(engines.size());
        candidates[c].push_back(ms);
      }
      engine.setProfiling(false);
    }
    timed.rounds = round + 1;
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress(fmt::format("tuning {} at {} thread(s): round {} (of {} to {}), {:.1f} s", what, engines[0]->threads(),
                         timed.rounds, kMinTuningRounds, kMaxTuningRounds, elapsed));
    if (timed.rounds >= kMinTuningRounds && elapsed * (timed.rounds + 1) / timed.rounds > budgetSeconds) break;
  }
  return timed;
}

}  // namespace convopt::codegen
