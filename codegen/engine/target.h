// The CPU the kernels are generated for: host by default, or a named LLVM CPU
// (`x86-64-v3` = AVX2+FMA, `x86-64-v4` = AVX-512). The vector width and the
// register count drive every tiling heuristic.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
}

namespace convopt::codegen {

// The cache sizes the conv tiling sizes its working sets by (conv/tiling.h).
// One set for now, measured on the x86-64 hosts of BENCHMARKS.md (Zen 3/4/5,
// Sapphire Rapids); per-CPU values are where host tuning (issue 17) plugs in.
struct CacheBudget {
  int64_t lineBytes = 64;
  int64_t l1WeightBytes = 32 * 1024;        // weights one reduction batch keeps in L1 (reductionBatchBlocks)
  int64_t streamedWeightBytes = 64 * 1024;  // a conv with more weights streams them: prefetch, not row-by-row units
  // A core's L2 (1 MiB on Zen 4/5, 2 MiB on Sapphire Rapids): a tensor larger
  // than this goes to L3 or memory between two kernels (conv_ring_fusion.h).
  int64_t l2Bytes = 1024 * 1024;
};

// Whether 3x3 stride-1 convolutions may run in the Winograd domain
// (conv/winograd.h): Auto lets its estimate choose per layer; Tile2 / Tile4
// force F(2x2,3x3) / F(4x4,3x3) on every conv that can take it (tests).
enum class WinogradUse { Auto, Never, Tile2, Tile4 };
// "auto", "off", "f2", "f4" (the CLI's and Python's spelling); InputError for others.
WinogradUse winogradUseNamed(const std::string& name);

// Whether a conv hands its output to the conv reading it row by row
// (conv/conv_ring_fusion.h): Auto where the cost model says it pays, Always
// wherever it is legal (tests), Never.
enum class RingFusionUse { Auto, Never, Always };

// A direct conv kernel's close choices (conv/tiling.h) are made by heuristics
// fitted on a few hosts; where this host measured one of them turned the other
// way faster for a layer (`--tune`, engine/conv_variant_tuning.h), its kernel
// takes that variant: one sweep over the reduction instead of batches
// (reductionBatchBlocks), reduction steps not unrolled (unrollBroadcastSteps),
// or the other work-unit order (unitsRowByRow).
enum class ConvVariant { Heuristic, OneReductionSweep, NoStepUnroll, OtherUnitOrder };
inline constexpr ConvVariant kConvVariants[] = {ConvVariant::Heuristic, ConvVariant::OneReductionSweep,
                                                ConvVariant::NoStepUnroll, ConvVariant::OtherUnitOrder};
// "heuristic", "one-sweep", "no-unroll", "other-order" (the tuning cache's spelling).
std::string convVariantName(ConvVariant variant);
std::optional<ConvVariant> convVariantNamed(const std::string& name);

struct Target {
  std::string triple;
  std::string cpu;
  std::string features;  // LLVM feature string, e.g. "+avx2,+fma,..." (host only; else implied by cpu)
  int vectorWidth = 4;   // floats per vector register
  int vectorRegisters = 16;
  bool hasFma = false;
  CacheBudget caches{};
  WinogradUse winograd = WinogradUse::Auto;        // a choice of the user's, not of the CPU
  RingFusionUse ringFusion = RingFusionUse::Auto;  // the same
  // Auto: per layer (conv/conv_spec.h: convLayerKey), the tile measured
  // fastest on this host or its CPU family, 0 for direct (engine/winograd_tuning.h,
  // tuning_cache.h); layers not listed take the estimate.
  std::map<std::string, int> measuredWinogradTiles;
  // Per layer (convLayerKey), the variant measured fastest on this host or its CPU family.
  std::map<std::string, ConvVariant> measuredConvVariants;
};

// `triple` empty: the machine we run on, else an LLVM triple such as
// aarch64-linux-gnu (x86-64 and AArch64 are supported). `cpu` empty or "host":
// the host's CPU and features on the host triple, "generic" on another.
// Throws InputError for a triple or CPU name LLVM does not know.
Target selectTarget(const std::string& cpu = "", const std::string& triple = "");

struct IsaFeature {
  int bit;           // in an artifact's feature mask (engine/cpu_features.def)
  std::string name;  // LLVM's, e.g. "avx512f"
};
// The instruction set extensions code for `target` may use (x86; none listed on AArch64).
std::vector<IsaFeature> isaFeatures(const Target& target);

// Whether code for `target` runs on this machine: the same triple, and every
// extension of isaFeatures(target) present on the host.
bool hostCanRun(const Target& target);

// A TargetMachine for `target` at -O3 (owned by the caller), for position
// independent code: the JIT links the same objects an artifact holds.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(const Target& target);

}  // namespace convopt::codegen
