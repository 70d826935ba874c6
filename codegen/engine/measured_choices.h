// The code choices an engine takes from measurements rather than estimates:
// those measured on this host at its thread count (`run`/`bench --tune`, kept
// in the tuning cache, tuning_cache.h) over those measured on a CPU of its
// family and checked in (tuning_defaults.json; for code for the host's own
// CPU only). Winograd tiles under WinogradUse::Auto (winograd_tuning.h), the
// direct conv variants always (conv_variant_tuning.h). The CLI's run and bench
// and Python's Session take them; `compile` does not (an artifact's threads
// are chosen where it runs).
#pragma once
#include "codegen/engine/jit_engine.h"

namespace convopt::codegen {

// Fills options.measuredWinogradTiles and measuredConvVariants; a missing or
// damaged cache contributes nothing.
void takeMeasuredChoices(EngineOptions& options);

}  // namespace convopt::codegen
