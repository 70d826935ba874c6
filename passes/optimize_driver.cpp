// The optimize driver: pipeline, verification, report (optimize_driver.h).
#include "passes/optimize_driver.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>

#include "ir/error.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"
#include "passes/rewrite_regions.h"
#include "passes/rewrite_report.h"

namespace convopt::passes {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Each rewrite alone (passes/rewrite_regions.h): when the reference
// interpreter cannot run the whole model, or with --verify-local.
bool verifyRewritesAlone(const std::vector<RewriteRegion>& regions, const EquivalenceOptions& options,
                         nlohmann::json& report, std::ostream& log) {
  bool equivalent = true;
  for (const RewriteRegion& region : regions) {
    std::string where = fmt::format("{} of {}{}", region.pass, fmt::join(region.nodes, ", "),
                                    region.scope.empty() ? "" : " in " + region.scope);
    if (!region.uncheckable.empty())
      throwInputError("--verify cannot run the {} alone: {}, or skip the check with --no-verify", where,
                      region.uncheckable);
    EquivalenceResult result;
    try {
      result = compareRegion(region, options);
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
    log << "  " << where << sized << ":\n" << result.summary();
    report["regions"].push_back({{"pass", region.pass},
                                 {"scope", region.scope},
                                 {"nodes", region.nodes},
                                 {"sized_dims", region.defaultedDims},
                                 {"equivalent", result.equivalent()}});
    equivalent = equivalent && result.equivalent();
  }
  return equivalent;
}

// The whole model on the reference interpreter where it runs, else each rewrite alone.
bool verify(const OptimizeRequest& request, const ir::Graph& original, const ir::Model& optimized,
            const std::vector<RewriteRegion>& regions, const EquivalenceOptions& options, nlohmann::json& report,
            std::ostream& log) {
  auto start = std::chrono::steady_clock::now();
  std::string heading = fmt::format("seed {}, tolerance {:g}", options.seed, options.tolerance);
  if (!options.inputs.empty())
    heading = fmt::format("inputs of {}, tolerance {:g}", request.verifyInputsSource, options.tolerance);
  report = {{"seed", options.seed}, {"tolerance", options.tolerance}};
  std::string whyAlone = request.verifyLocal ? "--verify-local" : "";
  bool equivalent = true;
  if (whyAlone.empty()) {
    try {
      EquivalenceResult result = compareModels(original, *optimized.graph, optimized.defaultOpset(), options);
      std::string sized = result.sizedDims.empty() ? "" : fmt::format(", with {}", fmt::join(result.sizedDims, ", "));
      log << fmt::format("verify ({}): the whole model{}, {:.1f} ms\n", heading, sized, secondsSince(start) * 1e3)
          << result.summary();
      report["scope"] = "model";
      report["sized_dims"] = result.sizedDims;
      equivalent = result.equivalent();
    } catch (const InputError& e) {
      whyAlone = fmt::format("the whole model cannot run on the reference interpreter: {}", e.what());
    }
  }
  if (!whyAlone.empty()) {
    log << fmt::format("verify (seed {}, tolerance {:g}): each rewrite alone ({})\n", options.seed, options.tolerance,
                       whyAlone);
    report["scope"] = "rewrites";
    report["why"] = whyAlone;
    report["regions"] = nlohmann::json::array();
    equivalent = verifyRewritesAlone(regions, options, report, log);
    log << fmt::format("  {} rewritten regions checked, {:.1f} ms\n", regions.size(), secondsSince(start) * 1e3);
  }
  report["seconds"] = secondsSince(start);
  report["equivalent"] = equivalent;
  return equivalent;
}

}  // namespace

OptimizeOutcome optimizeModel(ir::Model& model, const OptimizeRequest& request, std::ostream& log) {
  ir::verifyGraph(*model.graph);
  PassManagerOptions managerOptions{request.pass, request.afterPass};
  EquivalenceOptions equivalence = request.equivalence;
  if (request.freezeShapes) {
    for (const std::string& spec : request.inputShapes) ir::applyInputShape(model, spec);
  } else if (!request.inputShapes.empty()) {  // the model keeps its dims; costing and the check use these
    managerOptions.pass.costingInputShapes = request.inputShapes;
    equivalence.inputShapes = ir::staticShapesAt(model, request.inputShapes);
  }
  std::optional<ApproxOutcome> approximated;
  if (request.approx) {
    ApproxRequest approx = *request.approx;
    approx.inputs = equivalence;                           // the check's seed and dims
    approx.inputs.inputs = request.approx->inputs.inputs;  // the calibration inputs, not --verify-inputs
    approximated = approximateWeights(model, approx, managerOptions.pass, log);
  }
  // The first pass's rewrites are cut out of this model to be checked alone: with
  // the shapes runPipeline infers first, as every later pass's are.
  if (request.verify) ir::inferShapes(model);
  // With --approx, the exact rewrites are checked against the projected model.
  std::unique_ptr<ir::Graph> original = request.verify ? model.graph->clone() : nullptr;
  // What each pass changed, cut out to be checked alone if the whole model cannot run.
  std::vector<RewriteRegion> regions;
  ir::Model beforePass = request.verify ? model.clone() : ir::Model{};
  if (request.verify)
    managerOptions.afterPass = [&, print = managerOptions.afterPass](std::string_view pass, const ir::Model& m) {
      if (print) print(pass, m);
      for (RewriteRegion& region :
           changedRegions(beforePass, m, std::string(pass), equivalence.inputShapes, equivalence.dynamicDim))
        regions.push_back(std::move(region));
      beforePass = m.clone();
    };
  auto start = std::chrono::steady_clock::now();
  OptimizeOutcome outcome;
  outcome.stats = runPipeline(model, request.pipeline ? *request.pipeline : defaultPipelineNames(), managerOptions);
  double pipelineSeconds = secondsSince(start);
  const CostTable& costs = request.pass.cost().table();
  log << fmt::format("cost model: {} ({}, measured {} on {}), rewrites must gain {:g}%{}\n", costs.runtime,
                     costs.source, costs.measured, costs.host, request.pass.minGain * 100,
                     request.pass.force ? " (--force: every exact rewrite applies)" : "")
      << formatStatistics(outcome.stats, request.explain) << "\n"
      << formatRewriteTable(outcome.stats)
      << fmt::format("pipeline: {:.1f} ms (passes, verifier and shape inference)\n", pipelineSeconds * 1e3);
  outcome.report = rewriteReportJson(outcome.stats);
  outcome.report["pipeline_seconds"] = pipelineSeconds;
  if (approximated) {
    outcome.report["approximate"] = approximated->json(*request.approx);
    for (nlohmann::json& rewrite : outcome.report["rewrites"])
      rewrite["approximate"] =
          std::any_of(approximated->layers.begin(), approximated->layers.end(),
                      [&](const ApproximateLayer& l) { return l.node == rewrite.value("node", ""); });
  }
  outcome.report["cost_model"] = {
      {"runtime", costs.runtime},   {"source", costs.source},           {"host", costs.host},
      {"measured", costs.measured}, {"min_gain", request.pass.minGain}, {"force", request.pass.force}};
  if (request.verify)
    outcome.equivalent = verify(request, *original, model, regions, equivalence, outcome.report["verify"], log);
  return outcome;
}

}  // namespace convopt::passes
