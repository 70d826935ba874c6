#include "tools/winograd_option.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "codegen/engine/conv_variant_tuning.h"
#include "codegen/engine/measured_choices.h"
#include "codegen/engine/tuning_cache.h"
#include "codegen/engine/winograd_tuning.h"
#include "runtime/thread_pool.h"

namespace convopt::tools {

void addWinogradOption(CLI::App* command, std::string& mode) {
  mode = "auto";
  command
      ->add_option("--winograd", mode,
                   "3x3 stride-1 convs in the Winograd domain: auto (where it pays: as `run`/`bench --tune` measured "
                   "on this host, else as measured on its CPU family and checked in, else estimated), off, f2 or f4 "
                   "(F(2x2,3x3) / F(4x4,3x3) wherever legal)")
      ->check(CLI::IsMember({"auto", "off", "f2", "f4"}))
      ->capture_default_str();
  command->add_flag_callback(
      "--no-winograd", [&mode] { mode = "off"; }, "Same as --winograd off: direct convolution only");
}

void addRingFusionOption(CLI::App* command, codegen::RingFusionUse& use) {
  command->add_flag_callback(
      "--no-ring-fusion", [&use] { use = codegen::RingFusionUse::Never; },
      "Every conv writes its whole output to memory: none is computed row by row inside the conv that reads it "
      "(ring fusion, by default where the intermediate would leave L2 and that pays)");
}

void addKernelCacheOption(CLI::App* command, bool& use) {
  command->add_flag_callback(
      "--no-kernel-cache", [&use] { use = false; },
      "Compile every kernel afresh and keep none: by default the objects compiled for a model are kept in "
      "kernels/ beside the tuning cache (safe to delete; at most 256 MB, the least recently used go first), and "
      "a later run of the same kernels for this CPU by this convopt build loads them instead of compiling");
}

void addWinogradOptions(CLI::App* command, WinogradChoice& choice) {
  addWinogradOption(command, choice.mode);
  command->add_flag("--tune", choice.tune,
                    "First time every legal 3x3 conv direct, as F(2x2,3x3) and as F(4x4,3x3) in whole runs on this "
                    "host at this thread count (under --winograd auto), then the direct convs' kernel variants (one "
                    "reduction sweep instead "
                    "of batches, steps not unrolled, the other work-unit order); keep the fastest per layer in the "
                    "tuning cache, tuning.json in $CONVOPT_CACHE_DIR, else $XDG_CACHE_HOME/convopt, else "
                    "~/.cache/convopt (safe to delete), which later runs and benches use");
  command
      ->add_option("--tune-seconds", choice.tuneSeconds,
                   "Time budget of --tune: half for the Winograd choice, the rest for the variants (at least 3 "
                   "rounds of each run)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

namespace {

void printTuning(const codegen::WinogradTuning& tuning) {
  fmt::print(stderr, "{:<58} {:>5} {:>10} {:>10} {:>10}  choice\n", "3x3 conv layer", "convs", "direct ms", "F(2x2) ms",
             "F(4x4) ms");
  for (const codegen::WinogradTuning::Layer& layer : tuning.layers)
    fmt::print(stderr, "{:<58} {:>5} {:>10.4f} {:>10.4f} {:>10.4f}  {}\n", layer.key, layer.convs, layer.ms[0],
               layer.ms[1], layer.ms[2], layer.tile ? fmt::format("F({0}x{0})", layer.tile) : "direct");
}

void printTuning(const codegen::ConvVariantTuning& tuning) {
  fmt::print(stderr, "{:<58} {:>5} {:>12} {:>12} {:>12} {:>12}  choice\n", "direct conv layer", "convs", "heuristic ms",
             "one-sweep ms", "no-unroll ms", "other-order");
  for (const codegen::ConvVariantTuning::Layer& layer : tuning.layers) {
    auto ms = [&](codegen::ConvVariant variant) {
      auto found = layer.variantMs.find(variant);
      return found == layer.variantMs.end() ? std::string("-") : fmt::format("{:.4f}", found->second);
    };
    fmt::print(stderr, "{:<58} {:>5} {:>12.4f} {:>12} {:>12} {:>12}  {}\n", layer.key, layer.convs, layer.heuristicMs,
               ms(codegen::ConvVariant::OneReductionSweep), ms(codegen::ConvVariant::NoStepUnroll),
               ms(codegen::ConvVariant::OtherUnitOrder), codegen::convVariantName(layer.chosen));
  }
}

// Each returns whether it stored a measurement.
bool tuneTiles(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& shapes,
               codegen::EngineOptions& options, double seconds, const std::filesystem::path& cache,
               const std::string& hostKey) {
  codegen::WinogradTuning tuning = codegen::tuneWinograd(
      model, shapes, options, seconds, [](const std::string& line) { fmt::print(stderr, "{}\n", line); });
  if (tuning.layers.empty()) {
    fmt::print(stderr,
               "--tune: no 3x3 conv of the main graph may run in the Winograd domain (those of If / Loop bodies "
               "keep the estimate)\n");
    return false;
  }
  printTuning(tuning);
  codegen::storeWinogradTiles(cache, hostKey, tuning.tiles());  // `bench --processes` reads it from there
  for (const auto& [key, tile] : tuning.tiles()) options.measuredWinogradTiles[key] = tile;
  return true;
}

bool tuneVariants(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& shapes,
                  codegen::EngineOptions& options, double seconds, const std::filesystem::path& cache,
                  const std::string& hostKey) {
  codegen::ConvVariantTuning tuning = codegen::tuneConvVariants(
      model, shapes, options, seconds, [](const std::string& line) { fmt::print(stderr, "{}\n", line); });
  if (tuning.layers.empty()) {
    fmt::print(stderr, "--tune: no direct conv of the main graph has a kernel variant to measure\n");
    return false;
  }
  printTuning(tuning);
  codegen::storeConvVariants(cache, hostKey, tuning.variants());
  for (const auto& [key, variant] : tuning.variants()) options.measuredConvVariants[key] = variant;
  return true;
}

}  // namespace

void applyWinogradChoice(const WinogradChoice& choice, const ir::Model& model,
                         const std::map<std::string, std::vector<int64_t>>& shapes, codegen::EngineOptions& options) {
  options.winograd = codegen::winogradUseNamed(choice.mode);
  codegen::takeMeasuredChoices(options);
  if (!choice.tune) return;
  std::string hostKey = codegen::tuningHostKey(options.cpu, runtime::ThreadPool::resolvedThreads(options.threads));
  std::filesystem::path cache = codegen::tuningCachePath();
  codegen::storeWinogradTiles(cache, hostKey, {});  // a cache that cannot be written fails before the timing
  auto start = std::chrono::steady_clock::now();
  // Under --winograd auto, half the budget measures the Winograd choice; the convs that stay direct get the rest.
  bool stored = options.winograd == codegen::WinogradUse::Auto &&
                tuneTiles(model, shapes, options, choice.tuneSeconds / 2, cache, hostKey);
  double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stored = tuneVariants(model, shapes, options, std::max(0.0, choice.tuneSeconds - spent), cache, hostKey) || stored;
  if (stored) fmt::print(stderr, "kept in {}\n", cache.string());
}

}  // namespace convopt::tools
