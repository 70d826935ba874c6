// convopt optimize IN -o OUT: runs a pass pipeline, checks the result against
// the original on the reference interpreter, and writes it atomically.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <optional>

#include "ir/atomic_file.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/optimize_driver.h"
#include "passes/pass_registry.h"
#include "passes/pipeline.h"
#include "runtime/tensor_file.h"
#include "tools/calibrate/host_cost_model.h"
#include "tools/commands.h"
#include "tools/report/html_report.h"

namespace convopt::tools {
namespace {

struct OptimizeOptions {
  std::string input;
  std::string output;
  std::optional<std::string> passes;  // given (even empty) or the default pipeline
  std::string report;
  std::string html, profileJson;
  std::vector<std::string> inputShapes;
  bool freezeShapes = false;
  size_t externalThreshold = 0;
  bool printAfterAll = false;
  bool explain = false;
  bool verify = true;
  bool verifyLocal = false;
  std::string verifyInputs;
  std::string forRuntime, costTable;
  std::optional<double> approx;
  std::string calibration;
  passes::PassOptions pass;
  passes::EquivalenceOptions equivalence;
};

std::string passListHelp() {
  std::string help = "Comma-separated pass pipeline (default:";
  for (const auto& entry : passes::defaultPipeline()) help += " " + std::string(entry.pass);
  help += "). Passes:";
  for (const auto& info : passes::registeredPasses()) help += fmt::format("\n  {:<24} {}", info.name, info.description);
  return help;
}

void writeReport(const std::string& path, nlohmann::json report) {
  ir::writeFileAtomically(path, report.dump(2) + "\n");
}

void optimize(const OptimizeOptions& o) {
  if (!(o.equivalence.tolerance >= 0)) throwInputError("--tolerance must be >= 0, not {}", o.equivalence.tolerance);
  ir::Model model = ir::loadModel(o.input);
  std::string data = o.externalThreshold > 0 ? o.output + ".data" : "";  // what saveModel writes beside it
  std::vector<std::filesystem::path> read = {o.input, o.profileJson, o.costTable, o.verifyInputs, o.calibration};
  read.insert(read.end(), model.externalDataFiles.begin(), model.externalDataFiles.end());  // the weights
  for (const std::string& written : {o.output, data, o.report, o.html}) ir::checkNotInput(written, read);
  ir::verifyGraph(*model.graph);
  passes::OptimizeRequest request;
  if (o.passes) request.pipeline = passes::parsePipeline(*o.passes);
  request.inputShapes = o.inputShapes;
  request.freezeShapes = o.freezeShapes;
  request.verify = o.verify;
  request.verifyLocal = o.verifyLocal;
  request.verifyInputsSource = o.verifyInputs;
  request.explain = o.explain;
  request.pass = o.pass;
  request.pass.costModel = calibrate::hostCostModel(o.forRuntime, o.costTable);
  request.equivalence = o.equivalence;
  if (!o.verifyInputs.empty()) request.equivalence.inputs = runtime::loadInputFolder(o.verifyInputs, *model.graph);
  if (o.approx) request.approx = passes::approxRequest(*o.approx, o.calibration, *model.graph);
  if (o.printAfterAll)
    request.afterPass = [](std::string_view pass, const ir::Model& m) {
      std::cerr << fmt::format("// ----- IR after {} -----\n", pass) << ir::printModel(m, {.maxInlineElements = 16});
    };
  std::optional<report::OptimizeReport> page;
  if (!o.html.empty()) page.emplace(model, o.inputShapes, o.profileJson, request.pass.costModel);
  passes::OptimizeOutcome outcome = passes::optimizeModel(model, request, std::cout);
  if (!outcome.equivalent) {
    if (!o.report.empty()) writeReport(o.report, outcome.report);
    fmt::print(stderr,
               "convopt: error: the optimized model differs from the original beyond tolerance; '{}' not written\n",
               o.output);
    throw ExitWith(kExitInternalError);
  }
  ir::saveModel(model, o.output, {o.externalThreshold});
  if (!o.report.empty()) writeReport(o.report, outcome.report);
  if (page)
    ir::writeFileAtomically(o.html, page->render(fmt::format("convopt optimize {}", o.input), o.input, o.output, model,
                                                 outcome.report["rewrites"]));
}

}  // namespace

void registerOptimizeCommand(CLI::App& app) {
  auto o = std::make_shared<OptimizeOptions>();
  CLI::App* cmd = app.add_subcommand("optimize", "Rewrite convolutions and write the optimized model");
  cmd->add_option("input", o->input, "ONNX model to read (never modified)")->required();
  cmd->add_option("-o,--output", o->output, "Where to write the optimized model (atomically)")->required();
  cmd->add_option("--passes", o->passes, passListHelp())->expected(0, 1)->default_str("");
  cmd->add_flag("--print-after-all", o->printAfterAll, "Print the IR after every pass (to stderr)");
  cmd->add_flag("--explain", o->explain, "Print every rejected candidate with its reason, per pass");
  cmd->add_option("--for", o->forRuntime,
                  "The runtime the optimized model is headed for, whose cost model decides which rewrites pay: "
                  "convopt (default: its own kernels) or onnxruntime")
      ->check(CLI::IsMember(passes::builtinRuntimes()));
  cmd->add_option("--cost-table", o->costTable,
                  "A cost table measured on this machine by `convopt calibrate` (default: the runtime's built-in one)");
  CLI::Option* approx =
      cmd->add_option("--approx", o->approx,
                      "Also rewrite nearly structured convs (low rank, nearly block-diagonal) approximately, keeping "
                      "every output within this relative error (e.g. 0.01) on the calibration inputs (default: off, "
                      "only exact rewrites)")
          ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--calibration", o->calibration,
                  "With --approx: measure the error on these inputs (an ONNX test data set or NAME.npy files; "
                  "default: seeded random inputs, a weak proxy)")
      ->needs(approx);
  cmd->add_option("--min-gain", o->pass.minGain,
                  "A structural rewrite must cut the estimated time by this fraction (default 0.05)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--force", o->pass.force, "Apply exact structural rewrites even when the cost model says no");
  cmd->add_option("--rank-tolerance", o->pass.rankTolerance,
                  "Singular values below this fraction of the largest count as zero (default 1e-6)");
  repeatable(cmd->add_option(
      "--input-shape", o->inputShapes,
      "Dims of an input with dynamic dims, NAME=1x3x224x224 (repeatable), for the cost model and --verify; "
      "the written model keeps its dynamic dims unless --freeze-shapes"));
  cmd->add_flag("--freeze-shapes", o->freezeShapes,
                "Write the model with the --input-shape dims fixed (passes may then fold what they make constant, "
                "such as Shape)");
  cmd->add_option("--report", o->report, "Write the rewrite report as JSON to this file");
  CLI::Option* html =
      cmd->add_option("--html", o->html,
                      "Write an HTML report: the graph before and after with the rewrites highlighted, every conv, "
                      "where the time goes (Graphviz's dot draws the graphs)");
  cmd->add_option("--profile-json", o->profileJson,
                  "With --html: the time bars from `convopt bench OUT --profile --json` (default: the cost model's "
                  "prediction)")
      ->needs(html);
  cmd->add_flag("--verify,!--no-verify", o->verify,
                "Compare outputs before/after on the reference interpreter and refuse to write on a mismatch "
                "(default on)");
  cmd->add_flag("--verify-local", o->verifyLocal,
                "Check each rewrite alone (the nodes a pass changed, before and after, on seeded inputs) even where "
                "the whole model runs; without it, only where the reference interpreter cannot run the whole model");
  cmd->add_option("--verify-inputs", o->verifyInputs,
                  "Verify on these inputs: a folder holding an ONNX test data set (input_0.pb, ...) or NAME.npy files");
  cmd->add_option("--seed", o->equivalence.seed, "Seed of the random inputs --verify uses (default 1)");
  cmd->add_option("--tolerance", o->equivalence.tolerance,
                  "--verify accepts max|diff| <= tolerance * max(max|output|, 1) (default 1e-4)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--verify-dim", o->equivalence.dynamicDim,
                  "--verify gives dynamic input dims other than the batch (1) and the channels (what the "
                  "Conv or normalization reading them needs) this size, or what a window reading them spans "
                  "(default 64); --input-shape fixes them instead");
  cmd->add_option("--external-data", o->externalThreshold,
                  "Write tensors of at least this many bytes to OUTPUT.data (0: all inline)");
  cmd->callback([o] { optimize(*o); });
}

}  // namespace convopt::tools
