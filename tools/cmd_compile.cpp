// convopt compile MODEL -o DIR [--name NAME] [--format object|static|shared]:
// the model compiled ahead of time into a C API a program links
// (codegen/aot/aot_compiler.h), after the default pass pipeline.
// convopt compile MODEL --emit-llvm FILE | --emit-asm FILE [--node NAME]:
// the optimised LLVM IR or assembly of the kernels, for inspection.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "codegen/aot/aot_compiler.h"
#include "codegen/engine/jit_engine.h"
#include "codegen/engine/measured_choices.h"
#include "ir/atomic_file.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"
#include "tools/commands.h"
#include "tools/plan_printer.h"
#include "tools/winograd_option.h"

namespace convopt::tools {

namespace {
namespace fs = std::filesystem;

struct CompileOptions {
  std::string model;
  std::string emitLlvm, emitAsm;
  std::string node;
  std::string cpu, triple;
  std::vector<std::string> shapes;
  std::string outputDir, name, passes, linker;
  std::string format = "object";
  std::string fallbackLibraryDir;
  bool optimize = true, embedWeights = false, keepDenormals = false, allowFallback = false;
  bool explain = false, printAfterAll = false, measured = true;
  int threads = 0, jobs = 0;
  std::string winograd;
  codegen::RingFusionUse ringFusion = codegen::RingFusionUse::Auto;
};

// Where libconvopt_fallback.so is: beside this convopt, installed
// (PREFIX/bin -> PREFIX/LIBDIR) or in its build tree (build/tools -> build/lib).
std::string defaultFallbackLibraryDir() {
  std::error_code error;
  fs::path prefix = fs::read_symlink("/proc/self/exe", error).parent_path().parent_path();
  for (const fs::path& dir : {prefix / CONVOPT_INSTALL_LIBDIR, prefix / "lib"})
    if (!error && fs::exists(dir / "libconvopt_fallback.so")) return dir.string();
  return "";
}

// "-" is standard output; a file is written whole or not at all.
void writeText(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return;
  }
  ir::writeFileAtomically(path, text);
}

// Where the kernel choices come from: what `bench --tune` measured, the CPU family's table, or estimates.
void printMeasuredChoices(const codegen::MeasuredChoices& choices) {
  if (choices.fromHost + choices.fromFamily == 0) {
    fmt::print("kernel choices: estimated (nothing measured for {}; {})\n", choices.familyKey,
               choices.hostCode
                   ? "`convopt bench --tune` on the machine that will run it measures them"
                   : "measure on such a machine with `convopt bench --tune` and merge its tuning.json into "
                     "codegen/engine/tuning_defaults.json with scripts/dev/tuning_defaults.py");
    return;
  }
  fmt::print(
      "kernel choices: as measured where held (entries of this host's tuning cache: {}, of the table checked in "
      "for {}: {}), else estimated\n",
      choices.fromHost, choices.familyKey, choices.fromFamily);
}

void compileAheadOfTime(const CompileOptions& o, ir::Model& model) {
  auto start = std::chrono::steady_clock::now();
  auto shapes = ir::fixInputShapes(model, o.shapes);
  if (o.optimize) {
    std::vector<std::string> pipeline =
        o.passes.empty() ? passes::defaultPipelineNames() : passes::parsePipeline(o.passes);
    std::vector<passes::PassStatistics> stats = passes::runPipeline(model, pipeline, {});
    size_t rewrites = 0;
    for (const passes::PassStatistics& pass : stats) rewrites += size_t(pass.rewritten);
    fmt::print("optimize: {} passes, {} rewrites\n", stats.size(), rewrites);
  }
  codegen::AotOptions options{
      .name = o.name.empty() ? codegen::artifactNameFor(o.model) : o.name,
      .outputDir = o.outputDir,
      .format = codegen::artifactFormatNamed(o.format),
      .embedWeights = o.embedWeights,
      .triple = o.triple,
      .cpu = o.cpu,
      .flushDenormals = !o.keepDenormals,
      .winograd = codegen::winogradUseNamed(o.winograd),
      .ringFusion = o.ringFusion,
      .linker = o.linker,
      .sourcePath = o.model,
      .allowFallback = o.allowFallback,
      .fallbackLibraryDir = o.fallbackLibraryDir.empty() ? defaultFallbackLibraryDir() : o.fallbackLibraryDir,
      .compileThreads = o.jobs,
      .afterPlanningStep = planPrinter(o.printAfterAll)};
  codegen::MeasuredChoices choices;
  if (o.measured) choices = codegen::takeMeasuredChoices(options, o.threads);
  codegen::AotResult result = codegen::compileAheadOfTime(model, shapes, options);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.explain) fmt::print("{}", result.explanation);
  if (o.measured) printMeasuredChoices(choices);
  fmt::print(
      "compiled for {} ({}): {} kernels, {} steps; arena {:.2f} MiB, weights {:.2f} MiB, code {:.1f} KiB; "
      "{:.2f} s\n",
      result.target.triple, result.target.cpu, result.kernels, result.steps, result.arenaBytes / 1048576.0,
      result.weightsBytes / 1048576.0, result.codeBytes / 1024.0, seconds);
  for (const std::string& file : result.files)
    fmt::print("  {}\n", (std::filesystem::path(o.outputDir) / file).string());
  if (!result.fallbackNodes.empty())
    fmt::print("{} node(s) run in libconvopt_fallback ({}): link the program with {}-lconvopt_fallback\n",
               result.fallbackNodes.size(), fmt::join(result.fallbackNodes, ", "),
               options.fallbackLibraryDir.empty() ? "" : "-L" + options.fallbackLibraryDir + " ");
}

