// `--winograd MODE` / `--no-winograd` of the commands that generate code
// (run, bench, compile): whether 3x3 convs may run in the Winograd domain
// (codegen/conv/winograd.h); codegen::winogradUseNamed reads the mode.
// run and bench also take `--tune`: measure per layer whether direct,
// F(2x2,3x3) or F(4x4,3x3) runs fastest on this host at this thread count
// (under mode auto; codegen/engine/winograd_tuning.h), then which variant of each direct conv's
// kernel (codegen/engine/conv_variant_tuning.h), keep them in the tuning cache
// (codegen/engine/tuning_cache.h), and use them; without --tune, they use what
// the cache holds for this host and thread count, else the choices checked in
// for the target CPU's family, the estimate and the heuristics elsewhere (tiles
// under mode auto only); `compile` takes them for its --threads
// (codegen/engine/measured_choices.h). `--no-ring-fusion` (the same commands)
// turns off ring fusion (codegen/conv/conv_ring_fusion.h), the other
// code-generation choice a user makes. run and bench also take
// `--no-kernel-cache`: compile every kernel afresh, and keep none
// (codegen/engine/object_cache.h).
#pragma once
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "codegen/engine/jit_engine.h"

namespace convopt::tools {

void addWinogradOption(CLI::App* command, std::string& mode);
void addRingFusionOption(CLI::App* command, codegen::RingFusionUse& use);
void addKernelCacheOption(CLI::App* command, bool& use);

struct WinogradChoice {
  std::string mode;
  bool tune = false;
  double tuneSeconds = 30;
};
void addWinogradOptions(CLI::App* command, WinogradChoice& choice);

// Sets options.winograd, options.measuredConvVariants and, in mode auto,
// options.measuredWinogradTiles: read from the cache over the target CPU
// family's checked-in choices (codegen/engine/measured_choices.h), then with
// --tune measured now (progress and a table of the layers on stderr, the
// result stored in the cache: InputError if it cannot be).
void applyWinogradChoice(const WinogradChoice& choice, const ir::Model& model,
                         const std::map<std::string, std::vector<int64_t>>& shapes, codegen::EngineOptions& options);

}  // namespace convopt::tools
