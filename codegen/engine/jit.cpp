#include "codegen/engine/jit.h"

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/SubtargetFeature.h>
#include <llvm/Transforms/IPO/MergeFunctions.h>

namespace convopt::codegen {

KernelModule::KernelModule()
    : context(std::make_unique<llvm::LLVMContext>()),
      module(std::make_unique<llvm::Module>("convopt_kernels", *context)) {}
KernelModule::KernelModule(KernelModule&&) noexcept = default;
KernelModule::~KernelModule() {
  module.reset();  // before its context
}

void optimizeModule(llvm::Module& module, const Target& target) {
  std::string problems;
  llvm::raw_string_ostream stream(problems);
  if (llvm::verifyModule(module, &stream)) throw std::runtime_error("generated invalid LLVM IR: " + problems);
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(target);
  module.setDataLayout(machine->createDataLayout());
  module.setTargetTriple(target.triple);
  for (llvm::Function& function : module) {
    if (function.isDeclaration()) continue;
    function.addFnAttr("target-cpu", target.cpu);
    if (!target.features.empty()) function.addFnAttr("target-features", target.features);
  }
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(machine.get());
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  // Layers of one shape give identical kernels (efficientnet_b0: 114 kernels,
  // 40% of their instructions in copies). Merged first, each is optimised and
  // compiled once and its copies become a jump to it: efficientnet_b0's `run`
  // 6.3 -> 4.1 s on a Zen 5 host.
  llvm::ModulePassManager merge;
  merge.addPass(llvm::MergeFunctionsPass());
  merge.run(module, modules);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(module, modules);
}

std::string moduleText(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  module.print(stream, nullptr);
  return text;
}

std::string emitMachineCode(llvm::Module& module, const Target& target, MachineCode kind) {
  bool object = kind == MachineCode::Object;
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(target, object ? CodeUse::Object : CodeUse::Jit);
  llvm::SmallString<0> text;
  llvm::raw_svector_ostream stream(text);
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, stream, nullptr,
                                   object ? llvm::CodeGenFileType::ObjectFile : llvm::CodeGenFileType::AssemblyFile))
    throw std::runtime_error("LLVM cannot emit machine code for " + target.triple + " " + target.cpu);
  passes.run(module);
  return std::string(text.str());
}

namespace {

template <typename T>
T unwrap(llvm::Expected<T> value) {
  if (!value) throw std::runtime_error("LLVM JIT: " + llvm::toString(value.takeError()));
  return std::move(*value);
}

void check(llvm::Error error) {
  if (error) throw std::runtime_error("LLVM JIT: " + llvm::toString(std::move(error)));
}

}  // namespace

Jit::Jit(const Target& target) : target_(target) {
  createTargetMachine(target);  // initialises the native target
  llvm::orc::JITTargetMachineBuilder machine{llvm::Triple(target.triple)};
  machine.setCPU(target.cpu);
  if (!target.features.empty()) {
    llvm::SubtargetFeatures features(target.features);
    machine.addFeatures(features.getFeatures());
  }
  machine.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  jit_ = unwrap(llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(machine)).create());
}

Jit::~Jit() = default;

void Jit::add(KernelModule kernels) {
  optimizeModule(*kernels.module, target_);
  check(jit_->addIRModule(llvm::orc::ThreadSafeModule(std::move(kernels.module),
                                                      llvm::orc::ThreadSafeContext(std::move(kernels.context)))));
}

KernelFunction Jit::lookup(const std::string& name) { return unwrap(jit_->lookup(name)).toPtr<KernelFunction>(); }

}  // namespace convopt::codegen
