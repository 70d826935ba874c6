// ORC LLJIT for the generated kernels: merge identical kernels, optimise at
// -O3 for the target, compile in memory (the kernels shared out among
// threads), look kernels up by name. Also renders a module as optimised IR or
// assembly (--emit-llvm / --emit-asm).
#pragma once
#include <memory>
#include <string>

#include "codegen/builder/kernel_abi.h"
#include "codegen/engine/object_cache.h"
#include "codegen/engine/target.h"

namespace llvm {
class LLVMContext;
class Module;
namespace orc {
class LLJIT;
}
}  // namespace llvm

namespace convopt::codegen {

// A module under construction with the context that owns it.
struct KernelModule {
  KernelModule();
  KernelModule(KernelModule&&) noexcept;
  ~KernelModule();
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
};

// Verifies (throws on malformed IR), merges identical kernels (all but one
// become a jump to it) and runs the -O3 pipeline for the target.
void optimizeModule(llvm::Module& module, const Target& target);
// optimizeModule for an artifact: the -O3 pipeline runs on a fixed number of
// parts of the module, on up to `threads` threads, and the parts are linked
// back into one module (what compiles into the artifact's one object). The
// kernels come out as the JIT's, each optimised with the part it was dealt.
void optimizeModuleInParts(KernelModule& kernels, const Target& target, int threads);
std::string moduleText(const llvm::Module& module);
enum class MachineCode { Assembly, Object };
// The module compiled for `target`, position independent (what the JIT runs and an artifact holds).
std::string emitMachineCode(llvm::Module& module, const Target& target, MachineCode kind);

class Jit {
 public:
  explicit Jit(const Target& target);
  ~Jit();
  const Target& target() const { return target_; }
  // Optimises and compiles the module, on up to `threads` threads but no more
  // than the hardware's (the caller's and the others each compiling a part of
  // the kernels: LLVM's time is most of a model's first run); its kernels
  // become callable. With a cache, objects it holds for the module are taken
  // instead, and those compiled are stored there.
  // Where the objects came from: the cache, or compiled (and kept in the cache, or not).
  enum class Origin { Loaded, CompiledAndKept, Compiled };
  Origin add(KernelModule kernels, int threads = 1, const ObjectCache* cache = nullptr);
  KernelFunction lookup(const std::string& name);

 private:
  Target target_;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
};

}  // namespace convopt::codegen
