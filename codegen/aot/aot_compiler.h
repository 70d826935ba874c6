// `convopt compile -o DIR`: a model compiled ahead of time into files a C
// program links — NAME.h (the C API), the code (NAME.o, libNAME.a or
// libNAME.so), NAME.weights (unless embedded) and NAME.json — for the host or
// another x86-64 / AArch64 CPU. The kernels are the JIT engine's, lowered and
// optimised the same way; the runtime around them is runtime/aot_runtime.c.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "codegen/engine/jit_engine.h"
#include "codegen/engine/target.h"
#include "ir/graph.h"

namespace convopt::codegen {

enum class ArtifactFormat { Object, Static, Shared };
// "object", "static" or "shared"; InputError otherwise.
ArtifactFormat artifactFormatNamed(const std::string& format);

struct AotOptions {
  std::string name;       // C identifier: every exported symbol starts with NAME_
  std::string outputDir;  // created if missing; files replaced atomically
  ArtifactFormat format = ArtifactFormat::Object;
  bool embedWeights = false;
  std::string triple, cpu;  // "" : the host (see selectTarget)
  bool flushDenormals = true;
  WinogradUse winograd = WinogradUse::Auto;        // as EngineOptions::winograd
  RingFusionUse ringFusion = RingFusionUse::Auto;  // as EngineOptions::ringFusion
  // As EngineOptions' (engine/measured_choices.h fills them for the CLI and Python).
  std::map<std::string, int> measuredWinogradTiles = {};
  std::map<std::string, ConvVariant> measuredConvVariants = {};
  std::string linker;      // --format shared: the C compiler that links (default cc, or TRIPLE-gcc)
  std::string sourcePath;  // for the header and NAME.json
  // Nodes without a kernel run in libconvopt_fallback (the reference
  // interpreter), which the program then links; else they fail the compile.
  bool allowFallback = false;
  std::string fallbackLibraryDir;  // where --format shared finds libconvopt_fallback.so
  // Threads LLVM optimises the kernels on (0: the machine's); the code is the same for any count.
  int compileThreads = 0;
  PlanningObserver afterPlanningStep = {};
};

struct AotResult {
  Target target;
  std::vector<std::string> files;  // written, in DIR
  size_t arenaBytes = 0, weightsBytes = 0, codeBytes = 0;
  size_t kernels = 0, steps = 0;
  std::vector<std::string> fallbackNodes;  // run by libconvopt_fallback
  std::string explanation;                 // explainLowering: what each node became
};

// Throws InputError (bad model, name, target or directory) and leaves nothing
// half-written in DIR.
AotResult compileAheadOfTime(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& inputShapes,
                             const AotOptions& options);

// The default NAME for a model file: its name as a C identifier
// ("mobilenet-v2.onnx" -> "mobilenet_v2"; ".../resnet/model.onnx" -> "resnet").
std::string artifactNameFor(const std::string& modelPath);

// Whether `name` can prefix C symbols.
bool isCIdentifier(const std::string& name);

}  // namespace convopt::codegen
