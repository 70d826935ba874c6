#include "codegen/aot/aot_compiler.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <llvm/IR/Module.h>
#include <llvm/Object/ArchiveWriter.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include "codegen/aot/artifact_files.h"
#include "codegen/aot/artifact_module.h"
#include "codegen/aot/body_programs.h"
#include "codegen/aot/program_table.h"
#include "codegen/aot/runtime/artifact_format.h"
#include "codegen/engine/lowered_model.h"
#include "ir/error.h"

extern char** environ;

namespace convopt::codegen {
namespace fs = std::filesystem;

bool isCIdentifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '_') return false;
  return true;
}

namespace {

// A staging folder beside (or inside) DIR: files appear in DIR only by rename, once all are written.
class Staging {
 public:
  explicit Staging(const fs::path& dir) : dir_(dir) {
    std::error_code error;
    fs::create_directories(dir_, error);
    std::string pattern = (dir_ / ".convopt-compile-XXXXXX").string();
    if (error || !mkdtemp(pattern.data()))
      throwInputError("cannot write into '{}': {}", dir_.string(), std::strerror(error ? error.value() : errno));
    path_ = pattern;
  }
  ~Staging() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  fs::path file(const std::string& name) const { return path_ / name; }
  void write(const std::string& name, const void* data, size_t bytes) {
    std::ofstream out(file(name), std::ios::binary);
    if (!out.write(static_cast<const char*>(data), std::streamsize(bytes)) || !out.flush())
      throwInputError("cannot write '{}' into '{}'", name, dir_.string());
  }
  void write(const std::string& name, const std::string& text) { write(name, text.data(), text.size()); }
  void publish(const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      std::error_code error;
      fs::rename(file(name), dir_ / name, error);
      if (error) throwInputError("cannot write '{}': {}", (dir_ / name).string(), error.message());
    }
  }

 private:
  fs::path dir_, path_;
};

void run(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
    throwInputError("--format shared: cannot run the linker '{}' (give one with --linker)", command[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throwInputError("--format shared: '{}' failed to link the library", fmt::join(command, " "));
}

std::string defaultLinker(const Target& target) {
  llvm::Triple triple(target.triple);
  return triple.isAArch64() && llvm::Triple(llvm::sys::getProcessTriple()).isX86() ? "aarch64-linux-gnu-gcc" : "cc";
}

void writeStaticLibrary(const Staging& staging, const std::string& library, const std::string& object,
                        const std::string& memberName) {
  std::vector<llvm::NewArchiveMember> members;
  members.emplace_back(llvm::MemoryBufferRef(object, memberName));
  if (llvm::Error error = llvm::writeArchive(staging.file(library).string(), members,
                                             llvm::SymtabWritingMode::NormalSymtab, llvm::object::Archive::K_GNU,
                                             /*Deterministic=*/true, /*Thin=*/false))
    throwInputError("cannot write '{}': {}", library, llvm::toString(std::move(error)));
}

std::string fileHash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t hash = CONVOPT_HASH_SEED;
  char c;
  while (in.get(c)) hash = (hash ^ uint8_t(c)) * 0x100000001b3ull;
  return fmt::format("{:016x}", hash);
}

const char* formatName(ArtifactFormat format) {
  switch (format) {
    case ArtifactFormat::Static:
      return "static";
    case ArtifactFormat::Shared:
      return "shared";
    default:
      return "object";
  }
}

}  // namespace

