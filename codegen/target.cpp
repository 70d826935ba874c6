#include "codegen/target.h"

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
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
    return true;
  }();
  (void)done;
}

const llvm::Target& lookupTarget(const std::string& triple) {
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) throw std::runtime_error("LLVM has no target for " + triple + ": " + error);
  return *target;
}

std::string hostFeatures() {
  std::string features;
  for (const auto& [name, enabled] : llvm::sys::getHostCPUFeatures())
  {
    if (!features.empty()) features += ',';
    features += enabled ? '+' : '-';
    features += name.str();
  }
  return features;
}

}  // namespace

Target selectTarget(const std::string& cpu) {
  initializeLlvmOnce();
  Target target;
  target.triple = llvm::sys::getProcessTriple();
  bool host = cpu.empty() || cpu == "host";
  target.cpu = host ? llvm::sys::getHostCPUName().str() : cpu;
  target.features = host ? hostFeatures() : "";
  const llvm::Target& llvmTarget = lookupTarget(target.triple);
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      llvmTarget.createMCSubtargetInfo(target.triple, target.cpu, target.features));
  if (!info || !info->isCPUStringValid(target.cpu)) throwInputError("--cpu: unknown CPU '{}'", cpu);
  bool avx512 = info->checkFeatures("+avx512f");
  bool avx2 = info->checkFeatures("+avx2");
  target.hasFma = info->checkFeatures("+fma");
  target.vectorWidth = avx512 ? 16 : avx2 ? 8 : 4;
  target.vectorRegisters = avx512 ? 32 : 16;
  return target;
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const Target& target) {
  initializeLlvmOnce();
  llvm::TargetOptions options;
  options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  auto* machine = lookupTarget(target.triple)
                      .createTargetMachine(target.triple, target.cpu, target.features, options,
                                           std::nullopt, std::nullopt, llvm::CodeGenOptLevel::Aggressive,
                                           /*JIT=*/true);
  return std::unique_ptr<llvm::TargetMachine>(machine);
}

}  // namespace convopt::codegen
