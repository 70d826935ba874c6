// Per-layer choice of direct or Winograd convolution by measurement (`--tune`;
// then conv_variant_tuning.h tunes the convs that stay direct).
// The estimate of conv/winograd.h was fitted at one thread on one host, and
// the choice turns on the host: on a Zen 5 VM whose two vCPUs share no cache,
// resnet18_w025's 3x3 convs ran 2x faster in the Winograd domain at 1 thread
// but 1.2x slower than direct at 2 (its transforms move their scratch tensors
// between the cores' caches), while squeezenet1_1's and sepnet_merged's still
// won at 2. So tuning compiles the model three times — every legal 3x3 conv
// direct, in F(2x2,3x3), in F(4x4,3x3) — times whole inferences of each at the
// engine's thread count with a per-step profile, in alternating rounds
// (tuning_rounds.h), and keeps per layer key
// (conv/conv_spec.h) the fastest by its median over the rounds. Convs of the
// main graph only: those of If / Loop bodies keep the estimate.
#pragma once
#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "codegen/engine/jit_engine.h"

namespace convopt::codegen {

struct WinogradTuning {
  struct Layer {
    std::string key;             // convLayerKey
    int convs = 0;               // convs of the model with this key
    std::array<double, 3> ms{};  // per run, summed over its convs: direct, F(2x2), F(4x4)
    int tile = 0;                // the fastest: 0 (direct), 2 or 4
  };
  std::vector<Layer> layers;
  int rounds = 0;
  // key -> tile, for EngineOptions::measuredWinogradTiles
  std::map<std::string, int> tiles() const;
};

// `progress` hears one line per round. Rounds continue while they fit in
// `budgetSeconds` (at least 3, at most 15); no layer to tune: no rounds.
WinogradTuning tuneWinograd(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& shapes,
                            const EngineOptions& options, double budgetSeconds,
                            const std::function<void(const std::string&)>& progress);

}  // namespace convopt::codegen
