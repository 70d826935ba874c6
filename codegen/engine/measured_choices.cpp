#include "codegen/engine/measured_choices.h"

#include "codegen/engine/tuning_cache.h"
#include "runtime/thread_pool.h"

namespace convopt::codegen {

void takeMeasuredChoices(EngineOptions& options) {
  int threads = runtime::ThreadPool::resolvedThreads(options.threads);
  bool tiles = options.winograd == WinogradUse::Auto;
  options.measuredWinogradTiles.clear();
  options.measuredConvVariants.clear();
  if (options.cpu.empty() || options.cpu == "host" || options.cpu == selectTarget().cpu) {
    std::string family = tuningFamilyKey(threads);
    options.measuredConvVariants = defaultConvVariants(family);
    if (tiles) options.measuredWinogradTiles = defaultWinogradTiles(family);
  }
  std::filesystem::path cache = tuningCachePath();
  std::string hostKey = tuningHostKey(options.cpu, threads);
  for (const auto& [key, variant] : loadConvVariants(cache, hostKey)) options.measuredConvVariants[key] = variant;
  if (tiles)
    for (const auto& [key, tile] : loadWinogradTiles(cache, hostKey)) options.measuredWinogradTiles[key] = tile;
}

}  // namespace convopt::codegen