AotResult compileAheadOfTime(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& inputShapes,
                             const AotOptions& options) {
  const std::string& name = options.name;
  if (!isCIdentifier(name)) throwInputError("--name '{}' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*)", name);
  AotResult result;
  result.target = selectTarget(options.cpu, options.triple);
  result.target.winograd = options.winograd;
  result.target.ringFusion = options.ringFusion;
  result.target.measuredWinogradTiles = options.measuredWinogradTiles;
  result.target.measuredConvVariants = options.measuredConvVariants;
  const Target& target = result.target;
  LoweredModel lowered = lowerModel(model, inputShapes, target, options.afterPlanningStep);
  BodyPrograms bodies = lowerBodies(lowered, target, lowered.module);
  result.explanation = explainLowering(lowered.program);
  for (const BodyProgram& body : bodies.bodies)
    result.explanation += fmt::format("\nbody {}:\n{}", body.scope, explainLowering(body.lowered.program));
  int64_t featureMask = 0;  // what NAME_model_load checks, and what NAME.json lists
  std::vector<std::string> featureNames;
  for (const IsaFeature& feature : isaFeatures(target)) {
    featureMask |= int64_t(1) << feature.bit;
    featureNames.push_back(feature.name);
  }
  ProgramTable table = buildProgramTable(lowered, bodies, {options.flushDenormals, featureMask, options.allowFallback});
  optimizeModuleInParts(lowered.module, target, options.compileThreads);
  sealProgramTable(
      table, fmt::format("{}|{}|{}|{}", target.triple, target.cpu, target.features, fmt::join(table.kernels, ",")));
  completeArtifactModule(lowered.module, target, table, options.embedWeights, name);
  std::string object = emitMachineCode(*lowered.module.module, target, MachineCode::Object);

  Staging staging(options.outputDir);
  std::string code = name + ".o";
  if (options.format == ArtifactFormat::Static) {
    code = "lib" + name + ".a";
    writeStaticLibrary(staging, code, object, name + ".o");
  } else if (options.format == ArtifactFormat::Shared) {
    staging.write(name + ".o", object);
    code = "lib" + name + ".so";
    std::string linker = options.linker.empty() ? defaultLinker(target) : options.linker;
    std::vector<std::string> command{linker,
                                     "-shared",
                                     "-Wl,-soname," + code,
                                     "-o",
                                     staging.file(code).string(),
                                     staging.file(name + ".o").string()};
    if (!table.fallbackModels.empty()) {  // found on the loader's path or beside libNAME.so
      if (!options.fallbackLibraryDir.empty()) command.push_back("-L" + options.fallbackLibraryDir);
      command.insert(command.end(), {"-lconvopt_fallback", "-Wl,-rpath,$ORIGIN"});
    }
    command.insert(command.end(), {"-lm", "-lpthread"});
    run(command);
  } else {
    staging.write(code, object);
  }
  result.files = {name + ".h", code};
  if (!options.embedWeights) {
    std::vector<unsigned char> weights = weightsHeader(table);
    weights.insert(weights.end(), table.payload.begin(), table.payload.end());
    staging.write(name + ".weights", weights.data(), weights.size());
    result.files.push_back(name + ".weights");
  }
  result.files.push_back(name + ".json");
  ArtifactDescription description{name,
                                  options.sourcePath,
                                  options.sourcePath.empty() ? "" : fileHash(options.sourcePath),
                                  formatName(options.format),
                                  options.embedWeights,
                                  options.flushDenormals,
                                  featureNames,
                                  result.files};
  staging.write(name + ".h", artifactHeader(description, table, target));
  staging.write(name + ".json", artifactJson(description, table, target));
  staging.publish(result.files);
  result.arenaBytes = size_t(table.words[CONVOPT_P_ARENA_BYTES]);
  result.weightsBytes = sizeof(convopt_weights_header) + table.payload.size();
  result.codeBytes = fs::file_size(fs::path(options.outputDir) / code);
  result.kernels = table.kernels.size();
  result.steps = size_t(table.words[CONVOPT_P_NUM_STEPS]);
  result.fallbackNodes = table.fallbackNodes;
  return result;
}

ArtifactFormat artifactFormatNamed(const std::string& format) {
  if (format == "object") return ArtifactFormat::Object;
  if (format == "static") return ArtifactFormat::Static;
  if (format == "shared") return ArtifactFormat::Shared;
  throwInputError("format '{}': expected object, static or shared", format);
}

std::string artifactNameFor(const std::string& modelPath) {
  std::filesystem::path path(modelPath);
  std::string name = path.stem().string();
  if (name == "model") name = path.parent_path().filename().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name = "model_" + name;
  return name;
}

}  // namespace convopt::codegen
