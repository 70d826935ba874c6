#include "codegen/engine/target.h"

#include <algorithm>

#include <llvm/ADT/StringMap.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include "ir/error.h"

namespace convopt::codegen {
namespace {

void initializeLlvmOnce() {
  static bool done = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
    return true;
  }();
  (void)done;
}

const llvm::Target& lookupTarget(const std::string& triple) {
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) throwInputError("--target-triple: LLVM has no target for '{}': {}", triple, error);
  return *target;
}

std::string hostFeatures() {
  std::string features;
  for (const auto& [name, enabled] : llvm::sys::getHostCPUFeatures()) {
    if (!features.empty()) features += ',';
    features += enabled ? '+' : '-';
    features += name.str();
  }
  return features;
}

}  // namespace

WinogradUse winogradUseNamed(const std::string& name) {
  if (name == "auto") return WinogradUse::Auto;
  if (name == "off") return WinogradUse::Never;
  if (name == "f2") return WinogradUse::Tile2;
  if (name == "f4") return WinogradUse::Tile4;
  throwInputError("winograd '{}': expected auto, off, f2 or f4", name);
}

std::string convVariantName(ConvVariant variant) {
  switch (variant) {
    case ConvVariant::Heuristic:
      return "heuristic";
    case ConvVariant::OneReductionSweep:
      return "one-sweep";
    case ConvVariant::NoStepUnroll:
      return "no-unroll";
    case ConvVariant::OtherUnitOrder:
      return "other-order";
  }
  return "heuristic";
}

std::optional<ConvVariant> convVariantNamed(const std::string& name) {
  for (ConvVariant variant : kConvVariants)
    if (convVariantName(variant) == name) return variant;
  return std::nullopt;
}

Target selectTarget(const std::string& cpu, const std::string& triple) {
  initializeLlvmOnce();
  Target target;
  std::string hostTriple = llvm::sys::getProcessTriple();
  target.triple = triple.empty() ? hostTriple : llvm::Triple::normalize(triple);
  llvm::Triple parsed(target.triple);
  if (!parsed.isX86() && !parsed.isAArch64())
    throwInputError("--target-triple: '{}' is not an x86-64 or AArch64 triple", triple);
  bool onHost = target.triple == hostTriple;
  bool host = cpu.empty() || cpu == "host";
  if (host && !onHost && !cpu.empty()) throwInputError("--cpu host: the host is not a {} machine", target.triple);
  target.cpu = host ? (onHost ? llvm::sys::getHostCPUName().str() : "generic") : cpu;
  target.features = host && onHost ? hostFeatures() : "";
  const llvm::Target& llvmTarget = lookupTarget(target.triple);
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      llvmTarget.createMCSubtargetInfo(target.triple, target.cpu, target.features));
  if (!info || !info->isCPUStringValid(target.cpu))
    throwInputError("--cpu: unknown CPU '{}' for {}", cpu, target.triple);
  if (parsed.isAArch64()) {
    if (!info->checkFeatures("+neon")) throwInputError("--cpu: '{}' has no NEON", target.cpu);
    target.vectorWidth = 4, target.vectorRegisters = 32, target.hasFma = true;
    return target;
  }
  bool avx512 = info->checkFeatures("+avx512f");
  bool avx2 = info->checkFeatures("+avx2");
  target.hasFma = info->checkFeatures("+fma");
  target.vectorWidth = avx512 ? 16 : avx2 ? 8 : 4;
  target.vectorRegisters = avx512 ? 32 : 16;
  return target;
}

std::vector<IsaFeature> isaFeatures(const Target& target) {
  static constexpr std::pair<int, const char*> kListed[] = {
#define X(bit, name, leaf, subleaf, reg, pos) {bit, name},
#include "codegen/engine/cpu_features.def"
#undef X
  };
  std::vector<IsaFeature> features;
  if (!llvm::Triple(target.triple).isX86()) return features;
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      lookupTarget(target.triple).createMCSubtargetInfo(target.triple, target.cpu, target.features));
  for (const auto& [bit, name] : kListed)
    if (info->checkFeatures(std::string("+") + name)) features.push_back({bit, name});
  return features;
}

bool hostCanRun(const Target& target) {
  Target host = selectTarget();
  if (target.triple != host.triple) return false;
  std::vector<IsaFeature> available = isaFeatures(host);
  for (const IsaFeature& feature : isaFeatures(target))
    if (std::none_of(available.begin(), available.end(), [&](const IsaFeature& f) { return f.bit == feature.bit; }))
      return false;
  return true;
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const Target& target) {
  initializeLlvmOnce();
  llvm::TargetOptions options;
  options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  auto* machine = lookupTarget(target.triple)
                      .createTargetMachine(target.triple, target.cpu, target.features, options, llvm::Reloc::PIC_,
                                           std::nullopt, llvm::CodeGenOptLevel::Aggressive);
  return std::unique_ptr<llvm::TargetMachine>(machine);
}

}  // namespace convopt::codegen
