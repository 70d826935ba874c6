#include "codegen/aot/artifact_module.h"

#include <set>

#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/TargetParser/Triple.h>
#include <llvm/Transforms/IPO/Internalize.h>

#include "codegen/aot/runtime/artifact_format.h"
#include "codegen/aot/runtime_bitcode.h"

namespace convopt::codegen {
namespace {

std::unique_ptr<llvm::Module> runtimeModule(llvm::LLVMContext& context, const Target& target) {
  bool arm = llvm::Triple(target.triple).isAArch64();
  llvm::StringRef bitcode(reinterpret_cast<const char*>(arm ? convopt_aot_runtime_aarch64 : convopt_aot_runtime_x86_64),
                          arm ? convopt_aot_runtime_aarch64_size : convopt_aot_runtime_x86_64_size);
  auto parsed = llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode, "aot_runtime.bc"), context);
  if (!parsed) throw std::runtime_error("aot: embedded runtime bitcode: " + llvm::toString(parsed.takeError()));
  return std::move(*parsed);
}

llvm::GlobalVariable* addConstant(llvm::Module& module, const std::string& name, llvm::Constant* value,
                                  unsigned align) {
  auto* global = new llvm::GlobalVariable(module, value->getType(), /*isConstant=*/true,
                                          llvm::GlobalValue::ExternalLinkage, value, name);
  global->setAlignment(llvm::Align(align));
  return global;
}

llvm::Constant* bytesConstant(llvm::LLVMContext& context, llvm::StringRef bytes) {
  return llvm::ConstantDataArray::getRaw(bytes, bytes.size(), llvm::Type::getInt8Ty(context));
}

// The nodes libconvopt_fallback runs: their one-node models, and the library's
// functions (fallback/convopt_fallback.h), referenced only when there are any,
// so that only such artifacts need the library at link time.
void addFallbacks(llvm::Module& module, const ProgramTable& table) {
  llvm::LLVMContext& context = module.getContext();
  auto* pointer = llvm::PointerType::getUnqual(context);
  std::vector<llvm::Constant*> models, functions;
  std::vector<uint64_t> sizes;
  for (size_t i = 0; i < table.fallbackModels.size(); ++i) {
    const std::string& bytes = table.fallbackModels[i];
    models.push_back(
        addConstant(module, "convopt_fallback_model_" + std::to_string(i), bytesConstant(context, bytes), 8));
    sizes.push_back(bytes.size());
  }
  auto* declared = llvm::FunctionType::get(llvm::Type::getVoidTy(context), false);  // only their addresses are taken
  for (const char* name : {"convopt_fallback_load", "convopt_fallback_run", "convopt_fallback_free"})
    functions.push_back(table.fallbackModels.empty()
                            ? static_cast<llvm::Constant*>(llvm::ConstantPointerNull::get(pointer))
                            : llvm::cast<llvm::Constant>(module.getOrInsertFunction(name, declared).getCallee()));
  addConstant(module, "convopt_fallback_models",
              llvm::ConstantArray::get(llvm::ArrayType::get(pointer, models.size()), models), 8);
  addConstant(module, "convopt_fallback_model_bytes", llvm::ConstantDataArray::get(context, sizes), 8);
  addConstant(module, "convopt_fallback_functions",
              llvm::ConstantArray::get(llvm::ArrayType::get(pointer, functions.size()), functions), 8);
}

void addTables(llvm::Module& module, const Target& target, const ProgramTable& table, bool embedWeights) {
  llvm::LLVMContext& context = module.getContext();
  std::vector<uint64_t> words(table.words.begin(), table.words.end());
  addConstant(module, "convopt_program", llvm::ConstantDataArray::get(context, words), 8);
  std::vector<llvm::Constant*> kernels;
  for (const std::string& name : table.kernels) {
    llvm::Function* kernel = module.getFunction(name);
    if (!kernel) throw std::runtime_error("aot: kernel " + name + " missing from the module");
    kernels.push_back(kernel);
  }
  auto* pointer = llvm::PointerType::getUnqual(context);
  addConstant(module, "convopt_kernels",
              llvm::ConstantArray::get(llvm::ArrayType::get(pointer, kernels.size()), kernels), 8);
  std::vector<unsigned char> image = weightsHeader(table);
  if (embedWeights)
    image.insert(image.end(), table.payload.begin(), table.payload.end());
  else
    reinterpret_cast<convopt_weights_header*>(image.data())->payload_bytes = 0;  // "none embedded"
  llvm::GlobalVariable* weights =
      addConstant(module, "convopt_embedded_weights",
                  bytesConstant(context, llvm::StringRef(reinterpret_cast<const char*>(image.data()), image.size())),
                  CONVOPT_ALIGNMENT);
  // Weights past 2 GB of code must not be reached by 32-bit relocations.
  if (embedWeights && llvm::Triple(target.triple).isX86()) weights->setCodeModel(llvm::CodeModel::Large);
}

}  // namespace

void completeArtifactModule(KernelModule& kernels, const Target& target, const ProgramTable& table, bool embedWeights,
                            const std::string& prefix) {
  llvm::Module& module = *kernels.module;
  addTables(module, target, table, embedWeights);
  addFallbacks(module, table);
  std::unique_ptr<llvm::Module> runtime = runtimeModule(*kernels.context, target);
  runtime->setTargetTriple(module.getTargetTriple());
  runtime->setDataLayout(module.getDataLayout());
  linkInto(module, std::move(runtime), "the runtime into the kernels' module");
  const std::string api = "convopt_api_";
  std::set<std::string> exported;
  for (llvm::Function& function : module)
    if (!function.isDeclaration() && function.getName().starts_with(api)) {
      function.setName(prefix + "_" + function.getName().substr(api.size()).str());
      exported.insert(function.getName().str());
    }
  llvm::internalizeModule(module,
                          [&](const llvm::GlobalValue& value) { return exported.count(value.getName().str()) > 0; });
}

}  // namespace convopt::codegen
