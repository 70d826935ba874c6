// convopt optimize IN -o OUT: runs a pass pipeline, checks the result against
// the original on the reference interpreter, and writes it atomically.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <iostream>
#include <optional>

#include "ir/atomic_file.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "passes/equivalence.h"
#include "passes/pass_manager.h"
#include "passes/pass_registry.h"
#include "passes/pipeline.h"
#include "passes/rewrite_regions.h"
#include "passes/rewrite_report.h"
#include "runtime/tensor_file.h"
#include "tools/commands.h"

namespace convopt::tools {
namespace {

struct OptimizeOptions {
  std::string input;
  std::string output;
  std::optional<std::string> passes;  // given (even empty) or the default pipeline
  std::string report;
  std::vector<std::string> inputShapes;
  bool freezeShapes = false;
  size_t externalThreshold = 0;
  bool printAfterAll = false;
  bool explain = false;
  bool verify = true;
  bool verifyLocal = false;
  std::string verifyInputs;
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

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void writeReport(const std::string& path, nlohmann::json report) {
  ir::writeFileAtomically(path, report.dump(2) + "\n");
}

// Each rewrite alone (passes/rewrite_regions.h): when the reference
// interpreter cannot run the whole model, or with --verify-local.
bool verifyRewritesAlone(const std::vector<passes::RewriteRegion>& regions, const passes::EquivalenceOptions& options,
                         nlohmann::json& report) {
  bool equivalent = true;
  for (const passes::RewriteRegion& region : regions) {
    std::string where = fmt::format("{} of {}{}", region.pass, fmt::join(region.nodes, ", "),
                                    region.scope.empty() ? "" : " in " + region.scope);
    if (!region.uncheckable.empty())
      throwInputError(
          "--verify cannot run the {} alone: {}; give dims with --input-shape, or skip the check with "
          "--no-verify",
          where, region.uncheckable);
    passes::EquivalenceResult result;
    try {
      result = passes::compareRegion(region, options);
    } catch (const InputError& e) {
      std::string dims = region.defaultedDims.empty()
                             ? ""
                             : fmt::format(
                                   "; it ran with {}: give the model's inputs their dims with --input-shape "
                                   "(or other dynamic dims a size with --verify-dim)",
                                   fmt::join(region.defaultedDims, ", "));
      throwInputError("--verify cannot run the {} alone ({}){}; or skip the check with --no-verify", where, e.what(),
                      dims);
    }
    std::string sized = region.defaultedDims.empty()  // the dynamic dims it chose a size for
                            ? ""
                            : fmt::format(", with {}", fmt::join(region.defaultedDims, ", "));
    std::cout << "  " << where << sized << ":\n" << result.summary();
    report["regions"].push_back({{"pass", region.pass},
                                 {"scope", region.scope},
                                 {"nodes", region.nodes},
                                 {"sized_dims", region.defaultedDims},
                                 {"equivalent", result.equivalent()}});
    equivalent = equivalent && result.equivalent();
  }
  return equivalent;
}

// --verify: the whole model on the reference interpreter where it runs, else each rewrite alone.
bool verify(const OptimizeOptions& o, const ir::Graph& original, const ir::Model& optimized,
            const std::vector<passes::RewriteRegion>& regions, const passes::EquivalenceOptions& options,
            nlohmann::json& report) {
  auto start = std::chrono::steady_clock::now();
  std::string heading = fmt::format("seed {}, tolerance {:g}", options.seed, options.tolerance);
  if (!options.inputs.empty()) heading = fmt::format("inputs of {}, tolerance {:g}", o.verifyInputs, options.tolerance);
  report = {{"seed", options.seed}, {"tolerance", options.tolerance}};
  std::string whyAlone = o.verifyLocal ? "--verify-local" : "";
  bool equivalent = true;
  if (whyAlone.empty()) {
    try {
      passes::EquivalenceResult result =
          passes::compareModels(original, *optimized.graph, optimized.defaultOpset(), options);
      std::cout << fmt::format("verify ({}): the whole model, {:.1f} ms\n", heading, secondsSince(start) * 1e3)
                << result.summary();
      report["scope"] = "model";
      equivalent = result.equivalent();
    } catch (const InputError& e) {
      whyAlone = fmt::format("the whole model cannot run on the reference interpreter: {}", e.what());
    }
  }
  if (!whyAlone.empty()) {
    std::cout << fmt::format("verify (seed {}, tolerance {:g}): each rewrite alone ({})\n", options.seed,
                             options.tolerance, whyAlone);
    report["scope"] = "rewrites";
    report["why"] = whyAlone;
    report["regions"] = nlohmann::json::array();
    equivalent = verifyRewritesAlone(regions, options, report);
    std::cout << fmt::format("  {} rewritten regions checked, {:.1f} ms\n", regions.size(), secondsSince(start) * 1e3);
  }
  report["seconds"] = secondsSince(start);
  report["equivalent"] = equivalent;
  return equivalent;
}

void optimize(const OptimizeOptions& o) {
  ir::Model model = ir::loadModel(o.input);
  ir::verifyGraph(*model.graph);
  passes::PassManagerOptions managerOptions{o.pass, {}};
  passes::EquivalenceOptions equivalence = o.equivalence;
  if (o.freezeShapes) {
    for (const std::string& spec : o.inputShapes) ir::applyInputShape(model, spec);
  } else if (!o.inputShapes.empty()) {  // the model keeps its dims; costing and --verify use these
    managerOptions.pass.costingInputShapes = o.inputShapes;
    equivalence.inputShapes = ir::staticShapesAt(model, o.inputShapes);
  }
  if (!o.verifyInputs.empty()) equivalence.inputs = runtime::loadInputFolder(o.verifyInputs, *model.graph);
  std::unique_ptr<ir::Graph> original = o.verify ? model.graph->clone() : nullptr;
  std::vector<std::string> pipeline = o.passes ? passes::parsePipeline(*o.passes) : passes::defaultPipelineNames();
  if (o.printAfterAll)
    managerOptions.afterPass = [](std::string_view pass, const ir::Model& m) {
      std::cerr << fmt::format("// ----- IR after {} -----\n", pass) << ir::printModel(m, {.maxInlineElements = 16});
    };
  // What each pass changed, cut out to be checked alone if the whole model cannot run.
  std::vector<passes::RewriteRegion> regions;
  ir::Model beforePass = o.verify ? model.clone() : ir::Model{};
  if (o.verify)
    managerOptions.afterPass = [&, print = managerOptions.afterPass](std::string_view pass, const ir::Model& m) {
      if (print) print(pass, m);
      for (passes::RewriteRegion& region :
           passes::changedRegions(beforePass, m, std::string(pass), equivalence.inputShapes, equivalence.dynamicDim))
        regions.push_back(std::move(region));
      beforePass = m.clone();
    };
  auto start = std::chrono::steady_clock::now();
  std::vector<passes::PassStatistics> stats = passes::runPipeline(model, pipeline, managerOptions);
  double pipelineSeconds = secondsSince(start);
  std::cout << passes::formatStatistics(stats, o.explain) << "\n"
            << passes::formatRewriteTable(stats)
            << fmt::format("pipeline: {:.1f} ms (passes, verifier and shape inference)\n", pipelineSeconds * 1e3);
  nlohmann::json report = passes::rewriteReportJson(stats);
  report["pipeline_seconds"] = pipelineSeconds;
  if (o.verify && !verify(o, *original, model, regions, equivalence, report["verify"])) {
    if (!o.report.empty()) writeReport(o.report, report);
    fmt::print(stderr,
               "convopt: error: the optimized model differs from the original beyond tolerance; '{}' not written\n",
               o.output);
    throw ExitWith(kExitInternalError);
  }
  ir::saveModel(model, o.output, {o.externalThreshold});
  if (!o.report.empty()) writeReport(o.report, report);
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
  cmd->add_option("--min-gain", o->pass.minGain,
                  "A structural rewrite must cut the estimated time by this fraction (default 0.10)")
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
                  "--verify accepts max|diff| <= tolerance * max(max|output|, 1) (default 1e-4)");
  cmd->add_option("--verify-dim", o->equivalence.dynamicDim,
                  "--verify gives dynamic input dims other than the batch (1) this size (default 64); "
                  "--input-shape fixes them instead");
  cmd->add_option("--external-data", o->externalThreshold,
                  "Write tensors of at least this many bytes to OUTPUT.data (0: all inline)");
  cmd->callback([o] { optimize(*o); });
}

}  // namespace convopt::tools
