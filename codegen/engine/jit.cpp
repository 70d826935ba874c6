#include "codegen/engine/jit.h"

#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/IPO/MergeFunctions.h>
#include <llvm/Transforms/Utils/SplitModule.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <map>
#include <system_error>
#include <thread>

namespace convopt::codegen {

KernelModule::KernelModule()
    : context(std::make_unique<llvm::LLVMContext>()),
      module(std::make_unique<llvm::Module>("convopt_kernels", *context)) {}
KernelModule::KernelModule(KernelModule&&) noexcept = default;
KernelModule::~KernelModule() {
  module.reset();  // before its context
}

namespace {

// Verified (throws on malformed IR), laid out and attributed for the target,
// identical kernels merged: what comes before -O3, on the whole module.
void prepareModule(llvm::Module& module, const Target& target) {
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
  // Layers of one shape give identical kernels (efficientnet_b0: 114 kernels,
  // 40% of their instructions in copies). Merged first, each is optimised and
  // compiled once and its copies become a jump to it: efficientnet_b0's `run`
  // 6.6 -> 4.4 s on a Zen 5 host (BENCHMARKS.md, "Compile time").
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder;
  builder.registerModuleAnalyses(modules);
  llvm::ModulePassManager merge;
  merge.addPass(llvm::MergeFunctionsPass());
  merge.run(module, modules);
}

void runO3(llvm::Module& module, const Target& target) {
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(target);
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
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(module, modules);
}

}  // namespace

std::string moduleText(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  module.print(stream, nullptr);
  return text;
}

std::string emitMachineCode(llvm::Module& module, const Target& target, MachineCode kind) {
  bool object = kind == MachineCode::Object;
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(target);
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

using Bitcode = llvm::SmallVector<char, 0>;

Bitcode bitcodeOf(const llvm::Module& module) {
  Bitcode bitcode;
  llvm::raw_svector_ostream stream(bitcode);
  llvm::WriteBitcodeToFile(module, stream);
  return bitcode;
}

// The module cut into `parts` modules, each as bitcode: an LLVMContext serves
// one thread at a time, so each part is read into a context of its own on the
// thread that compiles it. SplitModule keeps a kernel with the private
// constants it reads (tables, per-channel values: -O3 folds them) and deals
// the other kernels out in turn, by count.
std::vector<Bitcode> splitIntoBitcode(llvm::Module& module, int parts) {
  std::vector<Bitcode> bitcode;
  llvm::SplitModule(
      module, unsigned(parts), [&](std::unique_ptr<llvm::Module> part) { bitcode.push_back(bitcodeOf(*part)); },
      /*PreserveLocals=*/true, /*RoundRobin=*/true);
  return bitcode;
}

std::unique_ptr<llvm::Module> parsePart(llvm::StringRef bitcode, llvm::LLVMContext& context) {
  return unwrap(llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode, "part"), context));
}

// A part optimised and compiled into an object (what the JIT links), or only
// optimised, as bitcode (what an artifact links back into one module).
std::string compilePart(const Bitcode& bitcode, const Target& target, bool codegen) {
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module = parsePart(llvm::StringRef(bitcode.data(), bitcode.size()), context);
  runO3(*module, target);
  if (codegen) return emitMachineCode(*module, target, MachineCode::Object);
  Bitcode optimized = bitcodeOf(*module);
  return std::string(optimized.data(), optimized.size());
}

// Parts per compiling thread: parts hold equal numbers of kernels, not equal
// work, so threads take parts in turn until none is left. efficientnet_b0
// on 2 threads of a Zen 5 host, each thread's compile time with 1 part per
// thread: 1.6-1.7 and 2.7 s; 4 parts: 1.9 and 2.1; 8: 2.0 and 2.0; 16: 2.3
// and 2.3 (each part sets up its own target machine and pass pipeline).
constexpr int kPartsPerThread = 8;
// An artifact's parts: as many whatever the threads, so that its code is the
// same on any machine (the parts' boundaries are what -O3 sees).
constexpr int kArtifactParts = 16;

