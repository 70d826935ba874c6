#include "codegen/engine/conv_variant_tuning.h"

#include <memory>
#include <set>
#include <span>

#include "codegen/engine/tuning_rounds.h"
#include "runtime/median.h"
#include "runtime/random_inputs.h"

namespace convopt::codegen {

std::map<std::string, ConvVariant> ConvVariantTuning::variants() const {
  std::map<std::string, ConvVariant> result;
  for (const Layer& layer : layers) result[layer.key] = layer.chosen;
  return result;
}

ConvVariant chooseConvVariant(double heuristicMs, const std::map<ConvVariant, double>& variantMs) {
  ConvVariant chosen = ConvVariant::Heuristic;
  double best = heuristicMs * (1 - kMinVariantGain);
  for (const auto& [variant, ms] : variantMs)
    if (ms < best) chosen = variant, best = ms;
  return chosen;
}

ConvVariantTuning tuneConvVariants(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& shapes,
                                   const EngineOptions& options, double budgetSeconds,
                                   const std::function<void(const std::string&)>& progress) {
  auto start = std::chrono::steady_clock::now();
  EngineOptions heuristic = tuningCandidateOptions(options);
  heuristic.measuredConvVariants.clear();
  std::vector<std::unique_ptr<JitEngine>> engines;
  engines.push_back(std::make_unique<JitEngine>(model, shapes, heuristic));
  // Per layer key: its direct convs and the variants in play for them.
  std::map<std::string, int> convs;
  std::map<std::string, std::set<ConvVariant>> inPlay;
  for (const StepProfile& step : engines[0]->profile()) {
    if (step.convKey.empty()) continue;
    ++convs[step.convKey];
    inPlay[step.convKey].insert(step.convVariants.begin(), step.convVariants.end());
  }
  std::vector<ConvVariant> candidates{ConvVariant::Heuristic};       // per engine
  for (ConvVariant variant : std::span(kConvVariants).subspan(1)) {  // after Heuristic
    EngineOptions forced = heuristic;
    for (const auto& [key, variants] : inPlay)
      if (variants.count(variant)) forced.measuredConvVariants[key] = variant;
    if (forced.measuredConvVariants.empty()) continue;
    engines.push_back(std::make_unique<JitEngine>(model, shapes, forced));
    candidates.push_back(variant);
  }
  ConvVariantTuning tuning;
  if (convs.empty()) return tuning;
  runtime::TensorMap inputs = runtime::randomInputs(*model.graph, {0, shapes, {}});
  TimedRounds timed = timeLayerRounds(
      engines, inputs, [](const StepProfile& step) { return step.convKey; }, budgetSeconds, start,
      "direct conv variants", progress);
  tuning.rounds = timed.rounds;
  for (const auto& [key, rounds] : timed.ms) {
    ConvVariantTuning::Layer layer{key, convs[key], runtime::medianOf(rounds[0]), {}, ConvVariant::Heuristic};
    for (size_t c = 1; c < candidates.size(); ++c)
      if (inPlay[key].count(candidates[c])) layer.variantMs[candidates[c]] = runtime::medianOf(rounds[c]);
    layer.chosen = chooseConvVariant(layer.heuristicMs, layer.variantMs);
    tuning.layers.push_back(std::move(layer));
  }
  return tuning;
}

}  // namespace convopt::codegen
