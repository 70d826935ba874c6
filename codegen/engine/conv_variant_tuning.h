// Per-layer choice among a direct conv kernel's variants by measurement
// (`--tune`, after the Winograd choice: the convs that stay direct). The
// kernels' close choices — reduction batches, unrolled reduction steps, the
// order of work units (conv/tiling.h) — come from heuristics fitted on a few
// hosts, and on others they rank differently (batches pay on a Sapphire Rapids
// host's L2 and cost a little on a Zen 5's). So tuning compiles the model once
// with the heuristics' choices and once per variant (Target::measuredConvVariants:
// every layer where the variant changes the kernel takes it), times whole runs
// of all in alternating rounds (tuning_rounds.h), and keeps per layer key the
// fastest by its median over the rounds — a variant only when it beats the
// heuristics by kMinVariantGain, the noise of a layer's median on the hosts
// measured so far. Convs of the main graph only.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "codegen/engine/jit_engine.h"

namespace convopt::codegen {

inline constexpr double kMinVariantGain = 0.02;

struct ConvVariantTuning {
  struct Layer {
    std::string key;  // convLayerKey
    int convs = 0;    // direct convs of the model with this key and a variant in play
    double heuristicMs = 0;
    std::map<ConvVariant, double> variantMs;  // per run, summed over its convs: each variant in play
    ConvVariant chosen = ConvVariant::Heuristic;
  };
  std::vector<Layer> layers;
  int rounds = 0;
  // key -> variant (Heuristic included), for EngineOptions::measuredConvVariants
  std::map<std::string, ConvVariant> variants() const;
};

// The variant of a layer: the fastest in play, if it beats the heuristics' time by kMinVariantGain.
ConvVariant chooseConvVariant(double heuristicMs, const std::map<ConvVariant, double>& variantMs);

// `options` as the engine will run (its Winograd choices decide which convs
// stay direct); `progress` hears one line per round. No direct conv with a
// variant in play: no rounds.
ConvVariantTuning tuneConvVariants(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& shapes,
                                   const EngineOptions& options, double budgetSeconds,
                                   const std::function<void(const std::string&)>& progress);

}  // namespace convopt::codegen