void compile(const CompileOptions& o) {
  int modes = !o.emitLlvm.empty() + !o.emitAsm.empty() + !o.outputDir.empty();
  if (modes != 1) throwInputError("give exactly one of -o DIR, --emit-llvm FILE, --emit-asm FILE");
  for (const std::string& written : {o.emitLlvm, o.emitAsm})
    if (written != "-") ir::checkNotInput(written, {o.model});
  ir::Model model = ir::loadModel(o.model);
  ir::verifyGraph(*model.graph);
  if (!o.outputDir.empty()) return compileAheadOfTime(o, model);
  auto shapes = ir::fixInputShapes(model, o.shapes);
  bool assembly = !o.emitAsm.empty();
  codegen::EngineOptions options{.cpu = o.cpu,
                                 .threads = o.threads,
                                 .flushDenormals = true,
                                 .adaptThreads = false,
                                 .winograd = codegen::winogradUseNamed(o.winograd),
                                 .ringFusion = o.ringFusion,
                                 .afterPlanningStep = planPrinter(o.printAfterAll),
                                 .triple = o.triple};
  if (o.measured) codegen::takeMeasuredChoices(options);  // the kernels `compile -o` would write
  writeText(assembly ? o.emitAsm : o.emitLlvm, codegen::emitKernels(model, shapes, options, o.node, assembly));
}

}  // namespace

void registerCompileCommand(CLI::App& app) {
  auto o = std::make_shared<CompileOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compile", "Compile a model ahead of time into a C API (-o DIR), or write its kernels' LLVM IR or assembly");
  cmd->add_option("model", o->model, "ONNX model file")->required();
  cmd->add_option("-o,--output-dir", o->outputDir,
                  "Write NAME.h, the code, NAME.weights and NAME.json here (created if missing; nothing is "
                  "half-written on failure)");
  cmd->add_option("--name", o->name,
                  "C prefix of every exported symbol and file name (default: the model file's name)");
  cmd->add_option("--format", o->format, "The code: object (NAME.o, default), static (libNAME.a), shared (libNAME.so)")
      ->check(CLI::IsMember({"object", "static", "shared"}));
  cmd->add_flag("--embed-weights", o->embedWeights, "Put the weights in the code instead of NAME.weights");
  cmd->add_option("--target-triple", o->triple,
                  "Target: x86_64-linux-gnu (default: the host) or aarch64-linux-gnu (NEON)");
  cmd->add_option("--cpu", o->cpu,
                  "Target CPU: host (default on the host triple), x86-64-v3 (AVX2), x86-64-v4 (AVX-512), "
                  "cortex-a76, ... (default on another triple: generic)");
  repeatable(
      cmd->add_option("--input-shape,--shape", o->shapes,
                      "NAME=1x3x224x224: an input's dims, batch included (repeatable; needed for dynamic dims)"));
  cmd->add_option("--passes", o->passes, "Pass pipeline before compiling (default: optimize's default pipeline)");
  cmd->add_flag("!--no-optimize", o->optimize, "Compile the model as given, without the pass pipeline");
  cmd->add_flag("--keep-denormals", o->keepDenormals, "Kernels keep IEEE denormals (default: flushed to zero)");
  cmd->add_option("--linker", o->linker,
                  "--format shared: the C compiler that links libNAME.so (default: cc; aarch64-linux-gnu-gcc "
                  "for AArch64 on an x86-64 host)");
  cmd->add_flag("--allow-fallback", o->allowFallback,
                "Run nodes that have no generated kernel with the reference interpreter in libconvopt_fallback, "
                "which the program then links (default: such a node fails the compile, named)");
  cmd->add_option("--fallback-library-dir", o->fallbackLibraryDir,
                  "--allow-fallback --format shared: where libconvopt_fallback.so is (default: the lib folder "
                  "beside this convopt)");
  cmd->add_flag("--explain", o->explain,
                "With -o: the pre-lowering steps' decisions and rejections, then what each node became");
  cmd->add_flag("--print-after-all", o->printAfterAll, "Print the pre-lowering plan after every step (to stderr)");
  cmd->add_option("--emit-llvm", o->emitLlvm, "Write the kernels' optimised LLVM IR there ('-': stdout)");
  cmd->add_option("--emit-asm", o->emitAsm, "Write the kernels' assembly there ('-': stdout)");
  cmd->add_option("--node", o->node, "With --emit-*: only the kernels of this node (name, or label such as Conv(y))");
  cmd->add_option("--threads", o->threads,
                  "The thread count the code will mostly run at (0: this machine's cores): the kernel choices "
                  "`run`/`bench --tune` measured on this host at that count are taken (code for this host's triple "
                  "only), else those checked in for the target CPU's family, else estimates")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-j,--jobs", o->jobs,
                  "With -o: threads LLVM optimises the kernels on (0, default: this machine's cores); the "
                  "artifact is the same for any count")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("!--no-measured-choices", o->measured,
                "Estimates and heuristics only: neither the tuning cache nor the CPU family's table (as Python's "
                "measured=False)");
  addWinogradOption(cmd, o->winograd);
  addRingFusionOption(cmd, o->ringFusion);
  cmd->callback([o] { compile(*o); });
}

}  // namespace convopt::tools
