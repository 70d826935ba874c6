// The code choices an engine or artifact takes from measurements rather than
// estimates: those measured on this host at its thread count (`run`/`bench
// --tune`, kept in the tuning cache, tuning_cache.h) over those measured on a
// CPU of the target's family and checked in (tuning_defaults.json). Winograd
// tiles under WinogradUse::Auto (winograd_tuning.h), the direct conv variants
// always (conv_variant_tuning.h). The CLI's run, bench and compile and
// Python's Session and compile take them (unless told not to: compile
// --no-measured-choices, measured=False); `compile` at the thread count the
// artifact is meant to run at (its --threads).
#pragma once
#include <map>
#include <string>

#include "codegen/engine/jit_engine.h"

namespace convopt::codegen {

struct AotOptions;  // codegen/aot/aot_compiler.h

struct MeasuredChoices {
  std::map<std::string, int> winogradTiles;         // Target::measuredWinogradTiles
  std::map<std::string, ConvVariant> convVariants;  // Target::measuredConvVariants
  size_t fromHost = 0, fromFamily = 0;              // entries (tiles and variants): the cache's / the table's
  std::string familyKey;                            // the table's entry looked up (tuningFamilyKey)
  bool hostCode = false;                            // code for the host's triple: its cache was read
};

// For code for `cpu` on `triple` ("" : the host) run at `threads` (0: one per
// core); a missing or damaged cache contributes nothing, and so does the
// host's cache to code for another triple.
MeasuredChoices measuredChoices(const std::string& cpu, const std::string& triple, int threads, WinogradUse winograd);

// Fills options.measuredWinogradTiles and measuredConvVariants.
void takeMeasuredChoices(EngineOptions& options);
// The same for an artifact meant to run at `threads`; returns what it took.
MeasuredChoices takeMeasuredChoices(AotOptions& options, int threads);

}  // namespace convopt::codegen