int hardwareThreads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

int definedFunctions(const llvm::Module& module) {
  return int(std::count_if(module.begin(), module.end(), [](const llvm::Function& f) { return !f.isDeclaration(); }));
}

// compilePart of each part, by up to `threads` threads (the caller one of
// them), at most one per hardware thread: more would only add memory, each
// holding a part's LLVM state (an engine of 64 threads on 2 cores compiling
// 120 distinct kernels peaked at 610 MB against 241 MB on 2 threads).
std::vector<std::string> compileParts(const std::vector<Bitcode>& parts, const Target& target, bool codegen,
                                      int threads) {
  threads = std::min(threads, hardwareThreads());
  std::vector<std::string> results(parts.size());
  std::vector<std::exception_ptr> failures(parts.size());
  std::atomic<size_t> next{0};
  auto compile = [&] {
    for (size_t i; (i = next++) < parts.size();) try {
        results[i] = compilePart(parts[i], target, codegen);
      } catch (...) {
        failures[i] = std::current_exception();
      }
  };
  std::vector<std::thread> helpers;
  try {
    for (int i = 1; i < std::min(threads, int(parts.size())); ++i) helpers.emplace_back(compile);
  } catch (const std::system_error&) {  // the system starts no more threads: fewer compile it
  }
  compile();
  for (std::thread& helper : helpers) helper.join();
  for (const std::exception_ptr& failure : failures)
    if (failure) std::rethrow_exception(failure);
  return results;
}

// A prepared module as objects, compiled on up to `threads` threads.
std::vector<std::string> compileObjects(llvm::Module& module, const Target& target, int threads) {
  int kernels = definedFunctions(module);
  threads = std::min(threads, hardwareThreads());
  if (std::min(threads, kernels) <= 1) {
    runO3(module, target);
    return {emitMachineCode(module, target, MachineCode::Object)};
  }
  return compileParts(splitIntoBitcode(module, std::min(kPartsPerThread * threads, kernels)), target,
                      /*codegen=*/true, threads);
}

// Whether `objects` are what compiling `module` for `target` gives: relocatable
// ELF objects of the target's architecture that between them define each of its
// kernels exactly once (a cache entry is checked so before LLJIT links any of it).
bool areObjectsOf(const std::vector<std::string>& objects, const llvm::Module& module, const Target& target) {
  std::map<std::string, int> definitions;
  for (const llvm::Function& function : module)
    if (!function.isDeclaration() && function.hasExternalLinkage()) definitions[function.getName().str()] = 0;
  llvm::Triple::ArchType arch = llvm::Triple(target.triple).getArch();
  for (const std::string& bytes : objects) {
    llvm::Expected<std::unique_ptr<llvm::object::ObjectFile>> object =
        llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(bytes, "cached"));
    if (!object) {
      llvm::consumeError(object.takeError());
      return false;
    }
    if (!(*object)->isELF() || !(*object)->isRelocatableObject() || (*object)->getArch() != arch) return false;
    for (const llvm::object::SymbolRef& symbol : (*object)->symbols()) {
      llvm::Expected<uint32_t> flags = symbol.getFlags();
      llvm::Expected<llvm::StringRef> name = symbol.getName();
      if (!flags || !name) {
        llvm::consumeError(flags.takeError());
        llvm::consumeError(name.takeError());
        return false;
      }
      bool defined = !(*flags & llvm::object::SymbolRef::SF_Undefined) && (*flags & llvm::object::SymbolRef::SF_Global);
      if (auto found = definitions.find(name->str()); defined && found != definitions.end()) ++found->second;
    }
  }
  return std::all_of(definitions.begin(), definitions.end(), [](const auto& d) { return d.second == 1; });
}

}  // namespace

