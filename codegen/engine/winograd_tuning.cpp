#include "codegen/engine/winograd_tuning.h"

#include <algorithm>
#include <memory>

#include "codegen/engine/tuning_rounds.h"
#include "runtime/median.h"
#include "runtime/random_inputs.h"

namespace convopt::codegen {
namespace {

struct Candidate {
  WinogradUse use;
  int tile;
};
constexpr std::array<Candidate, 3> kCandidates{
    {{WinogradUse::Never, 0}, {WinogradUse::Tile2, 2}, {WinogradUse::Tile4, 4}}};

// Convs per layer key: a direct conv is one kernel step.
std::map<std::string, int> convsByKey(const std::vector<StepProfile>& directProfile) {
  std::map<std::string, int> convs;
  for (const StepProfile& step : directProfile)
    if (!step.winogradKey.empty()) ++convs[step.winogradKey];
  return convs;
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
  for (const Candidate& candidate : kCandidates) {
    EngineOptions forced = tuningCandidateOptions(options);
    forced.winograd = candidate.use;
    engines.push_back(std::make_unique<JitEngine>(model, shapes, forced));
  }
  WinogradTuning tuning;
  std::map<std::string, int> convs = convsByKey(engines[0]->profile());
  if (convs.empty()) return tuning;
  TimedRounds timed = timeLayerRounds(
      engines, inputs, [](const StepProfile& step) { return step.winogradKey; }, budgetSeconds, start, "3x3 convs",
      progress);
  tuning.rounds = timed.rounds;
  for (const auto& [key, rounds] : timed.ms) {
    WinogradTuning::Layer layer{key, convs[key], {}, 0};
    // Every candidate compiles every key (a forced tile falls back to direct where it cannot plan).
    for (size_t c = 0; c < kCandidates.size(); ++c) layer.ms[c] = runtime::medianOf(rounds[c]);
    layer.tile = kCandidates[size_t(std::min_element(layer.ms.begin(), layer.ms.end()) - layer.ms.begin())].tile;
    tuning.layers.push_back(layer);
  }
  return tuning;
}

}  // namespace convopt::codegen
