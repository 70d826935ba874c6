#include "codegen/engine/winograd_tuning.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "runtime/random_inputs.h"

namespace convopt::codegen {
namespace {

constexpr std::array<WinogradUse, 3> kCandidates{WinogradUse::Never, WinogradUse::Tile2, WinogradUse::Tile4};
constexpr std::array<int, 3> kTiles{0, 2, 4};
constexpr int kMinRounds = 3, kMaxRounds = 15, kRunsPerRound = 5;

// Per layer key: ms per run summed over its steps, and how many convs it covers.
struct KeyTimes {
  std::map<std::string, double> ms;
  std::map<std::string, int> convs;
};

KeyTimes timesByKey(const std::vector<StepProfile>& profile) {
  KeyTimes times;
  std::string lastLabel;
  for (const StepProfile& step : profile) {
    if (step.winogradKey.empty()) continue;
    times.ms[step.winogradKey] += step.ms;
    // A Winograd conv is three consecutive steps of one node: count the node once.
    if (step.label != lastLabel) ++times.convs[step.winogradKey];
    lastLabel = step.label;
  }
  return times;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

std::map<std::string, int> WinogradTuning::tiles() const {
  std::map<std::string, int> result;
  for (const Layer& layer : layers) result[layer.key] = layer.tile;
  return result;
}

WinogradTuning tuneWinograd(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& shapes,
                            const EngineOptions& options, double budgetSeconds,
                            const std::function<void(const std::string&)>& progress) {
  auto start = std::chrono::steady_clock::now();
  runtime::TensorMap inputs = runtime::randomInputs(*model.graph, {0, shapes, {}});
  std::vector<std::unique_ptr<JitEngine>> engines;
  for (WinogradUse use : kCandidates) {
    EngineOptions candidate = options;
    candidate.winograd = use;
    candidate.adaptThreads = false;  // every timed run on the thread count being tuned for
    candidate.afterPlanningStep = {};
    engines.push_back(std::make_unique<JitEngine>(model, shapes, candidate));
  }
  WinogradTuning tuning;
  KeyTimes direct = timesByKey(engines[0]->profile());
  if (direct.convs.empty()) return tuning;
  // times[key][candidate]: ms per run of each round
  std::map<std::string, std::array<std::vector<double>, 3>> times;
  tuning.runsPerRound = kRunsPerRound;
  for (int round = 0; round < kMaxRounds; ++round) {
    for (size_t c = 0; c < engines.size(); ++c) {
      JitEngine& engine = *engines[c];
      engine.run(inputs);  // untimed: brings this engine's constants back into cache
      engine.setProfiling(true);
      for (int run = 0; run < kRunsPerRound; ++run) engine.run(inputs);
      for (const auto& [key, ms] : timesByKey(engine.profile()).ms) times[key][c].push_back(ms);
      engine.setProfiling(false);
    }
    tuning.rounds = round + 1;
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress(fmt::format("tuning 3x3 convs at {} thread(s): round {} of {}-{}, {:.1f} s", engines[0]->threads(),
                         tuning.rounds, kMinRounds, kMaxRounds, elapsed));
    double perRound = elapsed / tuning.rounds;
    if (tuning.rounds >= kMinRounds && elapsed + perRound > budgetSeconds) break;
  }
  for (const auto& [key, candidates] : times) {
    WinogradTuning::Layer layer{key, direct.convs[key], {}, 0};
    for (size_t c = 0; c < candidates.size(); ++c)
      layer.ms[c] = candidates[c].empty() ? 1e300 : median(candidates[c]);
    layer.tile = kTiles[size_t(std::min_element(layer.ms.begin(), layer.ms.end()) - layer.ms.begin())];
    tuning.layers.push_back(layer);
  }
  return tuning;
}

}  // namespace convopt::codegen
