#include "passes/pass_manager.h"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "ir/error.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "passes/pass_registry.h"

namespace convopt::passes {
namespace {

// The pass on the graph, then on each body of its nodes as the pass left them
// (a body's outer-scope constants are constants there: constantTensor).
void runOnGraphAndBodies(Pass& pass, ir::Graph& graph, PassContext& context) {
  pass.run(graph, context);
  const std::string scope = context.scope;
  for (ir::Node* node : graph.nodes())
    for (ir::Attribute& attribute : node->attributes)
      for (ir::Subgraph& body : attribute.graphs) {
        context.scope = node->bodyScope(scope, attribute.name);
        runOnGraphAndBodies(pass, *body, context);
      }
  context.scope = scope;
}

}  // namespace

std::vector<PassStatistics> runPipeline(ir::Model& model, const std::vector<std::string>& passNames,
                                        const PassManagerOptions& options) {
  ir::verifyGraph(*model.graph);
  ir::inferShapes(model);
  std::vector<PassStatistics> all;
  PassOptions passOptions = options.pass;
  bool costingShapesStale = !passOptions.costingInputShapes.empty();
  for (const std::string& name : passNames) {
    std::unique_ptr<Pass> pass = createPass(name);
    PassStatistics stats;
    stats.pass = name;
    if (costingShapesStale) passOptions.costingShapes = ir::staticShapesAt(model, passOptions.costingInputShapes);
    PassContext context(model, passOptions, stats);
    auto start = std::chrono::steady_clock::now();
    runOnGraphAndBodies(*pass, *model.graph, context);
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    try {
      ir::verifyGraph(*model.graph);
    } catch (const InputError& e) {
      throw std::logic_error(fmt::format("pass {} left an invalid graph: {}", name, e.what()));
    }
    // Types for the values the pass created. A conflict found here can be the input's own,
    // hidden while shapes were unknown (a rewrite can make more of them known).
    try {
      if (stats.rewritten > 0) ir::inferShapes(model);
    } catch (const InputError& e) {
      throwInputError("{} (shapes inferred after pass {})", e.what(), name);
    }
    costingShapesStale = !passOptions.costingInputShapes.empty() && stats.rewritten > 0;
    if (options.afterPass) options.afterPass(name, model);
    all.push_back(std::move(stats));
  }
  return all;
}

std::string formatStatistics(const std::vector<PassStatistics>& stats, bool explain) {
  std::string out = fmt::format("{:<24} {:>8} {:>10} {:>9} {:>9}\n", "pass", "matched", "rewritten", "rejected", "ms");
  for (const PassStatistics& s : stats) {
    out += fmt::format("{:<24} {:>8} {:>10} {:>9} {:>9.2f}\n", s.pass, s.matched, s.rewritten, s.rejections.size(),
                       s.seconds * 1e3);
    if (!explain) continue;
    for (const Rejection& r : s.rejections) out += fmt::format("    rejected {}: {}\n", r.node, r.reason);
  }
  return out;
}

}  // namespace convopt::passes
