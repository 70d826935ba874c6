#include "codegen/engine/measured_choices.h"

#include "codegen/aot/aot_compiler.h"
#include "codegen/engine/tuning_cache.h"
#include "runtime/thread_pool.h"

namespace convopt::codegen {

MeasuredChoices measuredChoices(const std::string& cpu, const std::string& triple, int threads, WinogradUse winograd) {
  threads = runtime::ThreadPool::resolvedThreads(threads);
  bool tiles = winograd == WinogradUse::Auto;
  MeasuredChoices choices;
  Target target = selectTarget(cpu, triple);
  choices.familyKey = tuningFamilyKey(target.cpu, threads);
  choices.convVariants = defaultConvVariants(choices.familyKey);
  if (tiles) choices.winogradTiles = defaultWinogradTiles(choices.familyKey);
  choices.fromFamily = choices.convVariants.size() + choices.winogradTiles.size();
  choices.hostCode = target.triple == selectTarget().triple;
  if (!choices.hostCode) return choices;  // the host measured its own code only
  std::filesystem::path cache = tuningCachePath();
  std::string hostKey = tuningHostKey(cpu, threads);
  auto variants = loadConvVariants(cache, hostKey);
  auto measuredTiles = tiles ? loadWinogradTiles(cache, hostKey) : std::map<std::string, int>();
  for (const auto& [key, variant] : variants) choices.convVariants[key] = variant;
  for (const auto& [key, tile] : measuredTiles) choices.winogradTiles[key] = tile;
  choices.fromHost = variants.size() + measuredTiles.size();
  return choices;
}

void takeMeasuredChoices(EngineOptions& options) {
  MeasuredChoices choices = measuredChoices(options.cpu, options.triple, options.threads, options.winograd);
  options.measuredWinogradTiles = std::move(choices.winogradTiles);
  options.measuredConvVariants = std::move(choices.convVariants);
}

MeasuredChoices takeMeasuredChoices(AotOptions& options, int threads) {
  MeasuredChoices choices = measuredChoices(options.cpu, options.triple, threads, options.winograd);
  options.measuredWinogradTiles = choices.winogradTiles;
  options.measuredConvVariants = choices.convVariants;
  return choices;
}

}  // namespace convopt::codegen