void optimizeModuleInParts(KernelModule& kernels, const Target& target, int threads) {
  prepareModule(*kernels.module, target);
  threads = threads > 0 ? threads : hardwareThreads();
  int parts = std::min(kArtifactParts, definedFunctions(*kernels.module));
  if (parts <= 1) return runO3(*kernels.module, target);
  std::vector<Bitcode> pieces = splitIntoBitcode(*kernels.module, parts);
  std::string name = kernels.module->getName().str();
  kernels.module.reset();  // only its parts from here on
  std::vector<std::string> optimized = compileParts(pieces, target, /*codegen=*/false, threads);
  pieces.clear();
  kernels.module = std::make_unique<llvm::Module>(name, *kernels.context);
  for (std::string& part : optimized) {
    linkInto(*kernels.module, parsePart(part, *kernels.context), "the optimised parts of the kernels' module");
    std::string().swap(part);
  }
}

namespace {

// While alive, the context's errors are collected here (its default handler
// would print them and exit the process); then its handler is put back.
class ErrorCollector {
 public:
  explicit ErrorCollector(llvm::LLVMContext& context) : context_(context), previous_(context.getDiagnosticHandler()) {
    context.setDiagnosticHandler(std::make_unique<Handler>(messages_));
  }
  ~ErrorCollector() { context_.setDiagnosticHandler(std::move(previous_)); }
  const std::string& messages() const { return messages_; }

 private:
  struct Handler final : llvm::DiagnosticHandler {
    explicit Handler(std::string& sink) : sink(sink) {}
    bool handleDiagnostics(const llvm::DiagnosticInfo& info) override {
      if (info.getSeverity() != llvm::DS_Error) return true;  // warnings and remarks: not the user's concern
      llvm::raw_string_ostream stream(sink);
      llvm::DiagnosticPrinterRawOStream printer(stream);
      stream << (sink.empty() ? "" : "; ");
      info.print(printer);
      return true;
    }
    std::string& sink;
  };
  llvm::LLVMContext& context_;
  std::unique_ptr<llvm::DiagnosticHandler> previous_;
  std::string messages_;
};

}  // namespace

void linkInto(llvm::Module& into, std::unique_ptr<llvm::Module> from, const std::string& what) {
  ErrorCollector errors(into.getContext());
  if (llvm::Linker::linkModules(into, std::move(from)))
    throw std::runtime_error("cannot link " + what + ": " + errors.messages());
}

Jit::Jit(const Target& target) : target_(target) {
  createTargetMachine(target);  // initialises the native target
  jit_ = unwrap(llvm::orc::LLJITBuilder()
                    .setJITTargetMachineBuilder(llvm::orc::JITTargetMachineBuilder(llvm::Triple(target.triple)))
                    .create());
}

Jit::~Jit() = default;

Jit::Origin Jit::add(KernelModule kernels, int threads, const ObjectCache* cache) {
  // Keyed by the module as generated: a hit skips its verification and merging too.
  std::string key;
  std::optional<std::vector<std::string>> objects;
  if (cache) {
    Bitcode bitcode = bitcodeOf(*kernels.module);
    key = cache->key(std::string_view(bitcode.data(), bitcode.size()), target_);
    objects = cache->load(key);
    if (objects && !areObjectsOf(*objects, *kernels.module, target_)) {
      cache->remove(key);  // whole, yet not this module's objects: compiled afresh
      objects.reset();
    }
  }
  Origin origin = Origin::Loaded;
  if (!objects) {
    prepareModule(*kernels.module, target_);
    objects = compileObjects(*kernels.module, target_, threads);
    origin = cache && cache->store(key, *objects) ? Origin::CompiledAndKept : Origin::Compiled;
  }
  for (const std::string& object : *objects)
    check(jit_->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(object, "convopt_kernels.o")));
  return origin;
}

KernelFunction Jit::lookup(const std::string& name) { return unwrap(jit_->lookup(name)).toPtr<KernelFunction>(); }

}  // namespace convopt::codegen
