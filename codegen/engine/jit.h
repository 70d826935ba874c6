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

// The kernels of an artifact (and what --emit-llvm/--emit-asm show): verified
// (throws on malformed IR), identical kernels merged (all but one become a
// jump to it), and the -O3 pipeline run on a fixed number of parts of the
// module, on up to `threads` threads (0: the machine's), the parts then linked
// back into one module (what compiles into the artifact's one object). Each
// kernel is optimised with the part it was dealt, as in the JIT, whose parts
// depend on its threads: a jump between merged kernels of two parts stays a jump.
// On an exception `kernels.module` may be gone (the compile is over).
void optimizeModuleInParts(KernelModule& kernels, const Target& target, int threads);
// Links `from` into `into`, throwing with LLVM's messages on an error (the
// context's default handler would print them and exit the process).
void linkInto(llvm::Module& into, std::unique_ptr<llvm::Module> from, const std::string& what);
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
