#include "tests/support/passes_test_util.h"

#include <stdexcept>

#include "ir/onnx_io.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"
#include "passes/equivalence.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"
#include "runtime/reference/interpreter.h"

namespace convopt::passes::testing {

PassRun runPasses(const std::string& passes, const std::string& text, const PassOptions& options) {
  PassRun run{ir::parseModelText(text), ir::parseModelText(text), {}, {}, {}};
  ir::verifyGraph(*run.before.graph);
  ir::inferShapes(run.before);
  run.beforeText = ir::printModel(run.before);
  std::vector<PassStatistics> stats = runPipeline(run.after, parsePipeline(passes), {options, {}});
  run.stats = stats.front();
  run.afterText = ir::printModel(run.after);
  return run;
}

std::string rejectionFor(const PassStatistics& stats, const std::string& node) {
  for (const Rejection& r : stats.rejections)
    if (r.node == node) return r.reason;
  return "";
}

std::string printedStructure(const ir::Model& model) { return ir::printModel(model, {.maxInlineElements = 0}); }

::testing::AssertionResult numericallyEquivalent(const PassRun& run, uint64_t seed) {
  EquivalenceOptions options;
  options.seed = seed;
  options.tolerance = 1e-5;
  EquivalenceResult result = compareModels(*run.before.graph, *run.after.graph, run.before.defaultOpset(), options);
  if (result.outputs.empty()) return ::testing::AssertionFailure() << "the model has no outputs";
  if (result.equivalent()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.summary();
}

PassOptions forcedOptions() {
  PassOptions options;
  options.force = true;
  return options;
}

void expectConvRejected(const std::string& pass, const ConvRejection& rejection) {
  PassRun run = runPasses(pass, rejection.text, forcedOptions());
  EXPECT_EQ(run.afterText, run.beforeText);
  EXPECT_EQ(rejectionFor(run.stats, "Conv(y)"), rejection.reason);
}

}  // namespace convopt::passes::testing
