// Approximate rewrites, only when asked (`optimize --approx BUDGET`): dense
// convs whose weights are *nearly* structured get projected onto the structure
// (weight_projection.h), so that the exact passes then rewrite them, while the
// model's outputs stay within BUDGET (the largest relative error of any
// output, max |y' - y| / max |y|, on the calibration inputs).
//
// Choice under the budget (a multiple-choice knapsack, greedily):
//   1. run the model once on the calibration inputs, keeping every candidate
//      conv's input (runtime::ValueObserver sees bodies' values too);
//   2. per conv, every projection the cost model says pays (--min-gain): its
//      time saved (cost model) and the error it adds to the conv's own output
//      on those inputs (max |conv(x, W - W')| / max |conv(x, W) + b|);
//   3. repeatedly take the step (a conv's next, more aggressive projection)
//      with the most time saved per error added while the summed layer errors
//      stay within the budget;
//   4. check the whole model against the original; while it exceeds the
//      budget, undo the last step.
// Candidates: dense convs with a constant weight of their own, in the main
// graph and in If/Loop/Scan bodies (a body's conv measured on the first input
// it gets; one the calibration run never reaches is left alone).
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ir/graph.h"
#include "passes/equivalence.h"
#include "passes/pass.h"

namespace convopt::passes {

struct ApproxRequest {
  double budget = 0;
  EquivalenceOptions inputs;  // the calibration inputs (`inputs.inputs`), else seeded random ones
  std::string inputsSource;   // where they came from, "" for seeded random
};

// `--approx BUDGET [--calibration DIR]` as a request: DIR's inputs for `graph`
// (an ONNX test data set or NAME.npy files), else seeded random ones.
ApproxRequest approxRequest(double budget, const std::string& calibrationDir, const ir::Graph& graph);

struct ApproximateLayer {
  std::string node;
  std::string method;
  int64_t parameter = 0;
  double weightError = 0;
  double layerError = 0;  // on the calibration inputs
  double secondsBefore = 0, secondsAfter = 0;
};

struct ApproxOutcome {
  std::vector<ApproximateLayer> layers;
  double modelError = 0;  // the whole model's, measured at the end
  int undone = 0;         // steps the whole-model check undid
  nlohmann::json json(const ApproxRequest& request) const;
};

// Projects the chosen weights of `model` in place and logs the choice.
ApproxOutcome approximateWeights(ir::Model& model, const ApproxRequest& request, const PassOptions& options,
                                 std::ostream& log);

}  // namespace convopt::passes
